// The case file beside a task's form stays open on a wide screen; on a phone it folds to its
// summary above the form (open at first only for the step that reads it, as the server says).
(function () {
  "use strict";
  var WIDE = window.matchMedia("(min-width: 1000px)");
  document.addEventListener("DOMContentLoaded", function () {
    var casefile = document.querySelector(".task-layout.has-casefile > details.casefile");
    if (!casefile) return;
    var summary = casefile.querySelector("summary");
    function fit() { if (WIDE.matches) casefile.open = true; }
    summary.addEventListener("click", function (ev) { if (WIDE.matches) ev.preventDefault(); });
    WIDE.addEventListener("change", fit);
    fit();
  });
})();

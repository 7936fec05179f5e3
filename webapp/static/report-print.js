// The repair report's print button: shown only where a script may run (never in the PDF).
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();

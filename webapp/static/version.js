// A version's diagram with what it adds or changes against the published version.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-model-url]");
    if (!el || typeof BpmnJS === "undefined") return;
    fetch(el.dataset.modelUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var viewer = new BpmnJS({ container: el });
        return viewer.importXML(data.xml).then(function () {
          var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
          canvas.zoom("fit-viewport");
          (data.changes || []).forEach(function (c) {
            if (c.kind !== "removed" && registry.get(c.element)) {
              canvas.addMarker(c.element, c.kind === "added" ? "diff-added" : "diff-changed");
            }
          });
          el.dataset.ready = "1";
        });
      })
      .catch(function (err) { el.dataset.error = String(err); });
  });
})();

// Draw a case's diagram with bpmn-js and mark finished, active and overdue steps.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-diagram-url]");
    if (!el || typeof BpmnJS === "undefined") return;
    fetch(el.dataset.diagramUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        var viewer = new BpmnJS({ container: el });
        return viewer.importXML(data.xml).then(function (result) {
          var canvas = viewer.get("canvas");
          var registry = viewer.get("elementRegistry");
          canvas.zoom("fit-viewport");
          function mark(ids, cls) {
            ids.forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, cls); });
          }
          mark(data.done, "step-done");
          mark(data.active, "step-active");
          mark(data.overdue, "step-overdue");
          el.dataset.warnings = String((result.warnings || []).length);
          el.dataset.ready = "1";
        });
      })
      .catch(function (err) {
        el.textContent = el.dataset.errorText || "Diagram tidak dapat ditampilkan.";
        el.dataset.error = String(err);
      });
  });
})();

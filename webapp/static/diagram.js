// Draw a case's diagram with bpmn-js and mark finished, active and overdue steps.
(function () {
  "use strict";
  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value == null ? "" : String(value);  // never HTML: data is typed by people
    if (cls) node.className = cls;
    return node;
  }
  function when(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }
  function showHistory(panel, element, history) {
    var entries = history[element.id] || [];
    var name = (element.businessObject && element.businessObject.name) || element.id;
    panel.replaceChildren(text("h3", name));
    if (!entries.length) {
      panel.appendChild(text("p", panel.dataset.empty || "Belum ada riwayat untuk elemen ini.", "muted"));
    }
    entries.forEach(function (e, i) {
      var box = document.createElement("div");
      box.className = "entry";
      box.appendChild(text("p", (i + 1) + ". " + e.status + (e.by ? " · " + e.by : "") +
        " · " + when(e.ready_at) + " → " + when(e.completed_at) +
        (e.breached_at ? " · ⚠ " + when(e.breached_at) : "")));
      var dl = document.createElement("dl");
      dl.className = "data";
      Object.keys(e.data || {}).forEach(function (k) {
        dl.appendChild(text("dt", k));
        var v = e.data[k];
        dl.appendChild(text("dd", Array.isArray(v) ? v.join(", ") : v));
      });
      box.appendChild(dl);
      panel.appendChild(box);
    });
    panel.hidden = false;
  }

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
          mark(data.failed || [], "step-failed");
          var panel = el.parentNode.querySelector(".element-detail");
          viewer.get("eventBus").on("element.click", function (event) {
            if (panel) showHistory(panel, event.element, data.history || {});
          });
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

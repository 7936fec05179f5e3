// SOP import: refuse a too-large file before it is sent (the pasted text stays), draw the
// proposed diagram next to the review table, mark the steps the reader was unsure of, and
// show a row's step when the row is being corrected. The pages work without it.
(function () {
  "use strict";
  var STEP_TAGS = /^(task|userTask|serviceTask|manualTask|scriptTask|sendTask|receiveTask|businessRuleTask|exclusiveGateway|callActivity|subProcess|endEvent|startEvent|intermediateThrowEvent)$/;

  function guardUploadSize(form) {
    var input = form.querySelector("input[type=file]");
    var error = form.querySelector("#file_error");
    var max = Number(form.dataset.maxBytes || 0);
    function tooLarge() {
      var file = input && input.files && input.files[0];
      return Boolean(file && max && file.size > max);
    }
    function show() {
      var bad = tooLarge();
      error.textContent = bad ? form.dataset.tooLarge : "";
      error.hidden = !bad;
      return bad;
    }
    if (!input || !error) return;
    input.addEventListener("change", show);
    form.addEventListener("submit", function (ev) {
      if (show()) { ev.preventDefault(); input.focus(); }
    });
  }

  // Step number -> element id, read from the steps' sopNomor properties (the process's own
  // sopNomor is the SOP's number, not a step's).
  function stepsByNumber(xml) {
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    var result = {};
    var props = doc.getElementsByTagNameNS("*", "property");
    for (var k = 0; k < props.length; k++) {
      var p = props[k];
      if (p.getAttribute("name") !== "sopNomor") continue;
      for (var el = p.parentNode; el && el.nodeType === 1; el = el.parentNode) {
        if (el.localName === "process" || el.localName === "collaboration") break;
        if (STEP_TAGS.test(el.localName) && el.getAttribute("id")) {
          result[String(p.getAttribute("value")).trim()] = el.getAttribute("id");
          break;
        }
      }
    }
    return result;
  }

  function toggleBranches(select) {
    var row = select.closest("tr");
    var editor = row && row.querySelector(".branch-editor");
    if (!editor) return;
    var decision = select.value === "decision";
    // A step that is not a decision has no branches: hidden inputs are not sent either.
    var filled = Array.prototype.some.call(editor.querySelectorAll("input"), function (i) { return i.value; });
    var show = decision || filled;
    (editor.closest(".cell") || editor).hidden = !show;
    editor.querySelectorAll("input, select").forEach(function (el) { el.disabled = !show; });
  }

  function drawDiagram(container, proposal) {
    if (typeof BpmnJS === "undefined") return;
    var viewer = new BpmnJS({ container: container });
    var steps = stepsByNumber(proposal.xml);
    viewer.importXML(proposal.xml).then(function (result) {
      var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      (proposal.unsure || []).forEach(function (no) {
        var id = steps[String(no)];
        if (id && registry.get(id)) canvas.addMarker(id, "import-unsure");
      });
      var focused = null;
      document.querySelectorAll("tr[data-row]").forEach(function (tr) {
        tr.addEventListener("focusin", function () {
          var id = steps[tr.dataset.row];
          if (focused && registry.get(focused)) canvas.removeMarker(focused, "import-focus");
          focused = id && registry.get(id) ? id : null;
          if (focused) canvas.addMarker(focused, "import-focus");
        });
      });
      viewer.get("eventBus").on("element.click", function (event) {
        var no = Object.keys(steps).filter(function (n) { return steps[n] === event.element.id; })[0];
        var tr = no && document.querySelector('tr[data-row="' + CSS.escape(no) + '"]');
        if (!tr) return;
        tr.scrollIntoView({ block: "center" });
        var first = tr.querySelector("textarea, select, input");
        if (first) first.focus({ preventScroll: true });
      });
      container.dataset.warnings = String((result.warnings || []).length);
      container.dataset.unsure = String(container.querySelectorAll(".import-unsure").length);
      container.dataset.ready = "1";
    }).catch(function (err) {
      container.textContent = container.dataset.errorText || "Diagram tidak dapat ditampilkan.";
      container.dataset.error = String(err);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var upload = document.getElementById("import-form");
    if (upload) guardUploadSize(upload);
    document.querySelectorAll("select.row-kind").forEach(function (select) {
      toggleBranches(select);
      select.addEventListener("change", function () { toggleBranches(select); });
    });
    var container = document.getElementById("import-diagram");
    var data = document.getElementById("import-proposal");
    if (container && data) {
      var proposal;
      try { proposal = JSON.parse(data.textContent); } catch (e) { return; }
      drawDiagram(container, proposal);
    }
  });
})();

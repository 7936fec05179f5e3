// The in-browser modeler: bpmn-js (served from /vendor) plus a small properties panel showing
// only what sopflow reads, a forms editor with the server's live preview, and "save as draft".
// Native ES modules, no build step. This entry wires the page's controls and loads the
// diagram; a module script runs once the document is parsed, after the deferred bpmn-js.
import { $, getJSON, message } from "./dom.js";
import { loadXml } from "./diagram.js";
import { download, save, saveAnyway, upload } from "./draft.js";
import { newFormFromList, onFormInput, renderFormsList } from "./forms.js";
import { setDirty, state } from "./state.js";
import { t } from "./i18n.js";
import { showTab, tabKeys } from "./tabs.js";

window.addEventListener("beforeunload", function (event) {
  if (!state.dirty) return undefined;
  event.preventDefault();
  event.returnValue = "";
  return "";
});

function start() {
  const root = $("#modeler");
  if (!root) return;
  state.root = root;
  state.canvasBox = $("#canvas");
  state.propsBody = $("#props-body");
  state.cfg = {
    processId: root.dataset.processId,
    modelUrl: root.dataset.modelUrl,
    moddleUrl: root.dataset.moddleUrl,
    draftsUrl: root.dataset.draftsUrl,
    previewUrl: root.dataset.previewUrl,
    rolesUrl: root.dataset.rolesUrl,
    modelerUrl: root.dataset.modelerUrl
  };

  $("#btn-undo").addEventListener("click", function () { if (state.modeler) state.modeler.get("commandStack").undo(); });
  $("#btn-redo").addEventListener("click", function () { if (state.modeler) state.modeler.get("commandStack").redo(); });
  state.base = parseInt(root.dataset.version, 10);
  $("#btn-save").addEventListener("click", function () { save(false); });
  $("#stale-save").addEventListener("click", saveAnyway);
  $("#btn-download").addEventListener("click", download);
  $("#upload-bpmn").addEventListener("change", upload);
  $("#tab-diagram").addEventListener("click", function () { showTab("diagram"); });
  $("#tab-forms").addEventListener("click", function () { showTab("forms"); });
  $("#tab-diagram").addEventListener("keydown", tabKeys);
  $("#tab-forms").addEventListener("keydown", tabKeys);
  $("#form-schema").addEventListener("input", function () { onFormInput("schema"); });
  $("#form-ui").addEventListener("input", function () { onFormInput("ui"); });
  $("#btn-new-form").addEventListener("click", newFormFromList);
  $("#new-form-name").addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); newFormFromList(); }
  });

  Promise.all([getJSON(state.cfg.moddleUrl), getJSON(state.cfg.modelUrl)]).then(function (loaded) {
    state.moddleBase = loaded[0];
    const data = loaded[1];
    state.roles = data.roles || [];
    state.operators = data.operators || [];
    state.forms = Object.assign({}, data.forms || {});
    renderFormsList();
    return loadXml(data.xml);
  }).then(function () {
    setDirty(false);
    $("#btn-save").disabled = false;
    $("#btn-download").disabled = false;
    root.dataset.ready = "1";
  }).catch(function (err) {
    root.dataset.error = String(err && err.message || err);
    $("#dirty-state").textContent = "";
    message("error", t("Diagram tidak dapat dimuat: {why}", { why: err && err.message || err }));
  });
}

// Module scripts are deferred: the document is parsed by now, or soon.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

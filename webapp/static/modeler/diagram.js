// The bpmn-js canvas: import a diagram (replacing the shown one only once it loaded), fit it
// to the view, and follow selection and changes for the panel, the undo buttons and the
// unsaved-changes badge. bpmn-js is the vendor bundle, loaded before this module (global).
/* global BpmnJS */
import { translateModule } from "./bpmn-words.js";
import { $, clear, h } from "./dom.js";
import { descriptorFor, MultiCommandHandler } from "./model.js";
import { renderPanel, scheduleRender } from "./panel.js";
import { setDirty, state } from "./state.js";
import { showTab } from "./tabs.js";

export function loadXml(xml) {
  if (typeof BpmnJS === "undefined") {
    return Promise.reject(new Error("bpmn-js tidak termuat."));
  }
  showTab("diagram");
  const nextHost = h("div", { className: "canvas-host" });
  state.canvasBox.appendChild(nextHost);
  const next = new BpmnJS({
    container: nextHost,
    additionalModules: [translateModule],
    moddleExtensions: { spiffworkflow: descriptorFor(xml) }
  });
  return next.importXML(xml).then(function (result) {
    if (state.modeler) state.modeler.destroy();
    if (state.host && state.host.parentNode) state.host.parentNode.removeChild(state.host);
    state.modeler = next;
    state.host = nextHost;
    wire(next);
    fitDiagram(next);
    showWarnings(result.warnings || []);
    state.current = null;
    state.selectedCount = 0;
    state.markers = [];
    renderPanel();
    updateUndo();
    return result;
  }, function (err) {
    next.destroy();
    if (nextHost.parentNode) nextHost.parentNode.removeChild(nextHost);
    throw err;
  });
}

// Like zoom("fit-viewport"), but keeps the diagram clear of the palette on the left.
function fitDiagram(m) {
  const canvas = m.get("canvas");
  canvas.zoom("fit-viewport");
  const box = canvas.viewbox(), inner = box.inner, outer = box.outer;
  if (!inner || !inner.width || !outer.width) return;
  const palette = state.host.querySelector(".djs-palette");
  const left = (palette ? palette.getBoundingClientRect().width : 0) + 24, pad = 20;
  const scale = Math.min((outer.width - left - pad) / inner.width, (outer.height - 2 * pad) / inner.height, 1);
  if (!(scale > 0)) return;
  canvas.viewbox({
    x: inner.x - left / scale,
    y: inner.y - pad / scale,
    width: outer.width / scale,
    height: outer.height / scale
  });
}

function wire(m) {
  const eventBus = m.get("eventBus");
  m.get("commandStack").registerHandler("sopflow.multi", MultiCommandHandler);
  eventBus.on("selection.changed", function (event) {
    const selection = event.newSelection || [];
    state.selectedCount = selection.length;
    state.current = selection.length === 1 ? (selection[0].labelTarget || selection[0]) : null;
    scheduleRender();
  });
  eventBus.on("elements.changed", function (event) {
    const current = state.current;
    if (!current) return;
    if (!m.get("elementRegistry").get(current.id)) {
      state.current = null;
      scheduleRender();
      return;
    }
    const hit = event.elements.some(function (e) {
      return e === current || e.labelTarget === current || e.id === current.id;
    });
    if (hit) scheduleRender();
  });
  eventBus.on("commandStack.changed", function (event) {
    if (event.trigger !== "clear") setDirty(true);
    updateUndo();
  });
}

function showWarnings(warnings) {
  const box = $("#import-warnings"), list = box.querySelector("ul");
  clear(list);
  warnings.forEach(function (w) {
    list.appendChild(h("li", { text: String(w.message || w).split("\n")[0] }));
  });
  box.hidden = warnings.length === 0;
}

function updateUndo() {
  const stack = state.modeler && state.modeler.get("commandStack");
  $("#btn-undo").disabled = !stack || !stack.canUndo();
  $("#btn-redo").disabled = !stack || !stack.canRedo();
}

// The diagram as BPMN XML, as it would be saved.
export function exportXml() {
  return state.modeler.saveXML({ format: true }).then(function (result) { return result.xml; });
}

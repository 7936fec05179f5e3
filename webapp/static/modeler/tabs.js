// The two tabs of the page: the diagram and the forms.
import { $ } from "./dom.js";
import { state } from "./state.js";

export function showTab(which) {
  const diagram = which === "diagram";
  $("#tab-diagram").setAttribute("aria-selected", diagram ? "true" : "false");
  $("#tab-forms").setAttribute("aria-selected", diagram ? "false" : "true");
  $("#tab-diagram").tabIndex = diagram ? 0 : -1;
  $("#tab-forms").tabIndex = diagram ? -1 : 0;
  $("#panel-diagram").hidden = !diagram;
  $("#panel-forms").hidden = diagram;
  if (diagram && state.modeler) state.modeler.get("canvas").resized();
}

// Arrow keys move between the tabs (the ARIA tabs pattern).
export function tabKeys(event) {
  if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
  const next = event.target.id === "tab-diagram" ? "forms" : "diagram";
  showTab(next);
  $("#tab-" + next).focus();
}

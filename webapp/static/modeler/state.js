// What the modules of the modeler share: the page's elements, its settings, the loaded
// diagram and forms, and whether there are unsaved changes. One object, so every module sees
// the same values (an imported binding cannot be reassigned by its importer).
import { $ } from "./dom.js";
import { t } from "./i18n.js";

export const state = {
  root: null,              // #modeler, whose data-* attributes carry the URLs
  canvasBox: null,
  propsBody: null,
  cfg: {},
  moddleBase: null,        // the spiffworkflow package descriptor (static JSON)
  modeler: null,
  host: null,              // the element bpmn-js draws into
  current: null,           // the element shown in the panel
  selectedCount: 0,
  roles: [],
  operators: [],
  forms: {},               // file name -> JSON text
  openForm: null,          // {schema: name|null, ui: name|null}
  base: null,              // the version this diagram was built on (the last one saved)
  dirty: false,
  revision: 0,             // counts changes, so a save knows whether more came meanwhile
  markers: []              // [element id, class] of the findings drawn on the diagram
};

export function setDirty(value) {
  state.dirty = value;
  if (value) state.revision += 1;
  const badge = $("#dirty-state");
  badge.textContent = value ? t("Ada perubahan yang belum disimpan") : t("Semua perubahan tersimpan");
  badge.classList.toggle("dirty", value);
  state.root.dataset.dirty = value ? "1" : "0";
}

// The lint findings of a saved draft: listed under the toolbar, marked on the diagram, each
// leading to its element or form file, with a one-click fix where the server offers one.
import { $, clear, csrfToken, h } from "./dom.js";
import { openFormFile } from "./forms.js";
import { t } from "./i18n.js";
import { state } from "./state.js";
import { showTab } from "./tabs.js";

function clearMarkers() {
  if (!state.modeler) return;
  const canvas = state.modeler.get("canvas");
  state.markers.forEach(function (m) {
    try { canvas.removeMarker(m[0], m[1]); } catch (e) { /* element gone */ }
  });
  state.markers = [];
}

function selectElement(id) {
  const modeler = state.modeler;
  if (!modeler) return;
  const element = modeler.get("elementRegistry").get(id);
  if (!element) return;
  showTab("diagram");
  modeler.get("selection").select(element);
  modeler.get("canvas").scrollToElement(element);
}

function roleFixForm(name, version) {
  const back = state.cfg.modelerUrl + "?v=" + encodeURIComponent(version);
  return h("form", { method: "post", action: state.cfg.rolesUrl }, [
    h("input", { type: "hidden", name: "csrf_token", value: csrfToken() }),
    h("input", { type: "hidden", name: "name", value: name }),
    h("input", { type: "hidden", name: "back", value: back }),
    h("button", { type: "submit", className: "button small", text: t("Buat peran “{name}”", { name: name }) })
  ]);
}

export function showFindings(findings, version) {
  const list = $("#save-findings"), modeler = state.modeler;
  clear(list);
  clearMarkers();
  const registry = modeler ? modeler.get("elementRegistry") : null;
  findings.forEach(function (f) {
    const level = f.level === "error" ? "error" : "warning";
    const label = level === "error" ? t("Kesalahan") : t("Peringatan");
    const parts = [h("strong", { text: label }), " "];
    if (f.element) parts.push(h("code", { text: f.element }));
    if (f.name) parts.push(" “" + f.name + "”");
    parts.push(": " + (f.message || f.code || ""));
    const item = h("li", { className: "finding " + level, "data-code": f.code || "", "data-element": f.element || "" });
    const onDiagram = f.element && registry && registry.get(f.element);
    if (onDiagram) {
      const button = h("button", { type: "button", className: "goto", title: t("Tampilkan di diagram") }, parts);
      button.addEventListener("click", function () { selectElement(f.element); });
      item.appendChild(button);
      modeler.get("canvas").addMarker(f.element, "finding-" + level);
      state.markers.push([f.element, "finding-" + level]);
    } else if (f.element && f.element in state.forms) {
      const open = h("button", { type: "button", className: "goto", title: t("Buka formulir") }, parts);
      open.addEventListener("click", function () { openFormFile(f.element); });
      item.appendChild(open);
    } else {
      parts.forEach(function (p) { item.appendChild(typeof p === "string" ? document.createTextNode(p) : p); });
    }
    if (f.fix && f.fix.create_role && version) item.appendChild(roleFixForm(f.fix.create_role, version));
    list.appendChild(item);
  });
}

export function showNoFindings() {
  $("#save-findings").appendChild(h("li", { className: "ok", text: t("Tidak ada temuan: diagram siap diterbitkan.") }));
}

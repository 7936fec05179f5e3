// Labelled form controls for the properties panel.
import { h, nextId } from "./dom.js";

// A labelled control; `commit(value)` runs on "change" (blur / Enter), not on every key.
export function field(key, label, control, help, commit) {
  const id = nextId("prop");
  control.id = id;
  control.dataset.key = key;
  const describedBy = [];
  let helpNode = null;
  const errorNode = h("p", { className: "error", id: id + "-error", hidden: true });
  if (help) {
    helpNode = h("p", { className: "help", id: id + "-help", text: help });
    describedBy.push(helpNode.id);
  }
  describedBy.push(errorNode.id);
  control.setAttribute("aria-describedby", describedBy.join(" "));
  if (commit) control.addEventListener("change", function () { commit(control.value, errorNode, control); });
  const wrap = h("div", { className: "field" }, [h("label", { htmlFor: id, text: label }), control, helpNode, errorNode]);
  wrap.errorNode = errorNode;
  return wrap;
}

export function textInput(value, attrs) {
  return h("input", Object.assign({ type: "text", value: value || "", autocomplete: "off" }, attrs || {}));
}

export function textArea(value, rows) {
  return h("textarea", { rows: String(rows || 3), value: value || "" });
}

// A <select> of [value, label] options with `value` chosen.
export function selectOf(options, value) {
  const select = h("select", {});
  options.forEach(function (o) {
    select.appendChild(h("option", { value: o[0], text: o[1] }));
  });
  select.value = value;
  return select;
}

// A labelled checkbox; `commit(checked)` runs when it is ticked or cleared.
export function checkField(key, label, checked, help, commit) {
  const id = nextId("prop");
  const box = h("input", { type: "checkbox", id: id, checked: !!checked });
  box.dataset.key = key;
  const helpNode = help ? h("p", { className: "help", id: id + "-help", text: help }) : null;
  if (helpNode) box.setAttribute("aria-describedby", helpNode.id);
  box.addEventListener("change", function () { commit(box.checked); });
  return h("div", { className: "field check" }, [
    h("label", { htmlFor: id }, [box, document.createTextNode(" " + label)]), helpNode
  ]);
}

// The forms tab: the list of form files (a JSON schema and its UI schema as one form), the
// two editors, and the live preview the server renders exactly as staff will see the form.
import { $, clear, h, postJSON, showError } from "./dom.js";
import { jsonError } from "./json-errors.js";
import { setDirty, state } from "./state.js";
import { t } from "./i18n.js";
import { showTab } from "./tabs.js";

const FORM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.(ui)?schema\.json$/;

let previewTimer = null, previewSeq = 0;

// Why `name` cannot be a form file's name ("" when it can).
export function formNameProblem(name, suffix) {
  if (!name) return t("Isi nama berkas.");
  if (!FORM_NAME.test(name)) {
    return t("Nama berkas harus berakhiran .schema.json atau .uischema.json dan hanya memuat huruf, angka, _ . -");
  }
  if (suffix && name.slice(-suffix.length) !== suffix) return t("Nama berkas harus berakhiran {suffix}.", { suffix: suffix });
  return "";
}

function formTemplate(name) {
  if (/\.uischema\.json$/.test(name)) return "{\n  \"ui:order\": []\n}\n";
  return JSON.stringify({
    title: "",
    type: "object",
    required: [],
    properties: { catatan: { type: "string", title: "Catatan" } }
  }, null, 2) + "\n";
}

export function addForm(name) {
  state.forms[name] = formTemplate(name);
  setDirty(true);
  renderFormsList();
}

function baseOf(name) { return name.replace(/\.uischema\.json$|\.schema\.json$/, ""); }

function formGroups() {
  const groups = {};
  Object.keys(state.forms).sort().forEach(function (name) {
    const base = baseOf(name);
    const g = groups[base] || (groups[base] = { base: base, schema: null, ui: null });
    if (/\.uischema\.json$/.test(name)) g.ui = name;
    else if (/\.schema\.json$/.test(name)) g.schema = name;
    else { groups[name] = { base: name, schema: name, ui: null, plain: true }; }
  });
  return Object.keys(groups).sort().map(function (k) {
    const g = groups[k];
    if (!g.plain) {
      if (!g.schema) g.schema = g.base + ".schema.json";
      if (!g.ui) g.ui = g.base + ".uischema.json";
    }
    return g;
  });
}

export function renderFormsList() {
  const list = $("#forms-list");
  clear(list);
  const groups = formGroups();
  if (!groups.length) list.appendChild(h("li", { className: "muted", text: t("Belum ada berkas formulir.") }));
  groups.forEach(function (g) {
    const files = [];
    if (g.schema && g.schema in state.forms) files.push(g.plain ? g.schema : t("skema JSON"));
    if (g.ui && g.ui in state.forms) files.push(t("skema UI"));
    const button = h("button", {
      type: "button", "data-form": g.base, title: [g.schema, g.ui].filter(Boolean).join(", ")
    }, [g.base, h("small", { text: files.join(" + ") })]);
    if (state.openForm && state.openForm.schema === g.schema) button.setAttribute("aria-current", "true");
    button.addEventListener("click", function () { selectForm(g); });
    list.appendChild(h("li", {}, [button]));
  });
}

// Show the form holding file `name` in the forms tab.
export function openFormFile(name) {
  const g = formGroups().filter(function (x) { return x.schema === name || x.ui === name; })[0];
  if (!g) return;
  showTab("forms");
  selectForm(g);
}

function selectForm(g) {
  state.openForm = { schema: g.schema, ui: g.ui };
  $("#forms-empty").hidden = true;
  $("#forms-fields").hidden = false;
  $("#form-schema-name").textContent = g.schema;
  $("#form-schema").value = state.forms[g.schema] || "";
  const uiWrap = $("#form-ui").closest(".field");
  uiWrap.hidden = !g.ui;
  $("#form-ui-name").textContent = g.ui || "";
  $("#form-ui").value = g.ui ? (state.forms[g.ui] || "") : "";
  renderFormsList();
  runPreview();
}

// Keep the edited text; preview once typing pauses.
export function onFormInput(which) {
  const openForm = state.openForm;
  if (!openForm) return;
  const name = openForm[which];
  const text = $(which === "schema" ? "#form-schema" : "#form-ui").value;
  if (!name) return;
  if (!(name in state.forms) && !text.trim()) return;
  const isNew = !(name in state.forms);
  state.forms[name] = text;
  setDirty(true);
  if (isNew) renderFormsList();
  clearTimeout(previewTimer);
  previewTimer = setTimeout(runPreview, 400);
}

function runPreview() {
  clearTimeout(previewTimer);
  const openForm = state.openForm, root = state.root;
  if (!openForm) return;
  const schemaText = $("#form-schema").value, uiText = openForm.ui ? $("#form-ui").value : "";
  const schemaError = jsonError(schemaText), uiError = jsonError(uiText);
  showError($("#form-schema-error"), $("#form-schema"), schemaError);
  showError($("#form-ui-error"), $("#form-ui"), uiError);
  const box = $("#form-preview");
  const seq = ++previewSeq;
  if (schemaError || uiError) {
    showPreviewErrors([t("Perbaiki JSON di editor; pratinjau menampilkan versi terakhir yang sah.")]);
    return;
  }
  root.dataset.previewBusy = "1";
  postJSON(state.cfg.previewUrl, { schema: schemaText || "{}", ui_schema: uiText || "{}" }).then(function (res) {
    if (seq !== previewSeq) return;
    delete root.dataset.previewBusy;
    const body = res.body || {};
    if (!res.ok) {
      showPreviewErrors([body.message || t("Pratinjau gagal (HTTP {status}).", { status: res.status })]);
      return;
    }
    if (body.errors && body.errors.length) {
      showPreviewErrors(body.errors);
      return;
    }
    showPreviewErrors([]);
    // Trusted: HTML rendered by sopflow's own form template, exactly as staff see it.
    box.innerHTML = body.html || "";
  }, function () {
    if (seq !== previewSeq) return;
    delete root.dataset.previewBusy;
    showPreviewErrors([t("Tidak dapat menghubungi server untuk pratinjau.")]);
  });
}

function showPreviewErrors(list) {
  const errors = $("#preview-errors");
  clear(errors);
  list.forEach(function (text) { errors.appendChild(h("li", { text: String(text) })); });
  errors.hidden = list.length === 0;
}

// The "new form" box of the forms list: check the name, add the file, open it.
export function newFormFromList() {
  const input = $("#new-form-name"), error = $("#new-form-error");
  const name = input.value.trim();
  const problem = formNameProblem(name) || (name in state.forms ? t("Berkas “{name}” sudah ada.", { name: name }) : "");
  error.textContent = problem;
  error.hidden = !problem;
  input.setAttribute("aria-invalid", problem ? "true" : "false");
  if (problem) return;
  addForm(name);
  input.value = "";
  openFormFile(name);
}

// The properties panel: only what sopflow reads of the selected element (name, lane role,
// forms, service operator and parameters, SOP table columns, timer duration, flow condition).
import { clear, h, nextId, showError } from "./dom.js";
import { isDuration } from "./durations.js";
import { checkField, field, selectOf, textArea, textInput } from "./fields.js";
import { addForm, formNameProblem, openFormFile } from "./forms.js";
import {
  addParameter, bo, cmdProps, isA, operatorOf, paramsOf, removeParameter, run, setCondition,
  setDocumentation, setDuration, setName, setOperatorAttr, setParamAttr, setSpiffProp, spiffProp,
  spiffProps, timerOf, unquote
} from "./model.js";
import { renderProcessPanel } from "./process_panel.js";
import { standardField } from "./standard-field.js";
import { isEscalationTask } from "./standard.js";
import { state } from "./state.js";
import { t } from "./i18n.js";

const NEW_FILE = "__new__";
const SOP_FIELDS = [
  ["sopNomor", "Nomor langkah", "Urutan langkah pada lembar SOP, mis. 3."],
  ["sopKelengkapan", "Kelengkapan", "Dokumen/bahan yang diperlukan langkah ini."],
  ["sopWaktu", "Waktu", "Mutu baku waktu seperti tertulis di SOP, mis. 2 jam."],
  ["sopProduk", "Produk", "Keluaran langkah ini."],
  ["sopKeterangan", "Keterangan", ""]
];
const TYPE_NAMES = {
  "bpmn:UserTask": "Tugas petugas",
  "bpmn:ServiceTask": "Tugas otomatis (layanan)",
  "bpmn:ManualTask": "Tugas manual",
  "bpmn:ScriptTask": "Tugas skrip",
  "bpmn:Task": "Tugas",
  "bpmn:Lane": "Lajur (peran)",
  "bpmn:Participant": "Kolam (proses)",
  "bpmn:SequenceFlow": "Alur",
  "bpmn:ExclusiveGateway": "Gerbang eksklusif",
  "bpmn:ParallelGateway": "Gerbang paralel",
  "bpmn:InclusiveGateway": "Gerbang inklusif",
  "bpmn:EventBasedGateway": "Gerbang berbasis peristiwa",
  "bpmn:StartEvent": "Peristiwa awal",
  "bpmn:EndEvent": "Peristiwa akhir",
  "bpmn:BoundaryEvent": "Peristiwa batas",
  "bpmn:IntermediateCatchEvent": "Peristiwa antara (tunggu)",
  "bpmn:IntermediateThrowEvent": "Peristiwa antara",
  "bpmn:SubProcess": "Subproses",
  "bpmn:CallActivity": "Panggil proses",
  "bpmn:TextAnnotation": "Anotasi",
  "bpmn:DataObjectReference": "Objek data",
  "bpmn:DataStoreReference": "Penyimpanan data"
};

let renderPending = false;

// Render once after the current burst of diagram events.
export function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  setTimeout(function () { renderPending = false; renderPanel(); }, 0);
}

function typeLabel(element) {
  const type = bo(element).$type;
  return (TYPE_NAMES[type] ? t(TYPE_NAMES[type]) : type.replace(/^bpmn:/, "")) + " · " + type;
}

function add(node) { state.propsBody.appendChild(node); }

function section(title) { add(h("h3", { text: t(title) })); }

// Draw the panel for the selected element, keeping focus on the control being edited.
export function renderPanel() {
  const propsBody = state.propsBody;
  const active = document.activeElement;
  const focusKey = active && propsBody.contains(active) ? active.dataset.key : null;
  clear(propsBody);
  if (!state.modeler) return;
  const element = state.current;
  const root = state.modeler.get("canvas").getRootElement();
  if (!element || element.type === "label" || !bo(element) || element === root) {
    add(h("p", {
      className: "muted",
      text: state.selectedCount > 1
        ? t("{n} elemen dipilih. Pilih satu elemen untuk melihat propertinya.", { n: state.selectedCount })
        : t("Klik satu elemen pada diagram untuk melihat dan mengubah propertinya.")
    }));
    if (state.selectedCount <= 1 && root && bo(root)) renderProcessPanel(root, add);
    return;
  }
  const b = bo(element);
  propsBody.dataset.element = element.id;
  add(h("p", { className: "type", text: typeLabel(element) }));
  add(field("id", "ID", textInput(b.id, { readonly: true }), null, null));
  const nameField = field("name", isA(element, "bpmn:Lane") ? t("Nama lajur (peran)") : t("Nama"),
    textInput(b.name), null, function (value) { setName(element, value.trim()); });
  add(nameField);

  if (isA(element, "bpmn:Participant")) renderProcessPanel(element, add);
  if (isA(element, "bpmn:Lane")) renderLane(element, nameField);
  if (isA(element, "bpmn:UserTask")) renderUserTask(element);
  if (isA(element, "bpmn:ServiceTask")) renderServiceTask(element);
  if (isA(element, "bpmn:Task")) renderSop(element);
  if (timerOf(element) && b.eventDefinitions) renderTimer(element);
  if (isA(element, "bpmn:SequenceFlow") && b.sourceRef && b.sourceRef.$instanceOf("bpmn:Gateway")) {
    renderCondition(element);
  }

  if (focusKey) {
    const again = propsBody.querySelector('[data-key="' + CSS.escape(focusKey) + '"]');
    if (again && !again.disabled) again.focus();
  }
}

function renderLane(element, nameField) {
  const name = (bo(element).name || "").trim();
  let text = null;
  if (!name) text = t("Lajur tanpa nama tidak dapat dipetakan ke peran mana pun.");
  else if (state.roles.indexOf(name) < 0) {
    text = t("Peran “{name}” belum terdaftar. Tugas di lajur ini tidak dapat ditugaskan sampai " +
      "perannya dibuat (simpan draf, lalu gunakan tombol “Buat peran” pada temuan).", { name: name });
  }
  if (text) nameField.appendChild(h("p", { className: "hint role-hint", role: "note", text: text }));
  else nameField.appendChild(h("p", { className: "help", text: t("Peran terdaftar: anggota peran ini mengerjakan tugas di lajur ini.") }));
  // sopStarterLane: the lane's tasks go to the case's starter only (read by engine/spec.py).
  add(checkField("sopStarterLane", t("Lajur pemohon (hanya pengaju kasus)"),
    spiffProp(bo(element), "sopStarterLane") === "true",
    t("Tugas di lajur ini hanya diberikan kepada orang yang mengajukan kasus, bukan kepada semua anggota peran."),
    function (checked) { setSpiffProp(element, "sopStarterLane", checked ? "true" : ""); }));
}

// Choose a form file for a user task, or name a new one (created from a template).
function formSelect(element, key, label, property, suffix) {
  const forms = state.forms;
  const value = spiffProp(bo(element), property);
  const names = Object.keys(forms).filter(function (n) { return n.slice(-suffix.length) === suffix; }).sort();
  const options = [["", t("(tidak ada)")]].concat(names.map(function (n) { return [n, n]; }));
  if (value && names.indexOf(value) < 0) options.push([value, t("{name} (berkas tidak ada)", { name: value })]);
  options.push([NEW_FILE, t("Berkas baru…")]);
  const select = selectOf(options, value);
  const nameInput = textInput("", { placeholder: "langkah_x_nama" + suffix, "aria-label": t("Nama berkas baru ({label})", { label: label }) });
  nameInput.dataset.key = key + "-new";
  const create = h("button", { type: "button", className: "button small", text: t("Buat") });
  const newBox = h("div", { className: "new-file", hidden: true }, [nameInput, create]);
  const wrap = field(key, label, select, null, function (v, errorNode) {
    if (v === NEW_FILE) {
      newBox.hidden = false;
      showError(errorNode, select, "");
      nameInput.focus();
      return;
    }
    newBox.hidden = true;
    setSpiffProp(element, property, v);
  });
  function createFile() {
    let name = nameInput.value.trim();
    if (name && name.indexOf(".") < 0) name += suffix;
    const problem = formNameProblem(name, suffix);
    if (problem) { showError(wrap.errorNode, nameInput, problem); return; }
    if (!(name in forms)) addForm(name);
    setSpiffProp(element, property, name);
  }
  create.addEventListener("click", createFile);
  nameInput.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); createFile(); } });
  wrap.insertBefore(newBox, wrap.errorNode);
  if (value && value in forms) {
    const open = h("button", { type: "button", className: "link small", text: t("Buka di tab Formulir") });
    open.addEventListener("click", function () { openFormFile(value); });
    wrap.insertBefore(h("p", { className: "help" }, [open]), wrap.errorNode);
  }
  return wrap;
}

function renderUserTask(element) {
  const b = bo(element);
  section("Formulir dan pelaksana");
  add(formSelect(element, "form-schema", t("Berkas skema formulir"), "formJsonSchemaFilename", ".schema.json"));
  add(formSelect(element, "form-ui", t("Berkas skema UI"), "formUiSchemaFilename", ".uischema.json"));
  add(field("candidateUsersVariable", t("Variabel pelaksana (candidateUsersVariable)"),
    textInput(spiffProp(b, "candidateUsersVariable")),
    t("Opsional: nama variabel berisi daftar pengguna yang boleh mengerjakan tugas ini."),
    function (value) { setSpiffProp(element, "candidateUsersVariable", value.trim()); }));
}

function renderSop(element) {
  const b = bo(element);
  section("Tabel SOP");
  const follows = !isEscalationTask(element);
  if (follows) add(standardField(element));
  SOP_FIELDS.forEach(function (f) {
    if (f[0] === "sopWaktu" && follows) {
      // One value, one place: the Waktu column follows the time standard above.
      add(field(f[0], t(f[1]), textInput(spiffProp(b, f[0]), { readonly: "readonly" }),
        t("Mengikuti Mutu baku waktu di atas."), null));
      return;
    }
    const control = f[0] === "sopNomor" ? textInput(spiffProp(b, f[0]), { inputmode: "numeric" }) : textArea(spiffProp(b, f[0]), 2);
    add(field(f[0], t(f[1]), control, f[2] ? t(f[2]) : null, function (value) {
      const had = spiffProps(b).some(function (p) { return p.name === f[0]; });
      setSpiffProp(element, f[0], value.trim(), had);
    }));
  });
  const docs = b.get("documentation");
  add(field("documentation", t("Dokumentasi"), textArea(docs[0] ? docs[0].text : "", 4),
    t("Uraian langkah untuk petugas dan lembar SOP."),
    function (value) { setDocumentation(element, value.replace(/\s+$/, "")); }));
}

function renderServiceTask(element) {
  const op = operatorOf(element), operators = state.operators;
  const value = op ? (op.id || "") : "";
  section("Layanan otomatis");
  const options = [["", t("— pilih operator —")]].concat(operators.map(function (o) { return [o, o]; }));
  if (value && operators.indexOf(value) < 0) options.push([value, t("{name} (tidak terdaftar)", { name: value })]);
  const opField = field("operator", t("Operator"), selectOf(options, value),
    t("Layanan terdaftar yang dijalankan langkah ini."),
    function (v) { setOperatorAttr(element, "id", v); });
  if (value && operators.indexOf(value) < 0) {
    opField.insertBefore(h("p", { className: "hint", text: t("Operator “{name}” tidak terdaftar di server.", { name: value }) }), opField.errorNode);
  }
  add(opField);
  add(field("resultVariable", t("Variabel hasil"), textInput(op ? op.resultVariable : ""),
    t("Nama variabel tempat hasil layanan disimpan."),
    function (v) { setOperatorAttr(element, "resultVariable", v.trim()); }));
  add(parametersGroup(element, op));
}

function parametersGroup(element, op) {
  const group = h("fieldset", { className: "field params" }, [h("legend", { text: t("Parameter") })]);
  const params = paramsOf(op);
  if (!params.length) group.appendChild(h("p", { className: "help", text: t("Belum ada parameter.") }));
  params.forEach(function (param, index) {
    const row = h("div", { className: "param-row", role: "group", "aria-label": t("Parameter {n}", { n: index + 1 }) });
    [["id", "ID"], ["type", t("Jenis")], ["value", t("Nilai (ekspresi)")]].forEach(function (spec) {
      const id = nextId("param");
      const input = textInput(param.get(spec[0]) || "", { id: id });
      if (spec[0] === "type") input.setAttribute("list", "param-types");
      input.dataset.key = "param-" + index + "-" + spec[0];
      input.addEventListener("change", function () {
        setParamAttr(element, param, spec[0], spec[0] === "value" ? input.value : input.value.trim());
      });
      row.appendChild(h("div", {}, [h("label", { htmlFor: id, text: spec[1] }), input]));
    });
    const remove = h("button", {
      type: "button", className: "button small", text: t("Hapus"),
      "aria-label": t("Hapus parameter {name}", { name: param.id || index + 1 })
    });
    remove.dataset.key = "param-" + index + "-remove";
    remove.addEventListener("click", function () { removeParameter(element, param); });
    row.appendChild(remove);
    group.appendChild(row);
  });
  const addButton = h("button", { type: "button", className: "button small", text: t("Tambah parameter") });
  addButton.dataset.key = "param-add";
  addButton.addEventListener("click", function () { addParameter(element); });
  group.appendChild(addButton);
  group.appendChild(h("datalist", { id: "param-types" }, ["str", "int", "float", "bool", "any"].map(function (t) {
    return h("option", { value: t });
  })));
  return group;
}

// The rule of the office's calendar (data-working-days on the page): SOP tables mean working days.
function durationHint() {
  if (state.root && state.root.dataset.workingDays === "true") {
    return t("Format ISO 8601; hari = hari kerja, jam = jam kerja: PT30M = 30 menit, PT2H = 2 jam, " +
      "P1D = 1 hari kerja (jam yang sama pada hari kerja berikutnya), P3D = 3 hari kerja, " +
      "P1W = 5 hari kerja, P1DT2H = 1 hari kerja lalu 2 jam kerja.");
  }
  return t("Format ISO 8601: PT30M = 30 menit, PT2H = 2 jam, P1D = 1 hari (24 jam), " +
    "P1DT4H = 1 hari 4 jam.");
}

function renderTimer(element) {
  const b = bo(element), def = timerOf(element);
  section("Timer (mutu baku)");
  if (!def.timeDuration && (def.timeDate || def.timeCycle)) {
    const other = def.timeDate ? def.timeDate.body : def.timeCycle.body;
    add(field("timer-other", def.timeDate ? t("Tanggal (timeDate)") : t("Siklus (timeCycle)"),
      textInput(other, { readonly: true }), t("Hanya durasi yang dapat diubah di sini."), null));
    return;
  }
  const raw = def.timeDuration ? (def.timeDuration.body || "") : "";
  const shown = unquote(raw);
  const input = textInput(shown, { placeholder: "PT2H", spellcheck: "false" });
  const durationField = field("timer-duration", t("Durasi"), input, durationHint(),
    function (value, errorNode) {
      const iso = value.trim().toUpperCase();
      const problem = durationProblem(iso);
      showError(errorNode, input, problem);
      if (!problem) setDuration(element, iso);
    });
  input.addEventListener("input", function () {
    showError(durationField.errorNode, input, durationProblem(input.value.trim().toUpperCase()));
  });
  if (raw && !isDuration(shown)) {
    durationField.insertBefore(h("p", { className: "hint", text: t("Ekspresi saat ini: {raw}", { raw: raw }) }), durationField.errorNode);
  }
  add(durationField);
  if (isA(element, "bpmn:BoundaryEvent")) {
    const interrupting = b.cancelActivity !== false;
    add(field("cancelActivity", t("Menghentikan tugas saat waktu habis?"),
      selectOf([["true", t("Ya — tugas dibatalkan (interrupting)")], ["false", t("Tidak — tugas tetap berjalan")]],
        interrupting ? "true" : "false"),
      t("Mutu baku biasanya “Tidak”: tugas tetap berjalan dan eskalasi dicatat."),
      function (v) {
        const want = v === "true";
        if ((b.cancelActivity !== false) !== want) run([cmdProps(element, { cancelActivity: want })]);
      }));
  }
}

function durationProblem(iso) {
  if (!iso) return t("Isi durasi, mis. PT2H.");
  if (!isDuration(iso)) return t("Durasi tidak sah: “{iso}”. Gunakan format ISO 8601, mis. PT2H atau PT30M.", { iso: iso });
  return "";
}

function renderCondition(element) {
  const b = bo(element), gateway = b.sourceRef;
  section("Kondisi alur");
  if (gateway.default === b) {
    add(h("p", { className: "help", text: t("Ini alur bawaan gerbang “{name}”: diambil bila tidak ada kondisi lain yang terpenuhi.", { name: gateway.name || gateway.id }) }));
  }
  add(field("condition", t("Ekspresi kondisi"), textArea(b.conditionExpression ? b.conditionExpression.body : "", 3),
    t("Ekspresi Python atas data kasus, mis. hasil_uji == \"gagal\"."),
    function (value) { setCondition(element, value.trim()); }));
}

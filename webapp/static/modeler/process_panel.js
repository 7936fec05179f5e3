// The SOP document's own fields (the table's header: agency, number, dates, approval and the
// blocks below it), edited as spiffworkflow properties on the bpmn:process. Shown when nothing,
// the diagram's root or a participant is selected. Names match webapp/engine/sop_document.py.
import { h, showError } from "./dom.js";
import { field, textArea, textInput } from "./fields.js";
import { t } from "./i18n.js";
import { bo, run } from "./model.js";
import { state } from "./state.js";

// [property, label, kind, help]; kind: text | lines | date | items.
export const DOCUMENT_FIELDS = [
  ["sopInstansi", "Instansi", "lines", "Nama instansi seperti kepala SOP, satu baris per baris cetak."],
  ["sopNomor", "Nomor SOP", "text", "Nomor SOP persis seperti dokumen yang disahkan."],
  ["sopTanggalPembuatan", "Tanggal Pembuatan", "date", null],
  ["sopTanggalRevisi", "Tanggal Revisi", "date", "Kosongkan bila SOP belum pernah direvisi."],
  ["sopTanggalBerlaku", "Tanggal Berlaku", "date", "Tanggal efektif SOP."],
  ["sopDisahkan", "Disahkan oleh", "lines", "Jabatan, nama, pangkat, NIP; satu baris per baris cetak."],
  ["sopDasarHukum", "Dasar Hukum", "items", "Satu butir per baris."],
  ["sopKualifikasiPelaksana", "Kualifikasi Pelaksana", "items", "Satu butir per baris."],
  ["sopKeterkaitan", "Keterkaitan", "items", "SOP lain yang terkait, satu per baris."],
  ["sopPeralatan", "Peralatan/Perlengkapan", "items", "Satu butir per baris."],
  ["sopPeringatan", "Peringatan", "items", "Satu butir per baris."],
  ["sopPencatatan", "Pencatatan dan Pendataan", "items", "Satu butir per baris."]
];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function svc(name) { return state.modeler.get(name); }

function modelCmd(element, moddleElement, properties) {
  return {
    cmd: "element.updateModdleProperties",
    context: { element: element, moddleElement: moddleElement, properties: properties }
  };
}

// The bpmn:process whose document this is: the root's, or the participant's processRef.
export function processOf(element) {
  const b = bo(element);
  if (!b) return null;
  if (b.$instanceOf("bpmn:Process")) return b;
  if (b.$instanceOf("bpmn:Participant")) return b.processRef || null;
  if (b.$instanceOf("bpmn:Collaboration")) {
    const refs = (b.participants || []).map(function (p) { return p.processRef; }).filter(Boolean);
    const executable = refs.filter(function (p) { return p.isExecutable; });
    return executable[0] || refs[0] || null;
  }
  return null;
}

function propertiesOf(process) {
  const values = (process.extensionElements && process.extensionElements.get("values")) || [];
  return values.filter(function (v) { return v.$type === "spiffworkflow:Properties"; })[0] || null;
}

function valueOf(process, name) {
  const container = propertiesOf(process);
  const prop = container && container.get("properties").filter(function (p) { return p.name === name; })[0];
  return prop ? (prop.value || "") : "";
}

// Set (or, when empty, remove) one property of the process, as one undo step.
function setProcessProp(element, process, name, value) {
  const commands = [];
  let container = propertiesOf(process);
  const prop = container && container.get("properties").filter(function (p) { return p.name === name; })[0];
  if (!value) {
    if (prop) {
      commands.push(modelCmd(element, container, {
        properties: container.get("properties").filter(function (p) { return p !== prop; })
      }));
    }
  } else if (prop) {
    if ((prop.value || "") !== value) commands.push(modelCmd(element, prop, { value: value }));
  } else {
    let ext = process.extensionElements;
    if (!ext) {
      ext = svc("bpmnFactory").create("bpmn:ExtensionElements", { values: [] });
      ext.$parent = process;
      commands.push(modelCmd(element, process, { extensionElements: ext }));
    }
    if (!container) {
      container = svc("moddle").create("spiffworkflow:Properties", { properties: [] });
      container.$parent = ext;
      commands.push(modelCmd(element, ext, { values: ext.get("values").concat([container]) }));
    }
    const created = svc("moddle").create("spiffworkflow:Property", { name: name, value: value });
    created.$parent = container;
    commands.push(modelCmd(element, container, {
      properties: container.get("properties").concat([created])
    }));
  }
  run(commands);
}

// What a control's text becomes in the property: lines trimmed, empty lines dropped.
function cleaned(kind, value) {
  if (kind === "lines" || kind === "items") {
    return value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean).join("\n");
  }
  return value.trim();
}

function control(kind, value) {
  if (kind === "date") return textInput(ISO_DATE.test(value) ? value : "", { type: "date" });
  if (kind === "text") return textInput(value);
  return textArea(value, kind === "items" ? 4 : 3);
}

// Append the document fields of the process behind `element` through `add(node)`.
export function renderProcessPanel(element, add) {
  const process = processOf(element);
  if (!process) return;
  add(h("h3", { text: t("Dokumen SOP") }));
  add(h("p", {
    className: "help",
    text: t("Kepala tabel SOP: dicetak pada lembar SOP dan pada dokumen yang dihasilkan SOP ini.")
  }));
  DOCUMENT_FIELDS.forEach(function (spec) {
    const name = spec[0], kind = spec[2];
    const label = t(spec[1]), help = spec[3] ? t(spec[3]) : null;
    const value = valueOf(process, name);
    const input = control(kind, value);
    const wrap = field(name, label, input, help, function (raw, errorNode) {
      const next = cleaned(kind, raw);
      if (kind === "date" && next && !ISO_DATE.test(next)) {
        showError(errorNode, input, t("Tanggal tidak sah; pilih tanggal pada kalender."));
        return;
      }
      showError(errorNode, input, "");
      setProcessProp(element, process, name, next);
    });
    if (kind === "date" && value && !ISO_DATE.test(value)) {
      wrap.insertBefore(h("p", {
        className: "hint", role: "note",
        text: t("Nilai saat ini “{value}” bukan tanggal YYYY-MM-DD; pilih tanggalnya lagi.", { value: value })
      }), wrap.errorNode);
    }
    add(wrap);
  });
}

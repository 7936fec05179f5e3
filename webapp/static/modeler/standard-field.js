// The task panel's one time-standard field: a duration in words ("45 menit", "2 jam", "3 hari";
// ISO-8601 is read too) that draws (or, cleared, removes) the boundary timer, its name, its
// escalation and end event, and fills the SOP's Waktu, so none of them can disagree.
import { h, showError } from "./dom.js";
import { durationWords, toIso } from "./durations.js";
import { field, textInput } from "./fields.js";
import { t } from "./i18n.js";
import { bo } from "./model.js";
import { isInPlace, setStandard, standardOf, standardValue } from "./standard.js";

function problem(text) {
  if (!text || toIso(text)) return "";
  return t("Mutu baku tidak sah: “{text}”. Tulis angka dan satuan, mis. 45 menit, 2 jam, 3 hari " +
    "atau 1 jam 30 menit, atau kosongkan untuk menghapus.", { text: text });
}

// What is drawn now, in words, so the owner sees the field's effect on the diagram.
function drawnNote(task) {
  const drawn = standardOf(task);
  if (!drawn.timer) return t("Belum ada timer mutu baku pada tugas ini.");
  const parts = [t("Timer “{name}”", { name: bo(drawn.timer).name || drawn.timer.id })];
  parts.push(drawn.escalation
    ? t("eskalasi “{name}”", { name: bo(drawn.escalation).name || drawn.escalation.id })
    : t("belum ada eskalasi"));
  if (drawn.end) parts.push(t("akhir “{name}”", { name: bo(drawn.end).name || drawn.end.id }));
  return parts.join(" → ") + ".";
}

// The "Mutu baku waktu" field of a task.
export function standardField(task) {
  const current = standardValue(task);
  const input = textInput(current ? durationWords(current) || current : "",
    { placeholder: "2 jam", spellcheck: "false" });
  const wrap = field("time-standard", t("Mutu baku waktu"), input,
    t("Mis. 45 menit, 2 jam, 3 hari. Timer batas (tugas tetap berjalan) dan namanya, tugas " +
    "eskalasi dan peristiwa akhirnya digambar di bawah tugas, dan kolom Waktu diisi dari nilai " +
    "ini; kosongkan untuk menghapus semuanya."),
    function (value, errorNode) {
      const text = value.trim();
      const why = problem(text);
      showError(errorNode, input, why);
      if (why) return;
      const iso = text ? toIso(text) : "";
      if (!isInPlace(task, iso)) setStandard(task, iso);
      if (iso) input.value = durationWords(iso);
    });
  input.addEventListener("input", function () {
    showError(wrap.errorNode, input, problem(input.value.trim()));
  });
  const words = current && durationWords(current);
  const note = (words ? t("Waktu pada lembar SOP: {words}. ", { words: words }) : "") + drawnNote(task);
  wrap.insertBefore(h("p", { className: "help standard-drawn", text: note }), wrap.errorNode);
  return wrap;
}

// The task panel's one time-standard field: an ISO-8601 duration that draws (or, cleared,
// removes) the boundary timer, its escalation and end event, and fills the SOP's Waktu.
import { h, showError } from "./dom.js";
import { durationWords, isDuration } from "./durations.js";
import { field, textInput } from "./fields.js";
import { bo } from "./model.js";
import { isInPlace, setStandard, standardOf, standardValue } from "./standard.js";

function problem(iso) {
  if (!iso || isDuration(iso)) return "";
  return "Mutu baku tidak sah: “" + iso + "”. Gunakan durasi ISO 8601, mis. PT30M atau PT2H, " +
    "atau kosongkan untuk menghapus.";
}

// What is drawn now, in words, so the owner sees the field's effect on the diagram.
function drawnNote(task) {
  const drawn = standardOf(task);
  if (!drawn.timer) return "Belum ada timer mutu baku pada tugas ini.";
  const parts = ["Timer “" + (bo(drawn.timer).name || drawn.timer.id) + "”"];
  parts.push(drawn.escalation ? "eskalasi “" + (bo(drawn.escalation).name || drawn.escalation.id) + "”"
    : "belum ada eskalasi");
  if (drawn.end) parts.push("akhir “" + (bo(drawn.end).name || drawn.end.id) + "”");
  return parts.join(" → ") + ".";
}

// The "Mutu baku waktu" field of a task.
export function standardField(task) {
  const current = standardValue(task);
  const input = textInput(current, { placeholder: "PT2H", spellcheck: "false" });
  const wrap = field("time-standard", "Mutu baku waktu", input,
    "Durasi ISO 8601, mis. PT30M, PT2H, P1D. Timer batas (tugas tetap berjalan), tugas eskalasi " +
    "dan peristiwa akhirnya digambar di bawah tugas, dan kolom Waktu diisi; kosongkan untuk " +
    "menghapus semuanya.",
    function (value, errorNode) {
      const iso = value.trim().toUpperCase();
      const why = problem(iso);
      showError(errorNode, input, why);
      if (!why && !isInPlace(task, iso)) setStandard(task, iso);
    });
  input.addEventListener("input", function () {
    showError(wrap.errorNode, input, problem(input.value.trim().toUpperCase()));
  });
  const words = current && durationWords(current);
  const note = (words ? "Waktu pada lembar SOP: " + words + ". " : "") + drawnNote(task);
  wrap.insertBefore(h("p", { className: "help standard-drawn", text: note }), wrap.errorNode);
  return wrap;
}

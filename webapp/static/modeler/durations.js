// ISO-8601 durations as time standards: validate, count seconds, say it in Indonesian words.
// The same cases as the Python parser (tests/data/durations.json): integer components only,
// a day is 86400 s, a week 7 days, a month 30 days, a year 365 days.

const PATTERN =
  /^P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

// [component, seconds per unit, Indonesian word], largest first, in the order of the pattern.
const UNITS = [
  ["years", 365 * 86400, "tahun"],
  ["months", 30 * 86400, "bulan"],
  ["weeks", 7 * 86400, "minggu"],
  ["days", 86400, "hari"],
  ["hours", 3600, "jam"],
  ["minutes", 60, "menit"],
  ["seconds", 1, "detik"]
];

// The components of a duration ({years, …, seconds}, absent ones null), or null if not one.
export function parseDuration(text) {
  const match = PATTERN.exec(String(text === null || text === undefined ? "" : text).trim().toUpperCase());
  if (!match) return null;
  const parts = {};
  UNITS.forEach(function (unit, index) {
    const digits = match[index + 1];
    parts[unit[0]] = digits === undefined ? null : parseInt(digits, 10);
  });
  return parts;
}

export function isDuration(text) {
  return parseDuration(text) !== null;
}

// How many seconds the duration lasts, or null if the text is not a duration.
export function durationSeconds(text) {
  const parts = parseDuration(text);
  if (!parts) return null;
  return UNITS.reduce(function (total, unit) { return total + (parts[unit[0]] || 0) * unit[1]; }, 0);
}

// The duration as the SOP sheet says it ("1 jam 30 menit"), or null if not a duration.
export function durationWords(text) {
  const parts = parseDuration(text);
  if (!parts) return null;
  const written = UNITS.filter(function (unit) { return parts[unit[0]] !== null; });
  const words = written
    .filter(function (unit) { return parts[unit[0]] > 0; })
    .map(function (unit) { return parts[unit[0]] + " " + unit[2]; });
  // All zero: name the smallest unit written, as "PT0M" is "0 menit".
  return words.length ? words.join(" ") : "0 " + written[written.length - 1][2];
}

// Words a person uses for a time standard, and the ISO component each one counts.
const WORDS = {
  tahun: "Y", bulan: "Mo", minggu: "W", hari: "D", jam: "H", menit: "Mi", detik: "S",
  year: "Y", years: "Y", month: "Mo", months: "Mo", week: "W", weeks: "W", day: "D", days: "D",
  hour: "H", hours: "H", minute: "Mi", minutes: "Mi", second: "S", seconds: "S"
};
const ORDER = ["Y", "Mo", "W", "D", "H", "Mi", "S"];

// A time standard as a person writes it ("45 menit", "2 jam", "1 jam 30 menit", "3 hari kerja",
// "2 hours") or as ISO-8601 ("PT2H"), as ISO-8601 ("PT45M"); null when it is neither.
export function toIso(text) {
  const raw = String(text === null || text === undefined ? "" : text).trim();
  if (isDuration(raw)) return raw.toUpperCase();
  const lowered = raw.toLowerCase().replace(/\bkerja\b/g, " ").replace(/\band\b|\bdan\b|,/g, " ");
  const counts = {};
  const rest = lowered.replace(/(\d+)\s*([a-z]+)/g, function (all, number, word) {
    const unit = WORDS[word];
    if (!unit) return all;
    counts[unit] = (counts[unit] || 0) + parseInt(number, 10);
    return " ";
  });
  if (rest.trim() || !Object.keys(counts).length) return null;
  const part = function (units) {
    return units.filter(function (u) { return u in counts; }).map(function (u) {
      return counts[u] + u.charAt(0);
    }).join("");
  };
  const date = part(ORDER.slice(0, 4)), time = part(ORDER.slice(4));
  return "P" + date + (time ? "T" + time : "");
}

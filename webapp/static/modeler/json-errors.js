// Where a JSON text is broken, in words a form author can act on.
import { t } from "./i18n.js";

// The browser's JSON.parse message, with line and column when it only gives a position.
export function jsonError(text) {
  if (!text.trim()) return "";
  try {
    JSON.parse(text);
    return "";
  } catch (e) {
    const msg = String(e.message || e);
    const lc = /line (\d+) column (\d+)/.exec(msg);
    let line, col;
    if (lc) { line = +lc[1]; col = +lc[2]; } else {
      const pos = /position (\d+)/.exec(msg);
      const offset = pos ? +pos[1] : jsonErrorOffset(text);
      if (offset !== null && offset !== undefined) {
        const before = text.slice(0, offset).split("\n");
        line = before.length;
        col = before[before.length - 1].length + 1;
      }
    }
    return line ? t("JSON tidak sah (baris {line}, kolom {col}): {why}", { line: line, col: col, why: msg })
      : t("JSON tidak sah: {why}", { why: msg });
  }
}

// Where JSON.parse gave up, for browsers whose message carries no position: a small
// recursive-descent scan that returns the offset of the first offending character.
function jsonErrorOffset(text) {
  let i = 0;
  const n = text.length;
  function ws() { while (i < n && " \t\n\r".indexOf(text[i]) >= 0) i++; }
  function fail() { throw i; }
  function lit(word) { if (text.substr(i, word.length) !== word) fail(); i += word.length; }
  function str() {
    i++;
    while (i < n && text[i] !== '"') {
      if (text.charCodeAt(i) < 32) fail();
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") { if (!/^[0-9a-fA-F]{4}$/.test(text.substr(i + 1, 4))) fail(); i += 5; continue; }
        if ('"\\/bfnrt'.indexOf(text[i]) < 0 || i >= n) fail();
      }
      i++;
    }
    if (i >= n) fail();
    i++;
  }
  function num() {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || !m[0]) fail();
    i += m[0].length;
  }
  function value() {
    ws();
    const c = text[i];
    if (c === "{") {
      i++; ws();
      if (text[i] === "}") { i++; return; }
      for (;;) {
        ws(); if (text[i] !== '"') fail(); str(); ws();
        if (text[i] !== ":") fail(); i++; value(); ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return; }
        fail();
      }
    } else if (c === "[") {
      i++; ws();
      if (text[i] === "]") { i++; return; }
      for (;;) {
        value(); ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return; }
        fail();
      }
    } else if (c === '"') str();
    else if (c === "t") lit("true");
    else if (c === "f") lit("false");
    else if (c === "n") lit("null");
    else num();
  }
  try {
    value(); ws();
    return i < n ? i : null;
  } catch (at) {
    return typeof at === "number" ? Math.min(at, n) : null;
  }
}

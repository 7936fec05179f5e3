// The toolbar's file actions: save the diagram and forms as a new draft version (and show
// its findings), download the diagram as .bpmn, load a .bpmn file from disk.
import { $, clear, h, message, postJSON } from "./dom.js";
import { exportXml, loadXml } from "./diagram.js";
import { showFindings, showNoFindings } from "./findings.js";
import { t } from "./i18n.js";
import { setDirty, state } from "./state.js";

// The form files to save: those with text.
function formsPayload() {
  const out = {};
  Object.keys(state.forms).forEach(function (name) {
    if (state.forms[name] && state.forms[name].trim()) out[name] = state.forms[name];
  });
  return out;
}

// The owner saw what a save over a newer version drops, and saves anyway.
export function saveAnyway() { save(true); }

// A newer version exists than the one this diagram was built on: say what saving would drop
// from it, and let the owner open it or save anyway.
function showStale(body) {
  const box = $("#stale-warning"), list = $("#stale-changes");
  box.querySelector(".stale-message").textContent = body.message || "";
  clear(list);
  (body.dropped || []).forEach(function (c) {
    const item = h("li", { className: "change " + c.kind });
    item.appendChild(h("strong", { text: box.dataset[c.kind] || c.kind }));
    item.appendChild(document.createTextNode(" " + (c.name ? "“" + c.name + "” " : "")));
    item.appendChild(h("code", { text: c.element }));
    if (c.details && c.details.length) item.appendChild(document.createTextNode(": " + c.details.join("; ")));
    list.appendChild(item);
  });
  $("#stale-open").href = body.newest_url;
  $("#stale-open").textContent = box.dataset.openLabel + " (v" + body.newest + ")";
  box.hidden = false;
  box.focus();
}

export function save(confirmed) {
  if (!state.modeler) return;
  // Commit the field being edited (its "change" event) before exporting.
  if (document.activeElement && state.propsBody.contains(document.activeElement)) document.activeElement.blur();
  // A note longer than the server keeps is not sent: the field says how long it is
  // (app.js, as for every form's fields) and has the focus.
  const note = $("#draft-note");
  if (window.sopflowLength && !window.sopflowLength.check(note)) { note.focus(); return; }
  const button = $("#btn-save"), root = state.root;
  const startRevision = state.revision;
  button.disabled = true;
  root.dataset.saving = "1";
  message("info", t("Menyimpan draf…"));
  exportXml().then(function (xml) {
    return postJSON(state.cfg.draftsUrl, {
      xml: xml, forms: formsPayload(), note: note.value, base: state.base, confirm: confirmed === true
    });
  }).then(function (res) {
    const body = res.body || {};
    const result = $("#save-result"), summary = result.querySelector(".save-summary");
    clear(summary);
    if (res.status === 409 && body.dropped) {
      message("", "");
      result.hidden = true;
      showStale(body);
      return;
    }
    $("#stale-warning").hidden = true;
    if (res.status === 200 || res.status === 201) {
      if (state.revision === startRevision) setDirty(false);
      state.base = body.version;   // later saves build on the version just saved
      const findings = body.findings || [];
      const errors = findings.filter(function (f) { return f.level === "error"; }).length;
      const text = res.status === 201
        ? t("Draf versi {n} tersimpan: {errors} kesalahan, {warnings} peringatan. ",
          { n: body.version, errors: errors, warnings: findings.length - errors })
        : t("Isi sama dengan versi {n}; tidak ada versi baru. ", { n: body.version });
      summary.appendChild(document.createTextNode(text));
      summary.appendChild(h("a", { href: body.url, id: "draft-link", text: t("Buka halaman versi {n}", { n: body.version }) }));
      message("", "");
      showFindings(findings, body.version);
      if (!findings.length) showNoFindings();
      root.dataset.savedVersion = String(body.version);
    } else if (res.status === 422 && body.message) {
      summary.appendChild(document.createTextNode(body.message));
      message("error", t("Draf tidak tersimpan: {why}", { why: body.message }));
      showFindings(body.findings || [], null);
    } else {
      const why = res.status === 400
        ? t("Sesi atau token formulir kedaluwarsa. Unduh .bpmn agar pekerjaan Anda aman, lalu muat ulang halaman.")
        : (body.message || t("Server menjawab HTTP {status}.", { status: res.status }));
      summary.appendChild(document.createTextNode(why));
      message("error", t("Draf tidak tersimpan. {why}", { why: why }));
      showFindings([], null);
    }
    result.hidden = false;
    result.focus();
  }).catch(function (err) {
    message("error", t("Draf tidak tersimpan: tidak dapat menghubungi server ({why}). Perubahan Anda masih ada di halaman ini.", { why: err && err.message || err }));
  }).then(function () {
    button.disabled = false;
    delete root.dataset.saving;
  });
}

export function download() {
  if (!state.modeler) return;
  exportXml().then(function (xml) {
    const blob = new Blob([xml], { type: "application/xml" });
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: state.cfg.processId + ".bpmn", hidden: true });
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
  }, function (err) {
    message("error", t("Tidak dapat mengekspor diagram: {why}", { why: err && err.message || err }));
  });
}

// The file input's "change": replace the diagram by the chosen file (after asking, if dirty).
export function upload(event) {
  const input = event.target, file = input.files && input.files[0];
  if (!file) return;
  if (state.dirty && !window.confirm(t("Perubahan yang belum disimpan akan diganti oleh berkas “{name}”. Lanjutkan?", { name: file.name }))) {
    input.value = "";
    return;
  }
  const reader = new FileReader();
  reader.onload = function () {
    loadXml(String(reader.result)).then(function () {
      setDirty(true);
      message("success", t("Berkas “{name}” dimuat. Periksa lalu simpan sebagai draf.", { name: file.name }));
      $("#save-result").hidden = true;
    }, function (err) {
      message("error", t("Berkas “{name}” tidak dapat dibaca sebagai diagram BPMN: {why}", { name: file.name, why: err && err.message || err }));
    }).then(function () { input.value = ""; });
  };
  reader.onerror = function () {
    message("error", t("Berkas “{name}” tidak dapat dibaca.", { name: file.name }));
    input.value = "";
  };
  reader.readAsText(file);
}

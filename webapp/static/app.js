// sopflow: small progressive enhancements. Everything works without JavaScript.
(function () {
  "use strict";
  var PREFIX = "sopflow:draft:";

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.type !== "file" && !el.disabled;
    });
  }

  function save(form) {
    var data = {};
    fieldsOf(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        data[el.name] = data[el.name] || [];
        if (el.checked) data[el.name].push(el.value);
      } else {
        data[el.name] = el.value;
      }
    });
    try { localStorage.setItem(PREFIX + form.dataset.draft, JSON.stringify(data)); } catch (e) { /* storage full or off */ }
    var note = form.querySelector(".draft-note");
    if (note) note.hidden = false;
  }

  function restore(form) {
    var raw;
    try { raw = localStorage.getItem(PREFIX + form.dataset.draft); } catch (e) { return; }
    if (!raw) return;
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    fieldsOf(form).forEach(function (el) {
      if (!(el.name in data)) return;
      var v = data[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = Array.isArray(v) && v.indexOf(el.value) !== -1;
      } else if (!el.value) {
        el.value = v;
      }
    });
    var note = form.querySelector(".draft-note");
    if (note) note.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    // A finished task or a submitted request clears its draft.
    var params = new URLSearchParams(location.search);
    if (params.get("done")) { try { localStorage.removeItem(PREFIX + "task:" + params.get("done")); } catch (e) {} }
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      if (!form.dataset.keepServerValues) restore(form);
      form.addEventListener("input", function () { save(form); });
      form.addEventListener("change", function () { save(form); });
      form.addEventListener("submit", function () {
        save(form);
        // One click, one submission: a double click must not send the form twice.
        form.querySelectorAll("button[data-once]").forEach(function (b) {
          setTimeout(function () { b.disabled = true; }, 0);
        });
        if (form.dataset.draft.indexOf("start:") === 0) {
          try { sessionStorage.setItem("sopflow:clear", form.dataset.draft); } catch (e) {}
        }
      });
    });
    if (params.get("submitted")) {
      try {
        var key = sessionStorage.getItem("sopflow:clear");
        if (key) { localStorage.removeItem(PREFIX + key); sessionStorage.removeItem("sopflow:clear"); }
      } catch (e) {}
    }
    // Confirm before actions that cannot be undone.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) { if (!confirm(form.dataset.confirm)) ev.preventDefault(); });
    });
  });
})();

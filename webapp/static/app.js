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

  // Text longer than a field allows is never cut: the field says how long it is and the
  // form is not sent until it is shortened (the server refuses it too).
  function checkLength(el) {
    var max = parseInt(el.dataset.maxlength, 10);
    var note = document.getElementById(el.id + "_length");
    if (!max || !note) return true;
    var n = el.value.length;
    var over = n > max;
    note.hidden = !over;
    note.textContent = over ? note.dataset.template.replace("{n}", n).replace("{max}", max) : "";
    var ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== note.id;
    });
    if (over) ids.push(note.id);
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
    else el.removeAttribute("aria-describedby");
    if (over) el.setAttribute("aria-invalid", "true");
    else if (!el.closest(".has-error")) el.removeAttribute("aria-invalid");
    return !over;
  }

  function focusable(box) {
    return box.querySelector("input:not([type=hidden]):not([disabled]), textarea, select") || box;
  }

  // After a refused submission, focus goes to the first field in error.
  function focusFirstError(form) {
    var first = form.querySelector(".field.has-error, .cell.has-error, p.error[role=alert]:not([hidden])");
    if (!first) return;
    var target = first.matches(".field, .cell") ? focusable(first) : first;
    if (target === first) first.setAttribute("tabindex", "-1");
    target.focus();
  }

  // A browser's own maxlength cuts pasted text without a word and stops typing silently: every
  // form's limits are checked here instead, with the field's note saying how long it is.
  var lengthNotes = 0;
  // Without the page's wording for the note the browser's maxlength stays: a field is never
  // left with no limit at all.
  function takeOverMaxlength(el) {
    var template = document.body.dataset.lengthTemplate;
    if (!template) return;
    el.dataset.maxlength = el.getAttribute("maxlength");
    el.removeAttribute("maxlength");
    if (!el.id) el.id = "sopflow-field-" + (++lengthNotes);
    if (document.getElementById(el.id + "_length")) return;
    var note = document.createElement("p");
    note.className = "length-note";
    note.id = el.id + "_length";
    note.hidden = true;
    note.setAttribute("aria-live", "polite");
    note.dataset.template = template;
    var box = el.closest(".field, label, td");
    if (box && box.tagName !== "LABEL") box.appendChild(note);
    else (box || el).insertAdjacentElement("afterend", note);
  }

  function watchLength(el) {
    checkLength(el);
    el.addEventListener("input", function () { checkLength(el); });
  }

  function guardLengths(form) {
    form.querySelectorAll("input[maxlength], textarea[maxlength]").forEach(takeOverMaxlength);
    var long = form.querySelectorAll("[data-maxlength]");
    if (!long.length) return;
    long.forEach(watchLength);
    form.addEventListener("submit", function (ev) {
      var tooLong = Array.prototype.filter.call(long, function (el) { return !checkLength(el); });
      if (tooLong.length) { ev.preventDefault(); ev.stopImmediatePropagation(); tooLong[0].focus(); }
    });
  }

  // A field outside any form, sent by a page's own script (the modeler's draft note), is
  // guarded the same way: marked data-length-guard, and its script asks
  // sopflowLength.check(field) before sending.
  function guardField(el) {
    if (el.hasAttribute("maxlength")) takeOverMaxlength(el);
    watchLength(el);
  }
  window.sopflowLength = { check: checkLength };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(guardLengths);
    document.querySelectorAll("[data-length-guard]").forEach(guardField);
    // After a refused submission the first field in error has the focus, on every form.
    var refused = Array.prototype.find.call(document.querySelectorAll("main form"), function (form) {
      return form.querySelector(".field.has-error, .cell.has-error, p.error[role=alert]:not([hidden])");
    });
    if (refused) focusFirstError(refused);
    // A finished task or a submitted request clears its draft.
    var params = new URLSearchParams(location.search);
    if (params.get("done")) { try { localStorage.removeItem(PREFIX + "task:" + params.get("done")); } catch (e) {} }
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      if (!form.dataset.keepServerValues) {
        restore(form);
        // A restored draft may be over a limit: its note shows now, not at the first key.
        form.querySelectorAll("[data-maxlength]").forEach(checkLength);
      }
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
    // Filter forms fold away on a phone; a desktop (or no JavaScript) shows them open.
    if (window.matchMedia && window.matchMedia("(max-width: 700px)").matches) {
      document.querySelectorAll("details[data-fold-narrow]").forEach(function (d) { d.open = false; });
    }
  });
})();

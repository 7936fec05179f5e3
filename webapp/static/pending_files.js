// A file chosen on a form survives a refused submission: it is kept in this browser (IndexedDB)
// when chosen, put back into its field when the server refuses the form and names it, and shown
// by name with a remove button. Kept at most an hour; gone after a submission succeeds.
(function () {
  "use strict";
  var DB = "sopflow-pending-files", STORE = "files", MAX_AGE_MS = 60 * 60 * 1000;

  function open(then) {
    if (!window.indexedDB) return;
    var req = indexedDB.open(DB, 1);
    req.onupgradeneeded = function () { req.result.createObjectStore(STORE); };
    req.onsuccess = function () { then(req.result); };
  }
  function store(db, mode) { return db.transaction(STORE, mode).objectStore(STORE); }
  function keyOf(input) { return input.form.dataset.draft + ":" + input.name; }

  function keep(input) {
    var file = input.files && input.files[0];
    open(function (db) {
      if (file) store(db, "readwrite").put({ file: file, at: Date.now() }, keyOf(input));
      else store(db, "readwrite").delete(keyOf(input));
    });
  }

  function forgetOlderThan(olderThan) {
    open(function (db) {
      var s = store(db, "readwrite");
      s.openCursor().onsuccess = function (ev) {
        var cursor = ev.target.result;
        if (!cursor) return;
        if (cursor.value.at < Date.now() - olderThan) cursor.delete();
        cursor.continue();
      };
    });
  }

  function restore(input, note) {
    open(function (db) {
      store(db, "readonly").get(keyOf(input)).onsuccess = function (ev) {
        var kept = ev.target.result;
        if (!kept || kept.file.name !== note.dataset.filename || typeof DataTransfer === "undefined") return;
        var chosen = new DataTransfer();
        chosen.items.add(kept.file);
        input.files = chosen.files;
        note.className = "kept-file";
        note.textContent = note.dataset.kept + " ";
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button small";
        remove.textContent = note.dataset.remove;
        remove.setAttribute("aria-label", note.dataset.remove + " " + kept.file.name);
        remove.addEventListener("click", function () {
          input.value = "";
          keep(input);
          note.textContent = note.dataset.removed;
          input.focus();
        });
        note.appendChild(remove);
      };
    });
  }

  // Sent, or signed out: nothing is kept any longer. One clear() rather than a cursor walk, so
  // it is done in a single request; the page says so (data-kept-files="0") once it is.
  function forgetEverything() {
    open(function (db) {
      var tx = db.transaction(STORE, "readwrite");
      tx.objectStore(STORE).clear();
      tx.oncomplete = function () { document.documentElement.dataset.keptFiles = "0"; };
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var params = new URLSearchParams(location.search);
    if (params.get("done") || params.get("submitted") || document.getElementById("username")) {
      forgetEverything();
      return;
    }
    forgetOlderThan(MAX_AGE_MS);
    document.querySelectorAll("form.taskform[data-draft] input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () { keep(input); });
      var note = document.getElementById(input.id + "_dropped");
      if (note) restore(input, note);
    });
  });
})();

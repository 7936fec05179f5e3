// The in-browser modeler: bpmn-js (served from /vendor) plus a small properties panel showing
// only what sopflow reads, a forms editor with the server's live preview, and "save as draft".
// Plain ES2017, no build step; DOM is built with textContent (no user data through innerHTML;
// the only innerHTML is the server-rendered form preview).
(function () {
  "use strict";

  var SPIFF_URI = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  var ISO_DURATION = /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(?:[.,]\d+)?S)?)?$/;
  var FORM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.(ui)?schema\.json$/;
  var NEW_FILE = "__new__";
  var SOP_FIELDS = [
    ["sopNomor", "Nomor langkah", "Urutan langkah pada lembar SOP, mis. 3."],
    ["sopKelengkapan", "Kelengkapan", "Dokumen/bahan yang diperlukan langkah ini."],
    ["sopWaktu", "Waktu", "Mutu baku waktu seperti tertulis di SOP, mis. 2 jam."],
    ["sopProduk", "Produk", "Keluaran langkah ini."],
    ["sopKeterangan", "Keterangan", ""]
  ];
  var TYPE_NAMES = {
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

  var root, canvasBox, propsBody;
  var cfg = {};
  var moddleBase = null;       // the spiffworkflow package descriptor (static JSON)
  var modeler = null, host = null;
  var current = null;          // the element shown in the panel
  var selectedCount = 0;
  var renderPending = false;
  var roles = [], operators = [];
  var forms = {};              // file name -> JSON text
  var openForm = null;         // {schema: name|null, ui: name|null}
  var dirty = false, revision = 0;
  var previewTimer = null, previewSeq = 0;
  var markers = [];
  var uid = 0;

  // ---------------------------------------------------------------- small DOM helpers
  function $(sel) { return document.querySelector(sel); }

  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (key === "htmlFor") node.htmlFor = value;
      else if (key === "value") node.value = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  function message(kind, text, extra) {
    var box = $("#modeler-messages");
    clear(box);
    if (!text) return;
    box.appendChild(h("div", {
      className: "flash flash-" + kind, role: kind === "error" ? "alert" : "status"
    }, [text].concat(extra || [])));
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function postJSON(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { status: response.status, ok: response.ok, body: body };
      });
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status + " " + url);
        return response.json();
      });
  }

  // ---------------------------------------------------------------- dirty state
  function setDirty(value) {
    dirty = value;
    if (value) revision += 1;
    var badge = $("#dirty-state");
    badge.textContent = value ? "Ada perubahan yang belum disimpan" : "Semua perubahan tersimpan";
    badge.classList.toggle("dirty", value);
    root.dataset.dirty = value ? "1" : "0";
  }

  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return undefined;
    event.preventDefault();
    event.returnValue = "";
    return "";
  });

  // ---------------------------------------------------------------- moddle descriptor
  // Spiffworkflow elements the descriptor does not know would be dropped on import; give each
  // such tag found in the file a generic type (body text + children) so it round-trips.
  function descriptorFor(xml) {
    var descriptor = JSON.parse(JSON.stringify(moddleBase));
    var known = {};
    descriptor.types.forEach(function (t) { known[t.name] = true; });
    var doc;
    try { doc = new DOMParser().parseFromString(xml, "application/xml"); } catch (e) { return descriptor; }
    if (!doc || doc.getElementsByTagName("parsererror").length) return descriptor;
    var nodes = doc.getElementsByTagNameNS(SPIFF_URI, "*");
    for (var i = 0; i < nodes.length; i++) {
      var local = nodes[i].localName;
      var typeName = local.charAt(0).toUpperCase() + local.slice(1);
      if (known[typeName]) continue;
      known[typeName] = true;
      descriptor.types.push({
        name: typeName,
        superClass: ["Element"],
        properties: [
          { name: "sopflowBody", isBody: true, type: "String" },
          { name: "sopflowChildren", type: "Element", isMany: true }
        ]
      });
    }
    return descriptor;
  }

  // One undo step for several property updates.
  function MultiCommandHandler(commandStack) { this._commandStack = commandStack; }
  MultiCommandHandler.$inject = ["commandStack"];
  MultiCommandHandler.prototype.preExecute = function (context) {
    var stack = this._commandStack;
    context.commands.forEach(function (c) { stack.execute(c.cmd, c.context); });
  };

  // ---------------------------------------------------------------- load / import
  function loadXml(xml) {
    if (typeof BpmnJS === "undefined") {
      return Promise.reject(new Error("bpmn-js tidak termuat."));
    }
    showTab("diagram");
    var nextHost = h("div", { className: "canvas-host" });
    canvasBox.appendChild(nextHost);
    var next = new BpmnJS({
      container: nextHost,
      moddleExtensions: { spiffworkflow: descriptorFor(xml) }
    });
    return next.importXML(xml).then(function (result) {
      if (modeler) modeler.destroy();
      if (host && host.parentNode) host.parentNode.removeChild(host);
      modeler = next;
      host = nextHost;
      wire(next);
      fitDiagram(next);
      showWarnings(result.warnings || []);
      current = null;
      selectedCount = 0;
      markers = [];
      renderPanel();
      updateUndo();
      return result;
    }, function (err) {
      next.destroy();
      if (nextHost.parentNode) nextHost.parentNode.removeChild(nextHost);
      throw err;
    });
  }

  // Like zoom("fit-viewport"), but keeps the diagram clear of the palette on the left.
  function fitDiagram(m) {
    var canvas = m.get("canvas");
    canvas.zoom("fit-viewport");
    var box = canvas.viewbox(), inner = box.inner, outer = box.outer;
    if (!inner || !inner.width || !outer.width) return;
    var palette = host.querySelector(".djs-palette");
    var left = (palette ? palette.getBoundingClientRect().width : 0) + 24, pad = 20;
    var scale = Math.min((outer.width - left - pad) / inner.width, (outer.height - 2 * pad) / inner.height, 1);
    if (!(scale > 0)) return;
    canvas.viewbox({
      x: inner.x - left / scale,
      y: inner.y - pad / scale,
      width: outer.width / scale,
      height: outer.height / scale
    });
  }

  function wire(m) {
    var eventBus = m.get("eventBus");
    m.get("commandStack").registerHandler("sopflow.multi", MultiCommandHandler);
    eventBus.on("selection.changed", function (event) {
      var selection = event.newSelection || [];
      selectedCount = selection.length;
      current = selection.length === 1 ? (selection[0].labelTarget || selection[0]) : null;
      scheduleRender();
    });
    eventBus.on("elements.changed", function (event) {
      if (!current) return;
      if (!m.get("elementRegistry").get(current.id)) {
        current = null;
        scheduleRender();
        return;
      }
      var hit = event.elements.some(function (e) {
        return e === current || e.labelTarget === current || e.id === current.id;
      });
      if (hit) scheduleRender();
    });
    eventBus.on("commandStack.changed", function (event) {
      if (event.trigger !== "clear") setDirty(true);
      updateUndo();
    });
  }

  function showWarnings(warnings) {
    var box = $("#import-warnings"), list = box.querySelector("ul");
    clear(list);
    warnings.forEach(function (w) {
      list.appendChild(h("li", { text: String(w.message || w).split("\n")[0] }));
    });
    box.hidden = warnings.length === 0;
  }

  function updateUndo() {
    var stack = modeler && modeler.get("commandStack");
    $("#btn-undo").disabled = !stack || !stack.canUndo();
    $("#btn-redo").disabled = !stack || !stack.canRedo();
  }

  // ---------------------------------------------------------------- model access helpers
  function svc(name) { return modeler.get(name); }

  function bo(element) { return element.businessObject; }

  function isA(element, type) {
    var b = bo(element);
    return !!(b && b.$instanceOf && b.$instanceOf(type));
  }

  function extValues(b) {
    return (b.extensionElements && b.extensionElements.get("values")) || [];
  }

  function findExt(b, type) {
    return extValues(b).filter(function (v) { return v.$type === type; })[0];
  }

  function spiffProps(b) {
    var container = findExt(b, "spiffworkflow:Properties");
    return container ? container.get("properties") : [];
  }

  function spiffProp(b, name) {
    var p = spiffProps(b).filter(function (x) { return x.name === name; })[0];
    return p ? (p.value || "") : "";
  }

  function cmdProps(element, properties) {
    return { cmd: "element.updateProperties", context: { element: element, properties: properties } };
  }

  function cmdModdle(element, moddleElement, properties) {
    return {
      cmd: "element.updateModdleProperties",
      context: { element: element, moddleElement: moddleElement, properties: properties }
    };
  }

  function run(commands) {
    if (!commands.length) return;
    var stack = svc("commandStack");
    if (commands.length === 1) stack.execute(commands[0].cmd, commands[0].context);
    else stack.execute("sopflow.multi", { commands: commands });
  }

  // The extension element of this type, created (as part of `commands`) when missing.
  function ensureExt(element, type, commands, attrs) {
    var b = bo(element);
    var existing = findExt(b, type);
    if (existing) return existing;
    var ext = b.extensionElements;
    if (!ext) {
      ext = svc("bpmnFactory").create("bpmn:ExtensionElements", { values: [] });
      ext.$parent = b;
      commands.push(cmdProps(element, { extensionElements: ext }));
    }
    var created = svc("moddle").create(type, attrs || {});
    created.$parent = ext;
    commands.push(cmdModdle(element, ext, { values: ext.get("values").concat([created]) }));
    return created;
  }

  function setSpiffProp(element, name, value, keepEmpty) {
    var b = bo(element), commands = [];
    var container = findExt(b, "spiffworkflow:Properties");
    var prop = container && container.get("properties").filter(function (p) { return p.name === name; })[0];
    if (!value && !keepEmpty) {
      if (prop) {
        commands.push(cmdModdle(element, container, {
          properties: container.get("properties").filter(function (p) { return p !== prop; })
        }));
      }
    } else if (prop) {
      if ((prop.value || "") !== value) commands.push(cmdModdle(element, prop, { value: value }));
    } else if (value) {
      container = ensureExt(element, "spiffworkflow:Properties", commands, { properties: [] });
      var created = svc("moddle").create("spiffworkflow:Property", { name: name, value: value });
      created.$parent = container;
      commands.push(cmdModdle(element, container, {
        properties: container.get("properties").concat([created])
      }));
    }
    run(commands);
  }

  function setName(element, value) {
    if ((bo(element).name || "") === value) return;
    svc("modeling").updateLabel(element, value || null);
  }

  function setDocumentation(element, text) {
    var b = bo(element), docs = b.get("documentation"), doc = docs[0];
    if (doc) {
      if ((doc.text || "") === text) return;
      if (text) run([cmdModdle(element, doc, { text: text })]);
      else run([cmdProps(element, { documentation: docs.slice(1) })]);
    } else if (text) {
      var created = svc("bpmnFactory").create("bpmn:Documentation", { text: text });
      created.$parent = b;
      run([cmdProps(element, { documentation: [created] })]);
    }
  }

  function timerOf(element) {
    return (bo(element).eventDefinitions || []).filter(function (d) {
      return d.$type === "bpmn:TimerEventDefinition";
    })[0];
  }

  function unquote(text) {
    var m = /^\s*"(.*)"\s*$/.exec(text || "") || /^\s*'(.*)'\s*$/.exec(text || "");
    return m ? m[1] : (text || "").trim();
  }

  function setDuration(element, iso) {
    var def = timerOf(element), quoted = '"' + iso + '"';
    if (def.timeDuration) {
      if (def.timeDuration.body === quoted) return;
      run([cmdModdle(element, def.timeDuration, { body: quoted })]);
    } else {
      var expr = svc("bpmnFactory").create("bpmn:FormalExpression", { body: quoted });
      expr.$parent = def;
      run([cmdModdle(element, def, { timeDuration: expr })]);
    }
  }

  function setCondition(element, text) {
    var b = bo(element), cond = b.conditionExpression;
    if (!text) {
      if (cond) run([cmdProps(element, { conditionExpression: undefined })]);
    } else if (cond) {
      if (cond.body !== text) run([cmdModdle(element, cond, { body: text })]);
    } else {
      var expr = svc("bpmnFactory").create("bpmn:FormalExpression", { body: text });
      expr.$parent = b;
      run([cmdProps(element, { conditionExpression: expr })]);
    }
  }

  function operatorOf(element) { return findExt(bo(element), "spiffworkflow:ServiceTaskOperator"); }

  function paramsOf(op) { return op && op.parameters ? op.parameters.get("parameters") : []; }

  function setOperatorAttr(element, attr, value) {
    var op = operatorOf(element);
    if (op && (op.get(attr) || "") === value) return;
    if (!op && !value) return;
    var commands = [], props = {};
    op = ensureExt(element, "spiffworkflow:ServiceTaskOperator", commands, {});
    props[attr] = value || undefined;
    commands.push(cmdModdle(element, op, props));
    run(commands);
  }

  function addParameter(element) {
    var commands = [];
    var op = ensureExt(element, "spiffworkflow:ServiceTaskOperator", commands, {});
    var container = op.parameters;
    if (!container) {
      container = svc("moddle").create("spiffworkflow:Parameters", { parameters: [] });
      container.$parent = op;
      commands.push(cmdModdle(element, op, { parameters: container }));
    }
    var param = svc("moddle").create("spiffworkflow:Parameter", { id: "", type: "str", value: "" });
    param.$parent = container;
    commands.push(cmdModdle(element, container, { parameters: container.get("parameters").concat([param]) }));
    run(commands);
  }

  function removeParameter(element, param) {
    var container = param.$parent;
    run([cmdModdle(element, container, {
      parameters: container.get("parameters").filter(function (p) { return p !== param; })
    })]);
  }

  function setParamAttr(element, param, attr, value) {
    if ((param.get(attr) || "") === value) return;
    var props = {};
    props[attr] = value;
    run([cmdModdle(element, param, props)]);
  }

  // ---------------------------------------------------------------- the properties panel
  function scheduleRender() {
    if (renderPending) return;
    renderPending = true;
    setTimeout(function () { renderPending = false; renderPanel(); }, 0);
  }

  // A labelled control; `commit(value)` runs on "change" (blur / Enter), not on every key.
  function field(key, label, control, help, commit) {
    var id = nextId("prop");
    control.id = id;
    control.dataset.key = key;
    var describedBy = [];
    var helpNode = null, errorNode = h("p", { className: "error", id: id + "-error", hidden: true });
    if (help) {
      helpNode = h("p", { className: "help", id: id + "-help", text: help });
      describedBy.push(helpNode.id);
    }
    describedBy.push(errorNode.id);
    control.setAttribute("aria-describedby", describedBy.join(" "));
    if (commit) control.addEventListener("change", function () { commit(control.value, errorNode, control); });
    var wrap = h("div", { className: "field" }, [h("label", { htmlFor: id, text: label }), control, helpNode, errorNode]);
    wrap.errorNode = errorNode;
    return wrap;
  }

  function textInput(value, attrs) {
    return h("input", Object.assign({ type: "text", value: value || "", autocomplete: "off" }, attrs || {}));
  }

  function textArea(value, rows) {
    return h("textarea", { rows: String(rows || 3), value: value || "" });
  }

  function selectOf(options, value) {
    var select = h("select", {});
    options.forEach(function (o) {
      select.appendChild(h("option", { value: o[0], text: o[1] }));
    });
    select.value = value;
    return select;
  }

  function showError(errorNode, control, text) {
    errorNode.textContent = text || "";
    errorNode.hidden = !text;
    control.setAttribute("aria-invalid", text ? "true" : "false");
    var wrap = control.closest(".field");
    if (wrap) wrap.classList.toggle("has-error", !!text);
  }

  function typeLabel(element) {
    var type = bo(element).$type;
    return (TYPE_NAMES[type] || type.replace(/^bpmn:/, "")) + " · " + type;
  }

  function renderPanel() {
    var active = document.activeElement;
    var focusKey = active && propsBody.contains(active) ? active.dataset.key : null;
    clear(propsBody);
    if (!modeler) return;
    var element = current;
    if (!element || element.type === "label" || !bo(element)) {
      propsBody.appendChild(h("p", {
        className: "muted",
        text: selectedCount > 1
          ? selectedCount + " elemen dipilih. Pilih satu elemen untuk melihat propertinya."
          : "Klik satu elemen pada diagram untuk melihat dan mengubah propertinya."
      }));
      return;
    }
    if (element === svc("canvas").getRootElement()) {
      propsBody.appendChild(h("p", { className: "muted", text: "Klik satu elemen pada diagram untuk melihat dan mengubah propertinya." }));
      return;
    }
    var b = bo(element);
    propsBody.dataset.element = element.id;
    propsBody.appendChild(h("p", { className: "type", text: typeLabel(element) }));
    propsBody.appendChild(field("id", "ID", textInput(b.id, { readonly: true }), null, null));
    var nameField = field("name", isA(element, "bpmn:Lane") ? "Nama lajur (peran)" : "Nama",
      textInput(b.name), null, function (value) { setName(element, value.trim()); });
    propsBody.appendChild(nameField);

    if (isA(element, "bpmn:Lane")) renderLane(element, nameField);
    if (isA(element, "bpmn:UserTask")) renderUserTask(element);
    if (isA(element, "bpmn:ServiceTask")) renderServiceTask(element);
    if (isA(element, "bpmn:Task")) renderSop(element);
    if (timerOf(element) && b.eventDefinitions) renderTimer(element);
    if (isA(element, "bpmn:SequenceFlow") && b.sourceRef && b.sourceRef.$instanceOf("bpmn:Gateway")) {
      renderCondition(element);
    }

    if (focusKey) {
      var again = propsBody.querySelector('[data-key="' + CSS.escape(focusKey) + '"]');
      if (again && !again.disabled) again.focus();
    }
  }

  function section(title) {
    propsBody.appendChild(h("h3", { text: title }));
  }

  function renderLane(element, nameField) {
    var name = (bo(element).name || "").trim();
    var text = null;
    if (!name) text = "Lajur tanpa nama tidak dapat dipetakan ke peran mana pun.";
    else if (roles.indexOf(name) < 0) {
      text = "Peran “" + name + "” belum terdaftar. Tugas di lajur ini tidak dapat ditugaskan sampai " +
        "perannya dibuat (simpan draf, lalu gunakan tombol “Buat peran” pada temuan).";
    }
    if (text) nameField.appendChild(h("p", { className: "hint role-hint", role: "note", text: text }));
    else nameField.appendChild(h("p", { className: "help", text: "Peran terdaftar: anggota peran ini mengerjakan tugas di lajur ini." }));
  }

  function formSelect(element, key, label, property, suffix) {
    var value = spiffProp(bo(element), property);
    var names = Object.keys(forms).filter(function (n) { return n.slice(-suffix.length) === suffix; }).sort();
    var options = [["", "(tidak ada)"]].concat(names.map(function (n) { return [n, n]; }));
    if (value && names.indexOf(value) < 0) options.push([value, value + " (berkas tidak ada)"]);
    options.push([NEW_FILE, "Berkas baru…"]);
    var select = selectOf(options, value);
    var nameInput = textInput("", { placeholder: "langkah_x_nama" + suffix, "aria-label": "Nama berkas baru (" + label + ")" });
    nameInput.dataset.key = key + "-new";
    var create = h("button", { type: "button", className: "button small", text: "Buat" });
    var newBox = h("div", { className: "new-file", hidden: true }, [nameInput, create]);
    var wrap = field(key, label, select, null, function (v, errorNode) {
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
      var name = nameInput.value.trim();
      if (name && name.indexOf(".") < 0) name += suffix;
      var problem = formNameProblem(name, suffix);
      if (problem) { showError(wrap.errorNode, nameInput, problem); return; }
      if (!(name in forms)) addForm(name);
      setSpiffProp(element, property, name);
    }
    create.addEventListener("click", createFile);
    nameInput.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); createFile(); } });
    wrap.insertBefore(newBox, wrap.errorNode);
    if (value && value in forms) {
      var open = h("button", { type: "button", className: "link small", text: "Buka di tab Formulir" });
      open.addEventListener("click", function () { openFormFile(value); });
      wrap.insertBefore(h("p", { className: "help" }, [open]), wrap.errorNode);
    }
    return wrap;
  }

  function renderUserTask(element) {
    var b = bo(element);
    section("Formulir dan pelaksana");
    propsBody.appendChild(formSelect(element, "form-schema", "Berkas skema formulir", "formJsonSchemaFilename", ".schema.json"));
    propsBody.appendChild(formSelect(element, "form-ui", "Berkas skema UI", "formUiSchemaFilename", ".uischema.json"));
    propsBody.appendChild(field("candidateUsersVariable", "Variabel pelaksana (candidateUsersVariable)",
      textInput(spiffProp(b, "candidateUsersVariable")),
      "Opsional: nama variabel berisi daftar pengguna yang boleh mengerjakan tugas ini.",
      function (value) { setSpiffProp(element, "candidateUsersVariable", value.trim()); }));
  }

  function renderSop(element) {
    var b = bo(element);
    section("Tabel SOP");
    SOP_FIELDS.forEach(function (f) {
      var control = f[0] === "sopNomor" ? textInput(spiffProp(b, f[0]), { inputmode: "numeric" }) : textArea(spiffProp(b, f[0]), 2);
      propsBody.appendChild(field(f[0], f[1], control, f[2] || null, function (value) {
        var had = spiffProps(b).some(function (p) { return p.name === f[0]; });
        setSpiffProp(element, f[0], value.trim(), had);
      }));
    });
    var docs = b.get("documentation");
    propsBody.appendChild(field("documentation", "Dokumentasi", textArea(docs[0] ? docs[0].text : "", 4),
      "Uraian langkah untuk petugas dan lembar SOP.",
      function (value) { setDocumentation(element, value.replace(/\s+$/, "")); }));
  }

  function renderServiceTask(element) {
    var op = operatorOf(element);
    var value = op ? (op.id || "") : "";
    section("Layanan otomatis");
    var options = [["", "— pilih operator —"]].concat(operators.map(function (o) { return [o, o]; }));
    if (value && operators.indexOf(value) < 0) options.push([value, value + " (tidak terdaftar)"]);
    var opField = field("operator", "Operator", selectOf(options, value),
      "Layanan terdaftar yang dijalankan langkah ini.",
      function (v) { setOperatorAttr(element, "id", v); });
    if (value && operators.indexOf(value) < 0) {
      opField.insertBefore(h("p", { className: "hint", text: "Operator “" + value + "” tidak terdaftar di server." }), opField.errorNode);
    }
    propsBody.appendChild(opField);
    propsBody.appendChild(field("resultVariable", "Variabel hasil", textInput(op ? op.resultVariable : ""),
      "Nama variabel tempat hasil layanan disimpan.",
      function (v) { setOperatorAttr(element, "resultVariable", v.trim()); }));

    var group = h("fieldset", { className: "field params" }, [h("legend", { text: "Parameter" })]);
    var params = paramsOf(op);
    if (!params.length) group.appendChild(h("p", { className: "help", text: "Belum ada parameter." }));
    params.forEach(function (param, index) {
      var row = h("div", { className: "param-row", role: "group", "aria-label": "Parameter " + (index + 1) });
      [["id", "ID"], ["type", "Jenis"], ["value", "Nilai (ekspresi)"]].forEach(function (spec) {
        var id = nextId("param");
        var input = textInput(param.get(spec[0]) || "", { id: id });
        if (spec[0] === "type") input.setAttribute("list", "param-types");
        input.dataset.key = "param-" + index + "-" + spec[0];
        input.addEventListener("change", function () {
          setParamAttr(element, param, spec[0], spec[0] === "value" ? input.value : input.value.trim());
        });
        row.appendChild(h("div", {}, [h("label", { htmlFor: id, text: spec[1] }), input]));
      });
      var remove = h("button", {
        type: "button", className: "button small", text: "Hapus",
        "aria-label": "Hapus parameter " + (param.id || index + 1)
      });
      remove.dataset.key = "param-" + index + "-remove";
      remove.addEventListener("click", function () { removeParameter(element, param); });
      row.appendChild(remove);
      group.appendChild(row);
    });
    var add = h("button", { type: "button", className: "button small", text: "Tambah parameter" });
    add.dataset.key = "param-add";
    add.addEventListener("click", function () { addParameter(element); });
    group.appendChild(add);
    group.appendChild(h("datalist", { id: "param-types" }, ["str", "int", "float", "bool", "any"].map(function (t) {
      return h("option", { value: t });
    })));
    propsBody.appendChild(group);
  }

  function renderTimer(element) {
    var b = bo(element), def = timerOf(element);
    section("Timer (mutu baku)");
    if (!def.timeDuration && (def.timeDate || def.timeCycle)) {
      var other = def.timeDate ? def.timeDate.body : def.timeCycle.body;
      propsBody.appendChild(field("timer-other", def.timeDate ? "Tanggal (timeDate)" : "Siklus (timeCycle)",
        textInput(other, { readonly: true }), "Hanya durasi yang dapat diubah di sini.", null));
      return;
    }
    var raw = def.timeDuration ? (def.timeDuration.body || "") : "";
    var shown = unquote(raw);
    var input = textInput(shown, { placeholder: "PT2H", spellcheck: "false" });
    var durationField = field("timer-duration", "Durasi", input,
      "Format ISO 8601: PT30M = 30 menit, PT2H = 2 jam, P1D = 1 hari, P1DT4H = 1 hari 4 jam.",
      function (value, errorNode) {
        var iso = value.trim().toUpperCase();
        var problem = validateDuration(iso);
        showError(errorNode, input, problem);
        if (!problem) setDuration(element, iso);
      });
    input.addEventListener("input", function () {
      var problem = validateDuration(input.value.trim().toUpperCase());
      showError(durationField.errorNode, input, problem);
    });
    if (raw && !ISO_DURATION.test(shown)) {
      durationField.insertBefore(h("p", { className: "hint", text: "Ekspresi saat ini: " + raw }), durationField.errorNode);
    }
    propsBody.appendChild(durationField);
    if (isA(element, "bpmn:BoundaryEvent")) {
      var interrupting = b.cancelActivity !== false;
      propsBody.appendChild(field("cancelActivity", "Menghentikan tugas saat waktu habis?",
        selectOf([["true", "Ya — tugas dibatalkan (interrupting)"], ["false", "Tidak — tugas tetap berjalan"]],
          interrupting ? "true" : "false"),
        "Mutu baku biasanya “Tidak”: tugas tetap berjalan dan eskalasi dicatat.",
        function (v) {
          var want = v === "true";
          if ((b.cancelActivity !== false) !== want) run([cmdProps(element, { cancelActivity: want })]);
        }));
    }
  }

  function validateDuration(iso) {
    if (!iso) return "Isi durasi, mis. PT2H.";
    if (!ISO_DURATION.test(iso)) return "Durasi tidak sah: “" + iso + "”. Gunakan format ISO 8601, mis. PT2H atau PT30M.";
    return "";
  }

  function renderCondition(element) {
    var b = bo(element), gateway = b.sourceRef;
    section("Kondisi alur");
    if (gateway.default === b) {
      propsBody.appendChild(h("p", { className: "help", text: "Ini alur bawaan gerbang “" + (gateway.name || gateway.id) + "”: diambil bila tidak ada kondisi lain yang terpenuhi." }));
    }
    propsBody.appendChild(field("condition", "Ekspresi kondisi", textArea(b.conditionExpression ? b.conditionExpression.body : "", 3),
      "Ekspresi Python atas data kasus, mis. hasil_uji == \"gagal\".",
      function (value) { setCondition(element, value.trim()); }));
  }

  // ---------------------------------------------------------------- forms
  function formNameProblem(name, suffix) {
    if (!name) return "Isi nama berkas.";
    if (!FORM_NAME.test(name)) {
      return "Nama berkas harus berakhiran .schema.json atau .uischema.json dan hanya memuat huruf, angka, _ . -";
    }
    if (suffix && name.slice(-suffix.length) !== suffix) return "Nama berkas harus berakhiran " + suffix + ".";
    return "";
  }

  function formTemplate(name) {
    if (/\.uischema\.json$/.test(name)) return "{\n  \"ui:order\": []\n}\n";
    return JSON.stringify({
      title: "",
      type: "object",
      required: [],
      properties: { catatan: { type: "string", title: "Catatan" } }
    }, null, 2) + "\n";
  }

  function addForm(name) {
    forms[name] = formTemplate(name);
    setDirty(true);
    renderFormsList();
  }

  function baseOf(name) { return name.replace(/\.uischema\.json$|\.schema\.json$/, ""); }

  function formGroups() {
    var groups = {};
    Object.keys(forms).sort().forEach(function (name) {
      var base = baseOf(name);
      var g = groups[base] || (groups[base] = { base: base, schema: null, ui: null });
      if (/\.uischema\.json$/.test(name)) g.ui = name;
      else if (/\.schema\.json$/.test(name)) g.schema = name;
      else { groups[name] = { base: name, schema: name, ui: null, plain: true }; }
    });
    return Object.keys(groups).sort().map(function (k) {
      var g = groups[k];
      if (!g.plain) {
        if (!g.schema) g.schema = g.base + ".schema.json";
        if (!g.ui) g.ui = g.base + ".uischema.json";
      }
      return g;
    });
  }

  function renderFormsList() {
    var list = $("#forms-list");
    clear(list);
    var groups = formGroups();
    if (!groups.length) list.appendChild(h("li", { className: "muted", text: "Belum ada berkas formulir." }));
    groups.forEach(function (g) {
      var files = [];
      if (g.schema && g.schema in forms) files.push(g.plain ? g.schema : "skema JSON");
      if (g.ui && g.ui in forms) files.push("skema UI");
      var button = h("button", {
        type: "button", "data-form": g.base, title: [g.schema, g.ui].filter(Boolean).join(", ")
      }, [g.base, h("small", { text: files.join(" + ") })]);
      if (openForm && openForm.schema === g.schema) button.setAttribute("aria-current", "true");
      button.addEventListener("click", function () { selectForm(g); });
      list.appendChild(h("li", {}, [button]));
    });
  }

  function openFormFile(name) {
    var g = formGroups().filter(function (x) { return x.schema === name || x.ui === name; })[0];
    if (!g) return;
    showTab("forms");
    selectForm(g);
  }

  function selectForm(g) {
    openForm = { schema: g.schema, ui: g.ui };
    $("#forms-empty").hidden = true;
    $("#forms-fields").hidden = false;
    $("#form-schema-name").textContent = g.schema;
    $("#form-schema").value = forms[g.schema] || "";
    var uiWrap = $("#form-ui").closest(".field");
    uiWrap.hidden = !g.ui;
    $("#form-ui-name").textContent = g.ui || "";
    $("#form-ui").value = g.ui ? (forms[g.ui] || "") : "";
    renderFormsList();
    runPreview();
  }

  function onFormInput(which) {
    if (!openForm) return;
    var name = openForm[which];
    var text = $(which === "schema" ? "#form-schema" : "#form-ui").value;
    if (!name) return;
    if (!(name in forms) && !text.trim()) return;
    var isNew = !(name in forms);
    forms[name] = text;
    setDirty(true);
    if (isNew) renderFormsList();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(runPreview, 400);
  }

  // The browser's JSON.parse message, with line and column when it only gives a position.
  function jsonError(text) {
    if (!text.trim()) return "";
    try {
      JSON.parse(text);
      return "";
    } catch (e) {
      var msg = String(e.message || e);
      var lc = /line (\d+) column (\d+)/.exec(msg);
      var line, col;
      if (lc) { line = +lc[1]; col = +lc[2]; } else {
        var pos = /position (\d+)/.exec(msg);
        var offset = pos ? +pos[1] : jsonErrorOffset(text);
        if (offset !== null && offset !== undefined) {
          var before = text.slice(0, offset).split("\n");
          line = before.length;
          col = before[before.length - 1].length + 1;
        }
      }
      return "JSON tidak sah" + (line ? " (baris " + line + ", kolom " + col + ")" : "") + ": " + msg;
    }
  }

  // Where JSON.parse gave up, for browsers whose message carries no position: a small
  // recursive-descent scan that returns the offset of the first offending character.
  function jsonErrorOffset(text) {
    var i = 0, n = text.length;
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
      var m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!m || !m[0]) fail();
      i += m[0].length;
    }
    function value() {
      ws();
      var c = text[i];
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

  function runPreview() {
    clearTimeout(previewTimer);
    if (!openForm) return;
    var schemaText = $("#form-schema").value, uiText = openForm.ui ? $("#form-ui").value : "";
    var schemaError = jsonError(schemaText), uiError = jsonError(uiText);
    showError($("#form-schema-error"), $("#form-schema"), schemaError);
    showError($("#form-ui-error"), $("#form-ui"), uiError);
    var box = $("#form-preview");
    var seq = ++previewSeq;
    if (schemaError || uiError) {
      showPreviewErrors(["Perbaiki JSON di editor; pratinjau menampilkan versi terakhir yang sah."]);
      return;
    }
    root.dataset.previewBusy = "1";
    postJSON(cfg.previewUrl, { schema: schemaText || "{}", ui_schema: uiText || "{}" }).then(function (res) {
      if (seq !== previewSeq) return;
      delete root.dataset.previewBusy;
      var body = res.body || {};
      if (!res.ok) {
        showPreviewErrors([body.message || "Pratinjau gagal (HTTP " + res.status + ")."]);
        return;
      }
      if (body.errors && body.errors.length) {
        showPreviewErrors(body.errors);
        return;
      }
      showPreviewErrors([]);
      // Trusted: HTML rendered by sopflow's own form template, exactly as staff see it.
      box.innerHTML = body.html || "";
    }, function () {
      if (seq !== previewSeq) return;
      delete root.dataset.previewBusy;
      showPreviewErrors(["Tidak dapat menghubungi server untuk pratinjau."]);
    });
  }

  function showPreviewErrors(list) {
    var errors = $("#preview-errors");
    clear(errors);
    list.forEach(function (text) { errors.appendChild(h("li", { text: String(text) })); });
    errors.hidden = list.length === 0;
  }

  function newFormFromList() {
    var input = $("#new-form-name"), error = $("#new-form-error");
    var name = input.value.trim();
    var problem = formNameProblem(name) || (name in forms ? "Berkas “" + name + "” sudah ada." : "");
    error.textContent = problem;
    error.hidden = !problem;
    input.setAttribute("aria-invalid", problem ? "true" : "false");
    if (problem) return;
    addForm(name);
    input.value = "";
    openFormFile(name);
  }

  // ---------------------------------------------------------------- tabs
  function showTab(which) {
    var diagram = which === "diagram";
    $("#tab-diagram").setAttribute("aria-selected", diagram ? "true" : "false");
    $("#tab-forms").setAttribute("aria-selected", diagram ? "false" : "true");
    $("#tab-diagram").tabIndex = diagram ? 0 : -1;
    $("#tab-forms").tabIndex = diagram ? -1 : 0;
    $("#panel-diagram").hidden = !diagram;
    $("#panel-forms").hidden = diagram;
    if (diagram && modeler) modeler.get("canvas").resized();
  }

  function tabKeys(event) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    var next = event.target.id === "tab-diagram" ? "forms" : "diagram";
    showTab(next);
    $("#tab-" + next).focus();
  }

  // ---------------------------------------------------------------- findings
  function clearMarkers() {
    if (!modeler) return;
    var canvas = modeler.get("canvas");
    markers.forEach(function (m) {
      try { canvas.removeMarker(m[0], m[1]); } catch (e) { /* element gone */ }
    });
    markers = [];
  }

  function selectElement(id) {
    if (!modeler) return;
    var element = modeler.get("elementRegistry").get(id);
    if (!element) return;
    showTab("diagram");
    modeler.get("selection").select(element);
    modeler.get("canvas").scrollToElement(element);
  }

  function roleFixForm(name, version) {
    var back = cfg.modelerUrl + "?v=" + encodeURIComponent(version);
    return h("form", { method: "post", action: cfg.rolesUrl }, [
      h("input", { type: "hidden", name: "csrf_token", value: csrfToken() }),
      h("input", { type: "hidden", name: "name", value: name }),
      h("input", { type: "hidden", name: "back", value: back }),
      h("button", { type: "submit", className: "button small", text: "Buat peran “" + name + "”" })
    ]);
  }

  function showFindings(findings, version) {
    var list = $("#save-findings");
    clear(list);
    clearMarkers();
    var registry = modeler ? modeler.get("elementRegistry") : null;
    findings.forEach(function (f) {
      var level = f.level === "error" ? "error" : "warning";
      var label = level === "error" ? "Kesalahan" : "Peringatan";
      var parts = [h("strong", { text: label }), " "];
      if (f.element) parts.push(h("code", { text: f.element }));
      if (f.name) parts.push(" “" + f.name + "”");
      parts.push(": " + (f.message || f.code || ""));
      var item = h("li", { className: "finding " + level, "data-code": f.code || "", "data-element": f.element || "" });
      var onDiagram = f.element && registry && registry.get(f.element);
      if (onDiagram) {
        var button = h("button", { type: "button", className: "goto", title: "Tampilkan di diagram" }, parts);
        button.addEventListener("click", function () { selectElement(f.element); });
        item.appendChild(button);
        modeler.get("canvas").addMarker(f.element, "finding-" + level);
        markers.push([f.element, "finding-" + level]);
      } else if (f.element && f.element in forms) {
        var open = h("button", { type: "button", className: "goto", title: "Buka formulir" }, parts);
        open.addEventListener("click", function () { openFormFile(f.element); });
        item.appendChild(open);
      } else {
        parts.forEach(function (p) { item.appendChild(typeof p === "string" ? document.createTextNode(p) : p); });
      }
      if (f.fix && f.fix.create_role && version) item.appendChild(roleFixForm(f.fix.create_role, version));
      list.appendChild(item);
    });
  }

  // ---------------------------------------------------------------- toolbar actions
  function exportXml() {
    return modeler.saveXML({ format: true }).then(function (result) { return result.xml; });
  }

  function formsPayload() {
    var out = {};
    Object.keys(forms).forEach(function (name) {
      if (forms[name] && forms[name].trim()) out[name] = forms[name];
    });
    return out;
  }

  function save() {
    if (!modeler) return;
    // Commit the field being edited (its "change" event) before exporting.
    if (document.activeElement && propsBody.contains(document.activeElement)) document.activeElement.blur();
    var button = $("#btn-save");
    var startRevision = revision;
    button.disabled = true;
    root.dataset.saving = "1";
    message("info", "Menyimpan draf…");
    exportXml().then(function (xml) {
      return postJSON(cfg.draftsUrl, { xml: xml, forms: formsPayload(), note: $("#draft-note").value });
    }).then(function (res) {
      var body = res.body || {};
      var result = $("#save-result"), summary = result.querySelector(".save-summary");
      clear(summary);
      if (res.status === 200 || res.status === 201) {
        if (revision === startRevision) setDirty(false);
        var findings = body.findings || [];
        var errors = findings.filter(function (f) { return f.level === "error"; }).length;
        var text = res.status === 201
          ? "Draf versi " + body.version + " tersimpan: " + errors + " kesalahan, " + (findings.length - errors) + " peringatan. "
          : "Isi sama dengan versi " + body.version + "; tidak ada versi baru. ";
        summary.appendChild(document.createTextNode(text));
        summary.appendChild(h("a", { href: body.url, id: "draft-link", text: "Buka halaman versi " + body.version }));
        message("", "");
        showFindings(findings, body.version);
        if (!findings.length) list0();
        root.dataset.savedVersion = String(body.version);
      } else if (res.status === 422 && body.message) {
        summary.appendChild(document.createTextNode(body.message));
        message("error", "Draf tidak tersimpan: " + body.message);
        showFindings(body.findings || [], null);
      } else {
        var why = res.status === 400
          ? "Sesi atau token formulir kedaluwarsa. Unduh .bpmn agar pekerjaan Anda aman, lalu muat ulang halaman."
          : (body.message || "Server menjawab HTTP " + res.status + ".");
        summary.appendChild(document.createTextNode(why));
        message("error", "Draf tidak tersimpan. " + why);
        showFindings([], null);
      }
      result.hidden = false;
      result.focus();
    }).catch(function (err) {
      message("error", "Draf tidak tersimpan: tidak dapat menghubungi server (" + (err && err.message || err) + "). Perubahan Anda masih ada di halaman ini.");
    }).then(function () {
      button.disabled = false;
      delete root.dataset.saving;
    });
  }

  function list0() {
    $("#save-findings").appendChild(h("li", { className: "ok", text: "Tidak ada temuan: diagram siap diterbitkan." }));
  }

  function download() {
    if (!modeler) return;
    exportXml().then(function (xml) {
      var blob = new Blob([xml], { type: "application/xml" });
      var url = URL.createObjectURL(blob);
      var a = h("a", { href: url, download: cfg.processId + ".bpmn", hidden: true });
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
    }, function (err) {
      message("error", "Tidak dapat mengekspor diagram: " + (err && err.message || err));
    });
  }

  function upload(event) {
    var input = event.target, file = input.files && input.files[0];
    if (!file) return;
    if (dirty && !window.confirm("Perubahan yang belum disimpan akan diganti oleh berkas “" + file.name + "”. Lanjutkan?")) {
      input.value = "";
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      loadXml(String(reader.result)).then(function () {
        setDirty(true);
        message("success", "Berkas “" + file.name + "” dimuat. Periksa lalu simpan sebagai draf.");
        $("#save-result").hidden = true;
      }, function (err) {
        message("error", "Berkas “" + file.name + "” tidak dapat dibaca sebagai diagram BPMN: " + (err && err.message || err));
      }).then(function () { input.value = ""; });
    };
    reader.onerror = function () {
      message("error", "Berkas “" + file.name + "” tidak dapat dibaca.");
      input.value = "";
    };
    reader.readAsText(file);
  }

  // ---------------------------------------------------------------- start
  document.addEventListener("DOMContentLoaded", function () {
    root = $("#modeler");
    if (!root) return;
    canvasBox = $("#canvas");
    propsBody = $("#props-body");
    cfg = {
      processId: root.dataset.processId,
      modelUrl: root.dataset.modelUrl,
      moddleUrl: root.dataset.moddleUrl,
      draftsUrl: root.dataset.draftsUrl,
      previewUrl: root.dataset.previewUrl,
      rolesUrl: root.dataset.rolesUrl,
      modelerUrl: root.dataset.modelerUrl
    };

    $("#btn-undo").addEventListener("click", function () { if (modeler) modeler.get("commandStack").undo(); });
    $("#btn-redo").addEventListener("click", function () { if (modeler) modeler.get("commandStack").redo(); });
    $("#btn-save").addEventListener("click", save);
    $("#btn-download").addEventListener("click", download);
    $("#upload-bpmn").addEventListener("change", upload);
    $("#tab-diagram").addEventListener("click", function () { showTab("diagram"); });
    $("#tab-forms").addEventListener("click", function () { showTab("forms"); });
    $("#tab-diagram").addEventListener("keydown", tabKeys);
    $("#tab-forms").addEventListener("keydown", tabKeys);
    $("#form-schema").addEventListener("input", function () { onFormInput("schema"); });
    $("#form-ui").addEventListener("input", function () { onFormInput("ui"); });
    $("#btn-new-form").addEventListener("click", newFormFromList);
    $("#new-form-name").addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); newFormFromList(); }
    });

    Promise.all([getJSON(cfg.moddleUrl), getJSON(cfg.modelUrl)]).then(function (loaded) {
      moddleBase = loaded[0];
      var data = loaded[1];
      roles = data.roles || [];
      operators = data.operators || [];
      forms = Object.assign({}, data.forms || {});
      renderFormsList();
      return loadXml(data.xml);
    }).then(function () {
      setDirty(false);
      $("#btn-save").disabled = false;
      $("#btn-download").disabled = false;
      root.dataset.ready = "1";
    }).catch(function (err) {
      root.dataset.error = String(err && err.message || err);
      $("#dirty-state").textContent = "";
      message("error", "Diagram tidak dapat dimuat: " + (err && err.message || err));
    });
  });
})();

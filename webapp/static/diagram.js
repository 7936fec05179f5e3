// A case's diagram, read like Camunda Cockpit's: fitted to its box, zoom and pan by buttons and
// keyboard, full screen on request; every element the case passed marked, the path taken
// highlighted, active, late and failed steps distinct, a loop's count ("×2"), and a click on a
// step shows the step's records that the server rendered into the page (labels, who, when).
(function () {
  "use strict";
  var ZOOM_STEP = 1.25;
  var PAN_STEP = 80;
  // Below this zoom a step's 13 px label reads smaller than 11 px: the first view then shows
  // the diagram at this zoom, its whole height when the box allows and the current step in
  // view, to be panned ("Sesuaikan" still fits all of it).
  var LEGIBLE_ZOOM = 0.9;
  var MARGIN = 12;
  var ACTIVITY = /Task$|SubProcess$|CallActivity$|Transaction$/;

  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value == null ? "" : String(value);  // never HTML: names are typed by people
    if (cls) node.className = cls;
    return node;
  }

  function isActivity(el) { return ACTIVITY.test(el.type); }
  function isStart(el) { return el.type === "bpmn:StartEvent"; }

  // Sequence flows into an element; a boundary event is entered from the step it sits on.
  function incoming(el) {
    var flows = (el.incoming || []).filter(function (c) { return c.type === "bpmn:SequenceFlow"; });
    if (el.type === "bpmn:BoundaryEvent" && el.host) flows.push({ source: el.host, boundary: true });
    return flows;
  }

  // The elements and flows between a visited element and the latest element visited before it:
  // a backwards search through gateways and events, stopping at steps and start events.
  function pathInto(target, rank, before) {
    var queue = [target], from = new Map([[target, null]]), best = null;
    while (queue.length) {
      var node = queue.shift();
      incoming(node).forEach(function (flow) {
        var src = flow.source;
        if (!src || from.has(src)) return;
        from.set(src, { node: node, flow: flow.boundary ? null : flow });
        if (isActivity(src) || isStart(src)) {
          var r = isStart(src) ? -1 : (rank.has(src.id) ? lastBefore(rank.get(src.id), before) : null);
          if (r !== null && (best === null || r > best.rank)) best = { node: src, rank: r };
        } else {
          queue.push(src);
        }
      });
    }
    var marked = [];
    for (var step = best && best.node; step && step !== target; ) {
      var link = from.get(step);
      marked.push(step);
      if (link.flow) marked.push(link.flow);
      step = link.node;
    }
    return marked;
  }
  function lastBefore(positions, before) {
    var found = null;
    positions.forEach(function (p) { if (p < before) found = p; });
    return found;
  }

  function passedElements(registry, data) {
    var rank = new Map(), passed = new Set(), counts = {};
    var visits = (data.visits || []).slice();
    if (data.end) visits.push(data.end);
    visits.forEach(function (id, i) {
      if (!rank.has(id)) rank.set(id, []);
      rank.get(id).push(i);
      counts[id] = (counts[id] || 0) + 1;
    });
    visits.forEach(function (id, i) {
      var el = registry.get(id);
      if (!el) return;
      passed.add(el);
      pathInto(el, rank, i).forEach(function (e) { passed.add(e); });
    });
    if (data.end) counts[data.end] = 1;
    return { elements: passed, counts: counts };
  }

  function showRecords(panel, records, element, passed) {
    var name = (element.businessObject && element.businessObject.name) || element.id;
    panel.replaceChildren(text("h3", name));
    var own = records ? records.querySelectorAll("[data-element]") : [];
    var mine = Array.prototype.filter.call(own, function (r) { return r.dataset.element === element.id; });
    mine.forEach(function (record, i) {
      var copy = record.cloneNode(true);
      if (mine.length > 1) copy.prepend(text("h4", (panel.dataset.round || "Putaran") + " " + (i + 1)));
      panel.appendChild(copy);
    });
    if (!mine.length) {
      panel.appendChild(text("p", passed ? panel.dataset.passed : panel.dataset.empty, "muted"));
    }
    panel.hidden = false;
  }

  function controls(card, el, canvas, focus) {
    function fit() { canvas.zoom("fit-viewport", "auto"); }
    function home() {
      fit();
      if (canvas.zoom() >= LEGIBLE_ZOOM) return;
      var inner = canvas.viewbox().inner;
      canvas.zoom(LEGIBLE_ZOOM);
      var view = canvas.viewbox();
      var spot = focus || { x: inner.x, y: inner.y, width: 0, height: 0 };
      // Across: the current step in the middle, but no empty space left of the drawing.
      var x = Math.max(inner.x - MARGIN, spot.x + spot.width / 2 - view.width / 2);
      x = Math.min(x, Math.max(inner.x - MARGIN, inner.x + inner.width + MARGIN - view.width));
      // Down: the whole height when it fits (the lanes stay in view), else the current step.
      var y = inner.height + 2 * MARGIN <= view.height
        ? inner.y - (view.height - inner.height) / 2
        : spot.y + spot.height / 2 - view.height / 2;
      canvas.viewbox({ x: x, y: y, width: view.width, height: view.height });
    }
    function zoom(factor) {
      var box = el.getBoundingClientRect();
      canvas.zoom(canvas.zoom() * factor, { x: box.width / 2, y: box.height / 2 });
    }
    // Full screen: the browser's own (Fullscreen API) where it has one, else the card fixed
    // over the page; either way the card gets .is-full and Escape leaves it.
    function native() {
      return document.fullscreenEnabled && typeof card.requestFullscreen === "function";
    }
    function toggle() {
      var on = !card.classList.contains("is-full");
      if (on && native()) {
        // Refused (no user gesture, a policy): the fixed card instead.
        Promise.resolve(card.requestFullscreen()).catch(function () { full(true); });
      } else if (!on && document.fullscreenElement === card) {
        document.exitFullscreen();  // fullscreenchange then restores the page
      } else {
        full(on);
      }
    }
    document.addEventListener("fullscreenchange", function () {
      var on = document.fullscreenElement === card;
      if (on !== card.classList.contains("is-full")) full(on);
    });
    function full(on) {
      card.classList.toggle("is-full", on);
      document.body.classList.toggle("diagram-full", on);
      var button = card.querySelector("[data-diagram='full']");
      if (button) {
        button.setAttribute("aria-pressed", on ? "true" : "false");
        button.textContent = on ? button.dataset.off : button.dataset.on;
      }
      canvas.resized();
      home();
      el.focus();
    }
    var actions = {
      "in": function () { zoom(ZOOM_STEP); },
      "out": function () { zoom(1 / ZOOM_STEP); },
      "fit": fit,
      "full": toggle,
    };
    card.querySelectorAll("button[data-diagram]").forEach(function (button) {
      button.addEventListener("click", function () { actions[button.dataset.diagram](); });
    });
    var keys = {
      "+": actions["in"], "=": actions["in"], "-": actions.out, "0": fit,
      "ArrowLeft": function () { canvas.scroll({ dx: PAN_STEP, dy: 0 }); },
      "ArrowRight": function () { canvas.scroll({ dx: -PAN_STEP, dy: 0 }); },
      "ArrowUp": function () { canvas.scroll({ dx: 0, dy: PAN_STEP }); },
      "ArrowDown": function () { canvas.scroll({ dx: 0, dy: -PAN_STEP }); },
      "Escape": function () {
        if (!card.classList.contains("is-full")) return;
        if (document.fullscreenElement === card) document.exitFullscreen();
        else full(false);
      },
    };
    el.addEventListener("keydown", function (event) {
      var act = keys[event.key];
      if (!act || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      act();
    });
    return home;
  }

  function draw(el, data) {
    var viewer = new BpmnJS({
      container: el,
      // Labels a little larger than bpmn-js's 12 px, so that they stay legible when fitted.
      textRenderer: { defaultStyle: { fontSize: 13, lineHeight: 1.1 }, externalStyle: { fontSize: 12 } },
    });
    return viewer.importXML(data.xml).then(function (result) {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var card = el.closest(".diagram-card");
      var found = passedElements(registry, data);
      // The step to show first on a small screen: the open one, else where the case ended.
      var latest = (data.visits || []).slice().reverse();
      var current = (data.active || []).concat(data.end ? [data.end] : [], latest).map(function (id) {
        return registry.get(id);
      }).filter(Boolean);
      controls(card, el, canvas, current[0])();
      found.elements.forEach(function (e) {
        canvas.addMarker(e.id, e.waypoints ? "flow-taken" : "step-passed");
      });
      function mark(ids, cls) {
        (ids || []).forEach(function (id) { if (registry.get(id)) canvas.addMarker(id, cls); });
      }
      mark(data.done, "step-done");
      mark(data.late, "step-late");
      mark(data.active, "step-active");
      mark(data.overdue, "step-overdue");
      mark(data.failed, "step-failed");
      if (data.end) mark([data.end], "step-done");
      var overlays = viewer.get("overlays");
      Object.keys(found.counts).forEach(function (id) {
        if (found.counts[id] > 1 && registry.get(id)) {
          overlays.add(id, "loop-count", {
            position: { top: -12, right: 14 },
            html: text("span", "×" + found.counts[id], "loop-count"),
          });
        }
      });
      var panel = card.querySelector(".element-detail");
      var records = card.querySelector(".step-records");
      viewer.get("eventBus").on("element.click", function (event) {
        var element = event.element;
        if (!panel || element.type === "bpmn:Process" || element.type === "bpmn:Collaboration") return;
        showRecords(panel, records, element, found.elements.has(element));
      });
      el.dataset.warnings = String((result.warnings || []).length);
      el.dataset.ready = "1";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-diagram-url]");
    if (!el || typeof BpmnJS === "undefined") return;
    fetch(el.dataset.diagramUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { return draw(el, data); })
      .catch(function (err) {
        el.textContent = el.dataset.errorText || "Diagram tidak dapat ditampilkan.";
        el.dataset.error = String(err);
      });
  });
})();

// A step's time standard as one value: the non-interrupting boundary timer on the task, the
// escalation service task it leads to (notify_sla_breach with langkah, batas, kepada), that
// task's end event, the two flows, and the task's sopWaktu. Setting the value creates, updates
// or removes all of them through bpmn-js's modeling API, as one undo step.
import { durationWords } from "./durations.js";
import {
  bo, isA, operatorOf, paramsOf, setDocumentation, setDuration, setSpiffProp, spiffProp, unquote
} from "./model.js";
import {
  END_OFFSET, freeSpot, GAP, LABEL_ROOM, makeRoom, TASK_SIZE, timerAt
} from "./standard-layout.js";
import { state } from "./state.js";

const COMMAND = "sopflow.timeStandard";
const OPERATOR = "notify_sla_breach";
// The connector's own default recipients (service_tasks/notify.py), written out so the
// process owner sees whom the escalation reaches and can change it.
const DEFAULT_KEPADA = "assignee, role:Ketua Tim";
const END_NAME = "Eskalasi tercatat";

// The command stacks (one per loaded diagram) that know the command.
const registered = new WeakSet();

function svc(name) { return state.modeler.get(name); }

function timerDef(shape) {
  return (bo(shape).eventDefinitions || []).filter(function (d) {
    return d.$type === "bpmn:TimerEventDefinition";
  })[0];
}

function isEscalation(shape) {
  const op = isA(shape, "bpmn:ServiceTask") && operatorOf(shape);
  return !!(op && op.id === OPERATOR);
}

function firstTarget(shape, test) {
  return (shape.outgoing || []).map(function (c) { return c.target; }).filter(test)[0] || null;
}

// The drawn time standard of a task ({timer, escalation, end}, absent parts null), hand-drawn or not.
export function standardOf(task) {
  // A timer on a date or a cycle is something else than a time standard: left alone.
  const timers = (task.attachers || []).filter(function (a) {
    const def = isA(a, "bpmn:BoundaryEvent") && timerDef(a);
    return def && !def.timeDate && !def.timeCycle;
  });
  // Prefer the timer that escalates, then a non-interrupting one: that is the time standard.
  timers.sort(function (a, b) {
    return rank(a) - rank(b);
    function rank(t) { return (firstTarget(t, isEscalation) ? 0 : 2) + (bo(t).cancelActivity === false ? 0 : 1); }
  });
  const timer = timers[0] || null;
  const escalation = timer ? firstTarget(timer, isEscalation) : null;
  const end = escalation ? firstTarget(escalation, function (s) { return isA(s, "bpmn:EndEvent"); }) : null;
  return { timer: timer, escalation: escalation, end: end };
}

// The ISO duration the task's timer holds ("" when it has none or holds a date or cycle).
export function standardValue(task) {
  const timer = standardOf(task).timer;
  const def = timer && timerDef(timer);
  return def && def.timeDuration ? unquote(def.timeDuration.body) : "";
}

// Whether the diagram already says exactly this standard everywhere (a change would be empty).
export function isInPlace(task, iso) {
  const drawn = standardOf(task), waktu = spiffProp(bo(task), "sopWaktu");
  if (!iso) return !drawn.timer && !waktu;
  const words = durationWords(iso);
  if (standardValue(task) !== iso || !drawn.escalation || !drawn.end || waktu !== words) return false;
  const batas = paramsOf(operatorOf(drawn.escalation)).filter(function (p) { return p.id === "batas"; })[0];
  return bo(drawn.timer).name === "Melewati " + words && !!batas && batas.value === JSON.stringify(words);
}

// Whether the task is itself an escalation (it gets no time standard of its own).
export function isEscalationTask(task) { return isEscalation(task); }

// Set (or, with "", remove) the task's time standard, as one undoable step.
export function setStandard(task, iso) {
  const stack = svc("commandStack");
  if (!registered.has(stack)) {
    stack.registerHandler(COMMAND, StandardHandler);
    registered.add(stack);
  }
  stack.execute(COMMAND, { task: task, iso: iso });
}

function StandardHandler() {}
StandardHandler.prototype.preExecute = function (context) {
  if (context.iso) draw(context.task, context.iso);
  else remove(context.task);
};

function remove(task) {
  const drawn = standardOf(task);
  const gone = [drawn.timer, drawn.escalation].filter(Boolean);
  // An end event other paths also reach stays.
  if (drawn.end && drawn.end.incoming.length === 1) gone.push(drawn.end);
  if (gone.length) svc("modeling").removeElements(gone);
  setSpiffProp(task, "sopWaktu", "");
}

function draw(task, iso) {
  const words = durationWords(iso), modeling = svc("modeling");
  const nomor = stepNumber(task);
  const drawn = standardOf(task);
  let spot = null;
  if (!drawn.escalation) {
    const timerX = drawn.timer ? drawn.timer.x + drawn.timer.width / 2 : timerAt(task).x;
    spot = freeSpot(task, timerX + 40);
    makeRoom(task, spot.y + TASK_SIZE.height + GAP + LABEL_ROOM);
  }
  const timer = drawn.timer || createTimer(task);
  setDuration(timer, iso);
  modeling.updateLabel(timer, "Melewati " + words);
  setDocumentation(timer, "Batas waktu mutu baku " + stepWords(task, nomor) + " (" + words +
    ") terlampaui; tugas tetap berjalan dan eskalasi dicatat.");
  let escalation = drawn.escalation;
  if (!escalation) {
    escalation = createEscalation(task, nomor, spot);
    connect(timer, escalation, "Flow_timer_" + task.id);
  }
  setParameters(escalation, { langkah: task.id, batas: words });
  if (!drawn.end) {
    const end = createShape(task, "bpmn:EndEvent", "EndEvent_eskalasi_" + task.id, { name: END_NAME },
      { x: escalation.x + escalation.width + END_OFFSET, y: escalation.y + escalation.height / 2 });
    connect(escalation, end, "Flow_eskalasi_" + task.id);
  }
  setSpiffProp(task, "sopWaktu", words);
}

function stepNumber(task) { return spiffProp(bo(task), "sopNomor").trim(); }

function stepWords(task, nomor) {
  return nomor ? "langkah " + nomor : "“" + (bo(task).name || task.id) + "”";
}

// An id made from `base`, not yet used in the diagram.
function freshId(base) {
  const registry = svc("elementRegistry"), ids = svc("moddle").ids;
  let id = base, n = 1;
  while (registry.get(id) || (ids && ids.assigned(id))) { n += 1; id = base + "_" + n; }
  return id;
}

function createShape(task, type, id, attrs, center) {
  const business = svc("bpmnFactory").create(type, Object.assign({ id: freshId(id) }, attrs));
  const shape = svc("elementFactory").createShape({ type: type, businessObject: business });
  return svc("modeling").createShape(shape, center, task.parent);
}

function createTimer(task) {
  const factory = svc("bpmnFactory");
  const def = factory.create("bpmn:TimerEventDefinition", {});
  const business = factory.create("bpmn:BoundaryEvent", {
    id: freshId("Timer_mutu_baku_" + task.id), cancelActivity: false, eventDefinitions: [def]
  });
  def.$parent = business;
  const shape = svc("elementFactory").createShape({ type: "bpmn:BoundaryEvent", businessObject: business });
  return svc("modeling").createShape(shape, timerAt(task), task, { attach: true });
}

function createEscalation(task, nomor, spot) {
  const moddle = svc("moddle"), factory = svc("bpmnFactory");
  const op = moddle.create("spiffworkflow:ServiceTaskOperator", {
    id: OPERATOR, resultVariable: "eskalasi_" + (nomor || task.id).replace(/\W/g, "_")
  });
  const ext = factory.create("bpmn:ExtensionElements", { values: [op] });
  op.$parent = ext;
  const name = "Eskalasi keterlambatan " + stepWords(task, nomor);
  const center = { x: spot.x + TASK_SIZE.width / 2, y: spot.y + TASK_SIZE.height / 2 };
  const shape = createShape(task, "bpmn:ServiceTask", "Eskalasi_" + task.id,
    { name: name, extensionElements: ext }, center);
  ext.$parent = bo(shape);
  return shape;
}

function connect(source, target, id) {
  const business = svc("bpmnFactory").create("bpmn:SequenceFlow", { id: freshId(id) });
  return svc("modeling").connect(source, target, { type: "bpmn:SequenceFlow", businessObject: business });
}

// Write langkah and batas (as quoted string expressions); add kepada only when missing, so a
// recipient list the owner chose stays.
function setParameters(escalation, values) {
  const modeling = svc("modeling"), moddle = svc("moddle"), op = operatorOf(escalation);
  let container = op.parameters;
  if (!container) {
    container = moddle.create("spiffworkflow:Parameters", { parameters: [] });
    container.$parent = op;
    modeling.updateModdleProperties(escalation, op, { parameters: container });
  }
  const wanted = Object.assign({}, values);
  const present = {};
  paramsOf(op).forEach(function (p) { present[p.id] = p; });
  if (!present.kepada) wanted.kepada = DEFAULT_KEPADA;
  const added = [];
  Object.keys(wanted).forEach(function (key) {
    const value = JSON.stringify(wanted[key]);
    const param = present[key];
    if (param) {
      if (param.value !== value) modeling.updateModdleProperties(escalation, param, { value: value });
      return;
    }
    const created = moddle.create("spiffworkflow:Parameter", { id: key, type: "str", value: value });
    created.$parent = container;
    added.push(created);
  });
  if (added.length) {
    modeling.updateModdleProperties(escalation, container, {
      parameters: container.get("parameters").concat(added)
    });
  }
}

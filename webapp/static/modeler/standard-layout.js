// Where the time standard's shapes go: the timer on the task's bottom edge, the escalation
// and its end event in the first free row below the task, in the task's lane (grown, with
// everything below moved down, when the row does not fit).
import { isA } from "./model.js";
import { state } from "./state.js";

export const GAP = 20;           // between the task's bottom edge and the escalation task
export const LABEL_ROOM = 20;    // below a row, for the end event's label
export const END_OFFSET = 58;    // from the escalation's right edge to the end event's centre
export const TASK_SIZE = { width: 100, height: 80 };

function svc(name) { return state.modeler.get(name); }

// Where the timer goes: on the task's bottom edge, towards its right.
export function timerAt(task) {
  return { x: Math.round(task.x + task.width * 0.7), y: task.y + task.height };
}

// The top-left of the escalation task: the first row below the task where it and its end
// event overlap nothing else in the task's lane.
export function freeSpot(task, x) {
  const box = container(task);
  const others = svc("elementRegistry").filter(function (e) {
    if (e.waypoints || e === task || !e.parent || e.labelTarget === task) return false;
    if (isA(e, "bpmn:Lane") || isA(e, "bpmn:Participant")) return false;
    return !box || inside(box, e.x + e.width / 2, e.y + e.height / 2);
  });
  const width = TASK_SIZE.width + END_OFFSET + 18 + 40;   // task, flow, end event, its label
  let y = task.y + task.height + GAP;
  for (let row = 0; row < 8; row += 1, y += TASK_SIZE.height + GAP + LABEL_ROOM) {
    const area = { x: x - 10, y: y - 10, width: width + 20, height: TASK_SIZE.height + LABEL_ROOM + 10 };
    if (!others.some(function (e) { return overlaps(area, e); })) break;
  }
  return { x: x, y: y };
}

function inside(box, x, y) {
  return box.x <= x && x <= box.x + box.width && box.y <= y && y <= box.y + box.height;
}

function overlaps(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

// Grow the task's lane (or pool) downwards, moving what lies below, when the escalation
// drawn under the task would not fit inside it.
export function makeRoom(task, needed) {
  const box = container(task);
  if (!box) return;
  const bottom = box.y + box.height;
  if (bottom >= needed) return;
  const root = svc("canvas").getRootElement();
  const all = [root].concat(svc("elementRegistry").filter(function (e) { return e !== root; }));
  const spaceTool = svc("spaceTool"), delta = { x: 0, y: needed - bottom };
  const start = bottom - 1;
  const adjust = spaceTool.calculateAdjustments(all, "y", delta.y, start);
  spaceTool.makeSpace(adjust.movingShapes, adjust.resizingShapes, delta, "s", start);
}

// The innermost lane holding the task's centre, else the pool it is in, else null.
function container(task) {
  const cx = task.x + task.width / 2, cy = task.y + task.height / 2;
  const lanes = svc("elementRegistry").filter(function (e) {
    return isA(e, "bpmn:Lane") && inside(e, cx, cy);
  });
  lanes.sort(function (a, b) { return a.width * a.height - b.width * b.height; });
  if (lanes.length) return lanes[0];
  return isA(task.parent, "bpmn:Participant") ? task.parent : null;
}

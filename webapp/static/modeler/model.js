// Reading and changing the BPMN model through bpmn-js commands (so every change can be
// undone): names, documentation, spiffworkflow extension properties, timers, conditions and
// service-task operators.
import { state } from "./state.js";

const SPIFF_URI = "http://spiffworkflow.org/bpmn/schema/1.0/core";

// Spiffworkflow elements the descriptor does not know would be dropped on import; give each
// such tag found in the file a generic type (body text + children) so it round-trips.
export function descriptorFor(xml) {
  const descriptor = JSON.parse(JSON.stringify(state.moddleBase));
  const known = {};
  descriptor.types.forEach(function (t) { known[t.name] = true; });
  let doc;
  try { doc = new DOMParser().parseFromString(xml, "application/xml"); } catch (e) { return descriptor; }
  if (!doc || doc.getElementsByTagName("parsererror").length) return descriptor;
  const nodes = doc.getElementsByTagNameNS(SPIFF_URI, "*");
  for (let i = 0; i < nodes.length; i++) {
    const local = nodes[i].localName;
    const typeName = local.charAt(0).toUpperCase() + local.slice(1);
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
export function MultiCommandHandler(commandStack) { this._commandStack = commandStack; }
MultiCommandHandler.$inject = ["commandStack"];
MultiCommandHandler.prototype.preExecute = function (context) {
  const stack = this._commandStack;
  context.commands.forEach(function (c) { stack.execute(c.cmd, c.context); });
};

function svc(name) { return state.modeler.get(name); }

export function bo(element) { return element.businessObject; }

export function isA(element, type) {
  const b = bo(element);
  return !!(b && b.$instanceOf && b.$instanceOf(type));
}

function extValues(b) {
  return (b.extensionElements && b.extensionElements.get("values")) || [];
}

function findExt(b, type) {
  return extValues(b).filter(function (v) { return v.$type === type; })[0];
}

export function spiffProps(b) {
  const container = findExt(b, "spiffworkflow:Properties");
  return container ? container.get("properties") : [];
}

export function spiffProp(b, name) {
  const p = spiffProps(b).filter(function (x) { return x.name === name; })[0];
  return p ? (p.value || "") : "";
}

export function cmdProps(element, properties) {
  return { cmd: "element.updateProperties", context: { element: element, properties: properties } };
}

function cmdModdle(element, moddleElement, properties) {
  return {
    cmd: "element.updateModdleProperties",
    context: { element: element, moddleElement: moddleElement, properties: properties }
  };
}

// Execute the commands as one undo step.
export function run(commands) {
  if (!commands.length) return;
  const stack = svc("commandStack");
  if (commands.length === 1) stack.execute(commands[0].cmd, commands[0].context);
  else stack.execute("sopflow.multi", { commands: commands });
}

// The extension element of this type, created (as part of `commands`) when missing.
function ensureExt(element, type, commands, attrs) {
  const b = bo(element);
  const existing = findExt(b, type);
  if (existing) return existing;
  let ext = b.extensionElements;
  if (!ext) {
    ext = svc("bpmnFactory").create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = b;
    commands.push(cmdProps(element, { extensionElements: ext }));
  }
  const created = svc("moddle").create(type, attrs || {});
  created.$parent = ext;
  commands.push(cmdModdle(element, ext, { values: ext.get("values").concat([created]) }));
  return created;
}

// Set a spiffworkflow property; an empty value removes it unless `keepEmpty`.
export function setSpiffProp(element, name, value, keepEmpty) {
  const b = bo(element), commands = [];
  let container = findExt(b, "spiffworkflow:Properties");
  const prop = container && container.get("properties").filter(function (p) { return p.name === name; })[0];
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
    const created = svc("moddle").create("spiffworkflow:Property", { name: name, value: value });
    created.$parent = container;
    commands.push(cmdModdle(element, container, {
      properties: container.get("properties").concat([created])
    }));
  }
  run(commands);
}

export function setName(element, value) {
  if ((bo(element).name || "") === value) return;
  svc("modeling").updateLabel(element, value || null);
}

export function setDocumentation(element, text) {
  const b = bo(element), docs = b.get("documentation"), doc = docs[0];
  if (doc) {
    if ((doc.text || "") === text) return;
    if (text) run([cmdModdle(element, doc, { text: text })]);
    else run([cmdProps(element, { documentation: docs.slice(1) })]);
  } else if (text) {
    const created = svc("bpmnFactory").create("bpmn:Documentation", { text: text });
    created.$parent = b;
    run([cmdProps(element, { documentation: [created] })]);
  }
}

export function timerOf(element) {
  return (bo(element).eventDefinitions || []).filter(function (d) {
    return d.$type === "bpmn:TimerEventDefinition";
  })[0];
}

// A timer's expression without the quotes that make it a string literal.
export function unquote(text) {
  const m = /^\s*"(.*)"\s*$/.exec(text || "") || /^\s*'(.*)'\s*$/.exec(text || "");
  return m ? m[1] : (text || "").trim();
}

// Write an ISO-8601 duration as the timer's expression (a quoted string literal).
export function setDuration(element, iso) {
  const def = timerOf(element), quoted = '"' + iso + '"';
  if (def.timeDuration) {
    if (def.timeDuration.body === quoted) return;
    run([cmdModdle(element, def.timeDuration, { body: quoted })]);
  } else {
    const expr = svc("bpmnFactory").create("bpmn:FormalExpression", { body: quoted });
    expr.$parent = def;
    run([cmdModdle(element, def, { timeDuration: expr })]);
  }
}

export function setCondition(element, text) {
  const b = bo(element), cond = b.conditionExpression;
  if (!text) {
    if (cond) run([cmdProps(element, { conditionExpression: undefined })]);
  } else if (cond) {
    if (cond.body !== text) run([cmdModdle(element, cond, { body: text })]);
  } else {
    const expr = svc("bpmnFactory").create("bpmn:FormalExpression", { body: text });
    expr.$parent = b;
    run([cmdProps(element, { conditionExpression: expr })]);
  }
}

export function operatorOf(element) { return findExt(bo(element), "spiffworkflow:ServiceTaskOperator"); }

export function paramsOf(op) { return op && op.parameters ? op.parameters.get("parameters") : []; }

export function setOperatorAttr(element, attr, value) {
  let op = operatorOf(element);
  if (op && (op.get(attr) || "") === value) return;
  if (!op && !value) return;
  const commands = [], props = {};
  op = ensureExt(element, "spiffworkflow:ServiceTaskOperator", commands, {});
  props[attr] = value || undefined;
  commands.push(cmdModdle(element, op, props));
  run(commands);
}

export function addParameter(element) {
  const commands = [];
  const op = ensureExt(element, "spiffworkflow:ServiceTaskOperator", commands, {});
  let container = op.parameters;
  if (!container) {
    container = svc("moddle").create("spiffworkflow:Parameters", { parameters: [] });
    container.$parent = op;
    commands.push(cmdModdle(element, op, { parameters: container }));
  }
  const param = svc("moddle").create("spiffworkflow:Parameter", { id: "", type: "str", value: "" });
  param.$parent = container;
  commands.push(cmdModdle(element, container, { parameters: container.get("parameters").concat([param]) }));
  run(commands);
}

export function removeParameter(element, param) {
  const container = param.$parent;
  run([cmdModdle(element, container, {
    parameters: container.get("parameters").filter(function (p) { return p !== param; })
  })]);
}

export function setParamAttr(element, param, attr, value) {
  if ((param.get(attr) || "") === value) return;
  const props = {};
  props[attr] = value;
  run([cmdModdle(element, param, props)]);
}

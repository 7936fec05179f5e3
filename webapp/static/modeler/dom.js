// Small DOM and HTTP helpers. Nodes are built with textContent: no user data through innerHTML.

export function $(sel) { return document.querySelector(sel); }

// An element with attributes (text, className, htmlFor, value, on<event>, or plain) and children.
export function h(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (key) {
    const value = attrs[key];
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

export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

let uid = 0;

// A page-unique id for a generated control.
export function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

// The page's one message line (a flash), replaced each time; no text clears it.
export function message(kind, text, extra) {
  const box = $("#modeler-messages");
  clear(box);
  if (!text) return;
  box.appendChild(h("div", {
    className: "flash flash-" + kind, role: kind === "error" ? "alert" : "status"
  }, [text].concat(extra || [])));
}

// Show (or, with no text, clear) a control's error and mark the control invalid.
export function showError(errorNode, control, text) {
  errorNode.textContent = text || "";
  errorNode.hidden = !text;
  control.setAttribute("aria-invalid", text ? "true" : "false");
  const wrap = control.closest(".field");
  if (wrap) wrap.classList.toggle("has-error", !!text);
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}

// POST JSON; resolves to {status, ok, body} (body null when the answer is not JSON).
export function postJSON(url, payload) {
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

export function getJSON(url) {
  return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status + " " + url);
      return response.json();
    });
}

// storyreel web page, shared helpers: the JSON API, building DOM safely, the in-page confirm.
// Plain scripts loaded with defer, in order: api.js, jobs.js, studio.js, app.js.
"use strict";

const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const response = await fetch(path, { ...options, headers, credentials: "same-origin" });
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    const message = body && (body.message || (typeof body.detail === "string" ? body.detail : null));
    const error = new Error(message || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

// A JSON body, or a FormData (uploads), as fetch options.
function sending(method, body) {
  if (body === undefined) return { method };
  if (body instanceof FormData) return { method, body };
  return { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

function say(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("error", isError);
}

// el("button", {type: "button", className: "link", on: {click: f}}, "text", child...):
// every string becomes a text node, so nothing a user typed is ever read as HTML.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "on") {
      for (const [type, handler] of Object.entries(value)) node.addEventListener(type, handler);
    } else if (name === "className") {
      node.className = value;
    } else if (name === "value") {
      node.value = value;
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// Dollars as people read them; below a dollar with two significant digits, so a narration's
// fraction of a cent does not show as "$0.00".
function usd(amount) {
  const n = Number(amount || 0);
  if (n === 0) return "$0";
  return n >= 1 ? `$${n.toFixed(2)}` : `$${Number(n.toPrecision(2))}`;
}

// The in-page confirm (a <dialog>, not window.confirm: tests and keyboards can drive it).
// Resolves true for "go ahead", false for cancel or Escape.
function confirmAction({ title, text, cost = "", yes = "Go ahead" }) {
  const dialog = $("confirm");
  const opener = document.activeElement;
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-cost").textContent = cost;
  $("confirm-cost").hidden = !cost;
  $("confirm-yes").textContent = yes;
  return new Promise((resolve) => {
    const done = (answer) => {
      $("confirm-yes").removeEventListener("click", onYes);
      $("confirm-no").removeEventListener("click", onNo);
      dialog.removeEventListener("cancel", onNo);
      if (dialog.open) dialog.close();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    };
    const onYes = () => done(true);
    const onNo = (event) => { event.preventDefault(); done(false); };
    $("confirm-yes").addEventListener("click", onYes);
    $("confirm-no").addEventListener("click", onNo);
    dialog.addEventListener("cancel", onNo);
    dialog.showModal();
    $("confirm-no").focus(); // the safe answer has the focus
  });
}

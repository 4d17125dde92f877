// dom.js: tiny DOM helpers shared by the pages. Text always goes in as text nodes, never as HTML,
// so player and tournament names cannot inject markup.

// h builds an element: h('div', {class: 'x', 'data-testid': 'y', onclick: fn}, child, 'text', ...).
// Attributes whose value is null, undefined or false are left out; true sets an empty attribute.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value' && 'value' in el) {
      el.value = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace empties el and fills it with children.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// $ finds one element by selector, failing loudly when the page lacks it.
export function $(sel, root = document) {
  const el = root.querySelector(sel);
  if (!el) throw new Error(`page is missing ${sel}`);
  return el;
}

// param reads a query parameter of the page's URL.
export function param(name) {
  return new URLSearchParams(location.search).get(name);
}

// flash shows a message in the page's #messages region (role=alert or status). kind is 'error',
// 'ok' or 'info'. Errors stay until dismissed or replaced; others fade after a while. A message
// replaces the one saying the same thing (a repeated click shows it once, newly announced), and a
// new error replaces the old ones.
export function flash(text, kind = 'info') {
  const box = document.getElementById('messages');
  if (!box) {
    console.log(kind, text);
    return;
  }
  const msg = h('div', {class: `msg msg-${kind}`, 'data-testid': `msg-${kind}`, role: kind === 'error' ? 'alert' : 'status'},
    h('span', {}, text),
    h('button', {type: 'button', class: 'msg-close', 'aria-label': 'Dismiss message', onclick: () => msg.remove()}, '\u00d7'));
  for (const old of [...box.children]) {
    if ((kind === 'error' && old.classList.contains('msg-error')) || old.firstElementChild.textContent === text) old.remove();
  }
  box.prepend(msg);
  if (kind !== 'error') setTimeout(() => msg.remove(), 6000);
  while (box.children.length > 4) box.lastElementChild.remove();
}

// busy disables a button while the promise runs, so a double click sends one request.
export async function busy(button, fn) {
  if (button.disabled) return;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// ordinal writes 1st, 2nd, 3rd, 4th...
export function ordinal(n) {
  const t = n % 100;
  if (t >= 11 && t <= 13) return `${n}th`;
  return n + ({1: 'st', 2: 'nd', 3: 'rd'}[n % 10] || 'th');
}

// rankText writes a placement, tied ranks as "5-8".
export function rankText(rank, rankTo) {
  if (!rank) return '-';
  return rankTo && rankTo > rank ? `${rank}-${rankTo}` : String(rank);
}

// keepState re-renders a region without losing what the user was doing in it: the values of inputs
// with an id, which <details> with an id are open, and which element had the focus. Pages redraw
// on every event, and a result arriving must not wipe a half-typed score.
export function keepState(root, render) {
  const values = new Map();
  for (const el of root.querySelectorAll('input[id], select[id]')) {
    if (el.type === 'checkbox') values.set(el.id, el.checked);
    else if (el.value !== '' && el.dataset.dirty) values.set(el.id, el.value);
  }
  const open = new Set([...root.querySelectorAll('details[id][open]')].map((d) => d.id));
  const focused = root.contains(document.activeElement) && document.activeElement.id ? document.activeElement.id : null;
  render();
  for (const [id, v] of values) {
    const el = root.querySelector(`#${CSS.escape(id)}`);
    if (!el) continue;
    if (el.type === 'checkbox') el.checked = v;
    else {
      el.value = v;
      el.dataset.dirty = '1';
    }
  }
  for (const id of open) {
    const d = root.querySelector(`#${CSS.escape(id)}`);
    if (d) d.open = true;
  }
  if (focused) {
    const el = root.querySelector(`#${CSS.escape(focused)}`);
    if (el) el.focus();
  }
}

// Inputs the user typed into are marked dirty, so keepState restores them (and not the defaults
// a redraw computes afresh).
document.addEventListener('input', (e) => {
  if (e.target && e.target.dataset) e.target.dataset.dirty = '1';
});

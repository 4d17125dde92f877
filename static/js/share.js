// share.js: what the pages need to know of the node (GET /api/config: the public address and
// the engine's limits), and a share row for one link: the link, a Copy button and a QR code
// drawn on demand (the vendored qrcode-generator is loaded only when someone asks for a code).

import {h} from './dom.js';

// The engine's limits as of this version, until /api/config answers (or if it cannot).
const fallback = {public_url: '', limits: {name: 64, description: 2000, players: 1024, best_of: 99, group_size: 256, rounds: 64, game_points: 10000}};
let pending = null;

// hubConfig resolves to {public_url, limits}; the node is asked once per page.
export function hubConfig() {
  if (!pending) {
    pending = fetch('/api/config')
      .then((r) => (r.ok ? r.json() : fallback))
      .catch(() => fallback);
  }
  return pending;
}

// publicLink resolves to path (starting with /) on the hub's public address (--public-url), or
// on this page's own origin when the node has none.
export async function publicLink(path) {
  const c = await hubConfig();
  return (c.public_url || location.origin) + path;
}

// shareRow is a labelled read-only link with Copy and QR code buttons. testid prefixes the
// data-testid of its parts (-url, -copy, -qr-button, -qr, -status). A secret link (one that
// carries a token) says so under its code.
export function shareRow(label, url, {testid = 'share', secret = false} = {}) {
  const id = `${testid}-url`;
  const input = h('input', {type: 'text', id, readonly: true, value: url, 'data-testid': id, spellcheck: 'false'});
  input.addEventListener('focus', () => input.select());
  const status = h('span', {class: 'share-status', role: 'status', 'data-testid': `${testid}-status`});
  const copy = h('button', {type: 'button', 'data-testid': `${testid}-copy`}, 'Copy link');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(url);
      status.textContent = 'Copied.';
    } catch {
      input.focus();
      status.textContent = 'Select the link and copy it (Ctrl+C, or ⌘C on a Mac).';
    }
  });
  const fig = h('figure', {class: 'share-qr', hidden: true, 'data-testid': `${testid}-qr`});
  const qrButton = h('button', {type: 'button', 'aria-expanded': 'false', 'aria-controls': `${testid}-qr`, 'data-testid': `${testid}-qr-button`}, 'QR code');
  fig.id = `${testid}-qr`;
  qrButton.addEventListener('click', async () => {
    const open = fig.hidden;
    if (open && !fig.firstChild) {
      try {
        const {qrcode} = await import('./vendor/qrcode.js');
        fig.append(qrSVG(qrcode, url, label), h('figcaption', {}, secret
          ? 'Scan to open it on another device. Anyone with this code can act as you: show it to no one else.'
          : 'Scan to open the page.'));
      } catch (err) {
        status.textContent = `No QR code: ${err.message}`;
        return;
      }
    }
    fig.hidden = !open;
    qrButton.setAttribute('aria-expanded', String(open));
  });
  return h('div', {class: 'share', 'data-testid': testid},
    h('label', {for: id}, label), h('div', {class: 'share-line'}, input, copy, qrButton), status, fig);
}

// qrSVG draws text's QR code (error correction M, the smallest version that holds it) as one SVG
// path of dark modules with a four-module quiet zone, built with the DOM (no markup strings).
function qrSVG(qrcode, text, label) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) d += `M${c + 4},${r + 4}h1v1h-1z`;
    }
  }
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${n + 8} ${n + 8}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `QR code: ${label}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.dataset.modules = String(n);
  const bg = document.createElementNS(ns, 'rect');
  bg.setAttribute('width', String(n + 8));
  bg.setAttribute('height', String(n + 8));
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}

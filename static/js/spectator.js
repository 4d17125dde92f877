// spectator.js: watch any tournament live. The bracket, standings and players follow the socket
// without reloading; the header shows the connection state. A finished (or cancelled) tournament
// can be replayed: the state as it was at any version (GET /api/tournaments/{id}?version=N) is
// drawn by the same renderer, while the live copy keeps following the socket behind it.
//
// spectator.html?t=<id>&embed=1 is the compact view for another site's <iframe>: the tournament
// and its bracket or standings, live, without the page's header, players, replay and downloads,
// with a link to the full page (in a new tab, as every link of the frame). Framed, it tells the
// page around it its height as it changes, so that page can size the frame to fit:
// {type: 'tourhub:embed', tournament, version, height} by postMessage.

import {h, $, param, flash} from './dom.js';
import {api, explain} from './client.js';
import {renderTournament, sectionTitle} from './bracket.js';
import {liveTournament, renderHead, renderDownloads, renderKeeping, historyGoneText} from './page.js';
import {fromSnapshot, seedOrder} from './state.js';
import {hubConfig, publicLink, shareRow} from './share.js';

const tid = param('t');
const embed = param('embed') === '1';
let live = null; // the live model: the socket keeps it up to date, replaying or not
let target = null; // the version the replay shows or is loading; null: the live state
let displayed = null; // the version drawn now; null: the live state
let loading = false; // one version is fetched at a time; the latest choice is fetched next
let historyGone = false; // the hub no longer has the whole history: no replay
const versions = new Map(); // version -> the state as it was then (fetched once)
let embedURL = ''; // the compact view's address, for the HTML to embed it
let embedName = ''; // the tournament's name in that HTML
let told = ''; // the last message to a framing page: the same one is not sent twice

const page = `/spectator.html?t=${encodeURIComponent(tid)}`;
if (embed) startEmbed();
if (!tid) {
  $('#no-tournament').hidden = false;
} else {
  $('#watch-view').hidden = false;
  renderDownloads($('#downloads'), tid);
  if (!embed) renderShare();
  liveTournament(tid, {
    connEl: $('#conn'),
    view: $('#watch-view'),
    render(model, why) {
      // A snapshot may start another history (the store came back older): forget the versions.
      if (why === 'snapshot') versions.clear();
      live = model;
      document.title = `${model.name} - tourhub`;
      $('#version').textContent = String(model.version);
      if (model.status === 'deleted' && target !== null) backToLive(); // nothing to go back to
      if (target === null) show(model);
      if (!embed) renderKeeping($('#keeping'), model);
      updateReplay();
      if (embed) tellParent();
      else if (model.name !== embedName) showEmbedCode(model.name);
    },
  });
  wireReplay();
}

// renderShare offers the page's link on the hub's public address, with a QR code (to put on a
// screen at the venue), and the HTML that embeds the compact view in another site.
function renderShare() {
  publicLink(page).then((url) => {
    embedURL = `${url}&embed=1`;
    $('#share').replaceChildren(shareRow('Link to this page', url, {testid: 'spectator-link'}));
    showEmbedCode(embedName);
  });
}

// showEmbedCode writes the <iframe> to paste, with the tournament's name as the frame's title.
function showEmbedCode(name) {
  embedName = name || '';
  if (!embedURL) return;
  const frame = document.createElement('iframe');
  frame.setAttribute('src', embedURL);
  frame.setAttribute('title', `${embedName || 'Tournament'} (live, tourhub)`);
  frame.setAttribute('width', '100%');
  frame.setAttribute('height', '600');
  frame.setAttribute('style', 'border:0');
  frame.setAttribute('loading', 'lazy');
  $('#embed-code').value = frame.outerHTML;
}

// startEmbed turns the page into the compact view: body.embed (live.css hides the rest), every
// link opening outside the frame, the connection state and the link to the full page at the
// bottom, and the height told to a framing page whenever it changes.
function startEmbed() {
  document.body.classList.add('embed');
  document.head.append(h('base', {target: '_blank'}));
  const bar = $('#embed-bar');
  bar.hidden = false;
  bar.prepend($('#conn'));
  const open = $('#embed-open');
  if (tid) {
    open.href = page.slice(1);
    publicLink(page).then((url) => {
      open.href = url;
    });
  }
  if (window.parent !== window && 'ResizeObserver' in window) new ResizeObserver(tellParent).observe(document.body);
}

// tellParent tells a framing page the view's height and version (public facts: any page may
// frame it, so any may hear them).
function tellParent() {
  if (window.parent === window) return;
  // The content's height, not the frame's (scrollHeight is never less than the frame).
  const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
  const msg = {type: 'tourhub:embed', tournament: tid, version: live ? live.version : 0, height};
  const key = JSON.stringify(msg);
  if (key === told) return;
  told = key;
  window.parent.postMessage(msg, '*');
}

// show draws a model, live or replayed, the same way.
function show(model) {
  renderHead($('#head'), model);
  $('#bracket-title').textContent = sectionTitle(model.format, model.settings);
  renderTournament($('#bracket'), model);
  $('#participants-empty').hidden = model.participants.length > 0;
  // In seed order, top seed first (before the start: as the organiser ordered them so far).
  $('#participants').replaceChildren(...seedOrder(model).map((p) => {
    const flags = [];
    if (p.seed) flags.push(`seed ${p.seed}`);
    if (p.disqualified) flags.push('disqualified');
    else if (p.withdrawn) flags.push('withdrawn');
    else if (p.eliminated) flags.push('eliminated');
    return h('li', {'data-testid': `participant-${p.id}`}, h('span', {}, p.name), h('span', {class: 'muted'}, flags.join(', ')));
  }));
}

function wireReplay() {
  const range = $('#replay-range');
  // Dragging shows the versions already fetched at once; the one let go on is fetched (keys
  // step one version at a time, each a change).
  range.addEventListener('input', () => select(Number(range.value), false));
  range.addEventListener('change', () => select(Number(range.value), true));
  $('#replay-prev').addEventListener('click', () => select((target ?? live.version) - 1, true));
  $('#replay-next').addEventListener('click', () => select((target ?? live.version) + 1, true));
  $('#replay-live').addEventListener('click', backToLive);
}

// select moves the replay to version n (fetching it unless fetch is false and it is not cached).
function select(n, fetch) {
  if (!live || historyGone || !Number.isInteger(n)) return;
  target = Math.min(Math.max(n, 1), live.version);
  updateReplay();
  load(fetch);
}

function backToLive() {
  target = null;
  displayed = null;
  if (live) show(live);
  updateReplay();
}

// load draws the target version, fetching it first unless it was fetched before. While a fetch
// is on its way the user may move on: the newest choice is drawn next, the ones passed over are
// not fetched.
async function load(fetch) {
  if (loading) return;
  while (target !== null && target !== displayed) {
    const n = target;
    let state = versions.get(n);
    if (!state) {
      if (!fetch) return;
      loading = true;
      $('#bracket').setAttribute('aria-busy', 'true');
      try {
        state = await api('GET', `/api/tournaments/${encodeURIComponent(tid)}?version=${n}`);
        versions.set(n, state);
      } catch (err) {
        if (err.code === 'history_gone') {
          noHistory();
        } else {
          flash(explain(err, `Version ${n} could not be shown`), 'error');
          if (displayed === null) backToLive();
          else target = displayed;
          updateReplay();
        }
        return;
      } finally {
        loading = false;
        $('#bracket').removeAttribute('aria-busy');
      }
    }
    if (target !== n) continue; // moved on (or back to live) meanwhile
    displayed = n;
    show(fromSnapshot(state));
    updateReplay();
  }
}

// noHistory: the hub answered 410 history_gone; the live state comes back and the control goes.
function noHistory() {
  historyGone = true;
  const model = live;
  hubConfig().then((c) => {
    $('#replay-gone').textContent = historyGoneText(model, c.limits && c.limits.log_events);
  });
  versions.clear();
  backToLive();
}

// updateReplay shows the control for a finished or cancelled tournament (and while replaying),
// where the slider is, and which version is drawn.
function updateReplay() {
  const over = live && (live.status === 'finished' || live.status === 'cancelled');
  $('#replay-view').hidden = !live || !(over || target !== null);
  $('#replay-controls').hidden = historyGone;
  $('#replay-gone').hidden = !historyGone;
  if (!live || historyGone) return;
  const newest = live.version;
  const at = target ?? newest;
  const range = $('#replay-range');
  range.max = String(newest);
  range.value = String(at);
  range.setAttribute('aria-valuetext', target === null ? `Version ${newest} (live)` : `Version ${at} of ${newest}`);
  const label = $('#replay-label');
  label.textContent = target === null ? `Version ${newest} of ${newest} (live)` : `Version ${at} of ${newest}`;
  label.dataset.shown = displayed === null ? 'live' : String(displayed);
  $('#replay-prev').disabled = at <= 1;
  $('#replay-next').disabled = at >= newest;
  $('#replay-live').disabled = target === null;
  $('#watch-view').classList.toggle('replaying', target !== null);
}

// index.js: the list of tournaments (filtered by status, format and name, a page at a time) and
// the create form.

import {h, $, flash, busy} from './dom.js';
import {api, explain, loadToken} from './client.js';
import {formatLabel, statusLabel} from './bracket.js';
import {mountCreateForm} from './createform.js';

const body = $('#tournaments');
const filter = $('#status-filter');
const format = $('#format-filter');
const name = $('#name-filter');
const more = $('#more');

// pageSize is how many tournaments one request asks for; "Show more" asks for the next page
// (the server's next_cursor), so that a list of thousands is read a page at a time.
const pageSize = 50;
let loads = 0; // only the newest answer is shown when the filters change quickly
let next = ''; // next_cursor of the last page shown; '' when it was the last

// load shows the first page for the filters, or with append the next page below what is shown.
async function load(append = false) {
  const mine = ++loads;
  const q = new URLSearchParams({limit: String(pageSize)});
  if (filter.value) q.set('status', filter.value);
  if (format.value) q.set('format', format.value);
  const n = name.value.trim();
  if (n) q.set('name', n);
  if (append && next) q.set('cursor', next);
  if (!append) {
    next = ''; // a cursor belongs to the filters it was given for
    more.hidden = true;
  }
  try {
    const res = await api('GET', `/api/tournaments?${q}`);
    if (mine !== loads) return;
    const list = (res.tournaments || []).map(row);
    if (append) body.append(...list);
    else body.replaceChildren(...list);
    next = res.next_cursor || '';
    more.hidden = !next;
    const empty = $('#list-empty');
    empty.hidden = body.children.length > 0;
    empty.textContent = n || filter.value || format.value ? 'No tournament matches.' : 'No tournaments yet. Create one below.';
  } catch (err) {
    flash(explain(err, 'Could not load the tournaments'), 'error');
  }
}

function row(t) {
  const id = encodeURIComponent(t.id);
  const links = [h('a', {href: `spectator.html?t=${id}`, 'data-testid': `watch-${t.id}`}, 'Spectator')];
  if (t.status === 'registering' || loadToken(t.id, 'player')) {
    links.push(h('a', {href: `player.html?t=${id}`, 'data-testid': `join-${t.id}`}, loadToken(t.id, 'player') ? 'Player (you)' : 'Join as player'));
  }
  if (loadToken(t.id, 'organiser')) links.push(h('a', {href: `organiser.html?t=${id}`}, 'Organiser'));
  // The roles repeat the table's own (see index.html): phones show the rows as cards.
  return h('tr', {role: 'row', 'data-testid': 'tournament-row', 'data-id': t.id, 'data-status': t.status},
    h('th', {scope: 'row', role: 'rowheader', class: 't-name'}, h('a', {href: `spectator.html?t=${id}`}, t.name)),
    h('td', {role: 'cell', class: 'opt'}, formatLabel(t.format)),
    h('td', {role: 'cell', class: 't-status'}, h('span', {class: `pill pill-${t.status}`}, statusLabel(t.status))),
    h('td', {role: 'cell', class: 'opt'}, String(t.players ?? '')),
    h('td', {role: 'cell', class: 't-links'}, h('span', {class: 'actions', style: 'margin:0'}, links)));
}

$('#filter-form').addEventListener('submit', (e) => {
  e.preventDefault();
  busy($('#refresh'), () => load());
});
filter.addEventListener('change', () => load());
format.addEventListener('change', () => load());
let typing;
name.addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => load(), 250); // one request once the typing pauses
});
more.addEventListener('click', () => busy(more, () => load(true)));
mountCreateForm($('#create'));
load();

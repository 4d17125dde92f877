// index.js: the list of tournaments (with a status filter) and the create form.

import {h, $, flash, busy} from './dom.js';
import {api, explain, loadToken} from './client.js';
import {formatLabel, statusLabel} from './bracket.js';
import {mountCreateForm} from './createform.js';

const body = $('#tournaments');
const filter = $('#status-filter');

let loads = 0; // only the newest answer is shown when the filter changes quickly

async function load() {
  const mine = ++loads;
  const status = filter.value;
  const q = new URLSearchParams({limit: '50'});
  if (status) q.set('status', status);
  try {
    const res = await api('GET', `/api/tournaments?${q}`);
    if (mine !== loads) return;
    const list = res.tournaments || [];
    body.replaceChildren(...list.map(row));
    $('#list-empty').hidden = list.length > 0;
  } catch (err) {
    flash(`Could not load the tournaments: ${explain(err)}`, 'error');
  }
}

function row(t) {
  const id = encodeURIComponent(t.id);
  const links = [h('a', {href: `spectator.html?t=${id}`, 'data-testid': `watch-${t.id}`}, 'Spectator')];
  if (t.status === 'registering' || loadToken(t.id, 'player')) {
    links.push(h('a', {href: `player.html?t=${id}`, 'data-testid': `join-${t.id}`}, loadToken(t.id, 'player') ? 'Player (you)' : 'Join as player'));
  }
  if (loadToken(t.id, 'organiser')) links.push(h('a', {href: `organiser.html?t=${id}`}, 'Organiser'));
  return h('tr', {'data-testid': 'tournament-row', 'data-id': t.id, 'data-status': t.status},
    h('th', {scope: 'row'}, h('a', {href: `spectator.html?t=${id}`}, t.name)),
    h('td', {class: 'opt'}, formatLabel(t.format)),
    h('td', {}, h('span', {class: `pill pill-${t.status}`}, statusLabel(t.status))),
    h('td', {class: 'opt'}, String(t.players ?? '')),
    h('td', {}, h('span', {class: 'actions', style: 'margin:0'}, links)));
}

$('#filter-form').addEventListener('submit', (e) => {
  e.preventDefault();
  busy($('#refresh'), load);
});
filter.addEventListener('change', load);
mountCreateForm($('#create'));
load();

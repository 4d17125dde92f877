// page.js: pieces every live page shares: the connection indicator, the tournament header, and
// loading a tournament over the socket into one model (state.js).

import {h, replace, flash} from './dom.js';
import {Hub, explain} from './client.js';
import {fromSnapshot, applyEvents} from './state.js';
import {formatLabel, statusLabel} from './bracket.js';

// showConn keeps a connection indicator (an element with class conn) in step with the socket.
export function showConn(el, status, detail = {}) {
  el.dataset.state = status;
  let text;
  switch (status) {
    case 'open':
      text = 'Live';
      break;
    case 'connecting':
      text = 'Connecting\u2026';
      break;
    case 'reconnecting':
      text = `${detail.reason || 'Connection lost.'} Reconnecting in ${Math.max(1, Math.round((detail.delay || 0) / 1000))} s\u2026`;
      break;
    case 'stopped':
      text = `Disconnected. ${detail.reason || ''} Reload the page to reconnect.`;
      break;
    default:
      text = status;
  }
  el.textContent = text;
  el.title = text;
}

// liveTournament subscribes to tid and calls render(model, why) after every snapshot or event,
// where why is 'snapshot' or the list of events just applied. It returns the Hub so the page can
// authenticate and report. onNotice receives the player's personal notices.
export function liveTournament(tid, {render, onNotice, onAuth, onError, token, connEl}) {
  let model = null;
  const hub = new Hub({
    onSnapshot(id, state) {
      model = fromSnapshot(state);
      render(model, 'snapshot');
    },
    onEvent(id, events, pos) {
      if (!model) return;
      applyEvents(model, events, pos.version);
      render(model, events);
    },
    onNotice(id, n) {
      if (onNotice) onNotice(n, model);
    },
    onAuth(id, reply) {
      if (onAuth) onAuth(reply);
    },
    onStatus(status, detail) {
      if (connEl) showConn(connEl, status, detail);
    },
    onError(err, msg) {
      if (onError && onError(err, msg)) return;
      if (err.code === 'not_found') {
        flash(`There is no tournament "${tid}". Check the link, or pick one from the list of tournaments.`, 'error');
        return;
      }
      flash(explain(err), 'error');
    },
  });
  if (token) hub.auth(tid, token);
  hub.subscribe(tid);
  return hub;
}

// renderHead fills the tournament header: name, status, format, settings, players.
export function renderHead(el, model) {
  const s = model.settings || {};
  const facts = [
    h('li', {}, formatLabel(model.format)),
    h('li', {}, `Best of ${s.best_of || 1}`),
    h('li', {'data-testid': 'player-count'}, `${model.participants.length}${s.max_players ? ` / ${s.max_players}` : ''} players`),
  ];
  if (model.format === 'single_elimination' && s.third_place) facts.push(h('li', {}, 'Third-place match'));
  if (model.format === 'double_elimination') facts.push(h('li', {}, `Grand final: ${s.grand_final || 'reset'}`));
  if (model.format === 'round_robin' && s.groups > 1) facts.push(h('li', {}, `${s.groups} groups`));
  if (model.format === 'swiss') facts.push(h('li', {}, `Round ${model.round || 0}${s.rounds ? ` of ${s.rounds}` : ''}`));
  if (s.require_check_in) facts.push(h('li', {}, 'Check-in required'));
  replace(el,
    h('div', {class: 't-head'},
      h('h1', {'data-testid': 'tournament-name'}, model.name),
      h('span', {class: `pill pill-${model.status}`, 'data-testid': 'tournament-status', 'data-status': model.status}, statusLabel(model.status))),
    h('ul', {class: 'facts'}, facts),
    model.note ? h('p', {class: 'hint'}, model.note) : null);
}

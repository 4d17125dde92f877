// page.js: pieces every live page shares: the connection indicator, the tournament header, and
// loading a tournament over the socket into one model (state.js).

import {h, $, replace, flash} from './dom.js';
import {Hub, explain} from './client.js';
import {fromSnapshot, applyEvents, groupStageOver} from './state.js';
import {formatLabel, statusLabel} from './bracket.js';
import {hubConfig} from './share.js';

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
    case 'ended':
      text = detail.reason || 'Not live: the tournament was deleted.';
      break;
    default:
      text = status;
  }
  el.textContent = text;
  el.title = text;
}

// endLive stops following a tournament that was deleted (or never was): the hub sends nothing
// more for it (and would refuse a resubscribe after a reconnect), so the socket is closed and the
// indicator says the page is not live, and why (reason; by default: deleted).
export function endLive(hub, connEl, reason = '') {
  if (!hub || hub.ended) return;
  hub.ended = true;
  hub.close();
  if (connEl) showConn(connEl, 'ended', {reason});
}

// showMissing puts one message in place of the page's view (the element view) when the hub has
// no tournament tid: never created, mistyped, deleted, or past its retention. It says so once,
// with the way to the list, in the page's #no-tournament section.
export function showMissing(view, tid) {
  if (view) view.hidden = true;
  const box = $('#no-tournament');
  replace(box,
    h('h1', {}, 'Tournament not found'),
    h('p', {'data-testid': 'not-found'}, `There is no tournament \u201c${tid}\u201d on this hub. The link may be mistyped, or the tournament was deleted or has expired. `,
      h('a', {href: 'index.html', 'data-testid': 'not-found-list'}, 'See the list of tournaments'), '.'));
  box.hidden = false;
  document.title = 'Tournament not found - tourhub';
}

// liveTournament subscribes to tid and calls render(model, why) after every snapshot or event,
// where why is 'snapshot' or the list of events just applied. It returns the Hub so the page can
// authenticate and report. onNotice receives the player's personal notices; onAuth and
// onSubscribed the hub's auth_ok and subscribed replies (again on every connection); onStatus(status,
// detail) the connection's states (as the indicator shows them). With view (the element that
// shows the tournament), a tournament the hub does not have replaces it with one message
// (showMissing) and the page stops following it.
export function liveTournament(tid, {render, onNotice, onAuth, onSubscribed, onError, onStatus, token, connEl, view}) {
  let model = null;
  const hub = new Hub({
    onSnapshot(id, state) {
      model = fromSnapshot(state);
      render(model, 'snapshot');
    },
    onEvent(id, events, pos) {
      if (!model) return;
      applyEvents(model, events, pos.version);
      if (model.status === 'deleted') endLive(hub, connEl);
      render(model, events);
    },
    onNotice(id, n) {
      if (onNotice) onNotice(n, model);
    },
    onAuth(id, reply) {
      if (onAuth) onAuth(reply);
    },
    onSubscribed(id, reply) {
      if (onSubscribed) onSubscribed(reply);
    },
    onStatus(status, detail) {
      if (connEl && !hub.ended) showConn(connEl, status, detail);
      if (onStatus) onStatus(status, detail);
    },
    onError(err, msg) {
      if (onError && onError(err, msg)) return;
      if (err.code === 'not_found' && msg.tournament && !msg.ref) {
        // The hub ended the subscription: the tournament went while we watched it.
        endLive(hub, connEl);
        flash(`Tournament "${tid}" is no longer on the hub: it was deleted, or its retention ran out.`, 'error');
        return;
      }
      if (err.code === 'not_found') {
        if (view) {
          endLive(hub, connEl, 'Not live: no such tournament.');
          showMissing(view, tid);
          return;
        }
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

// renderHead fills the tournament header: name, description, status, format, settings, players.
// The description is text (its line breaks kept by the stylesheet), never markup. A deleted
// tournament gets a banner instead of its facts.
export function renderHead(el, model) {
  const description = model.description
    ? h('p', {class: 'description', 'data-testid': 'tournament-description'}, model.description) : null;
  if (model.status === 'deleted') {
    replace(el,
      h('div', {class: 't-head'},
        h('h1', {'data-testid': 'tournament-name'}, model.name),
        h('span', {class: 'pill pill-deleted', 'data-testid': 'tournament-status', 'data-status': model.status}, statusLabel(model.status))),
      description,
      h('p', {class: 'banner banner-deleted', role: 'alert', 'data-testid': 'deleted-banner'}, 'This tournament was deleted by its organiser.'));
    return;
  }
  const s = model.settings || {};
  const facts = [
    h('li', {}, formatLabel(model.format)),
    h('li', {}, `Best of ${s.best_of || 1}`),
    h('li', {'data-testid': 'player-count'}, `${model.participants.length}${s.max_players ? ` / ${s.max_players}` : ''} players`),
  ];
  if (model.format === 'single_elimination' && s.third_place) facts.push(h('li', {}, 'Third-place match'));
  if (model.format === 'double_elimination') facts.push(h('li', {}, `Grand final: ${s.grand_final || 'reset'}`));
  if (model.format === 'round_robin' && s.legs === 2) facts.push(h('li', {'data-testid': 'double-round-robin'}, 'Double round robin'));
  if (model.format === 'round_robin' && s.groups > 1) facts.push(h('li', {}, `${s.groups} groups`));
  if (model.format === 'swiss') facts.push(h('li', {}, `Round ${model.round || 0}${s.rounds ? ` of ${s.rounds}` : ''}`));
  if (s.playoff) facts.push(h('li', {'data-testid': 'playoff-settings'}, playoffText(model.format, s.playoff)));
  if (s.require_check_in) facts.push(h('li', {}, 'Check-in required'));
  const stage = stageText(model);
  if (stage) facts.unshift(h('li', {class: 'stage-now', 'data-testid': 'stage', 'data-stage': model.stage || 1}, stage));
  replace(el,
    h('div', {class: 't-head'},
      h('h1', {'data-testid': 'tournament-name'}, model.name),
      h('span', {class: `pill pill-${model.status}`, 'data-testid': 'tournament-status', 'data-status': model.status}, statusLabel(model.status))),
    description,
    h('ul', {class: 'facts'}, facts),
    model.note ? h('p', {class: 'hint'}, model.note) : null);
}

// playoffText describes a two-stage tournament's playoff: its format, who goes on, best of.
function playoffText(format, p) {
  const who = format === 'round_robin' ? `top ${p.advance} of each group` : `top ${p.advance}`;
  return `Then a ${formatLabel(p.format).toLowerCase()} playoff (${who}, best of ${p.best_of || 1})`;
}

// stageText says which stage a running two-stage tournament is in ('' for any other).
function stageText(model) {
  if (!model.settings || !model.settings.playoff || model.status !== 'running') return '';
  if (model.stage === 2) return 'Playoff';
  return groupStageOver(model) ? 'Group stage over: waiting for the playoff' : 'Group stage';
}

// renderDownloads fills el with links to the tournament's exports: the whole tournament as a file
// (it can be imported again on the organiser page) and the standings and matches for
// spreadsheets.
export function renderDownloads(el, tid) {
  const base = `/api/tournaments/${encodeURIComponent(tid)}/export`;
  replace(el,
    h('li', {}, h('a', {href: base, download: `${tid}.json`, 'data-testid': 'download-json'}, 'Download results (JSON)')),
    h('li', {}, h('a', {href: `${base}/standings.csv`, download: `${tid}-standings.csv`, 'data-testid': 'download-standings'}, 'Standings (CSV)')),
    h('li', {}, h('a', {href: `${base}/matches.csv`, download: `${tid}-matches.csv`, 'data-testid': 'download-matches'}, 'Matches (CSV)')));
}

// goDuration reads a duration as the hub writes it (Go's form: "2h0m0s", "90m", "1.5s") in
// milliseconds; NaN when it is not one.
export function goDuration(s) {
  const unit = {h: 3600e3, m: 60e3, s: 1e3, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6};
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let ms = 0;
  let end = 0;
  for (let m; (m = re.exec(s)) !== null; end = re.lastIndex) ms += Number(m[1]) * unit[m[2]];
  return typeof s === 'string' && s !== '' && end === s.length ? ms : NaN;
}

// durationWords says a length of time in its two largest units, rounded down: "7 days",
// "1 hour 30 minutes".
export function durationWords(ms) {
  const units = [['day', 86400e3], ['hour', 3600e3], ['minute', 60e3], ['second', 1e3]];
  const word = (n, name) => `${n} ${name}${n === 1 ? '' : 's'}`;
  const t = Math.round(ms / 1e3) * 1e3;
  const i = units.findIndex(([, size]) => t >= size);
  if (i < 0) return 'less than a second';
  const n = Math.floor(t / units[i][1]);
  const next = units[i + 1];
  const rest = next ? Math.floor((t - n * units[i][1]) / next[1]) : 0;
  return rest > 0 ? `${word(n, units[i][0])} ${word(rest, next[0])}` : word(n, units[i][0]);
}

// keepingText says how long the hub keeps the tournament and its history (its settings'
// retention, and the node's log cap when the node tells it): where the downloads are, so that an
// organiser or a player knows when to take a copy.
export function keepingText(model, logEvents) {
  const r = (model.settings && model.settings.retention) || {};
  const [finished, idle, log] = [r.finished, r.idle, r.log].map(goDuration);
  const changes = logEvents ? `the last ${logEvents.toLocaleString('en')} changes` : 'its changes';
  if (!(finished > 0 && idle > 0 && log > 0)) {
    return `This hub keeps a tournament, and ${changes} for replays, for a limited time after its last change. ` +
      'Download the results (JSON) to keep them: the create page imports the file into any hub.';
  }
  return `This hub keeps the tournament for ${durationWords(finished)} after its last change once it is over ` +
    `(${durationWords(idle)} while it is not), and its history (${changes}, for replays) for ${durationWords(log)}. ` +
    'Download the results (JSON) to keep them longer: the create page imports the file into any hub.';
}

// historyGoneText says why a replay cannot go back: the log no longer holds the whole history.
export function historyGoneText(model, logEvents) {
  const log = goDuration(model.settings && model.settings.retention && model.settings.retention.log);
  const what = logEvents ? `the last ${logEvents.toLocaleString('en')} changes of a tournament` : 'a tournament\'s changes';
  const when = log > 0 ? ` for ${durationWords(log)} after its last change` : ' for a limited time';
  return `The history of this tournament is no longer kept: this hub keeps ${what}${when}.`;
}

// renderKeeping fills el with keepingText, once the node's log cap is known.
export function renderKeeping(el, model) {
  hubConfig().then((c) => {
    const text = keepingText(model, c.limits && c.limits.log_events);
    if (el.textContent !== text) el.textContent = text;
  });
}

// checkInOpensText says when a scheduled check-in window opens ("at 4 Dec 2026, 13:00, 1 hour
// before the scheduled start"), for the pages that wait for it.
export function checkInOpensText(model) {
  const s = model.settings || {};
  const span = goDuration(s.check_in_window);
  const opens = new Date(Date.parse(s.scheduled_start) - span);
  return Number.isNaN(opens.getTime()) ? 'before the scheduled start'
    : `at ${opens.toLocaleString([], {dateStyle: 'medium', timeStyle: 'short'})}, ${durationWords(span)} before the scheduled start`;
}

// player.js: the player's page. Join by name (the player token is kept in localStorage), or open
// the personal link the organiser handed out (player.html?t=<id>#token=<token>), check in, see the
// next match and opponent (from the model and the hub's personal notices), report scores over the
// socket, and read notices as they arrive (and those of earlier visits: a reload or another device
// fetches them from the hub, and none is shown twice). With the browser's permission it shows a
// notification when a match of the player's becomes ready, and it offers the player's personal
// link (with a QR code) to go on on another device.

import {h, $, param, flash, busy, replace, keepState, ordinal, rankText} from './dom.js';
import {api, explain, loadToken, saveToken, forgetToken, tokenClaims, newSubmissionID, retrying, linkToken, dropLinkToken} from './client.js';
import {renderTournament, roundNamer, sectionTitle} from './bracket.js';
import {nameOf, nextMatchFor, opponentOf, playerById, groupStageOver, checkInOpen} from './state.js';
import {liveTournament, renderHead, checkInOpensText} from './page.js';
import {parseGames, gamesKey, reportText} from './games.js';
import {hubConfig, publicLink, shareRow} from './share.js';

const tid = param('t');
const path = (p = '') => `/api/tournaments/${encodeURIComponent(tid)}${p}`;
adoptLinkToken(); // before the stored token is read: a personal link wins
let token = tid ? loadToken(tid, 'player') : null;
let pid = token ? playerIdOf(token) : 0;
let model = null;
let hub = null;
const shownNotices = new Set(); // noticeKey of every notice in the list: none is shown twice
let noticesAfter = 0; // the version the hub's list of notices went up to (GET .../notices)
let noticeLoads = 0; // only the newest answer of GET .../notices is used
// Live notices reach a socket once the hub has both its auth and its subscription, and a replay
// or a snapshot repeats none: a notice committed before that (while the page loaded, the socket
// was down, or before a join) is fetched once both are there, on every connection.
let authed = false; // auth_ok on this connection
let subscribed = false; // subscribed on this connection
const nonce = Math.random().toString(36).slice(2, 8);
let limits = {name: 64, game_points: 10000}; // the hub's (GET /api/config), once it answers
let linkFor = null; // the token the personal link shown was made with
let announced = ''; // the last sentence #next-announce said

function playerIdOf(t) {
  const c = tokenClaims(t);
  return c && c.pid ? Number(c.pid) : Number(localStorage.getItem(`tourhub:pid:${tid}`)) || 0;
}

// adoptLinkToken signs this browser in with a personal link: a token in the fragment (which no
// server sees) that is a player's of this tournament is kept like a joined player's and taken out
// of the address bar. A token of another tournament or role, or one that cannot be read, is
// refused with a message and the page stays as it was.
function adoptLinkToken() {
  const link = tid ? linkToken() : null;
  if (!link) return;
  const {token: t, claims: c} = link;
  let problem = '';
  if (!c || typeof c !== 'object') {
    problem = 'This personal link is damaged: its key cannot be read. Open it exactly as you got it, or ask the organiser for it again.';
  } else if (c.role !== 'player') {
    problem = `This link holds ${c.role === 'organiser' ? 'an organiser key' : 'a key'}, not a player's, so it does not sign you in as a player. Ask the organiser for your personal player link.`;
  } else if (c.tid !== tid) {
    problem = 'This personal link is for another tournament, not this one. Open the link exactly as you got it, or ask the organiser for the link to this tournament.';
  } else if (!c.pid) {
    problem = 'This personal link names no player. Ask the organiser for your personal link again.';
  } else if (c.exp && c.exp * 1000 < Date.now()) {
    problem = 'This personal link has expired. Ask the organiser for a new one.';
  }
  if (problem) {
    flash(problem, 'error');
    return;
  }
  saveToken(tid, 'player', t);
  try {
    localStorage.setItem(`tourhub:pid:${tid}`, String(c.pid));
  } catch (e) {
    /* storage unavailable: the token itself names the player */
  }
  dropLinkToken();
  flash('You are signed in with your personal link. This browser remembers you for this tournament.', 'ok');
}

// A personal link opened in a tab already showing this page changes only the fragment: load again
// to sign in with it.
window.addEventListener('hashchange', () => {
  if (/(?:^#|&)token=/.test(location.hash)) location.reload();
});

if (!tid) {
  $('#no-tournament').hidden = false;
} else {
  $('#player-view').hidden = false;
  hubConfig().then((c) => {
    limits = {...limits, ...c.limits};
    $('#join-name').maxLength = limits.name;
  });
  hub = liveTournament(tid, {
    token,
    connEl: $('#conn'),
    view: $('#player-view'),
    render(m) {
      model = m;
      render();
    },
    onNotice: addNotice,
    onStatus(status) {
      if (status === 'open') authed = subscribed = false;
    },
    onAuth() {
      authed = true;
      if (subscribed) loadNotices();
    },
    onSubscribed() {
      subscribed = true;
      if (authed) loadNotices();
    },
    onError(err) {
      if (err.code === 'unauthorized' && err.tournament === tid) {
        flash('The hub no longer accepts your player key (it expired or is for another tournament). You can still watch; join again to play if registration is open.', 'error');
        return true;
      }
      return false;
    },
  });
  wire();
  wireNotify();
  loadNotices(); // the messages of earlier visits (a reload, another device), before the socket is up
}

// join joins over the socket when it is open: one message, and the socket is the player's at
// once. Otherwise, or when the socket join got no answer (the connection dropped, the hub was
// shutting down: it may have been committed), it goes over HTTP with retries and the same
// submission_id, which answers that player if it was, and the socket authenticates with the
// token.
async function join(body) {
  if (hub.isOpen()) {
    try {
      return await hub.join(tid, body);
    } catch (err) {
      if (!['network', 'unavailable'].includes(err.code)) throw err;
    }
  }
  const res = await retrying(() => api('POST', path('/players'), body));
  hub.auth(tid, res.token);
  return res;
}

function wire() {
  $('#join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('#join-name').value.trim();
    if (!name) {
      flash('Enter the name you want to play under.', 'error');
      $('#join-name').focus();
      return;
    }
    // One submission id per join attempt, kept across the retries: a join answered 503 (or lost on
    // the way back) may have been committed, and its repeat then answers that player.
    const body = {name, submission_id: newSubmissionID()};
    const rating = $('#join-rating').value.trim();
    if (rating !== '') body.rating = Number(rating);
    busy($('#join-submit'), async () => {
      try {
        const res = await join(body);
        token = res.token;
        pid = res.player_id;
        saveToken(tid, 'player', token);
        localStorage.setItem(`tourhub:pid:${tid}`, String(pid));
        flash(`You joined as ${name}.`, 'ok');
        if (model) render(); // its notices are fetched on the hub's auth_ok
      } catch (err) {
        flash(explain(err, 'Could not join'), 'error');
      }
    });
  });
  $('#check-in').addEventListener('click', (e) => post(e.currentTarget, 'POST', '/check-in', {}, 'You are checked in.'));
  $('#leave').addEventListener('click', (e) => busy(e.currentTarget, async () => {
    try {
      await api('DELETE', path(`/players/${pid}`), undefined, token);
      forgetToken(tid, 'player');
      token = null;
      pid = 0;
      forgetNotices();
      flash('You left the tournament.', 'ok');
      render();
    } catch (err) {
      flash(explain(err), 'error');
    }
  }));
  $('#withdraw').addEventListener('click', () => {
    $('#withdraw-confirm').hidden = false;
    $('#withdraw-yes').focus();
  });
  $('#withdraw-no').addEventListener('click', () => {
    $('#withdraw-confirm').hidden = true;
  });
  $('#withdraw-yes').addEventListener('click', async (e) => {
    await post(e.currentTarget, 'POST', `/players/${pid}/withdraw`, {}, 'You withdrew from the tournament.');
    $('#withdraw-confirm').hidden = true;
  });
}

function post(button, method, p, body, ok) {
  return busy(button, async () => {
    try {
      await api(method, path(p), body, token);
      if (ok) flash(ok, 'ok');
    } catch (err) {
      flash(explain(err), 'error');
    }
  });
}

function render() {
  renderHead($('#head'), model);
  $('#bracket-title').textContent = sectionTitle(model.format, model.settings);
  if (model.status === 'deleted') {
    // Nothing left to do here: the banner in the header says why.
    for (const id of ['#join-view', '#me-view', '#next-view', '#notices-view']) $(id).hidden = true;
    keepState($('#bracket'), () => renderTournament($('#bracket'), model, {me: pid}));
    return;
  }
  const me = pid ? playerById(model, pid) : null;
  const registering = model.status === 'registering';
  const running = model.status === 'running';
  $('#join-view').hidden = Boolean(me) || !registering;
  if (!me && !registering && !token) {
    $('#join-view').hidden = true;
  }
  $('#me-view').hidden = !me && !token;
  $('#notices-view').hidden = !token;
  if (me) {
    const flags = [];
    if (me.seed) flags.push(`seed ${me.seed}`);
    if (me.checked_in) flags.push('checked in');
    if (me.disqualified) flags.push('disqualified');
    else if (me.withdrawn) flags.push('withdrawn');
    else if (me.eliminated) flags.push('eliminated');
    replace($('#me'), 'You play as ', h('strong', {'data-testid': 'my-name', 'data-player-id': pid}, me.name),
      flags.length ? ` (${flags.join(', ')})` : '', placement(me));
  } else if (token) {
    replace($('#me'), registering ? 'You are no longer registered.' : 'You are not part of this tournament.');
  }
  // Check in only while the hub takes it: check-in required and, with a window, opened.
  const s = model.settings || {};
  const waiting = me && registering && !me.checked_in;
  $('#check-in').hidden = !(waiting && checkInOpen(model));
  const later = waiting && s.check_in_window && !checkInOpen(model);
  $('#check-in-hint').hidden = !later;
  if (later) $('#check-in-hint').textContent = `Check-in opens ${checkInOpensText(model)}. Check in then: whoever has not checked in at the start is dropped.`;
  $('#leave').hidden = !(me && registering);
  $('#withdraw').hidden = !(me && running && !me.withdrawn && !me.eliminated);
  $('#notify').hidden = !me || !('Notification' in window) || model.status === 'finished' || model.status === 'cancelled';
  renderDeviceLink(me);
  keepState($('#next-match'), renderNext);
  keepState($('#bracket'), () => renderTournament($('#bracket'), model, {me: pid}));
}

function placement(me) {
  if (model.status !== 'finished') return null;
  const row = model.standings.find((r) => r.player_id === me.id);
  if (!row) return null;
  const text = row.rank_to > row.rank ? `${ordinal(row.rank)}-${ordinal(row.rank_to)}` : ordinal(row.rank);
  return h('span', {'data-testid': 'my-placement', 'data-rank': rankText(row.rank, row.rank_to)}, `. You placed ${text}.`);
}

// renderNext fills the "your next match" panel: which match, against whom (or whose result it
// waits for), its deadline when the tournament has a time limit, where things stand with the
// reports, and the form to report the score. A sentence summing it up is announced (role=status)
// when it changes, not the whole panel on every redraw.
function renderNext() {
  const box = $('#next-match');
  const me = pid ? playerById(model, pid) : null;
  $('#next-view').hidden = !me || model.status !== 'running';
  if (!me || model.status !== 'running') {
    box.replaceChildren();
    announce('');
    return;
  }
  const m = nextMatchFor(model, pid);
  if (!m) {
    box.dataset.matchId = '';
    box.dataset.status = '';
    const text = waitingText(me);
    replace(box, h('p', {'data-testid': 'no-match'}, text));
    announce(text);
    return;
  }
  box.dataset.matchId = m.id;
  box.dataset.status = m.status;
  const side = m.players[0] === pid ? 0 : 1;
  const opp = m.players[side] === pid ? opponentOf(m, pid) : m.players[1 - side] || 0;
  const oppName = opp ? nameOf(model, opp) : '';
  const open = m.status === 'ready' || m.status === 'disputed';
  const parts = [
    h('p', {class: 'next-where'}, matchLabel(m), ' ',
      h('span', {class: `badge badge-${m.status}`, 'data-testid': 'next-status'}, open ? (m.status === 'disputed' ? 'Disputed' : 'Ready to play') : 'Not open yet')),
    h('p', {class: 'next-vs'}, 'You against ', opp
      ? h('strong', {'data-testid': 'opponent'}, oppName)
      : h('span', {class: 'tbd', 'data-testid': 'opponent-tbd'}, waitingFor(m, 1 - side))),
    open ? deadlineLine(m) : null,
  ];
  if (!open) {
    parts.push(h('p', {class: 'hint'}, opp
      ? 'This match is not open yet: it starts with its round. You will be told here when it is ready.'
      : 'You will be told here when your opponent is known and the match is ready.'));
    replace(box, parts);
    announce(`Your next match, ${matchLabel(m).toLowerCase()}, is against ${oppName || waitingFor(m, 1 - side)}. It is not open yet.`);
    return;
  }
  const mine = m.reports && m.reports[side];
  const theirs = m.reports && m.reports[1 - side];
  if (m.status === 'disputed') {
    parts.push(h('p', {class: 'msg msg-error'}, 'You and your opponent reported different scores. The organiser will decide; you can also report again.'));
  } else if (mine) {
    parts.push(h('p', {'data-testid': 'my-report'}, `You reported ${reportText(mine)}. Waiting for ${oppName} to confirm.`));
  } else if (theirs) {
    parts.push(h('p', {}, `${oppName} reported ${reportText(theirs)} (${nameOf(model, m.players[0])} first). If that is right, report the same score; if not, report the real one and the organiser will decide.`));
  }
  parts.push(h('p', {class: 'next-jump'}, h('a', {href: '#report-form', 'data-testid': 'next-report-link'}, mine ? 'Report again' : 'Report the score')));
  parts.push(reportForm(m, side));
  replace(box, parts);
  announce(`Your ${matchLabel(m).toLowerCase()} against ${oppName} is ${m.status === 'disputed' ? 'disputed' : 'ready'}.`);
}

// announce says text in the panel's status line, once: redraws that change nothing say nothing.
function announce(text) {
  if (text === announced) return;
  announced = text;
  $('#next-announce').textContent = text;
}

// matchLabel names a match as the bracket's columns do: "Semi-final, match 5", "Losers round 3,
// match 9", "Group 2, round 1, match 3".
function matchLabel(m) {
  let where = `Round ${m.round}`;
  if (m.bracket === 'group') {
    if (m.group > 1 || (model.settings.groups || 1) > 1) where = `Group ${m.group || 1}, round ${m.round}`;
  } else if (['winners', 'losers', 'grand_final', 'third_place'].includes(m.bracket)) {
    where = roundNamer(model.matches)(m);
  }
  return `${where}, match ${m.id}`;
}

// waitingFor says who will fill an undecided slot: "the winner of match 3".
function waitingFor(m, i) {
  const f = m.feeds && m.feeds[i];
  if (f && f.match) return `the ${f.take === 'loser' ? 'loser' : 'winner'} of match ${f.match} (still to be played)`;
  return 'an opponent still to be decided';
}

// deadlineLine says by when an open match must be reported (a time limit), in the player's time
// zone (with the day unless it is today), and what happens after; near or past it, highlighted.
function deadlineLine(m) {
  if (!m.deadline) return null;
  const d = new Date(m.deadline);
  if (Number.isNaN(d.getTime())) return null;
  const today = d.toDateString() === new Date().toDateString();
  const when = d.toLocaleString([], today ? {hour: '2-digit', minute: '2-digit'} : {weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit'});
  const rule = model.settings.on_timeout === 'organiser' ? 'After that the organiser decides.' : 'If nobody has reported by then, you both forfeit.';
  const cls = ['next-deadline'];
  if (m.overdue) cls.push('overdue');
  else if (m.warned) cls.push('near');
  return h('p', {class: cls.join(' '), 'data-testid': 'next-deadline'},
    m.overdue ? 'Time ran out at ' : 'Report the result by ',
    h('time', {datetime: d.toISOString()}, when),
    m.overdue ? '. The organiser decides.' : `. ${rule}`);
}

// waitingText says why the player has no match to play now.
function waitingText(me) {
  if (me.eliminated || me.withdrawn) return 'You have no more matches.';
  if (groupStageOver(model)) {
    const seed = model.qualifiers.indexOf(me.id) + 1;
    return seed
      ? `The group stage is over and you qualified for the playoff (seed ${seed} as it stands). Your playoff match appears here when the organiser starts the playoff.`
      : 'The group stage is over and, as it stands, you did not qualify for the playoff. The organiser starts the playoff and may still change who plays it.';
  }
  return 'No match for you right now. Wait for the next round.';
}

// reportForm asks for the series score, in the match's player order (scores[0] is players[0]),
// and optionally each game's points (the first player's first).
function reportForm(m, side) {
  const best = model.settings.best_of || 1;
  const most = Math.floor(best / 2) + 1; // the wins that decide a best of `best`: no side has more
  const inputs = [0, 1].map((i) => h('input', {type: 'number', class: 'score-input', id: `report-${m.id}-score-${i}`, 'data-slot': i, min: 0, max: most, step: 1, required: true, inputmode: 'numeric'}));
  const gamesId = `report-${m.id}-games`;
  const gamesInput = h('input', {type: 'text', class: 'games-input', id: gamesId, 'data-testid': 'report-games', autocomplete: 'off',
    spellcheck: 'false', placeholder: '11-3 8-11 11-9', 'aria-describedby': `${gamesId}-hint`});
  const form = h('form', {class: 'score-row', id: 'report-form', 'data-testid': 'report-form', 'data-match-id': m.id, 'data-my-slot': side},
    [0, 1].map((i) => h('div', {}, h('label', {for: `report-${m.id}-score-${i}`},
      `Games won by ${nameOf(model, m.players[i])}${i === side ? ' (you)' : ''}`), inputs[i])),
    h('div', {}, h('label', {for: gamesId}, 'Game points (optional)'), gamesInput),
    h('button', {type: 'submit', class: 'primary', id: 'report-submit'}, 'Report score'),
    h('p', {class: 'hint games-hint', id: `${gamesId}-hint`},
      `Game points: each game as ${nameOf(model, m.players[0])}'s points-${nameOf(model, m.players[1])}'s points, separated by spaces or commas, for example 11-3 8-11 11-9.`));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const scores = inputs.map((x) => Number(x.value));
    if (inputs.some((x) => x.value === '') || scores.some((s) => !Number.isInteger(s) || s < 0 || s > most)) {
      flash(`Enter the games each player won, whole numbers from 0 to ${most} (best of ${best}).`, 'error');
      return;
    }
    const parsed = parseGames(gamesInput.value, {maxPoints: limits.game_points, maxGames: best});
    if (parsed.error) {
      flash(`Nothing was reported: ${parsed.error}`, 'error');
      gamesInput.focus();
      return;
    }
    const games = parsed.games;
    const sid = `p${pid}-m${m.id}-${scores[0]}-${scores[1]}${games ? `-g${gamesKey(games)}` : ''}-${nonce}`;
    busy($('#report-submit'), async () => {
      try {
        const res = await hub.report(tid, m.id, scores, sid, games);
        const done = res.match && res.match.status === 'completed';
        flash(done ? `Result ${scores[0]}-${scores[1]} confirmed.` : res.match && res.match.status === 'disputed'
          ? 'Your score differs from your opponent\'s: the organiser will decide.' : `Reported ${scores[0]}-${scores[1]}. Waiting for your opponent to confirm.`, 'ok');
      } catch (err) {
        flash(explain(err, 'Your report was not recorded'), 'error');
      }
    });
  });
  return form;
}

// renderDeviceLink offers the player's personal link (this page with their key in the fragment,
// on the hub's public address) with a QR code, to go on on a phone or another computer. It is made
// again only when the key changes, so an open QR code stays open while events arrive.
function renderDeviceLink(me) {
  const box = $('#device-link');
  box.hidden = !me || !token;
  if (box.hidden || linkFor === token) return;
  linkFor = token;
  const forToken = token;
  publicLink(`/player.html?t=${encodeURIComponent(tid)}#token=${encodeURIComponent(token)}`).then((url) => {
    if (forToken !== token) return; // left or joined again meanwhile
    replace($('#device-link-body'),
      shareRow('Your personal link', url, {testid: 'personal-link', secret: true}),
      h('p', {class: 'hint'}, 'Open it on your phone or another computer to go on there as yourself. It signs you in: give it to nobody else.'));
  });
}

// Notifications: with the browser's permission (asked when the player clicks the button, never
// before) and the player's choice (kept per tournament in this browser), a match of theirs that
// becomes ready shows a notification while this page is open, in a background tab too. It comes
// from the hub's live match_ready notice; the notices fetched for a past visit show none.
const notifyKey = () => `tourhub:notify:${tid}`;
let asking = false; // a permission prompt is open

function notifyWanted() {
  try {
    return localStorage.getItem(notifyKey()) === '1';
  } catch (e) {
    return false;
  }
}

function setNotifyWanted(on) {
  try {
    if (on) localStorage.setItem(notifyKey(), '1');
    else localStorage.removeItem(notifyKey());
  } catch (e) {
    /* storage unavailable: on for this visit only is not worth the confusion; stays off */
  }
}

function notifyOn() {
  return 'Notification' in window && Notification.permission === 'granted' && notifyWanted();
}

function wireNotify() {
  if (!('Notification' in window)) return; // this browser has none: #notify stays hidden
  showNotify();
  $('#notify-button').addEventListener('click', async () => {
    if (asking) return;
    if (notifyOn()) {
      setNotifyWanted(false);
      showNotify();
      return;
    }
    // Asked on each click that turns them on: granted already, the browser answers at once.
    let perm = Notification.permission;
    if (perm !== 'denied') {
      asking = true;
      try {
        perm = await Notification.requestPermission();
      } catch (e) {
        perm = Notification.permission;
      } finally {
        asking = false;
      }
    }
    setNotifyWanted(perm === 'granted');
    showNotify();
  });
}

// showNotify shows whether notifications are on (the button is a toggle: aria-pressed) and, when
// the browser blocks them, how to allow them.
function showNotify() {
  const perm = Notification.permission;
  const on = notifyOn();
  const button = $('#notify-button');
  button.setAttribute('aria-pressed', String(on));
  button.disabled = perm === 'denied';
  $('#notify-status').textContent = perm === 'denied'
    ? 'Notifications are blocked for this site. Allow them in your browser\'s site settings, then reload.'
    : on ? 'On: this browser tells you when a match of yours is ready, while this page is open (in a background tab too).' : '';
}

// notifyReady shows a notification for a live match_ready notice, one per match (the tag: a
// second tab of the same player replaces it rather than adding one).
function notifyReady(n) {
  if (!notifyOn()) return;
  const who = n.opponent && n.opponent.name;
  const d = n.deadline ? new Date(n.deadline) : null;
  const body = [model ? model.name : '', n.text || '',
    d && !Number.isNaN(d.getTime()) ? `Report by ${d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})}.` : ''].filter(Boolean).join(' ');
  try {
    const note = new Notification(who ? `Your match against ${who} is ready` : 'Your match is ready',
      {body, tag: `tourhub:${tid}:${n.match || ''}`, icon: 'favicon.svg', lang: 'en'});
    note.onclick = () => {
      window.focus();
      $('#next-view').scrollIntoView();
      note.close();
    };
  } catch (e) {
    // Chrome on Android shows notifications only from a service worker, which this page has not:
    // the notice in the list and the panel still say it.
  }
}

// loadNotices fetches the player's notices the page has not shown (GET .../notices: every one
// after the version the last answer went up to, derived from the log exactly as the live ones)
// and adds them to the list; the live ones keep coming meanwhile, and none is shown twice.
async function loadNotices() {
  if (!tid || !token) return;
  const mine = ++noticeLoads;
  const forToken = token;
  let res;
  try {
    res = await api('GET', path(`/notices?after=${noticesAfter}`), undefined, forToken);
  } catch (err) {
    // A refused key or a deleted tournament is said by the socket already.
    if (!['unauthorized', 'forbidden', 'not_found'].includes(err.code)) {
      flash(explain(err, 'Your earlier messages could not be loaded'), 'error');
    }
    return;
  }
  if (mine !== noticeLoads || forToken !== token) return; // a newer load, or another player now
  for (const n of res.notices || []) addNotice(n, {earlier: true});
  if (res.version > noticesAfter) noticesAfter = res.version;
  // complete is false when the log no longer reaches back that far, or there were more than the
  // hub answers at once.
  if (res.complete === false) $('#notices-partial').hidden = false;
  if (shownNotices.size) {
    $('#notices-empty').hidden = true;
    $('#notices-view').hidden = false;
  }
}

// forgetNotices empties the list when the player leaves: a new join starts afresh.
function forgetNotices() {
  noticeLoads++; // an answer still on its way is for the player who left
  shownNotices.clear();
  noticesAfter = 0;
  $('#notices').replaceChildren();
  $('#notices-empty').hidden = false;
  $('#notices-partial').hidden = true;
}

// noticeKey identifies a notice: the live one and the same one fetched later are one.
function noticeKey(n) {
  return JSON.stringify([n.version ?? null, n.kind, n.match ?? null, n.text ?? '']);
}

// addNotice puts a notice in the list once, newest on top: by version (the live ones come last
// and go on top; earlier ones fetched later go below the newer ones already there), in order of
// arrival within a version. Fetched ones have no time of arrival to show.
function addNotice(n, {earlier = false} = {}) {
  const key = noticeKey(n);
  if (shownNotices.has(key)) return;
  shownNotices.add(key);
  if (n.kind === 'match_ready' && !earlier) notifyReady(n);
  const list = $('#notices');
  const now = new Date();
  const v = n.version ?? Infinity;
  const item = h('li', {class: `kind-${n.kind}`, 'data-testid': 'notice', 'data-kind': n.kind, 'data-match-id': n.match || null,
    'data-version': n.version ?? null},
  earlier ? null : h('time', {datetime: now.toISOString()}, now.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})),
  n.text || n.kind);
  const below = [...list.children].find((li) => (li.dataset.version ? Number(li.dataset.version) : Infinity) <= v);
  list.insertBefore(item, below || null);
  $('#notices-empty').hidden = true;
  $('#notices-view').hidden = false;
}

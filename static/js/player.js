// player.js: the player's page. Join by name (the player token is kept in localStorage), or open
// the personal link the organiser handed out (player.html?t=<id>#token=<token>), check in, see the
// next match and opponent (from the model and the hub's personal notices), report scores over the
// socket, and read notices as they arrive (and those of earlier visits: a reload or another device
// fetches them from the hub, and none is shown twice).

import {h, $, param, flash, busy, replace, keepState, ordinal, rankText} from './dom.js';
import {api, explain, loadToken, saveToken, forgetToken, tokenClaims} from './client.js';
import {renderTournament, sectionTitle} from './bracket.js';
import {nameOf, nextMatchFor, opponentOf, playerById, groupStageOver} from './state.js';
import {liveTournament, renderHead} from './page.js';
import {parseGames, gamesKey, reportText} from './games.js';

const tid = param('t');
const path = (p = '') => `/api/tournaments/${encodeURIComponent(tid)}${p}`;
adoptLinkToken(); // before the stored token is read: a personal link wins
let token = tid ? loadToken(tid, 'player') : null;
let pid = token ? playerIdOf(token) : 0;
let model = null;
let hub = null;
let lastReadyNotice = null; // the latest match_ready notice, shown with the next match
const shownNotices = new Set(); // noticeKey of every notice in the list: none is shown twice
let noticesAfter = 0; // the version the hub's list of notices went up to (GET .../notices)
let noticeLoads = 0; // only the newest answer of GET .../notices is used
let wasOpen = false; // the socket was open before: a reopen may have missed notices
const nonce = Math.random().toString(36).slice(2, 8);

function playerIdOf(t) {
  const c = tokenClaims(t);
  return c && c.pid ? Number(c.pid) : Number(localStorage.getItem(`tourhub:pid:${tid}`)) || 0;
}

// adoptLinkToken signs this browser in with a personal link: a token in the fragment (which no
// server sees) that is a player's of this tournament is kept like a joined player's and taken out
// of the address bar. A token of another tournament or role, or one that cannot be read, is
// refused with a message and the page stays as it was.
function adoptLinkToken() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!tid || !m) return;
  let t = '';
  try {
    t = decodeURIComponent(m[1]).trim();
  } catch (e) {
    /* not valid percent-encoding: unreadable, refused below */
  }
  const c = t ? tokenClaims(t) : null;
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
  history.replaceState(history.state, '', location.pathname + location.search);
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
  hub = liveTournament(tid, {
    token,
    connEl: $('#conn'),
    render(m) {
      model = m;
      render();
    },
    onNotice: addNotice,
    onStatus(status) {
      // Notices sent while the socket was down are not sent again: fetch them after a reconnect.
      if (status !== 'open') return;
      if (wasOpen) loadNotices();
      wasOpen = true;
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
  loadNotices(); // the messages of earlier visits (a reload, another device)
}

// newSubmissionID is an unguessable id for an idempotent join (the API wants 16 characters or more).
function newSubmissionID() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// retrying runs call again (at most 3 times in all, 0.5 then 1 s apart) while it fails in a way a
// repeat may fix: the hub could not be reached or answered unavailable.
async function retrying(call) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= 3 || !['network', 'unavailable'].includes(err.code)) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
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
        const res = await retrying(() => api('POST', path('/players'), body));
        token = res.token;
        pid = res.player_id;
        saveToken(tid, 'player', token);
        localStorage.setItem(`tourhub:pid:${tid}`, String(pid));
        hub.auth(tid, token);
        flash(`You joined as ${name}.`, 'ok');
        if (model) render();
        loadNotices();
      } catch (err) {
        flash(`Could not join: ${explain(err)}`, 'error');
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
  $('#check-in').hidden = !(me && registering && !me.checked_in);
  $('#leave').hidden = !(me && registering);
  $('#withdraw').hidden = !(me && running && !me.withdrawn && !me.eliminated);
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

function renderNext() {
  const box = $('#next-match');
  const me = pid ? playerById(model, pid) : null;
  $('#next-view').hidden = !me || model.status !== 'running';
  if (!me || model.status !== 'running') {
    box.replaceChildren();
    return;
  }
  const m = nextMatchFor(model, pid);
  if (!m) {
    box.dataset.matchId = '';
    replace(box, h('p', {'data-testid': 'no-match'}, waitingText(me)));
    return;
  }
  box.dataset.matchId = m.id;
  box.dataset.status = m.status;
  const side = m.players[0] === pid ? 0 : 1;
  const opp = opponentOf(m, pid);
  const oppName = opp ? nameOf(model, opp) : 'an opponent still to be decided';
  const parts = [
    h('p', {}, `Match ${m.id}, round ${m.round}: `, h('strong', {}, 'you'), ' against ', h('strong', {'data-testid': 'opponent'}, oppName), '.'),
  ];
  if (lastReadyNotice && lastReadyNotice.match === m.id) parts.push(h('p', {class: 'hint'}, lastReadyNotice.text));
  if (m.status === 'pending') {
    parts.push(h('p', {class: 'hint'}, opp
      ? 'This match is not open yet: it starts with its round. You will be told here when it is ready.'
      : 'Your opponent is not decided yet. You will be told here when the match is ready.'));
    replace(box, parts);
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
  parts.push(reportForm(m, side));
  replace(box, parts);
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
  const inputs = [0, 1].map((i) => h('input', {type: 'number', class: 'score-input', id: `report-${m.id}-score-${i}`, 'data-slot': i, min: 0, max: best, required: true, inputmode: 'numeric'}));
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
    if (inputs.some((x) => x.value === '') || scores.some((s) => !Number.isInteger(s) || s < 0)) {
      flash(`Enter the games each player won, as whole numbers (best of ${best}).`, 'error');
      return;
    }
    const parsed = parseGames(gamesInput.value);
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
        flash(`Your report was not recorded: ${explain(err)}`, 'error');
      }
    });
  });
  return form;
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
      flash(`Your earlier messages could not be loaded: ${explain(err)}`, 'error');
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
  lastReadyNotice = null;
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
  if (n.kind === 'match_ready' && (!lastReadyNotice || (n.version ?? Infinity) >= (lastReadyNotice.version ?? 0))) lastReadyNotice = n;
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
  if (model) keepState($('#next-match'), renderNext);
}

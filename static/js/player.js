// player.js: the player's page. Join by name (the player token is kept in localStorage), or open
// the personal link the organiser handed out (player.html?t=<id>#token=<token>), check in, see the
// next match and opponent (from the model and the hub's personal notices), report scores over the
// socket, and read notices as they arrive.

import {h, $, param, flash, busy, replace, keepState, ordinal, rankText} from './dom.js';
import {api, explain, loadToken, saveToken, forgetToken, tokenClaims} from './client.js';
import {renderTournament, sectionTitle} from './bracket.js';
import {nameOf, nextMatchFor, opponentOf, playerById} from './state.js';
import {liveTournament, renderHead} from './page.js';

const tid = param('t');
adoptLinkToken(); // before the stored token is read: a personal link wins
let token = tid ? loadToken(tid, 'player') : null;
let pid = token ? playerIdOf(token) : 0;
let model = null;
let hub = null;
let lastReadyNotice = null; // the latest match_ready notice, shown with the next match
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
    onError(err) {
      if (err.code === 'unauthorized' && err.tournament === tid) {
        flash('The hub no longer accepts your player key (it expired or is for another tournament). You can still watch; join again to play if registration is open.', 'error');
        return true;
      }
      return false;
    },
  });
  wire();
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

const path = (p = '') => `/api/tournaments/${encodeURIComponent(tid)}${p}`;

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
  $('#bracket-title').textContent = sectionTitle(model.format);
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
    replace(box, h('p', {}, me.eliminated || me.withdrawn ? 'You have no more matches.' : 'No match for you right now. Wait for the next round.'));
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
    parts.push(h('p', {'data-testid': 'my-report'}, `You reported ${mine.scores[0]}-${mine.scores[1]}. Waiting for ${oppName} to confirm.`));
  } else if (theirs) {
    parts.push(h('p', {}, `${oppName} reported ${theirs.scores[0]}-${theirs.scores[1]} (${nameOf(model, m.players[0])} first). If that is right, report the same score; if not, report the real one and the organiser will decide.`));
  }
  parts.push(reportForm(m, side));
  replace(box, parts);
}

// reportForm asks for the series score, in the match's player order (scores[0] is players[0]).
function reportForm(m, side) {
  const best = model.settings.best_of || 1;
  const inputs = [0, 1].map((i) => h('input', {type: 'number', class: 'score-input', id: `report-${m.id}-score-${i}`, 'data-slot': i, min: 0, max: best, required: true, inputmode: 'numeric'}));
  const form = h('form', {class: 'score-row', id: 'report-form', 'data-testid': 'report-form', 'data-match-id': m.id, 'data-my-slot': side},
    [0, 1].map((i) => h('div', {}, h('label', {for: `report-${m.id}-score-${i}`},
      `Games won by ${nameOf(model, m.players[i])}${i === side ? ' (you)' : ''}`), inputs[i])),
    h('button', {type: 'submit', class: 'primary', id: 'report-submit'}, 'Report score'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const scores = inputs.map((x) => Number(x.value));
    if (inputs.some((x) => x.value === '') || scores.some((s) => !Number.isInteger(s) || s < 0)) {
      flash(`Enter the games each player won, as whole numbers (best of ${best}).`, 'error');
      return;
    }
    const sid = `p${pid}-m${m.id}-${scores[0]}-${scores[1]}-${nonce}`;
    busy($('#report-submit'), async () => {
      try {
        const res = await hub.report(tid, m.id, scores, sid);
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

function addNotice(n) {
  if (n.kind === 'match_ready') lastReadyNotice = n;
  const list = $('#notices');
  const now = new Date();
  list.prepend(h('li', {class: `kind-${n.kind}`, 'data-testid': 'notice', 'data-kind': n.kind, 'data-match-id': n.match || null},
    h('time', {datetime: now.toISOString()}, now.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})), n.text || n.kind));
  $('#notices-empty').hidden = true;
  $('#notices-view').hidden = false;
  if (model) keepState($('#next-match'), renderNext);
}

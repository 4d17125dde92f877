// organiser.js: the organiser's page. Without ?t= it shows the create form. With it, and with the
// organiser key in localStorage, it shows players joining live, starts and cancels the tournament,
// resolves disputed matches, sets results, records forfeits, and withdraws or disqualifies players.

import {h, $, param, flash, busy, replace, keepState} from './dom.js';
import {api, explain, loadToken, saveToken, tokenClaims} from './client.js';
import {renderTournament, sectionTitle} from './bracket.js';
import {nameOf} from './state.js';
import {liveTournament, renderHead} from './page.js';
import {mountCreateForm} from './createform.js';

const tid = param('t');
let token = tid ? loadToken(tid, 'organiser') : null;
let model = null;

if (!tid) {
  $('#create-view').hidden = false;
  mountCreateForm($('#create'));
} else if (!token) {
  showTokenForm();
} else {
  start();
}

function showTokenForm() {
  $('#token-view').hidden = false;
  $('#token-watch').href = `spectator.html?t=${encodeURIComponent(tid)}`;
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('#token-input').value.trim();
    const c = tokenClaims(t);
    if (!c || c.tid !== tid || c.role !== 'organiser') {
      flash('That is not an organiser key for this tournament. Paste the whole key you were given when you created it.', 'error');
      return;
    }
    saveToken(tid, 'organiser', t);
    location.reload();
  });
}

function start() {
  $('#org-view').hidden = false;
  const base = new URL('.', location.href);
  const join = new URL(`player.html?t=${encodeURIComponent(tid)}`, base).href;
  const watch = new URL(`spectator.html?t=${encodeURIComponent(tid)}`, base).href;
  Object.assign($('#join-link'), {href: join, textContent: join});
  Object.assign($('#watch-link'), {href: watch, textContent: watch});
  $('#tid').textContent = tid;
  $('#org-token').textContent = token;

  liveTournament(tid, {
    token,
    connEl: $('#conn'),
    render(m) {
      model = m;
      render();
    },
    onError(err) {
      if (err.code === 'unauthorized' && err.tournament === tid) {
        flash('The hub refused your organiser key (it may have expired). You can still watch; to act, create a new key on the server or paste a valid one.', 'error');
        return true;
      }
      return false;
    },
  });

  $('#start').addEventListener('click', (e) => act(e.currentTarget, 'start', 'The tournament has started.'));
  $('#cancel').addEventListener('click', () => {
    $('#cancel-confirm').hidden = false;
    $('#cancel-yes').focus();
  });
  $('#cancel-no').addEventListener('click', () => {
    $('#cancel-confirm').hidden = true;
  });
  $('#cancel-yes').addEventListener('click', async (e) => {
    await act(e.currentTarget, 'cancel', 'The tournament was cancelled.');
    $('#cancel-confirm').hidden = true;
  });
}

const path = (p = '') => `/api/tournaments/${encodeURIComponent(tid)}${p}`;

// act posts an organiser command; the change itself arrives over the socket.
function act(button, what, ok, body) {
  return busy(button, async () => {
    try {
      await api('POST', path(`/${what}`), body ?? {}, token);
      if (ok) flash(ok, 'ok');
    } catch (err) {
      flash(explain(err), 'error');
    }
  });
}

function render() {
  renderHead($('#head'), model);
  $('#bracket-title').textContent = sectionTitle(model.format);
  const registering = model.status === 'registering';
  const running = model.status === 'running';
  $('#start').hidden = !registering;
  $('#cancel').hidden = !(registering || running);
  $('#control-hint').textContent = registering
    ? `${model.participants.length} player(s) registered. Start when everyone is in; at least two are needed.`
    : running ? 'The tournament is running. Results arrive live.' : model.status === 'finished'
      ? 'The tournament is over. Final standings are below the bracket.' : 'The tournament was cancelled.';
  renderParticipants(registering, running);
  keepState($('#disputes'), renderDisputes);
  keepState($('#bracket'), () => renderTournament($('#bracket'), model, {matchExtras: running ? matchTools : null}));
}

function renderParticipants(registering, running) {
  const list = $('#participants');
  $('#participants-empty').hidden = model.participants.length > 0;
  const items = model.participants.map((p) => {
    const flags = [];
    if (p.seed) flags.push(`seed ${p.seed}`);
    if (p.checked_in) flags.push('checked in');
    if (p.disqualified) flags.push('disqualified');
    else if (p.withdrawn) flags.push('withdrawn');
    else if (p.eliminated) flags.push('eliminated');
    const buttons = [];
    if (registering && !p.checked_in) {
      buttons.push(h('button', {type: 'button', class: 'small', 'data-testid': `checkin-${p.id}`,
        onclick: (e) => act(e.currentTarget, 'check-in', `${p.name} is checked in.`, {player_id: p.id})}, 'Check in'));
    }
    if (registering) {
      buttons.push(h('button', {type: 'button', class: 'small danger', 'data-testid': `remove-${p.id}`,
        onclick: (e) => busy(e.currentTarget, async () => {
          try {
            await api('DELETE', path(`/players/${p.id}`), undefined, token);
            flash(`${p.name} was removed.`, 'ok');
          } catch (err) {
            flash(explain(err), 'error');
          }
        })}, 'Remove'));
    }
    if (running && !p.withdrawn && !p.eliminated) {
      buttons.push(h('button', {type: 'button', class: 'small', 'data-testid': `withdraw-${p.id}`,
        onclick: (e) => act(e.currentTarget, `players/${p.id}/withdraw`, `${p.name} was withdrawn.`, {})}, 'Withdraw'));
      buttons.push(h('button', {type: 'button', class: 'small danger', 'data-testid': `disqualify-${p.id}`,
        onclick: (e) => act(e.currentTarget, `players/${p.id}/withdraw`, `${p.name} was disqualified.`, {disqualify: true})}, 'Disqualify'));
    }
    return h('li', {'data-testid': `participant-${p.id}`, 'data-player-id': p.id},
      h('span', {}, h('strong', {}, p.name), flags.length ? h('span', {class: 'muted'}, ` (${flags.join(', ')})`) : null),
      buttons.length ? h('span', {class: 'actions', style: 'margin:0'}, buttons) : null);
  });
  list.replaceChildren(...items);
}

// scoreForm is the "set the final score" form for a match: the organiser's report is final.
function scoreForm(m, testid) {
  const ids = [0, 1].map((i) => `${testid}-score-${i}`);
  const inputs = [0, 1].map((i) => h('input', {type: 'number', class: 'score-input', id: ids[i], min: 0, max: 99, required: true, inputmode: 'numeric'}));
  const form = h('form', {class: 'score-row', 'data-testid': testid},
    [0, 1].map((i) => h('div', {}, h('label', {for: ids[i]}, nameOf(model, m.players[i]) || `Side ${i + 1}`), inputs[i])),
    h('button', {type: 'submit', class: 'small primary', 'data-testid': `${testid}-submit`}, 'Set final score'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const scores = inputs.map((x) => Number(x.value));
    if (inputs.some((x) => x.value === '') || scores.some((s) => !Number.isInteger(s) || s < 0)) {
      flash('Enter both scores as whole numbers (games won by each player).', 'error');
      return;
    }
    busy(form.querySelector('button'), async () => {
      try {
        await api('POST', path(`/matches/${m.id}/result`), {scores, submission_id: `org-${m.id}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`}, token);
        flash(`Match ${m.id} result set to ${scores[0]}-${scores[1]}.`, 'ok');
      } catch (err) {
        flash(explain(err), 'error');
      }
    });
  });
  return form;
}

function renderDisputes() {
  const disputed = model.matches.filter((m) => m.status === 'disputed');
  if (!disputed.length) {
    replace($('#disputes'), h('p', {class: 'empty'}, 'No disputes.'));
    return;
  }
  replace($('#disputes'), disputed.map((m) => h('div', {class: 'match status-disputed', 'data-testid': `dispute-${m.id}`},
    h('p', {}, h('strong', {}, `Match ${m.id}: ${nameOf(model, m.players[0])} vs ${nameOf(model, m.players[1])}`)),
    h('ul', {class: 'reports'}, [0, 1].map((i) => m.reports && m.reports[i]
      ? h('li', {}, `${nameOf(model, m.players[i])} reported ${m.reports[i].scores[0]}-${m.reports[i].scores[1]}`) : null)),
    scoreForm(m, `resolve-${m.id}`))));
}

// matchTools are the organiser's controls inside a match card of the bracket.
function matchTools(m) {
  if (m.status !== 'ready' && m.status !== 'disputed' && m.status !== 'completed') return null;
  if (!m.players[0] || !m.players[1]) return null; // a bye: nothing to decide
  const forfeit = (body, label) => h('button', {type: 'button', class: 'small danger', 'data-testid': `forfeit-${m.id}-${label}`,
    onclick: (e) => act(e.currentTarget, `matches/${m.id}/forfeit`, `Forfeit recorded in match ${m.id}.`, body)},
  label === 'both' ? 'Both forfeit' : `${nameOf(model, body.player_id)} forfeits`);
  const tools = [scoreForm(m, `result-${m.id}`)];
  if (m.status !== 'completed') {
    tools.push(h('div', {class: 'actions'},
      m.players[0] ? forfeit({player_id: m.players[0]}, 'a') : null,
      m.players[1] ? forfeit({player_id: m.players[1]}, 'b') : null,
      forfeit({both: true}, 'both')));
  } else {
    tools.unshift(h('p', {class: 'hint'}, 'Correct the result: later matches that depended on it are replayed.'));
  }
  return h('details', {class: 'org-tools', id: `tools-${m.id}`}, h('summary', {'data-testid': `tools-${m.id}`}, 'Organiser'), tools);
}

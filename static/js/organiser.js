// organiser.js: the organiser's page. Without ?t= it shows the create form. With it, and with the
// organiser key in localStorage (or in the fragment of the organiser's own link, #token=), it
// shows players joining live, starts, cancels and deletes the tournament, edits its name and
// description, adds players in bulk and hands out their personal links, edits players and the seed
// order before the start, checks players in when the tournament requires it, resolves disputed
// matches, sets results, records forfeits, withdraws or disqualifies players, and corrects
// results, also after the end. In a two-stage tournament it shows the qualifiers once the group
// stage is over, lets the organiser reorder, remove and add players, and starts the playoff. The
// share links (spectators, players, the organiser's own) name the hub's public address.

import {h, $, param, flash, busy, replace, keepState} from './dom.js';
import {api, explain, loadToken, saveToken, forgetToken, tokenClaims, linkToken, dropLinkToken} from './client.js';
import {renderTournament, sectionTitle} from './bracket.js';
import {nameOf, seedOrder, groupStageOver, isGroupMatch, checkInOpen} from './state.js';
import {liveTournament, renderHead, endLive, renderDownloads, renderKeeping, checkInOpensText} from './page.js';
import {mountCreateForm, mountImportForm} from './createform.js';
import {parseGames, reportText} from './games.js';
import {hubConfig, publicLink, shareRow} from './share.js';

const tid = param('t');
adoptLinkToken(); // before the stored key is read: an organiser link wins
let token = tid ? loadToken(tid, 'organiser') : null;
let model = null;
let hub = null;
let deleted = false;
let limits = null; // the engine's limits (GET /api/config), once the hub has told them
const editing = new Set(); // players whose edit form is open
let links = []; // personal links handed out on this page, newest first: {pid, name, url}
// The playoff's players as the organiser arranged them (null: as the hub computed them), and the
// hub's qualifiers that arrangement started from.
let playoffOrder = null;
let playoffBase = '';

if (!tid) {
  $('#create-view').hidden = false;
  $('#import-view').hidden = false;
  mountCreateForm($('#create'));
  mountImportForm($('#import'));
} else if (!token) {
  showTokenForm();
} else {
  start();
}

// adoptLinkToken signs this browser in with the organiser's own link (organiser.html?t=<id>#token=<key>,
// from the Share card): a key in the fragment, which no server sees, that is this tournament's
// organiser key is kept as the creating browser keeps it and taken out of the address bar. Any
// other key is refused with a message, and the page goes on as without it.
function adoptLinkToken() {
  const link = tid ? linkToken() : null;
  if (!link) return;
  const {token: t, claims: c} = link;
  let problem = '';
  if (!c || typeof c !== 'object') {
    problem = 'This organiser link is damaged: its key cannot be read. Open it exactly as you copied it.';
  } else if (c.role !== 'organiser') {
    problem = 'This link holds a player\'s key, not the organiser\'s, so it does not sign you in as the organiser. A player\'s personal link opens the player page.';
  } else if (c.tid !== tid) {
    problem = 'This organiser link is for another tournament, not this one. Open the link exactly as you copied it.';
  } else if (c.exp && c.exp * 1000 < Date.now()) {
    problem = 'This organiser link has expired. Copy a new one from the organiser page in the browser that still has the key.';
  }
  if (problem) {
    flash(problem, 'error');
    return;
  }
  saveToken(tid, 'organiser', t);
  dropLinkToken();
  flash('You are signed in as the organiser with your organiser link. This browser remembers the key for this tournament.', 'ok');
}

// An organiser link opened in a tab already showing this page changes only the fragment: load
// again to sign in with it.
window.addEventListener('hashchange', () => {
  if (/(?:^#|&)token=/.test(location.hash)) location.reload();
});

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
  $('#tid').textContent = tid;
  $('#org-token').textContent = token;
  renderShare();
  renderDownloads($('#downloads'), tid);
  hubConfig().then((c) => {
    limits = c.limits;
    $('#edit-name').maxLength = limits.name;
    $('#edit-description').maxLength = limits.description;
    Object.assign($('#edit-description-limit'), {textContent: `Up to ${limits.description} characters; line breaks are kept.`, hidden: false});
    if (model) render(); // the players' edit forms take the limit too
  });

  hub = liveTournament(tid, {
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
  $('#delete').addEventListener('click', () => {
    $('#delete-confirm').hidden = false;
    $('#delete-yes').focus();
  });
  $('#delete-no').addEventListener('click', () => {
    $('#delete-confirm').hidden = true;
  });
  $('#delete-yes').addEventListener('click', (e) => busy(e.currentTarget, async () => {
    try {
      await api('DELETE', path(), undefined, token);
      showDeleted();
    } catch (err) {
      if (err.code === 'not_found') showDeleted(); // an earlier attempt went through
      else flash(explain(err), 'error');
    }
  }));
  $('#edit-form').addEventListener('submit', saveDetails);
  $('#add-form').addEventListener('submit', addPlayers);
  $('#seed-rating').addEventListener('click', (e) => act(e.currentTarget, 'seeds', 'Seeded by rating, highest first.', {seeding: 'rating'}));
  $('#seed-shuffle').addEventListener('click', (e) => act(e.currentTarget, 'seeds', 'The seeds were shuffled.', {seeding: 'random'}));
  $('#qualifier-add').addEventListener('click', addQualifier);
  $('#playoff-reset').addEventListener('click', () => {
    playoffOrder = null;
    render();
  });
  $('#playoff-start').addEventListener('click', startPlayoff);
}

// renderShare shows the links to hand out, on the hub's public address (--public-url) when it has
// one: the spectator page, the player page, and the organiser's own link, which carries the key in
// its fragment so that another device (a phone at the venue) becomes the organiser too. Each has a
// Copy button and a QR code.
async function renderShare() {
  const t = `?t=${encodeURIComponent(tid)}`;
  const [watch, join, own] = await Promise.all([publicLink(`/spectator.html${t}`), publicLink(`/player.html${t}`),
    publicLink(`/organiser.html${t}#token=${encodeURIComponent(token)}`)]);
  $('#share-links').replaceChildren(
    shareRow('Spectators watch at', watch, {testid: 'watch-link'}),
    shareRow('Players join at', join, {testid: 'join-link'}));
  const claims = tokenClaims(token);
  replace($('#organiser-link'), shareRow('Your organiser link', own, {testid: 'organiser-link', secret: true}),
    claims && claims.exp ? h('p', {class: 'hint', 'data-testid': 'organiser-link-expiry'},
      `It works until ${new Date(claims.exp * 1000).toLocaleString()}, when the key expires.`) : null);
}

// showDeleted replaces the page with the news that the tournament is gone (after our own DELETE,
// or the tournament_deleted event from another organiser tab).
function showDeleted() {
  if (deleted) return;
  deleted = true;
  endLive(hub, $('#conn'));
  forgetToken(tid, 'organiser');
  $('#org-view').hidden = true;
  $('#deleted-view').hidden = false;
  document.title = 'Deleted - tourhub';
  const title = $('#deleted-title');
  title.tabIndex = -1;
  title.focus();
}

// saveDetails sends the name and description that differ from the tournament's.
function saveDetails(e) {
  e.preventDefault();
  const nameEl = $('#edit-name');
  const descEl = $('#edit-description');
  const name = nameEl.value.trim();
  const description = descEl.value.trim();
  if (!name) {
    flash('The tournament needs a name.', 'error');
    nameEl.focus();
    return;
  }
  if (limits && tooLong(name, limits.name, 'The name', nameEl)) return;
  if (limits && tooLong(description, limits.description, 'The description', descEl)) return;
  const body = {};
  if (name !== model.name) body.name = name;
  if (description !== model.description) body.description = description;
  if (!Object.keys(body).length) {
    flash('Nothing to save: the name and description are already these.', 'info');
    return;
  }
  busy($('#edit-save'), async () => {
    try {
      await api('PATCH', path(), body, token);
      delete nameEl.dataset.dirty;
      delete descEl.dataset.dirty;
      flash('The details were saved.', 'ok');
    } catch (err) {
      flash(`The details were not saved: ${explain(err)}`, 'error');
    }
  });
}

// tooLong says (with a message, and the focus on el) whether text has more than max characters,
// counted as the hub counts them (code points: an emoji is one).
function tooLong(text, max, what, el) {
  const n = [...text].length;
  if (n <= max) return false;
  flash(`${what} has ${n} characters: at most ${max} are allowed.`, 'error');
  el.focus();
  return true;
}

// fillDetails shows the current name and description in the edit form, unless the organiser is
// typing there.
function fillDetails() {
  for (const [el, value] of [[$('#edit-name'), model.name], [$('#edit-description'), model.description]]) {
    if (!el.dataset.dirty && document.activeElement !== el) el.value = value;
  }
}

// addPlayers sends the textarea as CSV: one player per line, name or name,rating. All or none.
function addPlayers(e) {
  e.preventDefault();
  const box = $('#add-players');
  const text = box.value;
  if (!text.trim()) {
    flash('Enter the players to add: one per line, a name or name,rating.', 'error');
    box.focus();
    return;
  }
  busy($('#add-players-submit'), async () => {
    try {
      const res = await api('POST', path('/players/batch'), text, token, 'text/csv; charset=utf-8');
      const added = res.players || [];
      box.value = '';
      delete box.dataset.dirty;
      await addLinks(added);
      const n = added.length === 1 ? '1 player was added' : `${added.length} players were added`;
      $('#add-result').textContent = `${n}. Give each their personal link.`;
      flash(`${n}.`, 'ok');
    } catch (err) {
      flash(`No player was added: ${explain(err)}`, 'error');
    }
  });
}

// playerLink asks the hub for a fresh token of a participant and shows their personal link.
function playerLink(button, p) {
  return busy(button, async () => {
    try {
      const res = await api('POST', path(`/players/${p.id}/token`), undefined, token);
      await addLinks([{player_id: res.player_id, name: p.name, token: res.token}]);
      $('#add-result').textContent = `${p.name}'s personal link is below.`;
    } catch (err) {
      flash(explain(err), 'error');
    }
  });
}

// personalLink is the address, on the hub's public address, that signs a player in on any device
// (player.js reads the token from the fragment, which never reaches a server).
function personalLink(playerToken) {
  return publicLink(`/player.html?t=${encodeURIComponent(tid)}#token=${encodeURIComponent(playerToken)}`);
}

// addLinks puts the players' links ({player_id, name, token} each) first in the list, in order.
async function addLinks(players) {
  const urls = await Promise.all(players.map((p) => personalLink(p.token)));
  const added = players.map((p, i) => ({pid: p.player_id, name: p.name, url: urls[i]}));
  links = [...added, ...links.filter((l) => !added.some((a) => a.pid === l.pid))];
  renderLinks();
}

// renderLinks lists the personal links handed out on this page, newest first, each with Copy and
// a QR code the player can scan from the organiser's screen.
function renderLinks() {
  $('#links-view').hidden = links.length === 0;
  replace($('#player-links'), links.map((l) => h('li', {'data-player-id': l.pid},
    shareRow(`${l.name}'s personal link`, l.url, {testid: `link-${l.pid}`}))));
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
  if (model.status === 'deleted' || deleted) {
    showDeleted();
    return;
  }
  renderHead($('#head'), model);
  renderKeeping($('#keeping'), model);
  $('#bracket-title').textContent = sectionTitle(model.format, model.settings);
  const registering = model.status === 'registering';
  const running = model.status === 'running';
  const finished = model.status === 'finished';
  $('#start').hidden = !registering;
  $('#cancel').hidden = !(registering || running);
  $('#control-hint').textContent = registering ? registeredText()
    : groupStageOver(model) ? 'The group stage is over: check the playoff\'s players below and start the playoff.'
      : running ? 'The tournament is running. Results arrive live.' : finished
      ? 'The tournament is over. Final standings are below the bracket; a result can still be corrected there.' : 'The tournament was cancelled.';
  fillDetails();
  $('#seed-tools').hidden = !registering || model.participants.length === 0;
  $('#seed-hint').textContent = seedHint();
  $('#add-form').hidden = !registering;
  // Disputes only while the tournament runs: otherwise the players get the whole width.
  $('#disputes-view').hidden = !running;
  $('#players-row').classList.toggle('single', !running);
  keepState($('#participants'), () => renderParticipants(registering, running));
  keepState($('#disputes'), renderDisputes);
  renderPlayoff();
  // A finished tournament's results can still be corrected (the hub takes the organiser's report
  // on a completed match then): the tools stay on its completed matches.
  const hint = $('#bracket-hint');
  hint.hidden = !(running || finished);
  hint.textContent = finished
    ? 'The tournament is over, but a result can still be corrected: open the match\'s "Organiser" panel. A changed winner replays the matches that depended on it.'
    : 'Open a match\'s "Organiser" panel to set its result or record a forfeit.';
  keepState($('#bracket'), () => renderTournament($('#bracket'), model, {matchExtras: running || finished ? matchTools : null}));
}

// checkInRequired says whether players must check in before the start (require_check_in, which a
// check-in window implies); the page offers to check them in only while check-in is open
// (state.js checkInOpen: with a window, once it has opened).
function checkInRequired() {
  return Boolean(model.settings.require_check_in || model.settings.check_in_window);
}

// registeredText is the control hint before the start: how many have joined and, when check-in is
// required, how many checked in (the others are dropped at the start), or, before a check-in
// window opens, when it opens (the hub refuses a check-in until then).
function registeredText() {
  const n = model.participants.length;
  const joined = `${n} player${n === 1 ? '' : 's'} registered.`;
  if (!checkInRequired()) return `${joined} Start when everyone is in; at least two are needed.`;
  if (!checkInOpen(model)) {
    return `${joined} Check-in opens ${checkInOpensText(model)}: the check-in buttons appear then, and whoever has not checked in at the start is dropped.`;
  }
  const c = model.participants.filter((p) => p.checked_in).length;
  return `${joined} ${c} checked in: whoever has not checked in at the start is dropped. At least two are needed.`;
}

// unplacedRandom: a random seeding that nobody placed yet is drawn at the start, so the list is
// in join order and not yet the seed order.
function unplacedRandom() {
  return model.settings.seeding === 'random' && !model.participants.some((p) => p.seed);
}

function seedHint() {
  const placed = model.participants.some((p) => p.seed);
  if (!placed && model.settings.seeding === 'random') return 'Seeds are drawn at random at the start. Moving a player fixes the order as listed.';
  if (!placed && model.settings.seeding === 'rating') return 'Listed in seed order: by rating, highest first. Moving a player fixes the order.';
  return 'Listed in seed order, top seed first: the start pairs players by it.';
}

// move swaps a player with the one above (delta -1) or below (+1) in the seed order.
function move(button, p, pos, delta) {
  const to = pos + delta;
  const ok = `${p.name} is now seed ${to}.`;
  if (unplacedRandom()) {
    // The hub's order is not drawn yet: fix the order as listed, with the two swapped.
    const ids = seedOrder(model).map((x) => x.id);
    [ids[pos - 1], ids[to - 1]] = [ids[to - 1], ids[pos - 1]];
    return act(button, 'seeds', ok, {seeding: 'given', order: ids});
  }
  return busy(button, async () => {
    try {
      await api('PATCH', path(`/players/${p.id}`), {seed: to}, token);
      flash(ok, 'ok');
    } catch (err) {
      flash(explain(err), 'error');
    }
  });
}

// rowEditor is a participant's edit form: the name always, the rating before the start.
function rowEditor(p, registering) {
  const nameId = `edit-${p.id}-name`;
  const ratingId = `edit-${p.id}-rating`;
  const name = h('input', {type: 'text', id: nameId, 'data-testid': nameId, value: p.name, required: true,
    maxlength: limits ? limits.name : null, autocomplete: 'off'});
  const rating = registering
    ? h('input', {type: 'number', id: ratingId, 'data-testid': ratingId, value: p.rating ? String(p.rating) : '', min: 0, max: 1000000, step: 'any', inputmode: 'decimal'})
    : null;
  const save = h('button', {type: 'submit', class: 'small primary', 'data-testid': `edit-${p.id}-save`}, 'Save');
  const form = h('form', {class: 'row-edit', id: `edit-row-${p.id}`, 'data-testid': `edit-form-${p.id}`, 'aria-label': `Edit ${p.name}`},
    h('div', {}, h('label', {for: nameId}, 'Name'), name),
    rating ? h('div', {}, h('label', {for: ratingId}, 'Rating'), rating) : null,
    save,
    h('button', {type: 'button', class: 'small', onclick: () => {
      editing.delete(p.id);
      render();
    }}, 'Close'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const now = model.participants.find((x) => x.id === p.id) || p;
    const body = {};
    const newName = name.value.trim();
    if (!newName) {
      flash('A player needs a name.', 'error');
      name.focus();
      return;
    }
    if (limits && tooLong(newName, limits.name, 'The name', name)) return;
    if (newName !== now.name) body.name = newName;
    if (rating) {
      const r = rating.value.trim() === '' ? 0 : Number(rating.value);
      if (!Number.isFinite(r) || r < 0) {
        flash('The rating is a number from 0 (empty for none).', 'error');
        rating.focus();
        return;
      }
      if (r !== (now.rating || 0)) body.rating = r;
    }
    if (!Object.keys(body).length) {
      flash(`Nothing to save: ${now.name} already has this name and rating.`, 'info');
      return;
    }
    busy(save, async () => {
      try {
        await api('PATCH', path(`/players/${p.id}`), body, token);
        editing.delete(p.id);
        flash(`${body.name || now.name} was saved.`, 'ok');
        if (model) render();
      } catch (err) {
        flash(`Not saved: ${explain(err)}`, 'error');
      }
    });
  });
  return form;
}

function renderParticipants(registering, running) {
  const list = $('#participants');
  $('#participants-empty').hidden = model.participants.length > 0;
  const ordered = seedOrder(model);
  const items = ordered.map((p, i) => {
    const pos = i + 1;
    const flags = [];
    if (p.seed && !registering) flags.push(`seed ${p.seed}`);
    if (registering && p.rating) flags.push(`rating ${p.rating}`);
    if (p.checked_in) flags.push('checked in');
    if (p.disqualified) flags.push('disqualified');
    else if (p.withdrawn) flags.push('withdrawn');
    else if (p.eliminated) flags.push('eliminated');
    const buttons = [];
    if (registering) {
      buttons.push(h('button', {type: 'button', class: 'small', id: `move-up-${p.id}`, 'data-testid': `move-up-${p.id}`,
        'aria-label': `Move up ${p.name}`, disabled: pos === 1, onclick: (e) => move(e.currentTarget, p, pos, -1)}, 'Move up'));
      buttons.push(h('button', {type: 'button', class: 'small', id: `move-down-${p.id}`, 'data-testid': `move-down-${p.id}`,
        'aria-label': `Move down ${p.name}`, disabled: pos === ordered.length, onclick: (e) => move(e.currentTarget, p, pos, 1)}, 'Move down'));
    }
    // Renaming stays open in every status; the rating and the seed only before the start.
    const open = editing.has(p.id);
    buttons.push(h('button', {type: 'button', class: 'small', id: `edit-${p.id}`, 'data-testid': `edit-${p.id}`,
      'aria-label': `Edit ${p.name}`, 'aria-expanded': String(open), 'aria-controls': open ? `edit-row-${p.id}` : null,
      onclick: () => {
        if (editing.has(p.id)) editing.delete(p.id);
        else editing.add(p.id);
        render();
        const first = document.getElementById(`edit-${p.id}-name`);
        if (first) first.focus();
      }}, 'Edit'));
    buttons.push(h('button', {type: 'button', class: 'small', 'data-testid': `player-link-${p.id}`, 'aria-label': `Player link for ${p.name}`,
      onclick: (e) => playerLink(e.currentTarget, p)}, 'Player link'));
    if (!p.checked_in && checkInOpen(model)) {
      buttons.push(h('button', {type: 'button', class: 'small', 'data-testid': `checkin-${p.id}`, 'aria-label': `Check in ${p.name}`,
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
    return h('li', {'data-testid': `participant-${p.id}`, 'data-player-id': p.id, 'data-seed-position': registering ? pos : null},
      h('span', {},
        registering ? h('span', {class: 'seed-pos', 'data-testid': `seed-${p.id}`, title: `Seed ${pos}`}, `${pos}.`) : null,
        h('strong', {}, p.name), flags.length ? h('span', {class: 'muted'}, ` (${flags.join(', ')})`) : null),
      buttons.length ? h('span', {class: 'actions', style: 'margin:0'}, buttons) : null,
      editing.has(p.id) ? rowEditor(p, registering) : null);
  });
  list.replaceChildren(...items);
}

// scoreForm is the "set the final score" form for a match: the organiser's report is final. Each
// game's points may be given too (the match's first player's points first).
function scoreForm(m, testid) {
  const ids = [0, 1].map((i) => `${testid}-score-${i}`);
  const inputs = [0, 1].map((i) => h('input', {type: 'number', class: 'score-input', id: ids[i], min: 0, max: limits ? limits.best_of : null,
    required: true, inputmode: 'numeric'}));
  const gamesId = `${testid}-games`;
  const first = nameOf(model, m.players[0]) || 'Side 1';
  const gamesInput = h('input', {type: 'text', class: 'games-input', id: gamesId, 'data-testid': gamesId, autocomplete: 'off',
    spellcheck: 'false', placeholder: '11-3 8-11 11-9', title: `Each game's points, ${first}'s first, separated by spaces or commas`});
  const form = h('form', {class: 'score-row', 'data-testid': testid},
    [0, 1].map((i) => h('div', {}, h('label', {for: ids[i]}, nameOf(model, m.players[i]) || `Side ${i + 1}`), inputs[i])),
    h('div', {}, h('label', {for: gamesId}, `Game points (optional, ${first}'s first)`), gamesInput),
    h('button', {type: 'submit', class: 'small primary', 'data-testid': `${testid}-submit`}, 'Set final score'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const scores = inputs.map((x) => Number(x.value));
    if (inputs.some((x) => x.value === '') || scores.some((s) => !Number.isInteger(s) || s < 0)) {
      flash('Enter both scores as whole numbers (games won by each player).', 'error');
      return;
    }
    const parsed = parseGames(gamesInput.value);
    if (parsed.error) {
      flash(`The result was not set: ${parsed.error}`, 'error');
      gamesInput.focus();
      return;
    }
    const body = {scores, submission_id: `org-${m.id}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`};
    if (parsed.games) body.games = parsed.games;
    busy(form.querySelector('button'), async () => {
      try {
        await api('POST', path(`/matches/${m.id}/result`), body, token);
        flash(`Match ${m.id} result set to ${reportText(body)}.`, 'ok');
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
      ? h('li', {}, `${nameOf(model, m.players[i])} reported ${reportText(m.reports[i])}`) : null)),
    scoreForm(m, `resolve-${m.id}`))));
}

// playoffPlayers is the list the playoff would start with now: the organiser's arrangement, or
// the hub's qualifiers. Withdrawn players are left out (the hub refuses them).
function playoffPlayers() {
  const ids = playoffOrder || model.qualifiers || [];
  return ids.filter((id) => {
    const p = model.participants.find((x) => x.id === id);
    return p && !p.withdrawn;
  });
}

function arrange(ids) {
  playoffOrder = ids;
  playoffBase = (model.qualifiers || []).join();
  render();
}

// groupLabel names a player's group (round robin with groups), from their group matches.
function groupLabel(pid) {
  if (model.format !== 'round_robin') return '';
  const m = model.matches.find((x) => isGroupMatch(x) && x.players && x.players.includes(pid));
  return m && m.group ? `Group ${m.group}` : '';
}

// renderPlayoff shows the playoff card while the group stage is over and the playoff waits: the
// qualifiers in seed order with controls to move, remove and add players.
function renderPlayoff() {
  const show = groupStageOver(model);
  $('#playoff-view').hidden = !show;
  if (!show) {
    playoffOrder = null;
    return;
  }
  const base = model.qualifiers.join();
  if (playoffOrder && playoffBase !== base) {
    // A correction or a withdrawal changed the qualifiers: the arrangement was of the old ones.
    playoffOrder = null;
    flash('The qualifiers changed (a result was corrected or a player withdrew): the list shows the new ones.', 'info');
  }
  const ids = playoffPlayers();
  const changed = ids.join() !== base;
  $('#playoff-changed').hidden = !changed;
  $('#qualifiers').replaceChildren(...ids.map((id, i) => {
    const name = nameOf(model, id);
    const group = groupLabel(id);
    const swap = (j) => {
      const next = [...ids];
      [next[i], next[j]] = [next[j], next[i]];
      arrange(next);
    };
    return h('li', {'data-testid': `qualifier-${id}`, 'data-player-id': id, 'data-seed-position': i + 1},
      h('span', {class: 'seed-pos', title: `Seed ${i + 1}`}, `${i + 1}.`),
      h('strong', {}, name), group ? h('span', {class: 'muted'}, ` (${group})`) : null,
      h('span', {class: 'actions'},
        h('button', {type: 'button', class: 'small', 'data-testid': `qualifier-up-${id}`, 'aria-label': `Move up ${name}`,
          disabled: i === 0, onclick: () => swap(i - 1)}, 'Move up'),
        h('button', {type: 'button', class: 'small', 'data-testid': `qualifier-down-${id}`, 'aria-label': `Move down ${name}`,
          disabled: i === ids.length - 1, onclick: () => swap(i + 1)}, 'Move down'),
        h('button', {type: 'button', class: 'small danger', 'data-testid': `qualifier-remove-${id}`, 'aria-label': `Remove ${name} from the playoff`,
          onclick: () => arrange(ids.filter((x) => x !== id))}, 'Remove')));
  }));
  // Anyone else still in the tournament can be added (at the bottom: the lowest seed).
  const select = $('#qualifier-add-select');
  const chosen = select.value;
  const others = seedOrder(model).filter((p) => !p.withdrawn && !ids.includes(p.id));
  select.replaceChildren(
    h('option', {value: ''}, others.length ? 'Choose a player' : 'Nobody else to add'),
    ...others.map((p) => {
      const group = groupLabel(p.id);
      return h('option', {value: String(p.id), selected: String(p.id) === chosen}, group ? `${p.name} (${group})` : p.name);
    }));
  select.disabled = others.length === 0;
  $('#qualifier-add').disabled = others.length === 0;
}

function addQualifier() {
  const id = Number($('#qualifier-add-select').value);
  if (!id) {
    flash('Choose the player to add to the playoff.', 'error');
    $('#qualifier-add-select').focus();
    return;
  }
  arrange([...playoffPlayers(), id]);
  flash(`${nameOf(model, id)} was added as the lowest seed.`, 'ok');
}

// startPlayoff starts the playoff: with the organiser's order when they changed the list, else
// with the qualifiers as the hub computed them (no body).
function startPlayoff(e) {
  const ids = playoffPlayers();
  if (ids.length < 2) {
    flash('The playoff needs at least two players: add some to the list.', 'error');
    return;
  }
  const changed = ids.join() !== (model.qualifiers || []).join();
  busy(e.currentTarget, async () => {
    try {
      await api('POST', path('/playoff'), changed ? {order: ids} : undefined, token);
      playoffOrder = null;
      flash('The playoff has started.', 'ok');
    } catch (err) {
      flash(`The playoff did not start: ${explain(err)}`, 'error');
    }
  });
}

// matchTools are the organiser's controls inside a match card of the bracket. Once the tournament
// is finished only corrections are left: completed matches only.
function matchTools(m) {
  // Once the playoff has started the group results are final (the hub refuses a correction).
  if (model.stage === 2 && isGroupMatch(m)) return null;
  if (model.status === 'finished' && m.status !== 'completed') return null;
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

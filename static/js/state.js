// state.js: the local copy of one tournament. A snapshot replaces it; events patch it (matches
// come whole, so a match event replaces the match with the same id), and the standings are worked
// out again as the hub works them out (standings.js), so that they are at every version what the
// hub would answer. Every page renders from this one model, so the organiser, player and
// spectator views cannot disagree.

import {standings} from './standings.js';

// fromSnapshot builds a model from the public state (GET /api/tournaments/{id}, or a snapshot).
export function fromSnapshot(state) {
  const m = {
    id: state.id,
    name: state.name || state.id,
    description: state.description || '',
    format: state.format || (state.settings && state.settings.format),
    status: state.status,
    settings: state.settings || {},
    epoch: state.epoch || null,
    version: state.version || 0,
    participants: (state.participants || []).map((p) => ({...p})),
    matches: [],
    standings: state.standings || [],
    round: state.round || 0,
    note: state.note || '',
    // Two-stage tournaments (settings.playoff): stage 1 is the group stage, 2 the playoff (0: not
    // a two-stage tournament, or not started); qualifiers, top seed first, once the group stage
    // is over (null before).
    stage: state.stage || 0,
    qualifiers: state.qualifiers ? [...state.qualifiers] : null,
    // Whether a check-in window (settings.check_in_window) has opened; see checkInOpen.
    check_in_open: Boolean(state.check_in_open),
  };
  for (const x of state.matches || []) putMatch(m, x);
  return m;
}

// putMatch replaces the match with the same id, or adds it; matches stay sorted by id.
export function putMatch(model, match) {
  const i = model.matches.findIndex((x) => x.id === match.id);
  if (i >= 0) model.matches[i] = {...match};
  else {
    model.matches.push({...match});
    model.matches.sort((a, b) => a.id - b.id);
  }
}

function participant(model, id) {
  return model.participants.find((p) => p.id === id);
}

function putParticipant(model, p) {
  const i = model.participants.findIndex((x) => x.id === p.id);
  if (i >= 0) model.participants[i] = {...model.participants[i], ...p};
  else model.participants.push({...p});
}

// QUIET are the events that cannot change the standings: after any other, they are worked out
// again.
const QUIET = new Set(['player_checked_in', 'check_in_opened', 'check_in_closing', 'match_reported', 'match_disputed',
  'match_deadline_warning', 'match_timed_out', 'tournament_edited', 'tournament_cancelled', 'tournament_deleted']);

// applyEvents patches the model with the events of one version, in order, and sets its version.
// Unknown event types are ignored (a newer hub may send more).
export function applyEvents(model, events, version) {
  for (const ev of events) applyEvent(model, ev);
  if (version) model.version = version;
  if (events.some((ev) => !QUIET.has(ev.type))) model.standings = standings(model);
  return model;
}

export function applyEvent(model, ev) {
  const p = ev.player ? participant(model, ev.player) : null;
  switch (ev.type) {
    case 'tournament_created':
      if (ev.settings) model.settings = ev.settings;
      if (ev.name) model.name = ev.name;
      model.status = 'registering';
      break;
    case 'player_joined':
      if (ev.participant) putParticipant(model, ev.participant);
      break;
    case 'player_left':
    case 'player_dropped':
      model.participants = model.participants.filter((x) => x.id !== ev.player);
      break;
    case 'player_checked_in':
      if (p) p.checked_in = true;
      break;
    case 'tournament_started':
      model.status = 'running';
      if (ev.participants) model.participants = ev.participants.map((x) => ({...x}));
      model.matches = [];
      for (const x of ev.matches || []) putMatch(model, x);
      model.round = model.round || 1;
      if (model.settings && model.settings.playoff) model.stage = 1;
      startSettings(model, ev);
      break;
    case 'group_stage_finished': // the group stage is over: the organiser starts the playoff
      // (again after a correction or a withdrawal changed the qualifiers)
      if (ev.qualifiers) model.qualifiers = [...ev.qualifiers];
      model.stage = model.stage || 1;
      break;
    case 'playoff_started': // the playoff's matches, after the group matches
      model.stage = 2;
      if (ev.qualifiers) model.qualifiers = [...ev.qualifiers];
      for (const x of ev.matches || []) putMatch(model, x);
      break;
    case 'round_started':
      if (ev.round) model.round = ev.round;
      for (const x of ev.matches || []) putMatch(model, x);
      break;
    case 'match_ready':
    case 'match_reported':
    case 'match_disputed':
    case 'match_completed':
    case 'match_reset':
    case 'match_void':
    case 'match_deadline_warning': // the match now says warned: its deadline is near
    case 'match_timed_out': // before the rule applied; a match_completed follows, or it is overdue
    case 'match_corrected': // an organiser's correction: the match as corrected (`was`: before)
      if (ev.match) putMatch(model, ev.match);
      break;
    case 'match_updated': { // a pending match's slots: one filled by the match feeding it, or emptied
      const m = model.matches.find((x) => x.id === ev.match_id);
      if (m && ev.slots) {
        m.players = [...ev.slots.players];
        m.filled = [...ev.slots.filled];
      }
      break;
    }
    case 'check_in_opened':
      model.check_in_open = true;
      break;
    case 'player_eliminated':
      if (p) {
        p.eliminated = true;
        p.eliminated_in = ev.match_id || 0;
      }
      break;
    case 'player_reinstated':
      if (p) {
        p.eliminated = false;
        p.eliminated_in = 0;
      }
      break;
    case 'player_withdrawn':
      if (p) {
        p.withdrawn = true;
        if (ev.reason === 'disqualified') p.disqualified = true;
      }
      break;
    case 'tournament_finished':
      model.status = 'finished';
      if (ev.reason) model.note = ev.reason;
      break;
    case 'tournament_cancelled':
      model.status = 'cancelled';
      break;
    case 'tournament_edited': // the name and description as they are now
      if (ev.name) model.name = ev.name;
      model.description = ev.description || '';
      break;
    case 'tournament_deleted': // the last event: the hub sends nothing more for it
      model.status = 'deleted';
      break;
    case 'player_edited': // the participant as it is now (whole: a cleared rating is absent)
      if (ev.participant) {
        const i = model.participants.findIndex((x) => x.id === ev.participant.id);
        if (i >= 0) model.participants[i] = {...ev.participant};
      }
      break;
    case 'seeds_changed': // every participant with their seed, and the settings (seeding given)
      if (ev.participants) model.participants = ev.participants.map((x) => ({...x}));
      if (ev.settings) model.settings = ev.settings;
      break;
    case 'tournament_reopened': // a correction reset matches after the finish
      model.status = 'running';
      break;
    default:
      break;
  }
}

// startSettings completes the settings the hub fills in at the start: a Swiss tournament
// created without `rounds` plays ceil(log2(players)) rounds (at least one), counted over the
// players who started (after those who did not check in were dropped). The start event names no
// settings, so without this a live page said "Round 3" where a reloaded one said "Round 3 of 3".
// Settings the event carries (a newer hub) are taken as they are.
function startSettings(model, ev) {
  if (ev.settings) {
    model.settings = ev.settings;
    return;
  }
  const s = model.settings || {};
  if ((s.format || model.format) !== 'swiss' || s.rounds) return;
  let rounds = 0;
  while ((1 << rounds) < model.participants.length) rounds++;
  model.settings = {...s, rounds: Math.max(1, rounds)};
}

// seedOrder returns the participants in seed order, top seed first: by seed, those with none
// (0: not placed yet) after the placed ones, in join order (by id). Before anyone is placed, a
// tournament seeded by rating lists them as the start would: highest rating first.
export function seedOrder(model) {
  const list = [...model.participants];
  const placed = list.some((p) => p.seed);
  const byRating = !placed && model.status === 'registering' && model.settings && model.settings.seeding === 'rating';
  list.sort((a, b) => {
    if (byRating && (a.rating || 0) !== (b.rating || 0)) return (b.rating || 0) - (a.rating || 0);
    const sa = a.seed || Infinity;
    const sb = b.seed || Infinity;
    return sa !== sb ? (sa < sb ? -1 : 1) : a.id - b.id;
  });
  return list;
}

// nameOf returns a participant's name, or a placeholder for nobody.
export function nameOf(model, id) {
  if (!id) return '';
  const p = participant(model, id);
  return p ? p.name : `Player ${id}`;
}

export function playerById(model, id) {
  return participant(model, id);
}

// isSlotBye says whether slot i of a match is decided and empty (a bye).
export function isSlotBye(match, i) {
  return Boolean(match.filled && match.filled[i] && !match.players[i]);
}

// isGroupMatch says whether a match is of a group stage (round robin groups or Swiss rounds); in a
// two-stage tournament the others are the playoff's.
export function isGroupMatch(match) {
  return match.bracket === 'group' || match.bracket === 'swiss';
}

// isTwoStage says whether the tournament has a group stage and a playoff.
export function isTwoStage(model) {
  return Boolean(model.settings && model.settings.playoff);
}

// groupStageOver says whether a two-stage tournament's group stage is over and waits for the
// organiser to start the playoff.
export function groupStageOver(model) {
  return isTwoStage(model) && model.stage !== 2 && model.status === 'running' &&
    Boolean(model.qualifiers && model.qualifiers.length);
}

// nextMatchFor returns the match the player should play now (ready or disputed), or else the
// earliest pending match waiting for them, or null. Between a two-stage tournament's group stage
// and its playoff nobody has one; in the playoff only its matches count.
export function nextMatchFor(model, pid) {
  if (!pid) return null;
  if (groupStageOver(model)) return null;
  let mine = model.matches.filter((x) => x.players && x.players.includes(pid));
  if (isTwoStage(model) && model.stage === 2) mine = mine.filter((x) => !isGroupMatch(x));
  return mine.find((x) => x.status === 'ready' || x.status === 'disputed') ||
    mine.find((x) => x.status === 'pending') || null;
}

// opponentOf returns the other player's id in a match (0 for nobody yet).
export function opponentOf(match, pid) {
  if (!match || !match.players) return 0;
  return match.players[0] === pid ? match.players[1] || 0 : match.players[0] || 0;
}

// checkInOpen says whether players can check in now: while registering, when the tournament
// requires it, and, with a check-in window (settings.check_in_window), once the window has
// opened (the hub opens it that long before settings.scheduled_start, and refuses a check-in
// before).
export function checkInOpen(model) {
  const s = model.settings || {};
  return model.status === 'registering' && Boolean(s.require_check_in || s.check_in_window) &&
    (!s.check_in_window || model.check_in_open);
}

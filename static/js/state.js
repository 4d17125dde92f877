// state.js: the local copy of one tournament. A snapshot replaces it; events patch it (matches
// come whole, so a match event replaces the match with the same id). Every page renders from this
// one model, so the organiser, player and spectator views cannot disagree.

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
    // standingsFinal: the standings came with the end of the tournament (not a live estimate).
    standingsFinal: state.status === 'finished',
    standingsVersion: state.version || 0,
    round: state.round || 0,
    note: state.note || '',
    // Two-stage tournaments (settings.playoff): stage 1 is the group stage, 2 the playoff (0: not
    // a two-stage tournament, or not started); qualifiers, top seed first, once the group stage
    // is over (null before).
    stage: state.stage || 0,
    qualifiers: state.qualifiers ? [...state.qualifiers] : null,
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

// applyEvents patches the model with the events of one version, in order, and sets its version.
// Unknown event types are ignored (a newer hub may send more).
export function applyEvents(model, events, version) {
  for (const ev of events) applyEvent(model, ev);
  if (version) model.version = version;
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
      // (again after a correction or a withdrawal changed the qualifiers). Its standings are the
      // hub's group tables, with every tie-break: they chose the qualifiers.
      if (ev.qualifiers) model.qualifiers = [...ev.qualifiers];
      model.stage = model.stage || 1;
      if (ev.standings && ev.standings.length) {
        model.standings = ev.standings;
        model.standingsStale = false;
      }
      break;
    case 'playoff_started': // the playoff's matches, after the group matches
      model.stage = 2;
      if (ev.qualifiers) model.qualifiers = [...ev.qualifiers];
      for (const x of ev.matches || []) putMatch(model, x);
      model.standingsStale = true;
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
    case 'player_eliminated': // the match that did it is found from the matches (eliminatedIn)
      if (p) {
        p.eliminated = true;
        p.eliminated_in = 0;
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
      if (ev.standings) model.standings = ev.standings;
      model.standingsFinal = true;
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
      model.standingsFinal = false;
      break;
    default:
      break;
  }
  if (ev.match && ev.type !== 'tournament_started') {
    // A match changed: standings from an older version are no longer exact.
    model.standingsStale = true;
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

// liveStandings returns standings for display. Once the tournament is finished (or when the hub's
// standings are newer than every match change) they are the hub's. While a round robin or Swiss
// runs, they are a provisional table computed here from completed matches: points, then game
// difference (the hub applies the real tie-breaks). While an elimination runs, they are
// eliminationTable's.
export function liveStandings(model) {
  const scored = model.format === 'round_robin' || model.format === 'swiss';
  if (model.standingsFinal || (!model.standingsStale && model.standings.length)) {
    return {rows: model.standings, provisional: false};
  }
  if (model.status === 'registering') return null;
  if (!scored) return eliminationTable(model, model.matches, model.participants);
  return tableOf(model, model.matches);
}

// eliminatedIn returns the match that put an eliminated player out (0: none, they withdrew
// between matches). A snapshot names it; after a player_eliminated event it is the player's last
// decided match that they did not win (matches are numbered in the order they are played:
// winners, losers, then the grand final).
export function eliminatedIn(model, pid) {
  const p = participant(model, pid);
  if (!p || !p.eliminated) return 0;
  if (p.eliminated_in) return p.eliminated_in;
  let out = 0;
  for (const m of model.matches) {
    if (!m.players || !m.players.includes(pid) || isGroupMatch(m)) continue;
    if ((m.status === 'completed' && m.winner !== pid) || m.status === 'void') out = m.id;
  }
  return out;
}

// eliminationTable ranks the players of an elimination (players: those in it, top seed first
// for a two-stage playoff) by how far they got, as the hub's standings do: players still in
// first (without a loss ahead of those with one), then the eliminated, later rounds first;
// players out at the same stage share a place ("5-8"). Each row says the match that put the player
// out (out_in; 0: still in, or withdrew between matches). W and L count matches played against
// someone (a bye is no win).
export function eliminationTable(model, matches, players) {
  const elim = matches.filter((m) => !isGroupMatch(m));
  const rows = new Map();
  players.forEach((p, i) => rows.set(p.id, {player_id: p.id, wins: 0, losses: 0, games_won: 0, games_lost: 0,
    eliminated: Boolean(p.eliminated), out_in: 0, pos: p.seed || i + 1}));
  let winnersRounds = 0;
  let losersRounds = 0;
  for (const m of elim) {
    if (m.bracket === 'winners') winnersRounds = Math.max(winnersRounds, m.round);
    if (m.bracket === 'losers') losersRounds = Math.max(losersRounds, m.round);
    if (m.status !== 'completed') continue;
    (m.players || []).forEach((id, side) => {
      const r = rows.get(id);
      if (!r) return;
      r.games_won += m.scores ? m.scores[side] : 0;
      r.games_lost += m.scores ? m.scores[1 - side] : 0;
      if (id === m.winner && m.players[1 - side]) r.wins++;
      else if (id === m.loser) r.losses++;
    });
  }
  const byId = new Map(elim.map((m) => [m.id, m]));
  const double = (isTwoStage(model) ? model.settings.playoff.format : model.format) === 'double_elimination';
  const stage = (id) => {
    const m = byId.get(id);
    if (!m) return -1; // withdrew before playing
    if (m.bracket === 'third_place') return winnersRounds - 1 + 0.5;
    if (m.bracket === 'losers') return m.round;
    if (m.bracket === 'grand_final') return losersRounds + 1;
    if (double) return m.round === 1 ? 0.5 : 2 * (m.round - 1) - 0.5;
    return m.round;
  };
  const list = [...rows.values()];
  for (const r of list) {
    if (!r.eliminated) {
      r.key = r.losses === 0 ? 1e6 : double ? 1e5 : winnersRounds - 1 + 0.75;
    } else {
      r.out_in = eliminatedIn(model, r.player_id);
      r.key = stage(r.out_in);
    }
  }
  list.sort((a, b) => (b.key - a.key) || (a.pos - b.pos));
  for (let i = 0; i < list.length;) {
    let j = i;
    while (j < list.length && list[j].key === list[i].key) j++;
    for (let k = i; k < j; k++) {
      list[k].rank = i + 1;
      list[k].rank_to = j;
    }
    i = j;
  }
  return {rows: list, provisional: true, elimination: true};
}

// groupTables returns a two-stage tournament's group tables computed from its group matches
// alone (once the playoff has started, the hub's standings rank everyone overall).
export function groupTables(model) {
  return tableOf(model, model.matches.filter(isGroupMatch));
}

// tableOf computes a provisional table of every participant from the completed matches given.
function tableOf(model, matches) {
  const pts = model.settings.points || {win: 3, draw: 1, loss: 0};
  const rows = new Map();
  const row = (id, group) => {
    if (!rows.has(id)) rows.set(id, {player_id: id, group: group || 0, wins: 0, draws: 0, losses: 0, points: 0, games_won: 0, games_lost: 0});
    const r = rows.get(id);
    if (!r.group && group) r.group = group; // a participant's group is that of their matches
    return r;
  };
  for (const p of model.participants) row(p.id);
  for (const x of matches) {
    for (const id of x.players || []) if (id) row(id, x.group);
    if (x.status !== 'completed') continue;
    const [a, b] = x.players;
    for (const [i, id] of [[0, a], [1, b]]) {
      if (!id) continue;
      const r = row(id, x.group);
      r.games_won += x.scores ? x.scores[i] : 0;
      r.games_lost += x.scores ? x.scores[1 - i] : 0;
      if (x.games && x.games.length) {
        // Game points only on the lines whose results gave them, as the hub's standings do.
        r.game_points_for = (r.game_points_for || 0) + x.games.reduce((n, g) => n + g[i], 0);
        r.game_points_against = (r.game_points_against || 0) + x.games.reduce((n, g) => n + g[1 - i], 0);
      }
      if (x.draw) {
        r.draws++;
        r.points += pts.draw;
      } else if (x.winner === id) {
        r.wins++;
        r.points += pts.win;
      } else {
        r.losses++;
        r.points += pts.loss;
      }
    }
  }
  const list = [...rows.values()];
  const key = (r) => [r.points, r.games_won - r.games_lost];
  list.sort((r, s) => (r.group - s.group) || (key(s)[0] - key(r)[0]) || (key(s)[1] - key(r)[1]) || (r.player_id - s.player_id));
  // Ranks within each group; equal keys share a range like "2-3".
  const byGroup = new Map();
  for (const r of list) {
    if (!byGroup.has(r.group)) byGroup.set(r.group, []);
    byGroup.get(r.group).push(r);
  }
  for (const g of byGroup.values()) {
    let i = 0;
    while (i < g.length) {
      let j = i;
      while (j + 1 < g.length && key(g[j + 1]).join() === key(g[i]).join()) j++;
      for (let k = i; k <= j; k++) {
        g[k].rank = i + 1;
        g[k].rank_to = j + 1;
      }
      i = j + 1;
    }
  }
  return {rows: list, provisional: true};
}

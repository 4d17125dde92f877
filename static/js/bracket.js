// bracket.js: renders a tournament model (state.js) as DOM, for all four formats: single
// elimination (rounds as columns, third-place match), double elimination (winners, losers, grand
// final and its reset), round robin (groups: standings plus round-by-round matches) and Swiss
// (rounds plus standings). A two-stage tournament gets two sections: its group stage (round robin
// or Swiss) and its playoff (an elimination), each drawn by its own format's renderer. It only
// draws; pages pass `matchExtras` to add their own controls.

import {h, rankText} from './dom.js';
import {nameOf, isSlotBye, liveStandings, groupTables, playerById, isGroupMatch, isTwoStage, groupStageOver} from './state.js';
import {gamesText, reportText} from './games.js';

const STATUS_LABEL = {
  pending: 'Waiting',
  ready: 'Ready',
  disputed: 'Disputed',
  completed: 'Completed',
  void: 'Void',
};

const FORMAT_LABEL = {
  single_elimination: 'Single elimination',
  double_elimination: 'Double elimination',
  round_robin: 'Round robin',
  swiss: 'Swiss',
};

export function formatLabel(f) {
  return FORMAT_LABEL[f] || f || '';
}

// sectionTitle names the bracket section of a page by format (and the settings: a two-stage
// tournament has both stages there).
export function sectionTitle(f, settings) {
  if (settings && settings.playoff) return 'Group stage and playoff';
  return {round_robin: 'Tables and matches', swiss: 'Standings and rounds'}[f] || 'Bracket';
}

export function statusLabel(s) {
  return {registering: 'Registering', running: 'Running', finished: 'Finished', cancelled: 'Cancelled', deleted: 'Deleted'}[s] || s || '';
}

// renderTournament draws the bracket or tables of model into container.
// opts.me: the viewing player's id (their slots are highlighted).
// opts.matchExtras(match): nodes to append to a match card (organiser controls), or null.
export function renderTournament(container, model, opts = {}) {
  const parts = [];
  if (model.status === 'registering') {
    parts.push(h('p', {class: 'empty', 'data-testid': 'bracket-empty'},
      'The bracket appears when the organiser starts the tournament.'));
  } else if (!model.matches.length) {
    parts.push(h('p', {class: 'empty', 'data-testid': 'bracket-empty'}, 'No matches.'));
  } else if (isTwoStage(model)) {
    parts.push(renderTwoStage(model, opts));
  } else {
    parts.push(renderFormat(model.format, model, model.matches, opts, liveStandings(model)));
  }
  if (!isTwoStage(model) && (model.format === 'single_elimination' || model.format === 'double_elimination') && model.status === 'finished') {
    // Elimination standings are shown once final; while running the bracket says it all.
    if (model.standings.length) parts.push(renderStandings(model, model.standings, {title: 'Final standings'}));
  }
  container.replaceChildren(...parts);
}

// renderFormat draws matches by the renderer of format; st: the standings of the tables (round
// robin and Swiss).
function renderFormat(format, model, matches, opts, st, tableNote) {
  switch (format) {
    case 'single_elimination':
      return renderSingle(model, matches, opts);
    case 'double_elimination':
      return renderDouble(model, matches, opts);
    case 'round_robin':
      return renderRoundRobin(model, matches, opts, st, tableNote);
    case 'swiss':
      return renderSwiss(model, matches, opts, st, tableNote);
    default:
      return renderRounds('Matches', matches, model, opts);
  }
}

// renderTwoStage draws a two-stage tournament: the group stage's matches by the group format's
// renderer, the playoff's by the playoff format's, in sections of their own (the stage being
// played first), and the final standings once it is over.
function renderTwoStage(model, opts) {
  const playoff = model.settings.playoff;
  const groupMatches = model.matches.filter(isGroupMatch);
  const playoffMatches = model.matches.filter((m) => !isGroupMatch(m));
  const started = model.stage === 2 || playoffMatches.length > 0;
  // Once the playoff has started the hub's standings rank everyone overall: the group tables are
  // computed here from the group matches.
  const st = started ? groupTables(model) : liveStandings(model);
  const note = started ? 'Group tables: points, then game difference (the hub\'s tie-breaks chose the qualifiers).' : null;
  const groups = h('section', {class: 'stage stage-group', 'data-testid': 'stage-group', 'aria-labelledby': 'stage-group-title'},
    h('h3', {class: 'stage-title', id: 'stage-group-title'}, 'Group stage'),
    groupStageOver(model) ? h('p', {class: 'hint', 'data-testid': 'stage-group-over', role: 'status'},
      'The group stage is over: waiting for the organiser to start the playoff.') : null,
    renderFormat(model.format, model, groupMatches, {...opts, qualifiers: model.qualifiers}, st, note));
  const bracket = h('section', {class: 'stage stage-playoff', 'data-testid': 'stage-playoff', 'aria-labelledby': 'stage-playoff-title'},
    h('h3', {class: 'stage-title', id: 'stage-playoff-title'}, 'Playoff'),
    playoffMatches.length ? renderFormat(playoff.format, model, playoffMatches, opts)
      : h('p', {class: 'empty', 'data-testid': 'playoff-empty'}, `${formatLabel(playoff.format)}: the bracket appears when the organiser starts the playoff, after the group stage.`));
  const final = model.status === 'finished' && model.standings.length
    ? h('div', {class: 'stage stage-final', 'data-testid': 'final-standings'}, renderStandings(model, model.standings, {title: 'Final standings', overall: true})) : null;
  return h('div', {class: 'format-two-stage'}, final, started ? [bracket, groups] : [groups, bracket]);
}

function standingsTitle(model, st) {
  if (model.status === 'finished') return 'Final standings';
  // Provisional: computed here from the results so far, by points and game difference; the
  // hub's own tables (with every tie-break) come with the next snapshot and at the end.
  return st.provisional ? 'Standings (provisional: points and game difference; tie-breaks apply at the end)' : 'Standings';
}

function byRound(matches) {
  const rounds = new Map();
  for (const m of matches) {
    if (!rounds.has(m.round)) rounds.set(m.round, []);
    rounds.get(m.round).push(m);
  }
  return [...rounds.entries()].sort((a, b) => a[0] - b[0]);
}

function elimRoundName(r, last) {
  if (r === last) return 'Final';
  if (r === last - 1) return 'Semi-finals';
  if (r === last - 2) return 'Quarter-finals';
  return `Round ${r}`;
}

// columns draws rounds side by side, like a printed bracket.
function columns(label, rounds, nameFn, model, opts, testid) {
  return h('div', {class: 'bracket-scroll', role: 'region', 'aria-label': label, tabindex: '0'},
    h('div', {class: 'bracket', 'data-testid': testid},
      rounds.map(([r, ms]) => h('section', {class: 'round', 'data-round': r, 'data-round-name': nameFn(r)},
        h('h4', {class: 'round-title'}, nameFn(r)),
        h('div', {class: 'round-matches'}, ms.map((m) => matchCard(m, model, opts)))))));
}

function renderSingle(model, matches, opts) {
  const winners = matches.filter((m) => m.bracket === 'winners' || !m.bracket);
  const rounds = byRound(winners);
  const last = rounds.length ? rounds[rounds.length - 1][0] : 1;
  const out = [columns('Bracket', rounds, (r) => elimRoundName(r, last), model, opts, 'bracket-winners')];
  const third = matches.filter((m) => m.bracket === 'third_place');
  if (third.length) {
    out.push(h('section', {class: 'third-place', 'data-testid': 'bracket-third-place'},
      h('h4', {}, 'Third-place match'), third.map((m) => matchCard(m, model, opts))));
  }
  return h('div', {class: 'format-single'}, out);
}

function renderDouble(model, matches, opts) {
  const part = (b) => matches.filter((m) => m.bracket === b);
  const wr = byRound(part('winners'));
  const lr = byRound(part('losers'));
  const wLast = wr.length ? wr[wr.length - 1][0] : 1;
  const lLast = lr.length ? lr[lr.length - 1][0] : 1;
  const gf = part('grand_final');
  return h('div', {class: 'format-double'},
    h('h3', {}, 'Winners bracket'),
    columns('Winners bracket', wr, (r) => (r === wLast ? 'Winners final' : `Winners round ${r}`), model, opts, 'bracket-winners'),
    lr.length ? [h('h3', {}, 'Losers bracket'),
      columns('Losers bracket', lr, (r) => (r === lLast ? 'Losers final' : `Losers round ${r}`), model, opts, 'bracket-losers')] : null,
    gf.length ? h('section', {class: 'grand-final', 'data-testid': 'bracket-grand-final'},
      h('h3', {}, 'Grand final'),
      h('div', {class: 'round-matches row'}, gf.map((m) => {
        const label = m.round >= 2 ? (m.status === 'void' ? 'Reset (not needed)' : 'Reset') : 'Grand final';
        return h('div', {class: 'gf-slot'}, h('h4', {class: 'round-title'}, label), matchCard(m, model, opts));
      }))) : null);
}

function renderRoundRobin(model, matches, opts, st, note) {
  const groups = [...new Set(matches.map((m) => m.group || 1))].sort((a, b) => a - b);
  // A player's group is that of their matches (standings may not say).
  const groupOf = new Map();
  for (const m of matches) for (const id of m.players || []) if (id) groupOf.set(id, m.group || 1);
  const hint = note || (st && (st.provisional || model.status === 'finished') ? standingsTitle(model, st) : null);
  return h('div', {class: 'format-rr'},
    hint ? h('p', {class: 'hint'}, hint) : null,
    groups.map((g) => {
      const ms = matches.filter((m) => (m.group || 1) === g);
      const rows = st ? st.rows.filter((r) => groups.length === 1 || (r.group || groupOf.get(r.player_id) || 1) === g) : [];
      return h('section', {class: 'group', 'data-testid': `group-${g}`, 'data-group': g},
        groups.length > 1 ? h('h3', {}, `Group ${g}`) : null,
        rows.length ? renderStandings(model, rows, {title: groups.length > 1 ? `Group ${g} table` : 'Table', qualifiers: opts.qualifiers}) : null,
        renderRounds(`Matches${groups.length > 1 ? ` of group ${g}` : ''}`, ms, model, opts));
    }));
}

function renderSwiss(model, matches, opts, st, note) {
  const total = model.settings.rounds || null;
  return h('div', {class: 'format-swiss'},
    note ? h('p', {class: 'hint'}, note) : null,
    st && st.rows.length ? renderStandings(model, st.rows, {title: note ? 'Swiss table' : standingsTitle(model, st), qualifiers: opts.qualifiers}) : null,
    renderRounds(total ? `Rounds (of ${total})` : 'Rounds', matches, model, opts));
}

// renderRounds draws matches as a list grouped by round (round robin, Swiss).
function renderRounds(title, matches, model, opts) {
  return h('div', {class: 'rounds-list'},
    h('h4', {}, title),
    byRound(matches).map(([r, ms]) => h('section', {class: 'round round-list', 'data-round': r},
      h('h5', {class: 'round-title'}, `Round ${r}`),
      h('div', {class: 'round-matches grid'}, ms.map((m) => matchCard(m, model, opts))))));
}

function slotText(m, i, model) {
  const id = m.players ? m.players[i] : 0;
  if (id) return {text: nameOf(model, id), cls: ''};
  if (isSlotBye(m, i)) return {text: 'bye', cls: 'bye'};
  const f = m.feeds && m.feeds[i];
  if (f && f.match) return {text: `${f.take === 'loser' ? 'Loser' : 'Winner'} of M${f.match}`, cls: 'tbd'};
  return {text: 'to be decided', cls: 'tbd'};
}

// matchCard draws one match: both slots, scores once there is a result, the winner highlighted,
// and the status (with walkover, forfeit and disputed reports spelled out).
export function matchCard(m, model, opts = {}) {
  const done = m.status === 'completed';
  const slots = [0, 1].map((i) => {
    const id = m.players ? m.players[i] : 0;
    const s = slotText(m, i, model);
    const p = id ? playerById(model, id) : null;
    const cls = ['slot', s.cls];
    if (done && id && m.winner === id) cls.push('winner');
    if (done && id && m.winner && m.winner !== id) cls.push('loser');
    if (done && m.draw) cls.push('draw');
    if (opts.me && id === opts.me) cls.push('me');
    const marks = [];
    if (m.forfeited && m.forfeited[i]) marks.push(h('span', {class: 'mark'}, 'forfeit'));
    if (p && p.disqualified) marks.push(h('span', {class: 'mark'}, 'DQ'));
    else if (p && p.withdrawn) marks.push(h('span', {class: 'mark'}, 'withdrawn'));
    return h('div', {class: cls.filter(Boolean).join(' '), 'data-player-id': id || null},
      h('span', {class: 'name', 'data-testid': `match-${m.id}-p${i}`}, s.text), marks,
      done && m.winner === id && id ? h('span', {class: 'sr-only'}, ' (winner)') : null,
      h('span', {class: 'score', 'data-testid': `match-${m.id}-s${i}`}, done && !m.walkover ? String(m.scores ? m.scores[i] : '') : ''));
  });
  const badge = [h('span', {class: `badge badge-${m.status}`, 'data-testid': `match-${m.id}-status`}, STATUS_LABEL[m.status] || m.status)];
  if (m.walkover) badge.push(h('span', {class: 'badge badge-walkover'}, 'Walkover'));
  if (done && m.draw) badge.push(h('span', {class: 'badge'}, 'Draw'));
  if (m.overdue && !done) badge.push(h('span', {class: 'badge badge-overdue', 'data-testid': `match-${m.id}-overdue`}, 'Overdue'));
  let reports = null;
  if (m.reports && m.reports.some(Boolean) && m.status !== 'completed') {
    reports = h('ul', {class: 'reports', 'aria-label': 'Reported scores'},
      [0, 1].map((i) => m.reports[i] ? h('li', {}, `${nameOf(model, m.players[i]) || 'Side ' + (i + 1)} reported ${reportText(m.reports[i])}`) : null));
  }
  // Each game's points, when the result gave them, under the series score.
  const games = done && m.games && m.games.length
    ? h('p', {class: 'games', title: 'Points of each game'},
      h('span', {class: 'sr-only'}, 'Points of each game: '), h('span', {'data-testid': `match-${m.id}-games`}, gamesText(m.games))) : null;
  const extras = opts.matchExtras ? opts.matchExtras(m) : null;
  return h('article', {
    class: `match status-${m.status}`,
    'data-testid': `match-${m.id}`,
    'data-match-id': m.id,
    'data-status': m.status,
    'data-bracket': m.bracket,
    'data-round': m.round,
    'aria-label': `Match ${m.id}: ${slotText(m, 0, model).text} versus ${slotText(m, 1, model).text}, ${STATUS_LABEL[m.status] || m.status}`,
  },
  h('header', {class: 'match-head'}, h('span', {class: 'mid'}, `M${m.id}`), badge),
  slots, games, deadlineLine(m), reports, extras);
}

// deadlineLine shows when an open match must be reported (the tournament's time limit), in the
// viewer's time zone; close to it (the players were warned) or past it, it is highlighted.
function deadlineLine(m) {
  if (!m.deadline || (m.status !== 'ready' && m.status !== 'disputed')) return null;
  const d = new Date(m.deadline);
  if (Number.isNaN(d.getTime())) return null;
  const cls = ['deadline'];
  if (m.overdue) cls.push('overdue');
  else if (m.warned) cls.push('near');
  return h('p', {class: cls.join(' '), 'data-testid': `match-${m.id}-deadline`},
    m.overdue ? 'Time ran out at ' : 'Report by ',
    h('time', {datetime: d.toISOString()}, d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})));
}

// hasGamePoints says whether a standings line counts game points (a result gave each game's
// points): the table then shows them.
function hasGamePoints(r) {
  return r.game_points_for !== undefined || r.game_points_against !== undefined;
}

// renderStandings draws a standings table; tied ranks read "5-8". "Game pts" (points scored and
// conceded in games) is shown only when some line has them. qualifiers: the players marked as
// going on to the playoff (a two-stage tournament's group tables). overall: a two-stage
// tournament's standings, the playoff's players first: a column says which stage each reached,
// and W and L count the playoff's matches for its players, the group stage's for the others.
export function renderStandings(model, rows, {title, qualifiers, overall} = {}) {
  const scored = !overall && (model.format === 'round_robin' || model.format === 'swiss');
  const points = rows.some(hasGamePoints);
  const going = new Set(qualifiers || []);
  const inPlayoff = new Set(model.qualifiers || []);
  const head = ['Rank', 'Player'];
  if (overall) head.push('Stage reached');
  if (scored) head.push('W', 'D', 'L', 'Pts', 'Games');
  else head.push('W', 'L');
  if (points) head.push('Game pts');
  return h('section', {class: 'standings'},
    title ? h('h4', {}, title) : null,
    h('div', {class: 'table-scroll'},
      h('table', {'data-testid': 'standings'},
        h('thead', {}, h('tr', {}, head.map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, rows.map((r) => {
          const p = playerById(model, r.player_id);
          const cells = [
            h('td', {class: 'rank', 'data-testid': `rank-${r.player_id}`}, rankText(r.rank, r.rank_to)),
            h('th', {scope: 'row'}, nameOf(model, r.player_id),
              p && p.disqualified ? ' (DQ)' : p && p.withdrawn ? ' (withdrawn)' : '',
              going.has(r.player_id) ? [' ', h('span', {class: 'mark', 'data-testid': `qualified-${r.player_id}`, title: 'Goes on to the playoff'}, 'qualified')] : null),
          ];
          if (overall) {
            cells.push(h('td', {'data-testid': `stage-reached-${r.player_id}`},
              inPlayoff.has(r.player_id) ? 'Playoff' : r.group ? `Group stage (group ${r.group})` : 'Group stage'));
          }
          if (scored) {
            cells.push(h('td', {}, r.wins ?? 0), h('td', {}, r.draws ?? 0), h('td', {}, r.losses ?? 0),
              h('td', {}, fmtNum(r.points ?? 0)), h('td', {}, `${r.games_won ?? 0}-${r.games_lost ?? 0}`));
          } else {
            cells.push(h('td', {}, r.wins ?? 0), h('td', {}, r.losses ?? 0));
          }
          if (points) {
            cells.push(h('td', {'data-testid': `game-points-${r.player_id}`}, `${r.game_points_for ?? 0}-${r.game_points_against ?? 0}`));
          }
          return h('tr', {'data-testid': `standing-${r.player_id}`, class: r.rank === 1 && model.status === 'finished' && !qualifiers ? 'champion' : null}, cells);
        })))));
}

function fmtNum(n) {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

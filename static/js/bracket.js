// bracket.js: renders a tournament model (state.js) as DOM, for all four formats: single
// elimination (rounds as columns, third-place match), double elimination (winners, losers, grand
// final and its reset), round robin (groups: standings, a results grid and round-by-round
// matches) and Swiss (rounds plus standings). A two-stage tournament gets two sections: its group
// stage (round robin or Swiss) and its playoff (an elimination), each drawn by its own format's
// renderer. A finished tournament opens with its champion. It only draws; pages pass
// `matchExtras` to add their own controls.
//
// Elimination sections are grids: a match spans the rows of the matches that feed it, so each
// card sits level with its feeders, and an SVG drawn from the cards' positions joins each card to
// the match its winner goes to (redrawn whenever a card or the bracket changes size). Matches
// between two byes are not drawn; a bye that sends a player on is a slim line, not a card.

import {h, rankText, ordinal} from './dom.js';
import {nameOf, isSlotBye, playerById, isGroupMatch, isTwoStage, groupStageOver} from './state.js';
import {groupStandings} from './standings.js';
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

// TIE_BREAKS describes each tie-break of docs/tiebreaks.md: the column's abbreviation, its name,
// and one sentence for the legend under the table.
const TIE_BREAKS = {
  head_to_head: {abbr: 'H2H', name: 'Head-to-head',
    text: 'points earned in the matches between the players tied on points.'},
  buchholz: {abbr: 'Bu', name: 'Buchholz',
    text: 'the sum of the points of every opponent met, a measure of how strong the opposition was (a bye adds nothing).'},
  sonneborn_berger: {abbr: 'SB', name: 'Sonneborn-Berger',
    text: 'the sum of the points of the opponents beaten, plus half the points of those drawn with.'},
  game_difference: {abbr: 'GD', name: 'Game difference',
    text: 'games won minus games lost.'},
  game_points: {abbr: 'GP', name: 'Game points',
    text: 'points scored in games minus points conceded, over the results reported with their games.'},
};

// The hub's tie-breaks when a tournament lists none (docs/tiebreaks.md).
const DEFAULT_TIE_BREAKS = {
  round_robin: ['head_to_head', 'sonneborn_berger', 'game_difference', 'buchholz'],
  swiss: ['buchholz', 'sonneborn_berger', 'head_to_head', 'game_difference'],
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

function isElimination(format) {
  return format === 'single_elimination' || format === 'double_elimination';
}

// renderTournament draws the bracket or tables of model into container.
// opts.me: the viewing player's id (their slots are highlighted).
// opts.matchExtras(match): nodes to append to a match card (organiser controls), or null.
export function renderTournament(container, model, opts = {}) {
  forgetObserved(container);
  const parts = [];
  if (model.status === 'finished') parts.push(championBanner(model));
  if (model.status === 'registering') {
    parts.push(h('p', {class: 'empty', 'data-testid': 'bracket-empty'},
      'The bracket appears when the organiser starts the tournament.'));
  } else if (!model.matches.length) {
    parts.push(h('p', {class: 'empty', 'data-testid': 'bracket-empty'}, 'No matches.'));
  } else if (isTwoStage(model)) {
    parts.push(renderTwoStage(model, opts));
  } else {
    parts.push(renderFormat(model.format, model, model.matches, opts, isElimination(model.format) ? null : model.standings));
  }
  if (!isTwoStage(model) && isElimination(model.format)) {
    if (model.status === 'finished') {
      if (model.standings.length) parts.push(renderStandings(model, model.standings, {title: 'Final standings'}));
    } else if (model.status === 'running' && model.matches.length) {
      parts.push(renderLiveElimination(model, model.matches, model.standings));
    }
  }
  container.replaceChildren(...parts.filter(Boolean));
}

// renderFormat draws matches by the renderer of format; table: the standings lines of the tables
// (round robin and Swiss).
function renderFormat(format, model, matches, opts, table, tableNote) {
  switch (format) {
    case 'single_elimination':
      return renderSingle(model, matches, opts);
    case 'double_elimination':
      return renderDouble(model, matches, opts);
    case 'round_robin':
      return renderRoundRobin(model, matches, opts, table, tableNote);
    case 'swiss':
      return renderSwiss(model, matches, opts, table, tableNote);
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
  // Once the playoff has started the standings rank everyone overall: the group tables are the
  // group stage's own, worked out from its matches as the hub does.
  const table = started ? groupStandings(model) : model.standings;
  const note = started ? 'The group tables, final since the playoff started.' : null;
  const groups = h('section', {class: 'stage stage-group', 'data-testid': 'stage-group', 'aria-labelledby': 'stage-group-title'},
    h('h3', {class: 'stage-title', id: 'stage-group-title'}, 'Group stage'),
    groupStageOver(model) ? h('p', {class: 'hint', 'data-testid': 'stage-group-over', role: 'status'},
      'The group stage is over: waiting for the organiser to start the playoff.') : null,
    renderFormat(model.format, model, groupMatches, {...opts, qualifiers: model.qualifiers}, table, note));
  // While the playoff runs, its players as they stand: the standings' lines of the qualifiers.
  const q = new Set(model.qualifiers || []);
  const live = started && model.status === 'running' && playoffMatches.length
    ? renderLiveElimination(model, playoffMatches, model.standings.filter((r) => q.has(r.player_id))) : null;
  const bracket = h('section', {class: 'stage stage-playoff', 'data-testid': 'stage-playoff', 'aria-labelledby': 'stage-playoff-title'},
    h('h3', {class: 'stage-title', id: 'stage-playoff-title'}, 'Playoff'),
    playoffMatches.length ? renderFormat(playoff.format, model, playoffMatches, opts)
      : h('p', {class: 'empty', 'data-testid': 'playoff-empty'}, `${formatLabel(playoff.format)}: the bracket appears when the organiser starts the playoff, after the group stage.`),
    live);
  const final = model.status === 'finished' && model.standings.length
    ? h('div', {class: 'stage stage-final', 'data-testid': 'final-standings'}, renderStandings(model, model.standings, {title: 'Final standings', overall: true})) : null;
  return h('div', {class: 'format-two-stage'}, final, started ? [bracket, groups] : [groups, bracket]);
}

function standingsTitle(model) {
  return model.status === 'finished' ? 'Final standings' : 'Standings';
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

// roundNamer returns a function naming the round of any match of an elimination (matches: all
// of its matches), as its bracket's column title does.
export function roundNamer(matches) {
  const last = (b) => matches.reduce((n, m) => (m.bracket === b ? Math.max(n, m.round) : n), 0);
  const wLast = last('winners');
  const lLast = last('losers');
  const double = matches.some((m) => m.bracket === 'losers' || m.bracket === 'grand_final');
  return (m) => {
    switch (m.bracket) {
      case 'losers':
        return m.round === lLast ? 'Losers final' : `Losers round ${m.round}`;
      case 'grand_final':
        return m.round >= 2 ? 'Grand final reset' : 'Grand final';
      case 'third_place':
        return 'Third-place match';
      default:
        if (double) return m.round === wLast ? 'Winners final' : `Winners round ${m.round}`;
        return elimRoundName(m.round, wLast);
    }
  };
}

// byeOnly says whether a match has a bye on both sides: nobody plays it, and it is not drawn.
function byeOnly(m) {
  return isSlotBye(m, 0) && isSlotBye(m, 1);
}

// byeSide returns the slot of a match's bye when the other side is or will be a player (the
// player goes on without playing), or -1.
function byeSide(m) {
  if (byeOnly(m) || m.status === 'void') return -1;
  if (isSlotBye(m, 1)) return 1;
  if (isSlotBye(m, 0)) return 0;
  return -1;
}

// matchNode draws a match: a card, or a slim line for a bye, or nothing for a match between
// two byes.
function matchNode(m, model, opts) {
  if (byeOnly(m)) return null;
  const bye = byeSide(m);
  return bye >= 0 ? byeLine(m, 1 - bye, model, opts) : matchCard(m, model, opts);
}

// byeLine is a bye in one line: the player (or where they will come from) goes on without
// playing; in Swiss the bye counts as a win.
function byeLine(m, i, model, opts) {
  const s = slotText(m, i, model);
  const id = m.players ? m.players[i] : 0;
  const what = m.bracket === 'swiss' ? 'bye (counts as a win)' : 'advances (bye)';
  return h('div', {
    class: `match-bye${opts.me && id === opts.me ? ' me' : ''}`,
    'data-testid': `match-${m.id}`,
    'data-match-id': m.id,
    'data-status': m.status,
    'data-bracket': m.bracket,
    'data-round': m.round,
    'data-bye': 'true',
    'data-winner-to': m.winner_to || null,
    'aria-label': `Match ${m.id}: ${s.text} ${what}`,
  },
  h('span', {class: 'mid'}, `M${m.id}`),
  h('span', {class: `name ${s.cls}`, 'data-testid': `match-${m.id}-p${i}`}, s.text),
  h('span', {class: 'bye-note'}, what));
}

// What is drawn from the layout (an elimination's connectors, its scroll hint and shadows, a
// wide table's keyboard access) is kept in step with it by ResizeObservers, one per element
// drawn; they are let go when that element is redrawn.
const observed = new Map(); // element -> its ResizeObserver

// forgetObserved stops observing the elements about to be replaced in container (and any no
// longer in the page).
function forgetObserved(container) {
  for (const [el, ro] of observed) {
    if (!el.isConnected || container.contains(el)) {
      ro.disconnect();
      observed.delete(el);
    }
  }
}

// observe calls fn now that el is laid out and whenever el or one of others changes size.
function observe(el, others, fn) {
  if (!('ResizeObserver' in window)) return;
  const ro = new ResizeObserver(fn);
  ro.observe(el);
  for (const x of others) ro.observe(x);
  observed.set(el, ro);
}

// scrollBox holds a table that may be wider than a phone. While it is, the box is a named region
// the keyboard can reach and scroll (a tab stop only then).
function scrollBox(label, table) {
  const box = h('div', {class: 'table-scroll'}, table);
  observe(box, [table], () => {
    const over = box.scrollWidth > box.clientWidth + 1;
    if (over === box.hasAttribute('tabindex')) return;
    if (over) {
      box.setAttribute('tabindex', '0');
      box.setAttribute('role', 'region');
      box.setAttribute('aria-label', `${label} (scrolls sideways)`);
    } else {
      for (const a of ['tabindex', 'role', 'aria-label']) box.removeAttribute(a);
    }
  });
  return box;
}

// bracketFrame wraps a bracket grid in its scroll region, with a hint shown only while later
// rounds are out of view (a phone) and shadows on the edges that hide more. The connectors and
// the overflow are worked out once the grid is laid out, and again whenever it or a card changes
// size (a result, an opened organiser panel, a turned phone).
function bracketFrame(label, grid) {
  const scroller = h('div', {class: 'bracket-scroll', role: 'region', 'aria-label': label, tabindex: '0'}, grid);
  const hint = h('button', {type: 'button', class: 'scroll-hint', 'data-testid': 'scroll-hint', tabindex: '-1', title: 'Scroll sideways for the later rounds',
    'aria-hidden': 'true', onclick: () => scroller.scrollBy({left: scroller.clientWidth * 0.8, behavior: calm() ? 'auto' : 'smooth'})},
  'More rounds \u2192');
  const frame = h('div', {class: 'bracket-frame', 'data-overflow': 'false'}, hint, scroller);
  scroller.addEventListener('scroll', () => edges(frame, scroller), {passive: true});
  observe(frame, [scroller, grid, ...grid.querySelectorAll('[data-match-id]')], () => {
    drawConnectors(grid);
    edges(frame, scroller);
  });
  return frame;
}

// calm says whether the viewer asked for less motion (no smooth scrolling then).
function calm() {
  return window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

// edges says whether the bracket is wider than its region and which sides hide more of it.
function edges(frame, scroller) {
  const over = scroller.scrollWidth > scroller.clientWidth + 1;
  const left = over && scroller.scrollLeft > 1;
  const right = over && scroller.scrollLeft + scroller.clientWidth < scroller.scrollWidth - 1;
  frame.dataset.overflow = String(over);
  frame.dataset.moreLeft = String(left);
  frame.dataset.moreRight = String(right);
}

const SVG = 'http://www.w3.org/2000/svg';

// drawConnectors joins each match in grid to the match its winner goes to, when that match is
// drawn in the same grid: from the middle of the card's right edge across to the middle of the
// next card's left edge, turning in the gap between their columns. A decided line is darker.
function drawConnectors(grid) {
  const svg = grid.querySelector(':scope > svg.connectors');
  if (!svg) return;
  const box = grid.getBoundingClientRect();
  if (!box.width) return; // not laid out (hidden): drawn when it shows
  const nodes = new Map();
  for (const el of grid.querySelectorAll('[data-match-id]')) nodes.set(el.dataset.matchId, el);
  const paths = [];
  for (const [id, el] of nodes) {
    const next = el.dataset.winnerTo && nodes.get(el.dataset.winnerTo);
    if (!next) continue;
    const a = el.getBoundingClientRect();
    const b = next.getBoundingClientRect();
    const x1 = a.right - box.left;
    const y1 = a.top + a.height / 2 - box.top;
    const x2 = b.left - box.left;
    const y2 = b.top + b.height / 2 - box.top;
    const mid = x1 + (x2 - x1) / 2;
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', `M${x1.toFixed(1)} ${y1.toFixed(1)}H${mid.toFixed(1)}V${y2.toFixed(1)}H${x2.toFixed(1)}`);
    path.setAttribute('class', `connector${el.dataset.status === 'completed' ? ' decided' : ''}`);
    path.setAttribute('data-testid', `connector-${id}`);
    path.setAttribute('data-from', id);
    path.setAttribute('data-to', el.dataset.winnerTo);
    paths.push(path);
  }
  svg.replaceChildren(...paths);
}

// bracketGrid draws the matches of one elimination section as a grid: a column per round, and
// rows in units of its first round, each match spanning the rows of the matches whose winners it
// takes (a first-round match, or one fed only from another section, takes the next row). Rounds
// with nothing to draw (only matches between byes) are left out.
function bracketGrid(label, matches, nameFn, model, opts, testid) {
  const rounds = byRound(matches);
  const span = new Map(); // match id -> [first row, last row + 1]
  let rows = 0;
  for (const [, ms] of rounds) {
    for (const m of ms) {
      const from = (m.feeds || []).filter((f) => f && f.match && f.take === 'winner' && span.has(f.match)).map((f) => span.get(f.match));
      span.set(m.id, from.length ? [Math.min(...from.map((s) => s[0])), Math.max(...from.map((s) => s[1]))] : [rows, ++rows]);
    }
  }
  const shown = rounds.map(([r, ms]) => [r, ms.filter((m) => !byeOnly(m))]).filter(([, ms]) => ms.length);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'connectors');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const grid = h('div', {class: 'bracket', 'data-testid': testid}, svg,
    shown.map(([r, ms], c) => {
      const section = h('section', {class: 'round', 'data-round': r, 'data-round-name': nameFn(r)},
        h('h4', {class: 'round-title'}, nameFn(r)),
        h('div', {class: 'round-matches'}, ms.map((m) => {
          const el = matchNode(m, model, opts);
          const [top, bottom] = span.get(m.id);
          el.style.gridRow = `${top + 2} / ${bottom + 2}`;
          return el;
        })));
      section.style.gridColumn = String(c + 1);
      return section;
    }));
  grid.style.gridTemplateColumns = `repeat(${shown.length}, var(--round-width))`;
  grid.style.gridTemplateRows = `auto repeat(${rows}, auto)`;
  return bracketFrame(label, grid);
}

function renderSingle(model, matches, opts) {
  const winners = matches.filter((m) => m.bracket === 'winners' || !m.bracket);
  const name = roundNamer(matches);
  const out = [bracketGrid('Bracket', winners, (r) => name({bracket: 'winners', round: r}), model, opts, 'bracket-winners')];
  const third = matches.filter((m) => m.bracket === 'third_place');
  if (third.length) {
    out.push(h('section', {class: 'third-place', 'data-testid': 'bracket-third-place'},
      h('h4', {}, 'Third-place match'), third.map((m) => matchNode(m, model, opts))));
  }
  return h('div', {class: 'format-single'}, out);
}

function renderDouble(model, matches, opts) {
  const part = (b) => matches.filter((m) => m.bracket === b);
  const name = roundNamer(matches);
  const lr = part('losers');
  const gf = part('grand_final');
  return h('div', {class: 'format-double'},
    h('h3', {}, 'Winners bracket'),
    bracketGrid('Winners bracket', part('winners'), (r) => name({bracket: 'winners', round: r}), model, opts, 'bracket-winners'),
    lr.length ? [h('h3', {}, 'Losers bracket'),
      bracketGrid('Losers bracket', lr, (r) => name({bracket: 'losers', round: r}), model, opts, 'bracket-losers')] : null,
    gf.length ? h('section', {class: 'grand-final', 'data-testid': 'bracket-grand-final'},
      h('h3', {}, 'Grand final'), grandFinal(model, gf, opts)) : null);
}

// grandFinal draws the grand final and its reset side by side, joined. A reset that was not
// needed (the winners-bracket player won the grand final) is a line saying so, not a card of two
// byes; one still to be decided is labelled "if needed" (it is played only if the
// losers-bracket player wins the grand final).
function grandFinal(model, gf, opts) {
  const first = gf.find((m) => m.round < 2);
  const cells = gf.map((m) => {
    if (m.round < 2) return [m, 'Grand final', matchNode(m, model, opts)];
    if (m.status === 'void' || byeOnly(m)) {
      const champ = first && first.status === 'completed' && first.winner ? nameOf(model, first.winner) : '';
      return [m, 'Reset', h('p', {class: 'reset-skipped', 'data-testid': 'gf-reset-not-needed'},
        h('strong', {}, 'Not needed'), champ ? `: ${champ} won the grand final from the winners bracket.` : ': the winners-bracket player won the grand final.')];
    }
    const label = m.status === 'pending' ? 'Reset (if needed)' : 'Reset';
    return [m, label, matchNode(m, model, opts)];
  });
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'connectors');
  svg.setAttribute('aria-hidden', 'true');
  const grid = h('div', {class: 'bracket bracket-gf'}, svg,
    cells.map(([m, label, node], c) => {
      const section = h('section', {class: 'round', 'data-round': m.round, 'data-round-name': label},
        h('h4', {class: 'round-title'}, label), h('div', {class: 'round-matches'}, node));
      section.style.gridColumn = String(c + 1);
      if (node) node.style.gridRow = '2 / 3';
      return section;
    }));
  grid.style.gridTemplateColumns = `repeat(${cells.length}, var(--round-width))`;
  grid.style.gridTemplateRows = 'auto auto';
  return bracketFrame('Grand final', grid);
}

function renderRoundRobin(model, matches, opts, table, note) {
  const groups = [...new Set(matches.map((m) => m.group || 1))].sort((a, b) => a - b);
  // A player's group is that of their matches (standings may not say).
  const groupOf = new Map();
  for (const m of matches) for (const id of m.players || []) if (id) groupOf.set(id, m.group || 1);
  const hint = note || (table && model.status === 'finished' ? standingsTitle(model) : null);
  return h('div', {class: 'format-rr'},
    hint ? h('p', {class: 'hint'}, hint) : null,
    groups.map((g) => {
      const ms = matches.filter((m) => (m.group || 1) === g);
      const rows = (table || []).filter((r) => groups.length === 1 || (r.group || groupOf.get(r.player_id) || 1) === g);
      // The grid lists the group's players in table order (then any not in the table yet).
      const order = rows.map((r) => r.player_id).filter((id) => groupOf.get(id) === g);
      for (const id of groupOf.keys()) if (groupOf.get(id) === g && !order.includes(id)) order.push(id);
      return h('section', {class: 'group', 'data-testid': `group-${g}`, 'data-group': g},
        groups.length > 1 ? h('h3', {}, `Group ${g}`) : null,
        h('div', {class: 'group-tables'},
          rows.length ? renderStandings(model, rows, {title: groups.length > 1 ? `Group ${g} table` : 'Table', qualifiers: opts.qualifiers}) : null,
          crossTable(model, g, ms, order, groups.length > 1)),
        renderRounds(`Matches${groups.length > 1 ? ` of group ${g}` : ''}`, ms, model, opts));
    }));
}

// crossTable draws a group's results grid: a row and a column per player, each cell the results
// of the row player against the column player from the row player's side (both legs of a double
// round robin), won, lost or drawn; the diagonal and the matches not played yet are empty.
function crossTable(model, g, matches, order, named) {
  if (order.length < 2) return null;
  const cells = new Map(); // "row:col" -> [{m, side}]
  for (const m of matches) {
    const [a, b] = m.players || [];
    if (!a || !b) continue;
    for (const [row, col, side] of [[a, b, 0], [b, a, 1]]) {
      const k = `${row}:${col}`;
      if (!cells.has(k)) cells.set(k, []);
      cells.get(k).push({m, side});
    }
  }
  const title = named ? `Group ${g} results grid` : 'Results grid';
  const id = `crosstable-${g}-title`;
  const head = h('tr', {}, h('td', {class: 'corner'}),
    order.map((pid, i) => h('th', {scope: 'col', title: nameOf(model, pid)},
      h('span', {'aria-hidden': 'true'}, String(i + 1)), h('span', {class: 'sr-only'}, nameOf(model, pid)))));
  const cell = (row, col) => {
    const testid = `cross-${g}-${row}-${col}`;
    if (col === row) return h('td', {class: 'self', 'data-testid': testid}, h('span', {class: 'sr-only'}, 'same player'));
    const results = (cells.get(`${row}:${col}`) || []).map(({m, side}) => crossResult(m, side)).filter(Boolean);
    return h('td', {'data-testid': testid, 'data-result': results.map((r) => r.code).join(' ')},
      results.map((r) => h('span', {class: `res res-${r.code.toLowerCase()}`, title: r.title}, h('span', {class: 'res-code'}, r.code), ' ', r.text)));
  };
  const body = order.map((row, i) => h('tr', {},
    h('th', {scope: 'row'}, h('span', {class: 'cross-n', 'aria-hidden': 'true'}, String(i + 1)), ' ', nameOf(model, row)),
    order.map((col) => cell(row, col))));
  return h('section', {class: 'crosstable', 'aria-labelledby': id},
    h('h4', {id}, title),
    scrollBox(title,
      h('table', {class: 'cross', 'data-testid': `crosstable-${g}`},
        h('caption', {class: 'sr-only'}, 'Each row is a player\'s results against the player of each column, the row player\'s score first.'),
        h('thead', {}, head),
        h('tbody', {}, body))));
}

// crossResult is one match of a results grid from side's point of view: W, L or D, the score (or
// how it was decided without playing); null until it is decided.
function crossResult(m, side) {
  if (m.status !== 'completed') return null;
  const me = m.players[side];
  const code = m.draw ? 'D' : m.winner === me ? 'W' : 'L';
  const word = {W: 'won', L: 'lost', D: 'drew'}[code];
  if (m.walkover) {
    const ff = m.forfeited && m.forfeited[side];
    return {code, text: ff ? 'forfeit' : 'w/o', title: ff ? 'lost by forfeit' : 'won by walkover'};
  }
  const s = m.scores || [0, 0];
  const score = `${s[side]}-${s[1 - side]}`;
  return {code, text: score, title: `${word} ${score}`};
}

function renderSwiss(model, matches, opts, table, note) {
  const total = model.settings.rounds || null;
  return h('div', {class: 'format-swiss'},
    note ? h('p', {class: 'hint'}, note) : null,
    table && table.length ? renderStandings(model, table, {title: note ? 'Swiss table' : standingsTitle(model), qualifiers: opts.qualifiers}) : null,
    renderRounds(total ? `Rounds (of ${total})` : 'Rounds', matches, model, opts));
}

// renderRounds draws matches as a list grouped by round (round robin, Swiss).
function renderRounds(title, matches, model, opts) {
  return h('div', {class: 'rounds-list'},
    h('h4', {}, title),
    byRound(matches).map(([r, ms]) => h('section', {class: 'round round-list', 'data-round': r},
      h('h5', {class: 'round-title'}, `Round ${r}`),
      h('div', {class: 'round-matches grid'}, ms.map((m) => matchNode(m, model, opts))))));
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
    'data-winner-to': m.winner_to || null,
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

// championBanner opens a finished tournament: its champion (of a two-stage tournament, the
// playoff's winner, first in the hub's standings) and, for an elimination, the runner-up. Players
// sharing first place (a round robin tied on every tie-break) are all named.
function championBanner(model) {
  const rows = model.standings || [];
  const first = rows.filter((r) => r.rank === 1);
  if (!first.length) return null;
  const elimination = isElimination(model.format) || isTwoStage(model);
  const second = rows.filter((r) => r.rank === 2 && (r.rank_to || 2) === 2);
  const names = (list) => list.map((r) => nameOf(model, r.player_id));
  const shared = first.length > 1;
  return h('section', {class: 'champion-banner', 'data-testid': 'champion-banner', 'aria-label': 'Result'},
    trophy(),
    h('div', {class: 'champion-text'},
      h('p', {class: 'champion-title'}, shared ? 'Shared first place' : 'Champion'),
      h('p', {class: 'champion-name', 'data-testid': 'champion-name', 'data-player-id': shared ? null : first[0].player_id}, listText(names(first))),
      elimination && !shared && second.length
        ? h('p', {class: 'runner-up'}, 'Runner-up: ', h('strong', {'data-testid': 'runner-up-name', 'data-player-id': second[0].player_id}, nameOf(model, second[0].player_id)))
        : null,
      shared ? h('p', {class: 'runner-up'}, 'Tied on points and on every tie-break.') : null));
}

// trophy is a small cup drawn in SVG (an emoji would depend on the fonts installed).
function trophy() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'trophy');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', 'M7 3h10v2h3v3a4 4 0 0 1-4 4h-.4A5 5 0 0 1 13 14.9V18h3v3H8v-3h3v-3.1A5 5 0 0 1 8.4 12H8a4 4 0 0 1-4-4V5h3V3zm0 4H6v1a2 2 0 0 0 1 1.7V7zm10 0v2.7A2 2 0 0 0 18 8V7h-1z');
  svg.append(path);
  return svg;
}

// listText joins names as "A", "A and B", "A, B and C".
function listText(names) {
  if (names.length < 2) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

// renderLiveElimination draws the standings of a running elimination (rows: the standings' lines
// of its players): who is still in, and where each of the others went out (the match that put
// them out, eliminated_in).
function renderLiveElimination(model, matches, rows) {
  const name = roundNamer(matches);
  const byId = new Map(matches.map((m) => [m.id, m]));
  const inCount = rows.filter((r) => !r.eliminated).length;
  return h('section', {class: 'standings live-standings'},
    h('h4', {}, 'Standings so far'),
    h('p', {class: 'hint', 'data-testid': 'still-in'}, `${inCount} of ${rows.length} players still in. Players out in the same round share a place.`),
    scrollBox('Standings so far',
      h('table', {'data-testid': 'live-standings'},
        h('thead', {}, h('tr', {}, ['Rank', 'Player', 'Status'].map((c) => h('th', {scope: 'col'}, c)),
          h('th', {scope: 'col'}, h('abbr', {title: 'Wins'}, 'W')), h('th', {scope: 'col'}, h('abbr', {title: 'Losses'}, 'L')))),
        h('tbody', {}, rows.map((r) => {
          const p = playerById(model, r.player_id);
          const out = (p && p.eliminated_in) || 0;
          let status;
          if (!r.eliminated) status = r.losses ? 'Still in (losers bracket)' : 'Still in';
          else if (p && p.disqualified) status = out ? `Disqualified (${name(byId.get(out) || {})})` : 'Disqualified';
          else if (!out) status = 'Withdrew';
          else status = `${outIn(name(byId.get(out) || {}))}${p && p.withdrawn ? ' (withdrew)' : ''}`;
          return h('tr', {'data-testid': `live-standing-${r.player_id}`, 'data-in': String(!r.eliminated), class: r.eliminated ? 'out' : 'in'},
            h('td', {class: 'rank', 'data-testid': `live-rank-${r.player_id}`}, rankText(r.rank, r.rank_to)),
            h('th', {scope: 'row'}, nameOf(model, r.player_id)),
            h('td', {class: 'status', 'data-testid': `live-status-${r.player_id}`, 'data-out-in': out || null}, status),
            h('td', {}, r.wins), h('td', {}, r.losses));
        })))));
}

// outIn says in which round a player went out: "Out in the semi-finals", "Out in losers round 2".
function outIn(round) {
  if (!round) return 'Out';
  const r = round[0].toLowerCase() + round.slice(1);
  return /round \d+$/.test(r) ? `Out in ${r}` : `Out in the ${r}`;
}

// hasGamePoints says whether a standings line counts game points (a result gave each game's
// points): the table then shows them.
function hasGamePoints(r) {
  return r.game_points_for !== undefined || r.game_points_against !== undefined;
}

// tieBreaksOf returns the tie-breaks a round robin or Swiss tournament ranks by, in order.
function tieBreaksOf(model) {
  const list = model.settings && model.settings.tie_breaks;
  return (list && list.length ? list : DEFAULT_TIE_BREAKS[model.format] || []).filter((tb) => TIE_BREAKS[tb]);
}

const COLUMN_TITLE = {W: 'Wins', D: 'Draws', L: 'Losses', Pts: 'Points'};

// renderStandings draws a standings table; tied ranks read "5-8". "Game pts" (points scored and
// conceded in games) is shown only when some line has them. qualifiers: the players marked as
// going on to the playoff (a two-stage tournament's group tables). overall: a two-stage
// tournament's standings, the playoff's players first: a column says which stage each reached,
// and W and L count the playoff's matches for its players, the group stage's for the others.
// A round robin or Swiss table has a column per tie-break (settings.tie_breaks, in order),
// explained under it, and says who shares a place.
export function renderStandings(model, rows, {title, qualifiers, overall} = {}) {
  const scored = !overall && (model.format === 'round_robin' || model.format === 'swiss');
  const points = rows.some(hasGamePoints);
  const tbs = scored && rows.some((r) => r.tie_breaks) ? tieBreaksOf(model) : [];
  const going = new Set(qualifiers || []);
  const inPlayoff = new Set(model.qualifiers || []);
  const head = ['Rank', 'Player'];
  if (overall) head.push('Stage reached');
  if (scored) head.push('W', 'D', 'L', 'Pts', 'Games');
  else head.push('W', 'L');
  if (points) head.push('Game pts');
  const th = (c) => h('th', {scope: 'col'}, COLUMN_TITLE[c] ? h('abbr', {title: COLUMN_TITLE[c]}, c) : c);
  return h('section', {class: 'standings'},
    title ? h('h4', {}, title) : null,
    scrollBox(title || 'Standings',
      h('table', {'data-testid': 'standings'},
        h('thead', {}, h('tr', {}, head.map(th),
          tbs.map((tb) => h('th', {scope: 'col', class: 'tb', 'data-testid': `tb-head-${tb}`},
            h('abbr', {title: `${TIE_BREAKS[tb].name}: ${TIE_BREAKS[tb].text}`}, TIE_BREAKS[tb].abbr))))),
        h('tbody', {}, rows.map((r) => {
          const p = playerById(model, r.player_id);
          const tied = r.rank_to && r.rank_to > r.rank;
          const cells = [
            h('td', {class: 'rank', 'data-testid': `rank-${r.player_id}`, title: tied && scored ? 'Tied' : null}, rankText(r.rank, r.rank_to)),
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
          for (const tb of tbs) {
            cells.push(h('td', {class: 'tb', 'data-testid': `tb-${tb}-${r.player_id}`}, fmtNum((r.tie_breaks || {})[tb] ?? 0)));
          }
          return h('tr', {'data-testid': `standing-${r.player_id}`, class: r.rank === 1 && model.status === 'finished' && !qualifiers ? 'champion' : null}, cells);
        })))),
    scored ? tieNotes(model, rows, tbs) : null,
    tbs.length ? tieBreakLegend(tbs) : null);
}

// tieNotes says, under a round robin or Swiss table, which players share a place and why.
function tieNotes(model, rows, tbs) {
  const groups = new Map(); // "group:rank" -> rows sharing that place
  for (const r of rows) {
    if (!(r.rank_to > r.rank)) continue;
    const k = `${r.group || 0}:${r.rank}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  if (!groups.size) return null;
  const why = tbs.length ? 'tied on points and on every tie-break' : 'tied on points';
  return h('ul', {class: 'tie-notes'}, [...groups.values()].map((list) => {
    const place = `${ordinal(list[0].rank)}-${ordinal(list[0].rank_to)}`;
    return h('li', {'data-testid': 'tie-note', 'data-rank': `${list[0].rank}-${list[0].rank_to}`},
      `${listText(list.map((r) => nameOf(model, r.player_id)))} share ${place} place: ${why}.`);
  }));
}

// tieBreakLegend explains each tie-break column in one sentence, in the order they apply.
function tieBreakLegend(tbs) {
  return h('div', {class: 'tb-legend', 'data-testid': 'tiebreak-legend'},
    h('p', {}, 'Players level on points are ranked by these tie-breaks, in this order (higher is better):'),
    h('dl', {}, tbs.map((tb) => [
      h('dt', {}, h('abbr', {title: TIE_BREAKS[tb].name}, TIE_BREAKS[tb].abbr), ` ${TIE_BREAKS[tb].name}`),
      h('dd', {'data-testid': `tb-legend-${tb}`}, `${TIE_BREAKS[tb].text[0].toUpperCase()}${TIE_BREAKS[tb].text.slice(1)}`),
    ])),
    h('p', {}, 'Players level on points and on every tie-break share the place.'));
}

// fmtNum writes points and tie-break values: whole, or with up to two decimals (a Sonneborn-Berger
// of 2.25 stays 2.25).
function fmtNum(n) {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

// standings.js: the hub's standings worked out on the page, so that a live page ranks exactly as
// GET /api/tournaments/{id} would at the same version. A port of match.Standings
// (match/standings.go, match/points.go, match/stages.go); each function names the Go one it
// mirrors, and any change to the engine's ranking must be made in both (TestLiveStandingsMatchHub
// compares them after every command). The rules are explained for organisers in
// docs/tiebreaks.md. It reads the page's model (state.js: the hub's state, patched by events)
// and returns lines shaped as the hub's JSON: fields the hub leaves out when empty are left out.

const WIN = 2;
const DRAW = 1;
const LOSS = 0;

// standings mirrors match.Standings: a two-stage tournament's playoff ranks its players first;
// round robin and Swiss rank by points; eliminations by how far each player got.
export function standings(model) {
  const s = model.settings || {};
  if (s.playoff && model.stage === 2) return twoStage(model);
  const f = s.format || model.format;
  if (f === 'round_robin' || f === 'swiss') return groupStandings(model);
  return elimination(model, players(model));
}

// players returns the participants in id order, as the engine keeps them.
function players(model) {
  return [...model.participants].sort((a, b) => a.id - b.id);
}

// round is pointsRound: to 1e-6, half away from zero as Go's math.Round (Math.round rounds a
// negative half up), so that sums such as 0.1+0.2 and 0.3 compare equal on both sides.
function round(v) {
  const x = v * 1e6;
  return (x < 0 ? -Math.round(-x) : Math.round(x)) / 1e6;
}

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// line starts a player's standings line; out turns it into the hub's JSON (omitempty fields
// left out).
function line(p, eliminated) {
  return {id: p.id, group: 0, wins: 0, draws: 0, losses: 0, points: 0, won: 0, lost: 0, pf: 0, pa: 0, tb: null, eliminated};
}

function out(l, rank, rankTo) {
  const r = {player_id: l.id, rank, rank_to: rankTo};
  if (l.group) r.group = l.group;
  Object.assign(r, {wins: l.wins, draws: l.draws, losses: l.losses, points: l.points, games_won: l.won, games_lost: l.lost});
  if (l.pf) r.game_points_for = l.pf;
  if (l.pa) r.game_points_against = l.pa;
  if (l.tb && Object.keys(l.tb).length) r.tie_breaks = l.tb;
  if (l.eliminated) r.eliminated = true;
  return r;
}

// count adds a completed match to side's line: its series score and, when the result gave
// them, the points of its games (Standing.addGamePoints).
function count(l, m, side) {
  const sc = m.scores || [0, 0];
  l.won += sc[side];
  l.lost += sc[1 - side];
  for (const g of m.games || []) {
    l.pf += g[side];
    l.pa += g[1 - side];
  }
}

const groupMatch = (m) => m.bracket === 'group' || m.bracket === 'swiss';

// groupStandings mirrors pointsStandings: the round robin or Swiss table (a two-stage
// tournament's group tables, from its group matches only). Points from the win/draw/loss counts
// (a bye or walkover is a win; a double forfeit a loss for both), then the tie-breaks in the
// organiser's order, then seed; groups ranked apart, in group order. Lines equal on points and
// every tie-break share rank..rank_to. Withdrawn and disqualified players keep their results.
export function groupStandings(model) {
  const s = model.settings || {};
  const pts = s.points || {win: 3, draw: 1, loss: 0};
  let tbs = s.tie_breaks || [];
  if (!tbs.length) {
    tbs = s.format === 'swiss' ? ['buchholz', 'sonneborn_berger', 'head_to_head', 'game_difference']
      : ['head_to_head', 'sonneborn_berger', 'game_difference', 'buchholz'];
  }
  const ps = players(model);
  const at = new Map(ps.map((p, i) => [p.id, i]));
  const lines = ps.map((p) => Object.assign(line(p, Boolean(p.eliminated || p.withdrawn || p.disqualified)),
    {seed: p.seed > 0 ? p.seed : Infinity, res: [], grouped: false}));
  for (const m of model.matches) {
    const pl = m.players || [];
    if (m.bracket === 'group') {
      // A player's group is that of their first match, played or not.
      for (const id of pl) {
        const l = lines[at.get(id)];
        if (l && !l.grouped) [l.group, l.grouped] = [m.group || 0, true];
      }
    }
    if (m.status !== 'completed' || !groupMatch(m)) continue;
    pl.forEach((id, side) => {
      const l = lines[at.get(id)];
      if (!l) return;
      const opp = pl[1 - side];
      let r;
      if (m.winner === id) r = WIN;
      else if (!opp) return; // one-sided and not won by this player: nothing to count
      else r = m.draw ? DRAW : LOSS; // a loss includes a forfeit and a double forfeit
      if (r === WIN) l.wins++;
      else if (r === DRAW) l.draws++;
      else l.losses++;
      count(l, m, side);
      const o = at.get(opp);
      l.res.push([o === undefined ? -1 : o, r]); // an opponent who is no participant counts as none
    });
  }
  // From the counts, so that equal records give exactly equal points.
  for (const l of lines) l.points = round(l.wins * pts.win + l.draws * pts.draw + l.losses * pts.loss);
  const value = (r) => (r === WIN ? pts.win : r === DRAW ? pts.draw : pts.loss);
  for (const l of lines) {
    l.key = [l.points];
    l.tb = {};
    for (const tb of tbs) {
      let v = 0;
      switch (tb) {
        case 'head_to_head': // points against the players level on points (same group)
          for (const [o, r] of l.res) if (o >= 0 && lines[o].points === l.points && lines[o].group === l.group) v += value(r);
          break;
        case 'buchholz': // the points of every opponent met (a bye is none)
          for (const [o] of l.res) if (o >= 0) v += lines[o].points;
          break;
        case 'sonneborn_berger': // the points of opponents beaten, half of those drawn with
          for (const [o, r] of l.res) {
            if (o >= 0 && r === WIN) v += lines[o].points;
            else if (o >= 0 && r === DRAW) v += lines[o].points / 2;
          }
          break;
        case 'game_difference':
          v = l.won - l.lost;
          break;
        case 'game_points':
          v = l.pf - l.pa;
          break;
        default: // unknown (a newer hub): ranks as 0, not shown
          l.key.push(0);
          continue;
      }
      l.tb[tb] = round(v);
      l.key.push(l.tb[tb]);
    }
  }
  // rank compares what decides a place: group, then points and tie-breaks, higher first.
  const rank = (x, y) => {
    if (x.group !== y.group) return x.group - y.group;
    for (let i = 0; i < x.key.length; i++) if (x.key[i] !== y.key[i]) return x.key[i] > y.key[i] ? -1 : 1;
    return 0;
  };
  const order = [...lines].sort((x, y) => rank(x, y) || cmp(x.seed, y.seed) || x.id - y.id);
  const rows = [];
  for (let i = 0, start = 0; i < order.length;) {
    if (i === 0 || order[i].group !== order[i - 1].group) start = i;
    let j = i + 1;
    while (j < order.length && rank(order[i], order[j]) === 0) j++;
    for (let k = i; k < j; k++) rows.push(out(order[k], i - start + 1, j - start));
    i = j;
  }
  return rows;
}

// elimination mirrors eliminationStandings for ps (participants with their seeds): players still
// in first (those without a loss ahead), then the eliminated by the stage they went out at
// (stageKey), sharing the place with everyone out at the same stage; the seed orders a place.
function elimination(model, ps) {
  const s = model.settings || {};
  const format = model.stage === 2 && s.playoff ? s.playoff.format : s.format || model.format;
  const at = new Map(ps.map((p, i) => [p.id, i]));
  const lines = ps.map((p) => Object.assign(line(p, Boolean(p.eliminated)), {pos: p.seed || 0, in: p.eliminated_in || 0}));
  const byId = new Map();
  let wr = 0;
  let lr = 0;
  for (const m of model.matches) {
    byId.set(m.id, m);
    if (m.bracket === 'winners') wr = Math.max(wr, m.round);
    else if (m.bracket === 'losers') lr = Math.max(lr, m.round);
    if (m.status !== 'completed' || groupMatch(m)) continue; // a two-stage playoff ranks by the playoff
    (m.players || []).forEach((id, side) => {
      const l = lines[at.get(id)];
      if (!l) return;
      count(l, m, side);
      if (id === m.winner) {
        if (m.players[1 - side]) l.wins++; // a bye is no win
      } else if (id === m.loser) l.losses++;
    });
  }
  // stageKey: higher is better.
  const stage = (id) => {
    const m = byId.get(id);
    if (!id || !m) return -1; // withdrew before playing
    if (m.bracket === 'third_place') return wr - 1 + 0.5;
    if (m.bracket === 'losers') return m.round;
    if (m.bracket === 'grand_final') return lr + 1;
    // Out of a double elimination's winners bracket at once (double forfeit, withdrawal): just
    // below the losers round that player would have dropped into.
    if (format === 'double_elimination') return m.round === 1 ? 0.5 : 2 * (m.round - 1) - 0.5;
    return m.round;
  };
  for (const l of lines) {
    if (!l.eliminated) l.key = !l.losses ? 1e6 : format === 'single_elimination' ? wr - 1 + 0.75 : 1e5; // one loss: a third-place match, or the losers bracket
    else l.key = stage(l.in);
  }
  lines.sort((x, y) => cmp(y.key, x.key) || x.pos - y.pos);
  const rows = [];
  for (let i = 0; i < lines.length;) {
    let j = i;
    while (j < lines.length && lines[j].key === lines[i].key) j++;
    for (let k = i; k < j; k++) rows.push(out(lines[k], i + 1, j));
    i = j;
  }
  return rows;
}

// twoStage mirrors twoStageStandings, once the playoff has started: its players ranked by the
// playoff (their playoff seed orders a shared place), then everyone else by group place, then
// points, sharing a place where both are equal.
function twoStage(model) {
  const q = model.qualifiers || [];
  const top = elimination(model, players(model).filter((p) => q.includes(p.id)).map((p) => ({...p, seed: q.indexOf(p.id) + 1})));
  const rest = groupStandings(model).filter((r) => !q.includes(r.player_id));
  const key = (x, y) => (x.rank - y.rank) || cmp(y.points, x.points);
  rest.sort(key);
  for (let i = 0; i < rest.length;) {
    let j = i;
    while (j < rest.length && key(rest[j], rest[i]) === 0) j++;
    for (let k = i; k < j; k++) Object.assign(rest[k], {rank: top.length + i + 1, rank_to: top.length + j, eliminated: true});
    i = j;
  }
  return top.concat(rest);
}

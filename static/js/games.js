// games.js: each game's points of a result (docs/formats.md, "Series and scores"). People type
// them as "11-3 8-11 11-9" (games separated by spaces or commas, the first player's points
// first); the hub takes and gives them as [[11,3],[8,11],[11,9]].

// parseGames reads what was typed: {games} (null when nothing was typed: the games are optional)
// or {error} with a sentence saying what is wrong. The form is checked here, and with limits the
// bounds the hub takes (maxPoints: each side's points in a game, GET /api/config's
// limits.game_points; maxGames: the series' best_of); whether the games agree with the series
// score the hub decides, and its answer says why not.
export function parseGames(text, {maxPoints = Infinity, maxGames = Infinity} = {}) {
  // "11 - 3" is one game: spaces around the separator are dropped before splitting.
  const s = String(text || '').trim().replace(/\s*[-\u2013:]\s*/g, '-');
  if (!s) return {games: null};
  const games = [];
  for (const part of s.split(/[\s,;]+/)) {
    if (!part) continue;
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(part);
    if (!m) {
      return {error: `"${part}" is not a game's points. Write each game as points-points, the first player's first, for example 11-3 8-11 11-9 (separated by spaces or commas).`};
    }
    const g = [Number(m[1]), Number(m[2])];
    if (g[0] > maxPoints || g[1] > maxPoints) {
      return {error: `"${part}" has more points than a game can: each side's points go from 0 to ${maxPoints}.`};
    }
    games.push(g);
  }
  if (games.length > maxGames) {
    return {error: `${games.length} games were written, but a best of ${maxGames} has at most ${maxGames}.`};
  }
  return {games};
}

// gamesText writes games for a match card: "11-3 · 8-11 · 11-9".
export function gamesText(games) {
  return (games || []).map((g) => `${g[0]}-${g[1]}`).join(' \u00b7 ');
}

// gamesKey is a short fingerprint of games, for submission ids (two reports of the same scores
// with other games are two different reports).
export function gamesKey(games) {
  if (!games || !games.length) return '';
  let x = 5381;
  for (const c of JSON.stringify(games)) x = ((x * 33) ^ c.charCodeAt(0)) >>> 0;
  return x.toString(36);
}

// reportText writes a reported result: "2-1", with its games when they were given
// ("2-1 (11-3 · 8-11 · 11-9)"); reports with other games do not agree.
export function reportText(report) {
  const s = `${report.scores[0]}-${report.scores[1]}`;
  return report.games && report.games.length ? `${s} (${gamesText(report.games)})` : s;
}

// wire.js: reads tourhub.v2's compact event message (docs/protocol.md#tourhubv2, hub/wire) into
// the event message tourhub.v1 sends, and a v2 snapshot's compact matches and standings into
// v1's, so that everything past the socket sees v1's messages.
//
//   ["event", tournament, version, rev, [event, ...]]
//
// An event is [code, ...fields in EVENT_FIELDS' order], a match [...fields in MATCH_FIELDS'
// order]; a field written 0 is absent (at its zero value), and the zeros at the end are left out.

export const PROTOCOL = 'tourhub.v2';

const CODES = {c: 'match_completed', m: 'match_ready', r: 'match_reported', u: 'match_updated', x: 'player_eliminated'};

// How each position reads: 'as' (v1's JSON as it is), 'match', 'matches', 'slots', 'mask' (two
// flags as bits 1 and 2), 'flag' (1: true), 'feeds' (two numbers: the match a slot's player
// comes from, its winner positive, its loser negative, 0 a seeded slot; or v1's two objects).
const EVENT_FIELDS = [
  ['match', 'match'], ['player', 'as'], ['match_id', 'as'], ['slots', 'slots'], ['round', 'as'],
  ['reason', 'as'], ['at', 'as'], ['was', 'match'], ['matches', 'matches'], ['participant', 'as'],
  ['participants', 'as'], ['qualifiers', 'as'], ['standings', 'standings'], ['settings', 'as'],
  ['name', 'as'], ['description', 'as'],
];

const MATCH_FIELDS = [
  ['id', 'as'], ['status', 'as'], ['bracket', 'as'], ['round', 'as'], ['players', 'as'],
  ['scores', 'as'], ['winner', 'as'], ['loser', 'as'], ['winner_to', 'as'], ['loser_to', 'as'],
  ['ready_at', 'as'], ['filled', 'mask'], ['group', 'as'], ['deadline', 'as'], ['feeds', 'feeds'],
  ['games', 'as'], ['draw', 'flag'], ['walkover', 'flag'], ['forfeited', 'mask'],
  ['reports', 'as'], ['warned', 'flag'], ['overdue', 'flag'],
];

const STANDING_FIELDS = [
  ['player_id', 'as'], ['rank', 'as'], ['rank_to', 'as'], ['wins', 'as'], ['draws', 'as'],
  ['losses', 'as'], ['points', 'as'], ['games_won', 'as'], ['games_lost', 'as'], ['group', 'as'],
  ['game_points_for', 'as'], ['game_points_against', 'as'], ['tie_breaks', 'as'],
  ['eliminated', 'flag'],
];

// v1 always writes these fields of a standing, at their zero value too.
const STANDING_ALWAYS = ['player_id', 'rank', 'rank_to', 'wins', 'draws', 'losses', 'points', 'games_won', 'games_lost'];

// v1 always writes these fields of a match, at their zero value too.
const MATCH_ALWAYS = {id: 0, bracket: '', round: 0, status: '', players: [null, null], scores: [0, 0], winner: null, loser: null};

function mask(n) {
  return [(n & 1) !== 0, (n & 2) !== 0];
}

function feed(n) {
  if (typeof n !== 'number') return n; // v1's object
  if (n === 0) return {};
  return n > 0 ? {match: n, take: 'winner'} : {match: -n, take: 'loser'};
}

function read(kind, v) {
  switch (kind) {
    case 'match': return expandMatch(v);
    case 'matches': return v.map(expandMatch);
    case 'slots': return {players: v[0], filled: mask(v[1])};
    case 'mask': return mask(v);
    case 'flag': return v !== 0;
    case 'feeds': return v.map(feed);
    case 'standings': return v.map(expandStanding);
    default: return v;
  }
}

// fields sets on out the positions of list (from its index `from`) that are not 0.
function fields(out, list, from, table) {
  for (let i = from; i < list.length; i++) {
    const v = list[i];
    if (v === 0) continue;
    const [name, kind] = table[i - from];
    if (!name) throw new Error(`a compact list with ${list.length - from} fields`);
    out[name] = read(kind, v);
  }
  return out;
}

// expandMatch returns the v1 match of a compact one.
export function expandMatch(list) {
  const m = fields({}, list, 0, MATCH_FIELDS);
  for (const [k, zero] of Object.entries(MATCH_ALWAYS)) {
    if (!(k in m)) m[k] = Array.isArray(zero) ? [...zero] : zero;
  }
  return m;
}

// expandStanding returns the v1 standing of a compact one.
export function expandStanding(list) {
  const st = fields({}, list, 0, STANDING_FIELDS);
  for (const k of STANDING_ALWAYS) {
    if (!(k in st)) st[k] = 0;
  }
  return st;
}

// expandEvent returns the v1 event of a compact one.
export function expandEvent(list) {
  const code = list[0];
  return fields({type: CODES[code] || code}, list, 1, EVENT_FIELDS);
}

// expandSnapshot turns, in place, the compact matches and standings of a v2 snapshot's state
// into v1's (one that is already an object is left as it is), and returns msg.
export function expandSnapshot(msg) {
  const st = msg && msg.state;
  if (st && Array.isArray(st.matches)) {
    st.matches = st.matches.map((m) => (Array.isArray(m) ? expandMatch(m) : m));
  }
  if (st && Array.isArray(st.standings)) {
    st.standings = st.standings.map((x) => (Array.isArray(x) ? expandStanding(x) : x));
  }
  return msg;
}

// expandMessage returns the v1 event message of a compact one (the epoch is the caller's: a v2
// event is only sent on top of the socket's last snapshot or subscribed, whose epoch it keeps),
// or null if msg is not a compact event message.
export function expandMessage(msg, epoch) {
  if (!Array.isArray(msg) || msg[0] !== 'event' || msg.length !== 5) return null;
  const [, tournament, version, rev, events] = msg;
  return {type: 'event', tournament, epoch, version, rev, events: events.map(expandEvent)};
}

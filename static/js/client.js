// client.js: the hub's browser client. A Hub keeps one WebSocket to /ws (same origin), sends the
// tokens it was given as `auth` messages, keeps every subscription's (epoch, version), applies
// events in order, and on reconnect resumes each subscription where it stopped. See
// docs/protocol.md. api() is the matching wrapper for the HTTP API (docs/api.md).

import {PROTOCOL, expandMessage, expandSnapshot} from './wire.js';

// Reconnect delays: exponential from BASE_MS up to CAP_MS, with full jitter (a uniformly random
// delay between 0 and the exponential bound), so that a node restart does not bring every client
// back at the same instant.
export const BASE_MS = 250;
export const CAP_MS = 10000;

// Close codes after which the client stops instead of reconnecting: normal closure, policy
// violation (protocol abuse) and message too big. Every other code, including 1006 (the
// connection dropped with no close frame), means reconnect with backoff.
const STOP_CODES = new Set([1000, 1002, 1007, 1008, 1009]);

const CLOSE_REASONS = {
  1000: 'The hub closed the connection.',
  1001: 'The hub node is shutting down; moving to another.',
  1006: 'The connection dropped.',
  1002: 'The hub refused a malformed frame from this client. Reload the page.',
  1007: 'The hub refused a message that was not valid text. Reload the page.',
  1008: 'The hub refused this client (protocol violation). Reload the page.',
  1009: 'A message was too big for the hub. Reload the page.',
  1011: 'The hub had an internal error.',
  4001: 'This tab fell behind (slow connection).',
  4002: 'The hub asked this tab to resynchronise.',
  4004: 'Nothing was watched on this connection for a while.',
  4008: 'Too many messages; waiting before reconnecting.',
};

// How long a reply to a report may take before the promise is rejected.
const REPLY_TIMEOUT_MS = 15000;
// Application-level ping, to notice a dead connection the browser has not noticed yet.
const PING_EVERY_MS = 25000;
const PONG_WITHIN_MS = 10000;

// backoff returns the delay before reconnect attempt n (0-based): full jitter over
// min(CAP_MS, BASE_MS * 2^n). rand is injectable for tests.
export function backoff(n, rand = Math.random) {
  const bound = Math.min(CAP_MS, BASE_MS * 2 ** Math.min(n, 30));
  return Math.floor(rand() * bound);
}

// HubError is a refusal from the hub (HTTP or WebSocket): code from the API's error table.
export class HubError extends Error {
  constructor(code, message, status = 0) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

// What to tell the user for each code: what went wrong, said only when the hub's message is empty
// (the hub's own message is more precise: "the tournament is full (8 players)"), and what to do.
const ADVICE = {
  unauthorized: ['Your access key is missing or has expired.', 'Join again, or open the link you got when you created the tournament.'],
  forbidden: ['Your key does not allow this.', ''],
  not_found: ['There is no such tournament.', 'Check the link, or pick one from the list of tournaments.'],
  rate_limited: ['Too many requests.', 'Wait a few seconds and try again.'],
  unavailable: ['The hub cannot reach its storage right now.', 'Try again in a few seconds.'],
  version_conflict: ['Someone changed the tournament at the same time.', 'Try again.'],
  name_taken: ['That name is taken.', 'Choose another name.'],
  full: ['The tournament is full.', 'Pick another tournament, or ask the organiser to make room.'],
  already_started: ['Registration is closed: the tournament has started.', ''],
  not_running: ['The tournament is not running.', ''],
  finished: ['The tournament is over.', ''],
  invalid_score: ['That score is not possible.', 'Enter the games each side won, for example 2 and 1 in a best of 3; game points, if given, must agree with them.'],
  match_not_ready: ['This match is still waiting for its players.', ''],
  match_completed: ['This match already has a result.', 'Only the organiser can change it.'],
  too_few_players: ['Too few players.', 'At least two players must join before the start.'],
  network: ['Could not reach the hub.', 'Check your connection and try again.'],
  internal: ['The hub had an internal error.', 'Try again; if it persists, tell the organiser.'],
};

// words are the lower-case words of a text longer than two letters, to compare two sentences.
function words(text) {
  return text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) || [];
}

// sentence ends text with a full stop unless it has its own.
function sentence(text) {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

// explain turns an error into what to tell the user: what went wrong (the hub's message, or the
// code's sentence when the hub gave none) and what to do, said once. Advice that mostly repeats
// the message ("only the organiser can correct it" after "... only the organiser can change it")
// is left out. With lead the result continues it: explain(err, 'Could not join') is
// "Could not join: the tournament is full (8 players). Pick another tournament, ...".
export function explain(err, lead = '') {
  let text;
  if (err instanceof HubError) {
    const [what, todo] = ADVICE[err.code] || [err.code.replaceAll('_', ' '), ''];
    const msg = err.message && err.message !== err.code ? err.message.trim() : '';
    text = sentence(msg || what);
    if (todo) {
      const said = new Set(words(text));
      const w = words(todo);
      if (w.filter((x) => said.has(x)).length < w.length * 0.6) text += ` ${todo}`;
    }
  } else {
    text = sentence(`${err && err.message ? err.message : err}`);
  }
  text = text.charAt(0).toUpperCase() + text.slice(1);
  if (!lead) return text;
  // The lead goes on in lower case, except for an abbreviation ("HTTP ...").
  const first = /^\p{Lu}\p{Ll}/u.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
  return `${lead}: ${first}`;
}

// api calls the HTTP API: api('POST', '/api/tournaments', body, token). It resolves with the
// decoded JSON and rejects with a HubError (code 'network' when the hub could not be reached).
// The body goes as JSON; with another type (api(..., text, token, 'text/csv')) it goes as given.
export async function api(method, path, body, token, type = 'application/json') {
  const json = type === 'application/json';
  const headers = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = type;
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, {method, headers, body: body === undefined ? undefined : json ? JSON.stringify(body) : body});
  } catch (e) {
    throw new HubError('network', 'Could not reach the hub.');
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      if (!res.ok) throw new HubError('internal', `The hub answered ${res.status} ${res.statusText}.`, res.status);
      throw new HubError('internal', 'The hub sent an answer this page cannot read.', res.status);
    }
  }
  if (!res.ok) {
    const e = data && data.error;
    if (e && e.code) throw new HubError(e.code, e.message, res.status);
    throw new HubError(res.status >= 500 ? 'internal' : 'bad_request', `The hub answered ${res.status} ${res.statusText}.`, res.status);
  }
  return data;
}

// Tokens are kept in localStorage per tournament and role, so that reloading a page keeps the
// organiser or player signed in, and one browser can organise one tournament and play another.
const tokenKey = (tid, role) => `tourhub:${role}:${tid}`;

// newSubmissionID is an unguessable id that makes a request safe to repeat (the API wants 16
// characters or more). crypto.randomUUID needs a secure context; getRandomValues does not.
export function newSubmissionID() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// retrying runs call again (at most 3 times in all, 0.5 then 1 s apart) while it fails in a way a
// repeat may fix: the hub could not be reached or answered unavailable. Give the request a
// submission id, so that a repeat of one that was committed answers it instead of doing it twice.
export async function retrying(call) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= 3 || !['network', 'unavailable'].includes(err.code)) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

// linkToken reads the key of a personal link (page.html?t=<id>#token=<key>): the fragment, which
// no server sees. It returns null without one, else {token, claims}, claims null when the key
// cannot be read; the page checks the role and tournament and says what is wrong.
export function linkToken() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!m) return null;
  let token = '';
  try {
    token = decodeURIComponent(m[1]).trim();
  } catch (e) {
    /* not valid percent-encoding: unreadable */
  }
  return {token, claims: token ? tokenClaims(token) : null};
}

// dropLinkToken takes a personal link's key out of the address bar once it is kept.
export function dropLinkToken() {
  history.replaceState(history.state, '', location.pathname + location.search);
}

export function saveToken(tid, role, token) {
  try {
    localStorage.setItem(tokenKey(tid, role), token);
  } catch (e) {
    console.warn('cannot store token', e);
  }
}

export function loadToken(tid, role) {
  try {
    return localStorage.getItem(tokenKey(tid, role));
  } catch (e) {
    return null;
  }
}

export function forgetToken(tid, role) {
  try {
    localStorage.removeItem(tokenKey(tid, role));
  } catch (e) {
    /* storage unavailable: nothing to forget */
  }
}

// tokenClaims reads a JWT's payload without verifying it (the hub verifies); the page uses it only
// to know which player it is and when the token expires.
export function tokenClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
  } catch (e) {
    return null;
  }
}

// Hub is one WebSocket connection with its subscriptions.
//
// Callbacks (all optional):
//   onSnapshot(tid, state, {epoch, version, rev})  a full state replaces the local copy
//   onEvent(tid, events, {epoch, version, rev})     apply these events, in this order
//   onNotice(tid, notice)                      a personal message for this player
//   onStatus(status, detail)                   'connecting' | 'open' | 'reconnecting' | 'stopped'
//   onAuth(tid, reply)                         auth_ok, or joined (join)
//   onSubscribed(tid, reply)                   subscribed: from here on, live events (and notices)
//   onError(err, msg)                          an error message with no pending request
export class Hub {
  constructor(callbacks = {}, opts = {}) {
    this.cb = callbacks;
    this.url = opts.url || `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
    this.rand = opts.rand || Math.random;
    this.ws = null;
    this.attempt = 0; // reconnect attempts since the last message from the hub
    this.stopped = false;
    this.timer = null; // pending reconnect
    this.pingTimer = null;
    this.pongTimer = null;
    this.nextRef = 1;
    this.pending = new Map(); // ref -> {resolve, reject, timer}
    this.tokens = new Map(); // tid -> token
    this.authRefs = new Map(); // ref -> tid
    // tid -> {epoch, version, rev, have (a snapshot was applied), resyncing}. (epoch, version,
    // rev) is where the local copy is: a resume from it is recovered only while the hub's history
    // still passes through that rev, else a snapshot replaces the copy.
    this.subs = new Map();
    this.status = 'idle';
    this.onOnline = () => {
      if (this.timer && !this.stopped) {
        clearTimeout(this.timer);
        this.timer = null;
        this.connect();
      }
    };
    if (typeof window !== 'undefined') window.addEventListener('online', this.onOnline);
  }

  // auth remembers a token for its tournament and sends it now if connected (and on every
  // reconnect).
  auth(tid, token) {
    if (!token) return;
    this.tokens.set(tid, token);
    if (this.isOpen()) this.sendAuth(tid, token);
  }

  // subscribe starts watching a tournament; the snapshot or the missed events follow.
  subscribe(tid) {
    if (!this.subs.has(tid)) this.subs.set(tid, {epoch: null, version: 0, rev: null, have: false, resyncing: false});
    if (this.isOpen()) this.sendSubscribe(tid);
    else this.connect();
  }

  unsubscribe(tid) {
    this.subs.delete(tid);
    if (this.isOpen()) this.send({type: 'unsubscribe', ref: this.ref(), tournament: tid});
  }

  // position returns the (epoch, version, rev) of the last applied snapshot or event of tid.
  position(tid) {
    const s = this.subs.get(tid);
    return s ? {epoch: s.epoch, version: s.version, rev: s.rev} : null;
  }

  // report sends a result (games, optional: each game's points, [[11,3],[8,11]]); it resolves
  // with the `reported` reply and rejects with a HubError on an `error` reply, a lost connection,
  // or no answer in time. Reusing submissionId on a retry is safe: the hub answers a repeat with
  // the first outcome.
  report(tid, match, scores, submissionId, games) {
    const msg = {type: 'report', tournament: tid, match, scores, submission_id: submissionId};
    if (games && games.length) msg.games = games;
    return this.request(msg);
  }

  // join joins a player over the socket: body is the HTTP join's ({name, rating, submission_id}).
  // It resolves with the `joined` reply ({player_id, token, version, duplicate}); the socket is
  // then that player's (no auth), the token is kept and sent on every reconnect as auth's is, and
  // onAuth is called as for auth_ok. It rejects as report does.
  async join(tid, body) {
    const reply = await this.request({...body, type: 'join', tournament: tid});
    this.tokens.set(tid, reply.token);
    if (this.cb.onAuth) this.cb.onAuth(tid, reply);
    return reply;
  }

  request(msg) {
    if (!this.isOpen()) {
      return Promise.reject(new HubError('network', 'Not connected to the hub right now. Wait for the connection to come back and try again.'));
    }
    const ref = this.ref();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new HubError('network', 'The hub did not answer in time. Try again (a repeated report is safe).'));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(ref, {resolve, reject, timer});
      this.send({...msg, ref});
    });
  }

  // connect opens the socket unless it is open or opening.
  connect() {
    if (this.stopped) return;
    if (this.ws && (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)) return;
    this.setStatus('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url, [PROTOCOL, 'tourhub.v1']); // v2: compact events (wire.js)
    } catch (e) {
      this.scheduleReconnect(1006);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.setStatus('open');
      for (const [tid, token] of this.tokens) this.sendAuth(tid, token);
      for (const tid of this.subs.keys()) this.sendSubscribe(tid);
      this.startPing();
    };
    ws.onmessage = (e) => {
      if (this.ws !== ws) return;
      this.attempt = 0; // the hub talks to us: the next drop starts the backoff afresh
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch (err) {
        console.warn('hub sent a frame that is not JSON', e.data);
        return;
      }
      if (msg && msg.type === 'snapshot') {
        try {
          expandSnapshot(msg);
        } catch (err) {
          console.warn('hub sent a snapshot with matches this client does not read', err);
          return;
        }
      } else if (Array.isArray(msg)) {
        const s = this.subs.get(msg[1]);
        try {
          msg = expandMessage(msg, s ? s.epoch : null);
        } catch (err) {
          msg = null;
        }
        if (!msg) {
          console.warn('hub sent a compact message this client does not read', e.data);
          return;
        }
      }
      this.handle(msg);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      this.failPending(new HubError('network', 'The connection to the hub was lost before it answered. Try again when it is back (a repeated report is safe).'));
      for (const s of this.subs.values()) s.resyncing = false;
      if (STOP_CODES.has(e.code)) {
        this.stopped = true;
        this.setStatus('stopped', {code: e.code, reason: e.reason || CLOSE_REASONS[e.code] || ''});
        return;
      }
      this.scheduleReconnect(e.code, e.reason);
    };
    ws.onerror = () => {
      /* onclose follows and decides what to do */
    };
  }

  scheduleReconnect(code, reason) {
    if (this.stopped) return;
    const delay = backoff(this.attempt, this.rand);
    this.attempt++;
    this.setStatus('reconnecting', {code, reason: reason || CLOSE_REASONS[code] || 'The connection dropped.', delay});
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  // close stops the client for good (normal closure).
  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopPing();
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onOnline);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
    this.setStatus('stopped', {code: 1000, reason: 'closed'});
  }

  isOpen() {
    return this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  ref() {
    return String(this.nextRef++);
  }

  send(msg) {
    this.ws.send(JSON.stringify(msg));
  }

  sendAuth(tid, token) {
    const ref = this.ref();
    this.authRefs.set(ref, tid);
    this.send({type: 'auth', ref, token});
  }

  sendSubscribe(tid) {
    const s = this.subs.get(tid);
    const msg = {type: 'subscribe', ref: this.ref(), tournament: tid};
    if (s.have && s.epoch && s.rev) {
      msg.epoch = s.epoch;
      msg.version = s.version;
      msg.rev = s.rev;
    }
    this.send(msg);
  }

  // resync asks again from the last applied position, after a gap.
  resync(tid) {
    const s = this.subs.get(tid);
    if (!s || s.resyncing || !this.isOpen()) return;
    s.resyncing = true;
    this.sendSubscribe(tid);
  }

  setStatus(status, detail = {}) {
    this.status = status;
    if (this.cb.onStatus) this.cb.onStatus(status, detail);
  }

  startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.isOpen() || this.pongTimer) return;
      this.send({type: 'ping', ref: 'ping'});
      const ws = this.ws;
      this.pongTimer = setTimeout(() => {
        this.pongTimer = null;
        if (this.ws === ws) ws.close(4000, 'no pong'); // onclose reconnects
      }, PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }

  failPending(err) {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  settle(ref, ok, value) {
    const p = this.pending.get(ref);
    if (!p) return false;
    this.pending.delete(ref);
    clearTimeout(p.timer);
    if (ok) p.resolve(value);
    else p.reject(value);
    return true;
  }

  handle(msg) {
    const tid = msg.tournament;
    const s = tid ? this.subs.get(tid) : null;
    switch (msg.type) {
      case 'snapshot': {
        if (!s) return;
        s.epoch = msg.epoch || (msg.state && msg.state.epoch) || null;
        s.version = msg.version ?? (msg.state && msg.state.version) ?? 0;
        s.rev = msg.rev || (msg.state && msg.state.rev) || null;
        s.have = true;
        if (this.cb.onSnapshot) this.cb.onSnapshot(tid, msg.state, {epoch: s.epoch, version: s.version, rev: s.rev});
        return;
      }
      case 'event': {
        if (!s || !s.have) return; // the snapshot this builds on has not come yet
        if (msg.epoch && s.epoch && msg.epoch !== s.epoch) {
          // Versions of another epoch are not comparable: start afresh with a snapshot.
          s.have = false;
          s.epoch = null;
          s.version = 0;
          s.rev = null;
          this.resync(tid);
          return;
        }
        if (msg.version <= s.version) return; // already had it
        if (msg.version !== s.version + 1) {
          this.resync(tid); // a gap: ask for what is missing from where we are
          return;
        }
        s.version = msg.version;
        s.rev = msg.rev || null;
        if (this.cb.onEvent) this.cb.onEvent(tid, msg.events || [], {epoch: s.epoch, version: s.version, rev: s.rev});
        return;
      }
      case 'subscribed':
        if (s) {
          s.resyncing = false;
          if (!msg.recovered) s.have = false; // a snapshot follows
          if (this.cb.onSubscribed) this.cb.onSubscribed(tid, msg);
        }
        return;
      case 'notice':
        if (this.cb.onNotice) this.cb.onNotice(tid, msg);
        return;
      case 'auth_ok':
        this.authRefs.delete(msg.ref);
        if (this.cb.onAuth) this.cb.onAuth(tid, msg);
        return;
      case 'reported':
      case 'joined':
        this.settle(msg.ref, true, msg);
        return;
      case 'pong':
        clearTimeout(this.pongTimer);
        this.pongTimer = null;
        return;
      case 'unsubscribed':
        return;
      case 'error': {
        const err = new HubError(msg.code, msg.message);
        if (msg.ref && this.settle(msg.ref, false, err)) return;
        if (msg.ref && this.authRefs.has(msg.ref)) {
          const authTid = this.authRefs.get(msg.ref);
          this.authRefs.delete(msg.ref);
          this.tokens.delete(authTid); // a refused token is not resent on reconnect
          err.tournament = authTid;
        }
        if (s && s.resyncing) s.resyncing = false;
        if (this.cb.onError) this.cb.onError(err, msg);
        else console.warn('hub error', msg);
        return;
      }
      default:
        console.debug('unhandled hub message', msg);
    }
  }
}

// Fan-out client for the peer baseline, measuring what `loadtest --scenario fanout` measures on
// the hub: S spectators spread over the servers, K publishes on the first, the time until the
// last spectator has each, and the servers' CPU (from /proc) divided by deliveries.
//
//   node client.js --servers http://127.0.0.1:9001,... --pids 1,2,3 --spectators 1000 --repeats 20 --out r.json
"use strict";
const fs = require("node:fs");
const { io } = require("socket.io-client");

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const servers = (args.servers || "http://127.0.0.1:9001").split(",");
const pids = (args.pids || "").split(",").filter(Boolean).map(Number);
const S = Number(args.spectators || 1000);
const K = Number(args.repeats || 20);
const deadline = Date.now() + Number(args["deadline-ms"] || 300000);
for (const s of servers) {
  const h = new URL(s).hostname;
  if (h !== "127.0.0.1" && h !== "localhost") throw new Error(`refusing non-loopback ${s}`);
}
const hardStop = setTimeout(() => { console.error("deadline passed"); process.exit(2); }, deadline - Date.now());

const TICKS = 100; // USER_HZ
function cpuSeconds() {
  let t = 0;
  for (const p of pids) {
    const s = fs.readFileSync(`/proc/${p}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    t += (Number(f[11]) + Number(f[12])) / TICKS;
  }
  return t;
}
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function quantile(sorted, q) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function main() {
  const got = new Map(); // version -> [receipt ms]
  let waiter = null;
  const sockets = [];
  const t0 = now();
  let connected = 0;
  await new Promise((resolve, reject) => {
    let opened = 0;
    const openNext = () => {
      // Keep at most 64 handshakes in flight.
      while (opened < S && opened - connected < 64) {
        const i = opened++;
        const s = io(servers[i % servers.length], { transports: ["websocket"], reconnection: false, forceNew: true });
        s.on("connect", () => { connected++; if (connected === S) resolve(); else openNext(); });
        s.on("connect_error", (e) => reject(e));
        s.on("event", (ev) => {
          const at = now();
          let a = got.get(ev.version);
          if (!a) got.set(ev.version, (a = []));
          a.push(at);
          if (a.length === S && waiter) waiter(ev.version);
        });
        sockets.push(s);
      }
    };
    openNext();
  });
  const connectSec = (now() - t0) / 1000;
  console.error(`${S} socket.io spectators connected in ${connectSec.toFixed(1)}s`);
  await sleep(1000); // let the room joins settle on every process

  const completions = [];
  const deliveries = [];
  let cpuSum = 0, delivered = 0, missing = 0;
  for (let k = 0; k < K; k++) {
    await sleep(300);
    const c0 = cpuSeconds();
    const sent = now();
    const res = await fetch(servers[0] + "/publish", { method: "POST" });
    const { version } = await res.json();
    if ((got.get(version) || []).length < S) {
      await new Promise((resolve) => {
        const t = setTimeout(resolve, 10000);
        waiter = (v) => { if (v === version) { clearTimeout(t); resolve(); } };
      });
    }
    waiter = null;
    const c1 = cpuSeconds();
    const ts = got.get(version) || [];
    got.delete(version);
    cpuSum += c1 - c0;
    delivered += ts.length;
    missing += S - ts.length;
    for (const at of ts) deliveries.push(at - sent);
    if (ts.length === S) completions.push(Math.max(...ts) - sent);
    console.error(`publish ${k + 1}: reached ${ts.length}/${S} in ${(ts.length ? Math.max(...ts) - sent : 0).toFixed(1)} ms, server cpu ${((c1 - c0) * 1000).toFixed(0)} ms`);
  }
  const sc = [...completions].sort((a, b) => a - b);
  const sd = deliveries.sort((a, b) => a - b);
  const out = {
    scenario: "fanout", server: "socket.io 4.8 + @socket.io/redis-adapter", servers, spectators: S, repeats: K,
    connected, connect_seconds: connectSec, repeats_complete: completions.length, deliveries_missing: missing,
    completion: { count: sc.length, p50_ms: quantile(sc, 0.5), p99_ms: quantile(sc, 0.99), max_ms: sc[sc.length - 1] || 0 },
    delivery_latency: { count: sd.length, p50_ms: quantile(sd, 0.5), p99_ms: quantile(sd, 0.99), max_ms: sd[sd.length - 1] || 0 },
    server_cpu_seconds: cpuSum, deliveries: delivered,
    server_cpu_per_delivery_us: delivered ? (cpuSum * 1e6) / delivered : 0,
    completions_ms: completions,
  };
  if (args.out) fs.writeFileSync(args.out, JSON.stringify(out, null, 2) + "\n");
  console.log(`socket.io fanout: ${S} spectators, completion p50 ${out.completion.p50_ms.toFixed(1)} ms p99 ${out.completion.p99_ms.toFixed(1)} ms, server CPU ${out.server_cpu_per_delivery_us.toFixed(1)} us/delivery, missing ${missing}`);
  for (const s of sockets) s.close();
  clearTimeout(hardStop);
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });

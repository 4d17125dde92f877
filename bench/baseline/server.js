// Peer baseline: the simplest socket.io 4.8 fan-out over Redis. Every spectator socket joins the
// room "t"; POST /publish on any process emits one ~150-byte event to that room through the Redis
// adapter, so every process writes it to its own sockets.
//
//   PORT=9001 REDIS_URL=redis://127.0.0.1:6390 node server.js
"use strict";
const http = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

const port = Number(process.env.PORT || 9001);
const redisURL = process.env.REDIS_URL || "redis://127.0.0.1:6379";

async function main() {
  const pub = createClient({ url: redisURL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  let version = 0;
  const server = http.createServer((req, res) => {
    if (req.method === "POST" && req.url === "/publish") {
      version++;
      const ev = {
        type: "event", tournament: "t_baseline", epoch: "e_1", version,
        events: [{ type: "match_completed", match: { id: version, round: 1, status: "completed", players: [1, 2], scores: [1, 0] } }],
      };
      io.to("t").emit("event", ev);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ version }));
      return;
    }
    if (req.url === "/healthz") {
      res.end("ok");
      return;
    }
    res.writeHead(404);
    res.end();
  });
  const io = new Server(server, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
  io.adapter(createAdapter(pub, sub));
  io.on("connection", (socket) => socket.join("t"));
  server.listen(port, "127.0.0.1", () => console.log(`listening on 127.0.0.1:${port}`));
  const stop = () => { io.close(); pub.quit().catch(() => {}); sub.quit().catch(() => {}); process.exit(0); };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => { console.error(e); process.exit(1); });

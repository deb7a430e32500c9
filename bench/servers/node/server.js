// Reference server for bench/: socket.io 4.8 on Node with default options.
//   broadcast (...args)      -> io.emit("msg", ...args), the sender included
//   echo      (...args, ack) -> ack(...args)
// Listens on HOST (default 127.0.0.1) : PORT (default 3000); exits on SIGTERM/SIGINT.
// With REDIS_URL (e.g. redis://127.0.0.1:6379) the server joins a cluster
// through @socket.io/redis-adapter 8.x (createAdapter(pub, sub), default
// options, the redis 4.x client): io.emit reaches the sockets of every
// server of the cluster. It listens only once both Redis clients are
// connected.
"use strict";
const { createServer } = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1";
const redisURL = process.env.REDIS_URL || "";

async function main() {
  const opts = {};
  const clients = [];
  if (redisURL) {
    const { createClient } = require("redis");
    const { createAdapter } = require("@socket.io/redis-adapter");
    const pub = createClient({ url: redisURL });
    const sub = pub.duplicate();
    for (const c of [pub, sub]) c.on("error", (err) => console.error("redis:", err.message));
    await Promise.all([pub.connect(), sub.connect()]);
    clients.push(pub, sub);
    opts.adapter = createAdapter(pub, sub);
  }

  const httpServer = createServer();
  const io = new Server(httpServer, opts);

  io.on("connection", (socket) => {
    socket.on("broadcast", (...args) => {
      io.emit("msg", ...args);
    });
    socket.on("echo", (...args) => {
      const ack = args.pop();
      if (typeof ack === "function") ack(...args);
    });
  });

  httpServer.listen(port, host, () => {
    const v = require("socket.io/package.json").version;
    const adapter = redisURL ? `, @socket.io/redis-adapter ${require("@socket.io/redis-adapter/package.json").version} on ${redisURL}` : "";
    console.log(`node socket.io ${v}${adapter} listening on ${host}:${port}`);
  });

  for (const sig of ["SIGTERM", "SIGINT"]) {
    process.on(sig, () => {
      io.close(() => {
        Promise.allSettled(clients.map((c) => c.quit())).then(() => process.exit(0));
      });
      setTimeout(() => process.exit(0), 2000).unref();
    });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

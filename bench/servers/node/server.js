// Reference server for bench/: socket.io 4.8 on Node with default options.
//   broadcast (...args)      -> io.emit("msg", ...args), the sender included
//   echo      (...args, ack) -> ack(...args)
// Listens on HOST (default 127.0.0.1) : PORT (default 3000); exits on SIGTERM/SIGINT.
// With REDIS_URL (e.g. redis://127.0.0.1:6379) the server joins a cluster
// through @socket.io/redis-adapter 8.x (createAdapter(pub, sub), default
// options, the redis 4.x client): io.emit reaches the sockets of every
// server of the cluster. It listens only once both Redis clients are
// connected. With REDIS_ADAPTER=streams (the default is pubsub) it joins
// through @socket.io/redis-streams-adapter 0.3 instead (createAdapter(client),
// default options: stream "socket.io"), as bench/server does with the same knob.
// RECOVERY=1 turns connectionStateRecovery on with its defaults (2 minutes,
// skipMiddlewares); with the default adapter that is socket.io's in-memory
// SessionAwareAdapter, and every broadcast carries its offset as its last argument.
// PARSER=msgpack takes socket.io-msgpack-parser 3.0 as the parser (the default,
// json, is socket.io's own).
// With POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) the server
// joins a cluster through @socket.io/postgres-adapter 0.5 (createAdapter(pool),
// default options: channel "socket.io#/", table socket_io_attachments, which it
// creates if missing) on a pg 8.x Pool; it listens once the pool answers.
"use strict";
const { createServer } = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1";
const redisURL = process.env.REDIS_URL || "";
const redisAdapter = process.env.REDIS_ADAPTER || "pubsub";
const recovery = process.env.RECOVERY || "";
const parserName = process.env.PARSER || "json";
const postgresURL = process.env.POSTGRES_URL || "";

async function main() {
  const opts = {};
  const clients = [];
  let adapterName = "";
  if (redisURL) {
    const { createClient } = require("redis");
    if (redisAdapter === "pubsub") {
      const { createAdapter } = require("@socket.io/redis-adapter");
      const pub = createClient({ url: redisURL });
      const sub = pub.duplicate();
      for (const c of [pub, sub]) c.on("error", (err) => console.error("redis:", err.message));
      await Promise.all([pub.connect(), sub.connect()]);
      clients.push(pub, sub);
      opts.adapter = createAdapter(pub, sub);
      adapterName = "@socket.io/redis-adapter";
    } else if (redisAdapter === "streams") {
      const { createAdapter } = require("@socket.io/redis-streams-adapter");
      const client = createClient({ url: redisURL });
      client.on("error", (err) => console.error("redis:", err.message));
      await client.connect();
      clients.push(client);
      opts.adapter = createAdapter(client);
      adapterName = "@socket.io/redis-streams-adapter";
    } else {
      throw new Error(`REDIS_ADAPTER=${redisAdapter}: want pubsub or streams`);
    }
  }
  if (postgresURL) {
    if (redisURL) throw new Error("REDIS_URL and POSTGRES_URL: set one of them");
    const pg = require("pg");
    const { createAdapter } = require("@socket.io/postgres-adapter");
    const pool = new pg.Pool({ connectionString: postgresURL });
    // An idle pooled client's error reaches the pool's handler; the client
    // the adapter holds for LISTEN is checked out, and its error would be
    // unhandled (and end the process) without a handler of its own.
    pool.on("error", (err) => console.error("postgres pool:", err.message));
    pool.on("connect", (client) => client.on("error", (err) => console.error("postgres client:", err.message)));
    // The attachments table (unused by these small broadcasts, but the
    // adapter's cleanup deletes from it): the reference's columns. Two
    // servers that start together may race in IF NOT EXISTS.
    try {
      await pool.query("CREATE TABLE IF NOT EXISTS socket_io_attachments (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)");
    } catch (err) {
      if (!["23505", "42P07", "42710"].includes(err.code)) throw err;
    }
    clients.push({ quit: () => pool.end() });
    opts.adapter = createAdapter(pool);
    adapterName = "@socket.io/postgres-adapter";
  }
  if (recovery === "1") {
    opts.connectionStateRecovery = {};
  } else if (recovery !== "" && recovery !== "0") {
    throw new Error(`RECOVERY=${recovery}: want 1 or 0`);
  }

  if (parserName === "msgpack") {
    opts.parser = require("socket.io-msgpack-parser");
  } else if (parserName !== "json") {
    throw new Error(`PARSER=${parserName}: want json or msgpack`);
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
    const adapter = adapterName ? `, ${adapterName} ${require(`${adapterName}/package.json`).version} on ${redisURL || postgresURL}` : "";
    const csr = opts.connectionStateRecovery ? ", connection state recovery on" : "";
    const mp = opts.parser ? `, socket.io-msgpack-parser ${require("socket.io-msgpack-parser/package.json").version}` : "";
    console.log(`node socket.io ${v}${adapter}${csr}${mp} listening on ${host}:${port}`);
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

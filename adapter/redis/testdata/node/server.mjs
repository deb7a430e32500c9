// A Node.js member of the Go tests' mixed cluster: a socket.io 4.8 server on
// @socket.io/redis-adapter (createAdapter, or createShardedAdapter when
// MODE=sharded), plus an @socket.io/redis-emitter. The Go test drives it
// through its clients: the "do" event runs one cluster operation and acks
// {ok: result} or {error: message}.
//
// Environment: REDIS_URL, KEY (the channel prefix), MODE ("classic" or
// "sharded"), NAME (this server's name in answers). Prints "READY <port>"
// once it listens on 127.0.0.1.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createClient } from "redis";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";

const { REDIS_URL, KEY, MODE = "classic", NAME = "node" } = process.env;

const pub = createClient({ url: REDIS_URL });
const sub = pub.duplicate();
const emitterClient = pub.duplicate();
for (const c of [pub, sub, emitterClient]) c.on("error", () => {});
await Promise.all([pub.connect(), sub.connect(), emitterClient.connect()]);

const adapter =
  MODE === "sharded"
    ? createShardedAdapter(pub, sub, { channelPrefix: KEY })
    : createAdapter(pub, sub, { key: KEY });
const httpServer = createServer();
const io = new Server(httpServer, { adapter, transports: ["websocket"] });
const emitter = new Emitter(emitterClient, { key: KEY });

// Server-side events received, for the test to read back.
const notes = [];
io.on("note", (...args) => notes.push(args));
io.on("ssping", (arg, cb) => cb({ from: NAME, arg }));
io.on("ssbinary", (arg, cb) => cb({ from: NAME, isBuffer: Buffer.isBuffer(arg), bytes: [...arg] }));

io.on("connection", (socket) => {
  socket.data = { name: socket.handshake.query.name, server: NAME };
  socket.on("join", (room, cb) => {
    socket.join(room);
    cb?.();
  });
  socket.on("do", async (op, cb) => {
    try {
      cb({ ok: (await run(op)) ?? null });
    } catch (e) {
      cb({ error: e.message });
    }
  });
});

// target builds the operator of an op: {rooms, except, local, timeout}.
function target(op, base = io) {
  let t = base;
  if (op.rooms?.length) t = t.to(op.rooms);
  if (op.except?.length) t = t.except(op.except);
  if (op.local) t = t.local;
  if (op.timeout) t = t.timeout(op.timeout);
  return t;
}

function args(op) {
  const a = [...(op.args ?? [])];
  if (op.binary) a.push(Buffer.from(op.binary));
  return a;
}

function describe(s) {
  return {
    id: s.id,
    rooms: [...s.rooms].sort(),
    data: s.data,
    query: s.handshake.query,
    headers: s.handshake.headers,
    address: s.handshake.address,
    issued: s.handshake.issued,
    auth: s.handshake.auth,
  };
}

async function run(op) {
  switch (op.op) {
    case "emit":
      target(op).emit(op.event, ...args(op));
      return true;
    case "emitWithAck":
      return await target(op).emitWithAck(op.event, ...args(op));
    case "fetchSockets":
      return (await target(op).fetchSockets()).map(describe);
    case "remoteEmit": {
      const s = (await io.fetchSockets()).find((s) => s.id === op.id);
      if (!s) throw new Error("no socket " + op.id);
      s.emit(op.event, ...args(op));
      return true;
    }
    case "remoteJoin": {
      const s = (await io.fetchSockets()).find((s) => s.id === op.id);
      if (!s) throw new Error("no socket " + op.id);
      s.join(op.room);
      return true;
    }
    case "socketsJoin":
      target(op).socketsJoin(op.room);
      return true;
    case "socketsLeave":
      target(op).socketsLeave(op.room);
      return true;
    case "disconnectSockets":
      target(op).disconnectSockets(!!op.close);
      return true;
    case "serverSideEmit":
      io.serverSideEmit(op.event, ...args(op));
      return true;
    case "serverSideEmitWithAck":
      return await io.serverSideEmitWithAck(op.event, ...args(op));
    case "serverCount":
      return await io.of("/").adapter.serverCount();
    case "notes":
      return notes.splice(0);
    case "emitter": {
      let e = emitter;
      if (op.rooms?.length) e = e.to(op.rooms);
      if (op.except?.length) e = e.except(op.except);
      e.emit(op.event, ...args(op));
      return true;
    }
    case "emitterSocketsJoin":
      (op.rooms?.length ? emitter.in(op.rooms) : emitter).socketsJoin(op.room);
      return true;
    case "emitterDisconnectSockets":
      (op.rooms?.length ? emitter.in(op.rooms) : emitter).disconnectSockets(!!op.close);
      return true;
    case "emitterServerSideEmit":
      emitter.serverSideEmit(op.event, ...args(op));
      return true;
    case "localSockets":
      return [...io.of("/").sockets.values()].map(describe);
    default:
      throw new Error("unknown op " + op.op);
  }
}

httpServer.listen(0, "127.0.0.1", () => {
  console.log("READY " + httpServer.address().port);
});

const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// The Go test closes stdin when it is done (or dies).
process.stdin.on("end", stop);
process.stdin.resume();

// The Node.js member of adapter/redisstreams' interop tests: a socket.io
// 4.8 server on @socket.io/redis-streams-adapter, driven by the Go test
// through a client's "do" event, which runs one operation and acks
// {ok: result} or {error: message}.
//
// Environment: REDIS_URL, KEY (stream name and channel prefix), NAME (this
// server's name in answers), RECOVERY=1 (connectionStateRecovery on, with
// the defaults: 2 minutes, middlewares skipped; a new socket then joins
// room "r", and every socket is sent "hello" with socket.recovered).
// Prints "READY <port>" once it listens on 127.0.0.1; exits when its stdin
// closes.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createClient } from "redis";
import { createAdapter } from "@socket.io/redis-streams-adapter";

const { REDIS_URL, KEY, NAME = "node", RECOVERY } = process.env;
const recovery = RECOVERY === "1";

const redis = createClient({ url: REDIS_URL });
redis.on("error", () => {});
await redis.connect();

const httpServer = createServer();
const io = new Server(httpServer, {
  adapter: createAdapter(redis, { streamName: KEY, channelPrefix: KEY }),
  transports: ["websocket"],
  ...(recovery ? { connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true } } : {}),
});

const notes = [];
io.on("note", (...args) => notes.push(args));
io.on("ssping", (arg, cb) => cb({ from: NAME, arg }));
io.on("ssbinary", (arg, cb) => cb({ from: NAME, isBuffer: Buffer.isBuffer(arg), bytes: [...arg] }));

io.on("connection", (socket) => {
  if (!socket.recovered) {
    socket.data = { name: socket.handshake.query.name, server: NAME };
    if (recovery) socket.join("r");
  }
  socket.on("join", (room, cb) => {
    socket.join(room);
    cb?.();
  });
  socket.on("do", async (op, cb) => {
    try {
      cb({ ok: (await run(op)) ?? null });
    } catch (e) {
      cb({ error: String(e?.message ?? e) });
    }
  });
  if (recovery) socket.emit("hello", socket.recovered);
});

// on returns the operator an op names: {rooms, except, local, timeout}.
function on(op) {
  let t = io;
  if (op.rooms?.length) t = t.to(op.rooms);
  if (op.except?.length) t = t.except(op.except);
  if (op.local) t = t.local;
  if (op.timeout) t = t.timeout(op.timeout);
  return t;
}

function argsOf(op) {
  const a = [...(op.args ?? [])];
  if (op.binary) a.push(Buffer.from(op.binary));
  return a;
}

async function run(op) {
  switch (op.op) {
    case "emit":
      on(op).emit(op.event, ...argsOf(op));
      return true;
    case "emitWithAck":
      return await on(op).emitWithAck(op.event, ...argsOf(op));
    case "fetchSockets":
      return (await on(op).fetchSockets()).map((s) => ({
        id: s.id,
        rooms: [...s.rooms].sort(),
        data: s.data,
        query: s.handshake.query,
      }));
    case "socketsJoin":
      on(op).socketsJoin(op.room);
      return true;
    case "socketsLeave":
      on(op).socketsLeave(op.room);
      return true;
    case "disconnectSockets":
      on(op).disconnectSockets(!!op.close);
      return true;
    case "serverSideEmit":
      io.serverSideEmit(op.event, ...argsOf(op));
      return true;
    case "serverSideEmitWithAck":
      return await io.serverSideEmitWithAck(op.event, ...argsOf(op));
    case "serverCount":
      return await io.of("/").adapter.serverCount();
    case "socket": {
      const s = io.of("/").sockets.get(op.id);
      return s ? { id: s.id, rooms: [...s.rooms].sort(), data: s.data, recovered: s.recovered } : null;
    }
    case "notes":
      return notes.splice(0);
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
process.stdin.on("end", stop);
process.stdin.resume();

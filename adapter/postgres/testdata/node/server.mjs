// The Node.js member of adapter/postgres' interop tests: a socket.io 4.8
// server on @socket.io/postgres-adapter 0.5, driven by the Go test
// through a client's "do" event, which runs one operation and acks
// {ok: result} or {error: message}.
//
// Environment: PG_URL, KEY (channel prefix and attachments table, which
// the Go test creates), NAME (this server's name in answers). Prints
// "READY <port>" once it listens on 127.0.0.1; exits when its stdin
// closes.
import { createServer } from "node:http";
import { Server } from "socket.io";
import pg from "pg";
import { createAdapter } from "@socket.io/postgres-adapter";

const { PG_URL, KEY, NAME = "node" } = process.env;

const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
// Postgres restarts in the tests: an idle client's error reaches the
// pool, but the error of the client the adapter holds for LISTEN would
// be unhandled (and end the process) without a listener of its own.
pool.on("error", () => {});
pool.on("connect", (client) => client.on("error", () => {}));

const httpServer = createServer();
const io = new Server(httpServer, {
  // Heartbeats every second, as the Go servers of the tests send them.
  adapter: createAdapter(pool, { channelPrefix: KEY, tableName: KEY, heartbeatInterval: 1000, heartbeatTimeout: 4000 }),
  transports: ["websocket"],
});

const notes = [];
io.on("note", (...args) => notes.push(args));
io.on("ssping", (arg, cb) => cb({ from: NAME, arg }));
io.on("ssbinary", (arg, cb) => cb({ from: NAME, isBuffer: arg instanceof Uint8Array, bytes: [...arg] }));

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
      cb({ error: String(e?.message ?? e) });
    }
  });
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
  if (op.big) a.push("x".repeat(op.big));
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
    case "notes":
      return notes.splice(0);
    default:
      throw new Error("unknown op " + op.op);
  }
}

httpServer.listen(0, "127.0.0.1", () => {
  console.log("READY " + httpServer.address().port);
});

const stop = () => {
  io.close();
  pool.end().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();

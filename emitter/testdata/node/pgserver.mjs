// The Node.js side of the emitter package's Postgres tests: a socket.io
// 4.8 server on @socket.io/postgres-adapter 0.5, with the namespaces "/"
// and "/admin", and the official @socket.io/postgres-emitter, both on the
// Postgres at PG_URL with channel prefix and attachments table KEY (the Go
// test creates the table). Prints "READY <port>" once it listens on
// 127.0.0.1, and exits when its stdin closes.
//
// Sockets of either namespace answer "join" (room, ack) after joining. A
// socket of "/" also answers "do" (op, ack) with {ok: result} or
// {error: message}, as in server.mjs.
import { createServer } from "node:http";
import { Server } from "socket.io";
import pg from "pg";
import { createAdapter } from "@socket.io/postgres-adapter";
import { Emitter } from "@socket.io/postgres-emitter";

const { PG_URL, KEY } = process.env;

const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
pool.on("error", () => {});
// The emitter sends on one connection, in order: two queries after an
// operation's own ones have returned once they are sent.
const emitterClient = new pg.Client({ connectionString: PG_URL });
emitterClient.on("error", () => {});
await emitterClient.connect();

const httpServer = createServer();
const io = new Server(httpServer, {
  adapter: createAdapter(pool, { channelPrefix: KEY, tableName: KEY, heartbeatInterval: 1000, heartbeatTimeout: 4000 }),
  transports: ["websocket"],
});
const emitter = new Emitter(emitterClient, "/", { channelPrefix: KEY, tableName: KEY });

// The server-side events received, per namespace, for "notes".
const notes = [];
for (const name of ["/", "/admin"]) {
  const nsp = io.of(name);
  nsp.on("note", (...args) => notes.push({ nsp: name, args: ["note", ...args.map(plain)] }));
  nsp.on("connection", (socket) => {
    socket.on("join", (room, cb) => {
      socket.join(room);
      cb?.();
    });
  });
}

io.on("connection", (socket) => {
  socket.on("do", async (op, cb) => {
    try {
      const result = await run(op);
      await emitterClient.query("SELECT 1");
      await emitterClient.query("SELECT 1");
      cb({ ok: result ?? null });
    } catch (e) {
      cb({ error: e.message });
    }
  });
});

function plain(v) {
  return Buffer.isBuffer(v) ? { buffer: [...v] } : v;
}

function args(op) {
  const a = [...(op.args ?? [])];
  if (op.big) a.push("x".repeat(op.big));
  if (op.binary) a.push(Buffer.from(op.binary));
  if (op.nestedBinary) a.push({ bin: Buffer.from(op.nestedBinary) });
  return a;
}

// of returns the emitter of op.nsp: the reference's of() forgets the
// options, so the namespace's emitter is made with them.
function of(op) {
  if (!op.nsp) return emitter;
  const nsp = op.nsp[0] === "/" ? op.nsp : "/" + op.nsp;
  return new Emitter(emitterClient, nsp, { channelPrefix: KEY, tableName: KEY });
}

function target(op) {
  let t = of(op);
  if (op.rooms?.length) t = t.to(op.rooms);
  if (op.except?.length) t = t.except(op.except);
  if (op.volatile) t = t.volatile;
  if (op.compress !== undefined) t = t.compress(op.compress);
  return t;
}

async function run(op) {
  switch (op.op) {
    case "emit":
      target(op).emit(op.event, ...args(op));
      return true;
    case "socketsJoin":
      target(op).socketsJoin(op.join);
      return true;
    case "socketsLeave":
      target(op).socketsLeave(op.leave);
      return true;
    case "disconnectSockets":
      target(op).disconnectSockets(!!op.close);
      return true;
    case "serverSideEmit":
      of(op).serverSideEmit(op.event, ...args(op));
      return true;
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
  emitterClient.end().catch(() => {});
  pool.end().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();

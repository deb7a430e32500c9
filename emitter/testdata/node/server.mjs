// The Node.js side of the emitter package's tests: a socket.io 4.8 server
// on @socket.io/redis-adapter (createAdapter), with the namespaces "/" and
// "/admin", and the official @socket.io/redis-emitter, both on the Redis at
// REDIS_URL with channel prefix KEY. Prints "READY <port>" once it listens
// on 127.0.0.1, and exits when its stdin closes.
//
// Sockets of either namespace answer "join" (room, ack) after joining. A
// socket of "/" also answers "do" (op, ack) with {ok: result} or
// {error: message}: the Go test drives the emitter and reads the server's
// server-side events with it.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createClient } from "redis";
import { createAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";

const { REDIS_URL, KEY } = process.env;

const pub = createClient({ url: REDIS_URL });
const sub = pub.duplicate();
const emitterClient = pub.duplicate();
for (const c of [pub, sub, emitterClient]) c.on("error", () => {});
await Promise.all([pub.connect(), sub.connect(), emitterClient.connect()]);

const httpServer = createServer();
const io = new Server(httpServer, {
  adapter: createAdapter(pub, sub, { key: KEY }),
  transports: ["websocket"],
});
const emitter = new Emitter(emitterClient, { key: KEY });

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
      // The emitter does not wait for its PUBLISH; a PING on the same
      // connection does, so the Go test sees the operation published
      // before the answer.
      await emitterClient.ping();
      cb({ ok: result ?? null });
    } catch (e) {
      cb({ error: e.message });
    }
  });
});

// plain describes a Buffer as {buffer: [bytes]} for the Go side.
function plain(v) {
  return Buffer.isBuffer(v) ? { buffer: [...v] } : v;
}

// args returns op.args, then a Buffer of op.binary and an object with a
// Buffer of op.nestedBinary, when given.
function args(op) {
  const a = [...(op.args ?? [])];
  if (op.binary) a.push(Buffer.from(op.binary));
  if (op.nestedBinary) a.push({ bin: Buffer.from(op.nestedBinary) });
  return a;
}

// target returns the emitter operator of op: {nsp, rooms, except,
// volatile, compress}.
function target(op) {
  let t = op.nsp ? emitter.of(op.nsp) : emitter;
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
      (op.nsp ? emitter.of(op.nsp) : emitter).serverSideEmit(op.event, ...args(op));
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

const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();

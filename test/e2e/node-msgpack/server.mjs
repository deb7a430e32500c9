#!/usr/bin/env node
// The Node.js reference server with socket.io-msgpack-parser, with the
// handlers of ../server (the Go server) that msgpack.test.mjs uses, so
// that the suite's checks are shown to hold against Node too:
//
//	E2E_SERVER_BIN=$PWD/test/e2e/node-msgpack/server.mjs node --test msgpack.test.mjs
//
// Same environment (PORT, MAX_BUFFER, PING_INTERVAL, PING_TIMEOUT,
// RECOVERY_MS; PARSER must be "msgpack") and the same "listening on" line.
import { createServer } from "node:http";
import { Server } from "socket.io";
import parser from "socket.io-msgpack-parser";

if (process.env.PARSER !== "msgpack") {
  process.stderr.write("this server speaks msgpack only: PARSER=msgpack\n");
  process.exit(2);
}
const num = (name, def) => (process.env[name] ? Number(process.env[name]) : def);
const recoveryMs = num("RECOVERY_MS", 0);
const http = createServer();
const io = new Server(http, {
  parser,
  maxHttpBufferSize: num("MAX_BUFFER", 1e6),
  pingInterval: num("PING_INTERVAL", 30000),
  pingTimeout: num("PING_TIMEOUT", 20000),
  ...(recoveryMs > 0 ? { connectionStateRecovery: { maxDisconnectionDuration: recoveryMs } } : {}),
});

const reversed = (b) => Buffer.from(b).reverse();
const last = (args) => (typeof args[args.length - 1] === "function" ? args.pop() : () => {});

io.on("connection", (socket) => {
  socket.emit("welcome", { id: socket.id, nsp: "/" });
  socket.on("echo", (...args) => last(args)(...args));
  socket.on("emit-back", (...args) => socket.emit("emit-back", ...args));
  socket.on("ask-sum", (a, b, cb) =>
    socket.timeout(2000).emit("sum", a, b, (err, got) =>
      cb({ ok: !err && got === a + b, got: err ? 0 : got, err: err ? err.message : "" }),
    ),
  );
  socket.on("reverse-bytes", (data, cb) => cb(reversed(data)));
  socket.on("struct-bin", ({ name, data }, cb) => cb({ name: name + "!", data: reversed(data), len: data.length }));
  socket.on("ask-client", (event, ...args) => {
    const cb = last(args);
    socket.timeout(2000).emit(event, ...args, (err, ...res) => (err ? cb(err.message) : cb(null, ...res)));
  });
  socket.on("get-auth", (cb) => cb(socket.handshake.auth));
  socket.on("do", (op, params, cb) => {
    if (op === "join") {
      socket.join(params.rooms);
      return cb({ ok: [...socket.rooms].sort() });
    }
    if (op === "emit" && params.via === "io.to") {
      io.to(params.rooms).emit(params.event, ...(params.args ?? []));
      return cb({ ok: true });
    }
    if (op === "emit" && params.via === "nsp.emit") {
      io.of(params.nsp).emit(params.event, ...(params.args ?? []));
      return cb({ ok: true });
    }
    cb({ error: `unsupported op ${op} ${params?.via ?? ""}` });
  });
});

const admin = io.of("/admin");
admin.on("connection", (socket) => {
  socket.emit("welcome", { id: socket.id, nsp: "/admin" });
  socket.on("echo", (...args) => last(args)("admin", ...args));
  socket.on("admin-only", (cb) => cb("admin-only-ok"));
});

const guarded = io.of("/guarded");
guarded.use((socket, next) =>
  socket.handshake.auth?.token === "let-me-in"
    ? next()
    : next(Object.assign(new Error("not authorized"), { data: { reason: "bad token", code: 4001 } })),
);
guarded.on("connection", (socket) => socket.on("echo", (...args) => last(args)(...args)));

const lobby = io.of("/lobby");
lobby.on("connection", (socket) => {
  socket.join("lobby");
  socket.emit("ready");
  socket.on("shout", (n) => lobby.to("lobby").emit("heard", n));
});

const recovery = io.of("/recovery");
const gone = new Map(); // socket id -> promise resolved at its disconnect
recovery.on("connection", (socket) => {
  let done;
  gone.set(socket.id, new Promise((resolve) => (done = resolve)));
  socket.on("disconnect", () => done());
  if (!socket.recovered) socket.join("news");
  socket.emit("hello", { recovered: socket.recovered });
  socket.on("send", (room, event, v, cb) => {
    recovery.to(room).emit(event, v);
    cb();
  });
  socket.on("await-gone", (id, cb) => {
    const p = gone.get(id);
    const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 3000));
    Promise.race([p ? p.then(() => true) : timeout, timeout]).then(cb);
  });
});

http.listen(num("PORT", 0), "127.0.0.1", () => {
  process.stdout.write(`listening on http://127.0.0.1:${http.address().port}\n`);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => io.close(() => process.exit(0)));
}

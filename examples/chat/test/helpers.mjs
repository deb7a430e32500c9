// Starts the chat servers (Go, and Node for the mixed cluster) and a
// redis-server or a PostgreSQL server for a test file, and stops them
// afterwards.
import { spawn, execFile, execFileSync } from "node:child_process";
import { accessSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import assert from "node:assert/strict";
import { io } from "socket.io-client";

const here = path.dirname(fileURLToPath(import.meta.url));
export const chatDir = path.resolve(here, "..");

// The chat server binary: CHAT_SERVER_BIN, or built once into a temp dir.
export function serverBinary() {
  if (process.env.CHAT_SERVER_BIN) return process.env.CHAT_SERVER_BIN;
  const out = path.join(mkdtempSync(path.join(tmpdir(), "chat-")), "chat");
  execFileSync("go", ["build", "-o", out, "."], { cwd: chatDir, stdio: "inherit" });
  return out;
}

// startChat starts the Go chat server on a free port and resolves with
// its URL and a stop function that sends SIGTERM and waits for a clean
// exit.
export function startChat(env = {}, port) {
  return startServer(serverBinary(), [], chatDir, env, port);
}

// startNodeChat starts the Node chat server (../node/server.mjs, which
// needs REDIS_URL in env) as startChat starts the Go one.
export function startNodeChat(env = {}, port) {
  return startServer(process.execPath, ["server.mjs"], path.join(chatDir, "node"), env, port);
}

// startNodeAdmin starts the reference for the admin tests, node-admin/:
// a Node.js chat server instrumented by @socket.io/admin-ui, which takes
// the Go chat's environment (ADMIN_PASSWORD, ...).
export function startNodeAdmin(env = {}, port) {
  const dir = path.join(here, "node-admin");
  return startServer(process.execPath, ["server.mjs"], dir, env, port);
}

async function startServer(cmd, args, cwd, env, port) {
  port ??= await freePort();
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("chat server did not start:\n" + log)), 15000);
    const onData = (b) => {
      log += b;
      if (log.includes("listening on http://localhost:")) { clearTimeout(timer); resolve(); }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`chat server exited (${code}):\n${log}`)));
  });
  await listening;
  const url = `http://localhost:${port}`;
  return {
    url,
    port,
    log: () => log,
    exitCode: () => child.exitCode,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      return withTimeout(exited, 10000, "chat server exit");
    },
  };
}

// startRedis starts a redis-server of its own on a free port, keeping
// nothing on disk, and resolves once it accepts connections, with its port,
// its URL, cli (runs one redis-cli command against it and resolves with
// the raw output) and stop.
export async function startRedis() {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  await withTimeout(new Promise((resolve, reject) => {
    child.on("error", reject);
    const tryConnect = () => {
      const s = net.connect(port, "127.0.0.1", () => { s.end(); resolve(); });
      s.on("error", () => setTimeout(tryConnect, 50));
    };
    tryConnect();
  }), 10000, "redis-server (apt-get install redis-server)");
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async cli(...args) {
      const { stdout } = await promisify(execFile)("redis-cli", ["-p", String(port), "--raw", ...args]);
      return stdout;
    },
    stop() { child.kill(); },
  };
}

// startPostgres starts a PostgreSQL server of its own, as
// internal/testkit/pgtest does for the Go tests: Debian's initdb and
// postgres (/usr/lib/postgresql/<version>/bin, newest first, then the
// PATH), a temporary data directory, a free port of 127.0.0.1, no fsync,
// local connections trusted; run as root, the server runs as the postgres
// user, since initdb refuses root. It resolves once the server accepts
// connections, with its port, its URL, psql and stop (a fast shutdown, then
// the data directory goes).
export async function startPostgres() {
  const isExec = (p) => { try { accessSync(p, constants.X_OK); return true; } catch { return false; } };
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a)) : [];
  const dirs = [...versions.map((v) => `/usr/lib/postgresql/${v}/bin`), ...(process.env.PATH ?? "").split(":")];
  const bin = dirs.find((d) => isExec(path.join(d, "initdb")) && isExec(path.join(d, "postgres")));
  if (!bin) throw new Error("PostgreSQL not found (initdb and postgres in /usr/lib/postgresql/*/bin or on PATH): apt-get install -y postgresql (make test-deps)");
  const dir = mkdtempSync(path.join(tmpdir(), "chat-pg-"));
  const as = {};
  if (process.getuid?.() === 0) {
    as.uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    as.gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, as.uid, as.gid);
  }
  const env = { ...process.env, LC_ALL: "C" };
  const data = path.join(dir, "data");
  try {
    await promisify(execFile)(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"], { cwd: dir, env, ...as });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb: ${e.message}`);
  }
  const port = await freePort();
  const child = spawn(path.join(bin, "postgres"), [
    "-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`,
    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=100", "-c", "shared_buffers=16MB",
  ], { cwd: dir, env, ...as, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGINT"); // a fast shutdown
      await withTimeout(exited, 15000, "postgres to stop").catch(() => { child.kill("SIGKILL"); return exited; });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await withTimeout(new Promise((resolve, reject) => {
      const onData = (b) => {
        log += b;
        if (log.includes("database system is ready to accept connections")) resolve();
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`postgres exited (${code}):\n${log}`)));
    }), 20000, "postgres to accept connections");
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    log: () => log,
    // psql runs one SQL command (psql of the same version) and resolves
    // with its rows, unaligned, without headers.
    async psql(sql) {
      const { stdout } = await promisify(execFile)(path.join(bin, "psql"), ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-c", sql], { env });
      return stdout.trim();
    },
    stop,
  };
}

// freePort asks the system for a free port on 127.0.0.1.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); }),
  ]);
}

// waitFor resolves with the first argument of the next event, or rejects
// after ms. The chat's events have one argument, their payload; with
// connection state recovery on, a broadcast also carries its offset as an
// extra last argument, for the client, which waitFor leaves out.
export function waitFor(emitter, event, ms = 5000) {
  return withTimeout(new Promise((resolve) => emitter.once(event, (arg) => resolve(arg))), ms, event);
}

// client connects an official Socket.IO client to the chat.
export async function client(url, nsp = "/", opts = {}) {
  const s = io(url + nsp, { forceNew: true, reconnection: false, transports: ["websocket"], ...opts });
  await waitFor(s, "connect");
  return s;
}

// expectNone resolves if event does not arrive within ms (used only to
// show that something is NOT delivered, after a later event proves the
// server has moved on).
export function expectNone(emitter, event, ms) {
  return new Promise((resolve, reject) => {
    const fail = (...args) => reject(new Error(`unexpected ${event}: ${JSON.stringify(args)}`));
    emitter.once(event, fail);
    setTimeout(() => { emitter.off(event, fail); resolve(); }, ms);
  });
}

// texts records the text of each chat message s receives, from now on.
export function texts(s) {
  const got = [];
  s.on("chat message", (m) => got.push(m.text));
  return got;
}

// notices records the "user joined" and "user left" events s receives,
// from now on.
export function notices(s) {
  const got = [];
  s.on("user joined", (n) => got.push(["joined", n.nickname]));
  s.on("user left", (n) => got.push(["left", n.nickname]));
  return got;
}

// dropTransport closes s's connection under it, as a network blip would
// (the server sees "transport close"), and resolves once s knows. With
// reconnection off, s stays away until s.connect().
export async function dropTransport(s) {
  const gone = waitFor(s, "disconnect");
  s.io.engine.close();
  await gone;
}

// contractScript is a run of the chat's events, with limits, trimming,
// wrong types and missing arguments, for a client in room: what two
// servers must answer alike (contractAnswers).
export const contractScript = (room) => [
  ["set nickname", 42], ["set nickname", null], ["set nickname"], ["set nickname", ""], ["set nickname", " \t\n "],
  ["set nickname", "n".repeat(33)], ["set nickname", "é".repeat(33)], ["set nickname", "é".repeat(32)],
  // Go's strings.TrimSpace trims U+0085 and U+3000 but not U+FEFF.
  ["set nickname", "\u0085\u00a0p-nick\u3000\ufeff"],
  ["join", 7], ["join", ""], ["join", "   "], ["join", "r".repeat(65)], ["join", [room]], ["join", `\u2029 ${room}\u3000`],
  ["users"],
  ["chat message", 42], ["chat message", ""], ["chat message", "x".repeat(2001)], ["chat message", ["hi"]],
  ["chat message", "😀".repeat(2000)], ["chat message", " lone \ud800 <&> \u2028 "],
  ["history"], ["history", null], ["history", "r".repeat(65)], ["history", ` ${room} `],
];

// contractAnswers sends s, alone in room, the events of contractScript one
// after the other and resolves with the JSON of each answer, with the
// room's name, the messages' ids and times replaced by ROOM, ID and 0.
export async function contractAnswers(s, room) {
  const out = [];
  for (const [event, ...args] of contractScript(room)) {
    const ack = await s.timeout(5000).emitWithAck(event, ...args);
    out.push(JSON.stringify(ack)
      .replaceAll(room, "ROOM")
      .replace(/"id":"[0-9a-f]{16}"/g, `"id":"ID"`)
      .replace(/"ts":\d+/g, `"ts":0`));
  }
  return out;
}

const sorted = (a) => [...a].sort();

// checkMembersAcross checks, for two servers a and b of one chat, that
// "users" lists a room's members on both from either, nicknames set on
// either included (socket.data, read by the other server through
// FetchSockets). user(srv, name, room) opens a client with that nickname
// in that room.
export async function checkMembersAcross(user, a, b) {
  const alice = await user(a, "u-alice", "u-room");
  const bob = await user(b, "u-bob", "u-room");
  await user(a, "u-carol", "u-room");
  await user(b, "u-erin", "u-elsewhere");
  const all = ["u-alice", "u-bob", "u-carol"];
  assert.deepEqual(await alice.emitWithAck("users").then((r) => [r.room, sorted(r.users)]), ["u-room", all]);
  assert.deepEqual(await bob.emitWithAck("users").then((r) => [r.room, sorted(r.users)]), ["u-room", all]);
  assert.deepEqual(await bob.emitWithAck("set nickname", "u-bobby"), { ok: true });
  assert.deepEqual(await alice.emitWithAck("set nickname", "u-alicia"), { ok: true });
  const renamed = ["u-alicia", "u-bobby", "u-carol"];
  assert.deepEqual(sorted((await alice.emitWithAck("users")).users), renamed);
  assert.deepEqual(sorted((await bob.emitWithAck("users")).users), renamed);
}

// checkTypingAcross checks that typing notices cross from a to b and back.
export async function checkTypingAcross(user, a, b) {
  const alice = await user(a, "t-alice", "t-room");
  const bob = await user(b, "t-bob", "t-room");
  // Volatile: typing goes on, as a user's would, until one arrives.
  for (const [from, to, name] of [[alice, bob, "t-alice"], [bob, alice, "t-bob"]]) {
    const got = waitFor(to, "typing");
    from.emit("typing");
    const again = setInterval(() => from.emit("typing"), 100);
    try {
      assert.deepEqual(await got, { from: name });
    } finally {
      clearInterval(again);
    }
  }
}

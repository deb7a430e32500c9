// The chat example's server in Node.js: socket.io 4.8.4 on
// @socket.io/redis-streams-adapter 0.3.1, or on @socket.io/postgres-adapter
// 0.5.0, speaking the socket contract of the Go chat server (../chat.go,
// ../history.go, ../main.go) event by event, so that Go and Node chat
// servers on one Redis, or on one Postgres, form one chat: a message sent
// on one reaches the room on every other, and "users" lists the room's
// members on all of them. On Redis, the rooms' history is one Redis list
// per room that each of them writes and reads, and a client whose
// connection drops may come back to any of them with its session. On
// Postgres, as with the Go chat there, the history stays per server (in
// memory), and there is no connection state recovery: a user whose
// connection drops is announced as gone at once.
//
//	REDIS_URL=redis://127.0.0.1:6379 PORT=3001 node server.mjs
//	POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres PORT=3001 node server.mjs
//
// Environment, as for the Go server: REDIS_URL or POSTGRES_URL (one of
// them, not both: this server is for the mixed cluster; run the Go one for
// a chat on its own), PORT (3000), RECOVERY_WINDOW (a Go duration such as
// 3s, 1m30s or 300ms; two minutes otherwise; checked but unused on
// Postgres). REDIS_ADAPTER may only be streams (the default): the classic
// pub/sub adapter cannot recover connection state.
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Server } from "socket.io";
import { createClient } from "redis";
import { createAdapter as createRedisAdapter } from "@socket.io/redis-streams-adapter";
import { createAdapter as createPostgresAdapter } from "@socket.io/postgres-adapter";
import pg from "pg";

// Limits of the chat contract (chat.go).
const MAX_MESSAGE = 2000;
const MAX_NICKNAME = 32;
const MAX_ROOM = 64;
const DEFAULT_ROOM = "general";

// The room history (history.go): the last HISTORY_LEN payloads of room r
// in the Redis list chat:history:<r>, which expires HISTORY_TTL_SECONDS
// after its last message; each call to Redis bounded by HISTORY_TIMEOUT.
// On Postgres, in memory: at most HISTORY_ROOMS rooms and HISTORY_BYTES
// bytes of payloads, no expiry.
const HISTORY_LEN = 50;
const HISTORY_ROOMS = 1000;
const HISTORY_BYTES = 16 << 20;
const HISTORY_TTL_SECONDS = 7 * 24 * 60 * 60;
const HISTORY_TIMEOUT = 5000;

const BAD_ROOM = `a room name is a string of 1 to ${MAX_ROOM} characters`;

const HEADLINES = [
  "A Go server speaks to the official Socket.IO clients",
  "Namespaces: two channels, one connection",
  "Rooms keep conversations apart",
  "Volatile events: typing notices that never pile up",
  "Acks tell you the server got your message",
];

// log prints a line as Go's log package does: local date and time first.
function log(msg) {
  const d = new Date();
  const p = (n) => String(n).padStart(2, "0");
  console.error(`${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${msg}`);
}

function fatal(msg) {
  log(msg);
  process.exit(1);
}

// parseGoDuration returns the milliseconds of a Go duration (time.ParseDuration):
// an optional sign, then numbers with an optional fraction, each with a unit
// among ns, us (or µs), ms, s, m and h, as in "3s", "1m30s", "1.5h"; "0"
// alone. NaN if s is not one.
function parseGoDuration(s) {
  const units = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let rest = String(s);
  let sign = 1;
  if (rest[0] === "-" || rest[0] === "+") {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return NaN;
  let total = 0;
  while (rest !== "") {
    const m = /^([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === "" && !m[2])) return NaN;
    total += Number(`${m[1] || "0"}.${m[2] || "0"}`) * units[m[3]];
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

// goTrimSpace trims what Go's strings.TrimSpace trims (unicode.IsSpace),
// which is not quite what String.prototype.trim does: Go trims U+0085 and
// keeps U+FEFF.
const goSpace = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const goTrimRe = new RegExp(`^[${goSpace}]+|[${goSpace}]+$`, "g");
const goTrimSpace = (s) => s.replace(goTrimRe, "");

// runes counts code points, as Go's utf8.RuneCountInString.
function runes(s) {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// str returns arg as the Go server sees a string argument: with each lone
// surrogate replaced by U+FFFD (Go's JSON decoder does that), or null if
// arg is not a string.
const str = (arg) => (typeof arg === "string" ? arg.toWellFormed() : null);

// goJSON encodes v as Go's encoding/json does, the history's bytes: as
// JSON.stringify, but for <, >, &, U+2028 and U+2029, which Go escapes.
function goJSON(v) {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

// roomName returns arg as a room name, trimmed, or null if it is not one.
function roomName(arg) {
  const s = str(arg);
  if (s === null) return null;
  const room = goTrimSpace(s);
  return room !== "" && runes(room) <= MAX_ROOM ? room : null;
}

// userFrom returns the user in a socket's data: {nickname, room}, set here
// or by another server of the cluster, Go or Node (socket.data is what the
// Go servers read back, through FetchSockets and the sessions, as a map
// with those keys).
function userFrom(data) {
  const nickname = typeof data?.nickname === "string" ? data.nickname : "";
  const room = typeof data?.room === "string" ? data.room : "";
  return { nickname, room };
}

const notice = (u) => ({ nickname: u.nickname, room: u.room });

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer from ${REDIS_URL ? "Redis" : "Postgres"} within ${ms} ms`)), ms); }),
  ]);
}

// redisError returns the message of a failed Redis call; for a MULTI, that
// of its first failed command.
function redisError(e) {
  if (Array.isArray(e?.replies) && Array.isArray(e?.errorIndexes) && e.errorIndexes.length) {
    return String(e.replies[e.errorIndexes[0]]?.message ?? e.message);
  }
  return String(e?.message ?? e);
}

// --- configuration (main.go) ---

const { REDIS_URL, POSTGRES_URL, REDIS_ADAPTER = "" } = process.env;
const PORT = process.env.PORT || "3000";
if (REDIS_URL && POSTGRES_URL) {
  fatal("POSTGRES_URL and REDIS_URL: one cluster uses one adapter; unset one of them");
}
if (!REDIS_URL && !POSTGRES_URL) {
  fatal("REDIS_URL is not set: the Node chat server is for a cluster with the Go chat servers through Redis (make run-mixed), or through Postgres with POSTGRES_URL; for one server alone, run the Go chat (make run)");
}
if (REDIS_URL && REDIS_ADAPTER === "pubsub") {
  fatal(`REDIS_ADAPTER: the Node chat server speaks only the Redis Streams adapter (streams), the one that recovers connection state; "pubsub" is for the Go servers alone`);
} else if (REDIS_URL && REDIS_ADAPTER !== "" && REDIS_ADAPTER !== "streams") {
  fatal(`REDIS_ADAPTER: ${JSON.stringify(REDIS_ADAPTER)} is neither streams (the default) nor pubsub`);
}
// RECOVERY_WINDOW (a Go duration) shortens the recovery window for the
// tests; two minutes otherwise, the reference's default. Redis keeps a
// session for whole milliseconds. Checked on Postgres too, as the Go
// server does, though the Postgres adapter recovers nothing.
let windowMs = 2 * 60 * 1000;
if (process.env.RECOVERY_WINDOW) {
  const ms = parseGoDuration(process.env.RECOVERY_WINDOW);
  if (!(ms > 0)) fatal(`RECOVERY_WINDOW: ${JSON.stringify(process.env.RECOVERY_WINDOW)} is not a positive duration`);
  windowMs = Math.ceil(ms);
}
let adapterAddr;
try {
  const u = new URL(REDIS_URL || POSTGRES_URL);
  adapterAddr = `${u.hostname}:${u.port || (REDIS_URL ? 6379 : 5432)}`;
} catch {
  fatal(REDIS_URL ? `REDIS_URL: ${JSON.stringify(REDIS_URL)} is not a URL` : `POSTGRES_URL: ${JSON.stringify(POSTGRES_URL)} is not a URL`);
}

// --- the page ---

// The page in ../static, as the Go server serves it (http.FileServerFS): /
// is index.html, /index.html redirects to /, and the other files by name.
const here = path.dirname(fileURLToPath(import.meta.url));
const staticDir = path.resolve(here, "../static");
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };
const files = new Map();
for (const name of readdirSync(staticDir)) {
  files.set(name === "index.html" ? "/" : "/" + name, {
    body: readFileSync(path.join(staticDir, name)),
    type: types[path.extname(name)] ?? "application/octet-stream",
  });
}

function servePage(req, res) {
  let pathname;
  try {
    ({ pathname } = new URL(req.url, "http://localhost"));
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (pathname === "/index.html") {
    res.writeHead(301, { location: "./" }).end();
    return;
  }
  const f = files.get(pathname);
  if (!f || (req.method !== "GET" && req.method !== "HEAD")) {
    res.writeHead(f ? 405 : 404, { "content-type": "text/plain; charset=utf-8" }).end(f ? "405 method not allowed\n" : "404 page not found\n");
    return;
  }
  res.writeHead(200, { "content-type": f.type, "content-length": f.body.length });
  res.end(req.method === "HEAD" ? undefined : f.body);
}

// --- the adapter (Redis or Postgres) and the history ---

// redisCluster connects to Redis and returns the Redis Streams adapter, the
// Redis history, and what to close at the end.
async function redisCluster() {
  // One connection for the history and the adapter's writes; the adapter
  // opens two more of its own (duplicates, which keep the name).
  const redisName = `chat-node-${process.pid}`;
  const redis = createClient({ url: REDIS_URL, name: redisName });
  let lastRedisError = "";
  redis.on("error", (e) => {
    const msg = redisError(e);
    if (msg !== lastRedisError) log(`redis: ${msg}`);
    lastRedisError = msg;
  });
  redis.on("ready", () => { lastRedisError = ""; });
  await redis.connect();

  const historyKey = (room) => "chat:history:" + room;

  // The history of history.go's redisHistory, command for command: RPUSH of
  // the payload's JSON, LTRIM to the last HISTORY_LEN and EXPIRE in one
  // MULTI; LRANGE of the last HISTORY_LEN to read.
  const history = {
    async add(room, payload) {
      const key = historyKey(room);
      await redis.multi().rPush(key, payload).lTrim(key, -HISTORY_LEN, -1).expire(key, HISTORY_TTL_SECONDS).exec();
    },
    // An entry that is not JSON (written by something else than a chat
    // server) is an error rather than a payload the clients cannot read.
    async recent(room) {
      const key = historyKey(room);
      const vals = await redis.lRange(key, -HISTORY_LEN, -1);
      return vals.map((v, i) => {
        try {
          return JSON.parse(v);
        } catch {
          throw new Error(`${key}[${i}] is not JSON`);
        }
      });
    },
  };

  // ready resolves once the adapter's own connections to Redis read the
  // stream (XREAD) and listen to the other servers' requests (the public
  // and private channels of / and /news), so that nothing another server
  // sends after this one says it listens is missed. It gives up after 5 s
  // (a Redis that refuses CLIENT LIST, say) with a line in the log.
  async function ready() {
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        const mine = String(await redis.sendCommand(["CLIENT", "LIST"])).split("\n").filter((l) => l.includes(` name=${redisName} `));
        const reading = mine.some((l) => / cmd=xread /.test(l));
        const channels = mine.reduce((n, l) => n + Number(/ sub=(\d+) /.exec(l)?.[1] ?? 0), 0);
        if (reading && channels >= 4) return;
      } catch (e) {
        log(`cannot tell whether the adapter is ready (${redisError(e)}): going on`);
        return;
      }
      if (Date.now() > deadline) {
        log("the adapter's Redis connections are not ready after 5 s: going on");
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  return {
    adapter: createRedisAdapter(redis),
    history,
    ready,
    close: () => withTimeout(redis.close(), 5000, "redis close"), // after the sessions' SETs
    log: `using the Redis Streams adapter at ${adapterAddr}`,
  };
}

// memHistory is history.go's memHistory: the last HISTORY_LEN payloads of
// each room, for this server alone; past HISTORY_ROOMS rooms or
// HISTORY_BYTES bytes of payloads (their JSON as Go encodes it), the rooms
// written least recently are forgotten whole. Nothing expires.
function memHistory() {
  const rooms = new Map(); // room: {msgs, bytes}, written least recently first
  let bytes = 0;
  return {
    async add(room, payload) {
      let r = rooms.get(room);
      if (r) rooms.delete(room);
      else r = { msgs: [], bytes: 0 };
      rooms.set(room, r);
      if (r.msgs.length === HISTORY_LEN) {
        const old = r.msgs.shift();
        r.bytes -= old.length;
        bytes -= old.length;
      }
      const p = Buffer.from(payload);
      r.msgs.push(p);
      r.bytes += p.length;
      bytes += p.length;
      // The room just written is the last and alone fits in the bound.
      while (rooms.size > HISTORY_ROOMS || bytes > HISTORY_BYTES) {
        const [oldest, o] = rooms.entries().next().value;
        rooms.delete(oldest);
        bytes -= o.bytes;
      }
    },
    async recent(room) {
      return (rooms.get(room)?.msgs ?? []).map((p) => JSON.parse(p.toString()));
    },
  };
}

// postgresCluster returns the Postgres adapter on POSTGRES_URL, with the
// attachments table made if missing (as CreateTable in the Go server), and
// a history in memory, as the Go server's on Postgres.
async function postgresCluster() {
  // Two pools of one connection each: the adapter LISTENs on one
  // (pool.connect), and sends everything on the other (pool.query), one
  // statement at a time, so that the other servers get this server's
  // messages in the order it sends them, as the Go adapter sends them.
  // With more connections, two NOTIFYs may commit in either order: a chat
  // message before the one sent ahead of it, or a "user left" after this
  // server's goodbye (ADAPTER_CLOSE), which makes the others count it back
  // in and wait for its answers until their requests time out.
  const listenPool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const sendPool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const pool = { connect: () => listenPool.connect(), query: (...args) => sendPool.query(...args) };
  // A Postgres that goes away must not end this process: an idle client's
  // error reaches its pool, but that of the client the adapter holds for
  // LISTEN would be unhandled without a listener of its own (the adapter
  // takes a new one by itself, on "end").
  let lastPgError = "";
  const onError = (e) => {
    const msg = String(e?.message ?? e);
    if (msg !== lastPgError) log(`postgres: ${msg}`);
    lastPgError = msg;
  };
  for (const p of [listenPool, sendPool]) {
    p.on("error", onError);
    p.on("connect", (client) => client.on("error", onError));
  }
  // The adapter never gives back the LISTEN client whose connection broke
  // (it takes a new one, and would wait forever for it from a pool of
  // one): it goes back here, destroyed. On close, the adapter drops this
  // listener and gives the client back itself.
  listenPool.on("connect", (client) => client.on("end", () => {
    try {
      client.release?.(true);
    } catch {
      // given back already
    }
  }));
  try {
    await withTimeout(pool.query(
      "CREATE TABLE IF NOT EXISTS socket_io_attachments (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)",
    ), 10_000, "create table");
  } catch (e) {
    // Two servers that start together race in IF NOT EXISTS: the one that
    // loses finds the table made.
    if (!["23505", "42P07", "42710"].includes(e?.code)) fatal(`POSTGRES_URL: the attachments table: ${e?.message ?? e}`);
  }
  const adapter = createPostgresAdapter(pool, { errorHandler: onError });

  // ready resolves once the adapter LISTENs on the channels of / and
  // /news, and then announces this server again (INITIAL_HEARTBEAT): the
  // reference announces it when its namespace is made, which may be before
  // it listens, and so miss the others' answers (HEARTBEAT); the Go
  // adapter announces itself once it listens. Gives up after 5 s.
  async function ready() {
    const deadline = Date.now() + 5000;
    // The reference's PubSubClient, shared by the namespaces: its client
    // is set once LISTEN ran for every channel.
    while (!io.of("/").adapter.client?.client) {
      if (Date.now() > deadline) {
        log("the adapter does not listen to Postgres after 5 s: going on");
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const nsp of ["/", "/news"]) io.of(nsp).adapter.init();
  }

  return {
    adapter,
    history: memHistory(),
    ready,
    // After the last messages (the "user left" of the sockets that were
    // here, the goodbyes of the namespaces): pg's pool.end drops the
    // queries still waiting for a connection, so it waits for them first.
    async close() {
      const deadline = Date.now() + 5000;
      while ((sendPool.waitingCount > 0 || sendPool.idleCount < sendPool.totalCount) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await withTimeout(Promise.all([sendPool.end(), listenPool.end()]), 5000, "postgres close");
    },
    log: `using the Postgres adapter at ${adapterAddr} (the rooms' history stays per server)`,
  };
}

const cluster = REDIS_URL ? await redisCluster() : await postgresCluster();
const history = cluster.history;
// Connection state recovery needs an adapter that keeps sessions, which
// the Postgres adapter does not (neither does the Go one).
const recovery = !!REDIS_URL;

const httpServer = createServer(servePage);
const io = new Server(httpServer, {
  adapter: cluster.adapter,
  // A page whose connection drops for a moment gets its socket back
  // (nickname, room) with the messages it missed, here or on any other
  // server of the cluster, Go or Node.
  ...(recovery && { connectionStateRecovery: { maxDisconnectionDuration: windowMs, skipMiddlewares: true } }),
});
log(cluster.log);
if (!recovery) log("this adapter cannot recover connection state yet: a client that reconnects gets a new session");

// --- the chat (chat.go) ---

// away maps a socket ID to the timer of its "user left", due when its
// session ends.
const away = new Map();
let closed = false;

// users returns the nicknames of the sockets in room, on every server.
async function users(room) {
  let sockets = [];
  try {
    sockets = await io.in(room).fetchSockets();
  } catch (e) {
    log(`fetch sockets: ${e?.message ?? e}`);
  }
  return sockets.map((s) => userFrom(s.data).nickname).filter((n) => n !== "");
}

// mayComeBack says whether a socket that disconnected for reason keeps a
// session it may be recovered with: a dropped connection, or this server
// shutting down (the sessions are in Redis), not a goodbye. Never on
// Postgres: no session is kept.
const mayComeBack = (reason) => recovery && ["transport error", "transport close", "forced close", "ping timeout", "forced server close", "server shutting down"].includes(reason);

// leaveLater announces that u left its room once the session of socket id
// has ended, unless the socket came back meanwhile, here or on another
// server of the cluster (it is then in the room named by its ID).
function leaveLater(id, u) {
  if (closed) return;
  // A socket recovered on another server and dropped again: the later
  // session counts.
  clearTimeout(away.get(id));
  // A little past the window, so that a recovery in its last moment is
  // seen.
  const t = setTimeout(async () => {
    if (away.get(id) === t) away.delete(id);
    let back = null;
    try {
      back = await io.in(id).fetchSockets();
    } catch {
      // as if it had not come back
    }
    if (back?.length > 0) return;
    io.to(u.room).emit("user left", notice(u));
  }, windowMs + 1000);
  away.set(id, t);
}

// back cancels the "user left" of socket id, recovered on this server.
function back(id) {
  clearTimeout(away.get(id));
  away.delete(id);
}

// on registers a handler that takes the event's first argument and its
// ack, as the Go handlers do: a missing argument is undefined, a missing
// ack does nothing. The acks' keys are in the order the Go server sends
// them (it encodes a map[string]any: sorted), so that the same answer is
// the same JSON from either server.
function on(socket, event, fn) {
  socket.on(event, (...args) => {
    const ack = typeof args.at(-1) === "function" ? args.pop() : () => {};
    Promise.resolve(fn(args[0], ack)).catch((e) => log(`${event}: ${e?.stack ?? e}`));
  });
}

const userOf = (socket) => userFrom(socket.data);

io.on("connection", (socket) => {
  if (socket.recovered) {
    // Same ID, nickname and room: the socket never left as far as the
    // room is concerned, so nothing is announced, and the messages it
    // missed are already on their way.
    const u = userOf(socket);
    socket.data = u;
    back(socket.id);
    log(`a user reconnected: ${socket.id} (${u.nickname} in ${u.room})`);
  } else {
    log(`a user connected: ${socket.id}`);
    socket.data = { nickname: "guest-" + socket.id.slice(0, 4), room: DEFAULT_ROOM };
    socket.join(DEFAULT_ROOM);
  }

  on(socket, "set nickname", (arg, ack) => {
    const s = str(arg);
    const name = s === null ? "" : goTrimSpace(s);
    if (s === null) {
      ack({ error: "the nickname must be a string", ok: false });
    } else if (name === "") {
      ack({ error: "the nickname is empty", ok: false });
    } else if (runes(name) > MAX_NICKNAME) {
      ack({ error: `the nickname is longer than ${MAX_NICKNAME} characters`, ok: false });
    } else {
      socket.data = { ...userOf(socket), nickname: name };
      ack({ ok: true });
    }
  });

  on(socket, "join", async (arg, ack) => {
    const room = roomName(arg);
    if (room === null) {
      ack({ error: BAD_ROOM });
      return;
    }
    const u = userOf(socket);
    if (u.room !== room) {
      socket.to(u.room).emit("user left", notice(u));
      socket.leave(u.room);
      socket.join(room);
      u.room = room;
      socket.data = u;
    }
    socket.to(room).emit("user joined", { nickname: u.nickname, room });
    ack({ room, users: await users(room) });
  });

  on(socket, "users", async (_, ack) => {
    const { room } = userOf(socket);
    ack({ room, users: await users(room) });
  });

  on(socket, "chat message", async (arg, ack) => {
    const text = str(arg);
    if (text === null || text === "" || runes(text) > MAX_MESSAGE) {
      ack({ error: `a message is a string of 1 to ${MAX_MESSAGE} characters` });
      return;
    }
    const u = userOf(socket);
    const m = { id: randomBytes(8).toString("hex"), from: u.nickname, text, room: u.room, ts: Date.now() };
    // Stored before the broadcast and the ack, so that the history is in
    // send order and holds every message anyone received; a message that
    // cannot be stored is not sent at all.
    try {
      await withTimeout(history.add(m.room, goJSON(m)), HISTORY_TIMEOUT, "store");
    } catch (e) {
      log(`history of room ${JSON.stringify(m.room)}: store: ${redisError(e)}`);
      ack({ error: "the message could not be stored, try again" });
      return;
    }
    socket.to(m.room).emit("chat message", m);
    ack({ id: m.id, ts: m.ts });
  });

  // history (room, ack) answers {room, messages}: the room's last
  // HISTORY_LEN "chat message" payloads, oldest first. Any room may be
  // asked for, as any room may be joined.
  on(socket, "history", async (arg, ack) => {
    const room = roomName(arg);
    if (room === null) {
      ack({ error: BAD_ROOM });
      return;
    }
    let messages;
    try {
      messages = await withTimeout(history.recent(room), HISTORY_TIMEOUT, "read");
    } catch (e) {
      log(`history of room ${JSON.stringify(room)}: read: ${redisError(e)}`);
      ack({ error: "the history of this room could not be read, try again" });
      return;
    }
    ack({ messages, room });
  });

  socket.on("typing", () => {
    const u = userOf(socket);
    socket.to(u.room).volatile.emit("typing", { from: u.nickname });
  });

  socket.on("disconnecting", (reason) => {
    const u = userOf(socket);
    if (mayComeBack(reason)) {
      leaveLater(socket.id, u);
      return;
    }
    socket.to(u.room).emit("user left", notice(u));
  });
  socket.on("disconnect", (reason) => log(`user disconnected: ${socket.id} (${reason})`));
});

// /news: a headline on connection, then one every 5 seconds.
const headline = (i) => ({ text: HEADLINES[i % HEADLINES.length], ts: Date.now() });
io.of("/news").on("connection", (socket) => socket.emit("headline", headline(0)));
let nextHeadline = 1;
// Local, as in the Go server: every server runs this ticker for its own
// clients (a cluster-wide emit would give each page one per server).
const ticker = setInterval(() => io.of("/news").local.emit("headline", headline(nextHeadline++)), 5000);

// --- start and stop ---

await cluster.ready();

httpServer.on("error", (e) => fatal(String(e?.message ?? e)));
httpServer.listen(Number(PORT), () => log(`listening on http://localhost:${PORT}`));

// On SIGTERM (or Ctrl-C), the clients get an Engine.IO close and reconnect
// by themselves, to another server or to this one once it is back: on
// Redis, with their sessions, written before this process exits; on
// Postgres, as new guests, their "user left" sent before it exits.
let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  log("shutting down");
  clearInterval(ticker);
  try {
    await withTimeout(new Promise((resolve) => io.close(() => resolve())), 10_000, "socket.io close");
  } catch (e) {
    log(`socket.io shutdown: ${e?.message ?? e}`);
  }
  // The "user left" notices still due are dropped: this server is going.
  closed = true;
  for (const t of away.values()) clearTimeout(t);
  away.clear();
  try {
    await cluster.close();
  } catch (e) {
    log(`${REDIS_URL ? "redis" : "postgres"} close: ${e?.message ?? e}`);
  }
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

// A Go chat server and a Node one (../node/server.mjs: socket.io 4.8.4 on
// @socket.io/redis-streams-adapter 0.3.1) on one redis-server form one
// chat: messages, members, typing notices, the rooms' history in Redis,
// and connection state recovery from either to the other, driven with the
// official socket.io-client.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { io } from "socket.io-client";
import {
  checkMembersAcross, checkTypingAcross,
  chatDir, startChat, startNodeChat, startRedis, client, waitFor, expectNone, texts, notices, dropTransport,
  contractScript, contractAnswers,
} from "./helpers.mjs";

// A short recovery window, so that the deferred "user left" (window + 1 s)
// comes within the test; long enough for a client to come back.
const WINDOW = "3s";
const WINDOW_MS = 3000;

let redis, go, node;
const sockets = [];

async function user(srv, name, room) {
  const s = await client(srv.url);
  sockets.push(s);
  assert.deepEqual(await s.emitWithAck("set nickname", name), { ok: true });
  if (room) assert.equal((await s.emitWithAck("join", room)).room, room);
  return s;
}

const history = (s, room) => s.timeout(5000).emitWithAck("history", room);
const sorted = (a) => [...a].sort();

// received records the payloads of the chat messages s receives.
function received(s) {
  const got = [];
  s.on("chat message", (m) => got.push(m));
  return got;
}

// eventually resolves once check() (sync or async) is true, looking every
// 20 ms for 5 s at most: for what no event tells a client.
async function eventually(check, what) {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// sessionStored resolves once Redis holds the session of pid. The Node
// adapter stores a session without waiting for Redis and nothing tells
// the client, so a client that would come back at once to another server
// waits for it, as a user could not be quick enough not to.
const sessionStored = (pid) => eventually(async () => (await redis.cli("EXISTS", "sio:session:" + pid)).trim() === "1", `session ${pid} in Redis`);

before(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, RECOVERY_WINDOW: WINDOW };
  [go, node] = await Promise.all([startChat(env), startNodeChat(env)]);
  go.name = "Go";
  node.name = "Node";
});

after(async () => {
  sockets.splice(0).forEach((s) => s.disconnect());
  if (go) assert.equal(await go.stop(), 0, "the Go chat exits cleanly on SIGTERM");
  if (node) assert.equal(await node.stop(), 0, "the Node chat exits cleanly on SIGTERM");
  redis?.stop();
});

describe("mixed chat cluster: a Go and a Node chat server on one Redis", () => {
  it("should refuse to start the Node server without REDIS_URL or with a RECOVERY_WINDOW that is not a Go duration", async () => {
    const run = (env) => promisify(execFile)(process.execPath, ["server.mjs"], {
      cwd: path.join(chatDir, "node"),
      env: { ...process.env, REDIS_URL: "", RECOVERY_WINDOW: "", PORT: "0", ...env },
    }).then(() => assert.fail("the server started"), (e) => e);
    const noRedis = await run({});
    assert.equal(noRedis.code, 1);
    assert.match(noRedis.stderr, /REDIS_URL is not set: the Node chat server is for a cluster with the Go chat servers/);
    assert.equal(noRedis.stderr.trim().split("\n").length, 1, "one line");
    for (const bad of ["5", "-3s", "3 s", "s", "1.5"]) {
      const e = await run({ REDIS_URL: redis.url, RECOVERY_WINDOW: bad });
      assert.equal(e.code, 1, bad);
      assert.match(e.stderr, /RECOVERY_WINDOW: ".*" is not a positive duration/, bad);
    }
    assert.match(node.log(), /using the Redis Streams adapter at 127\.0\.0\.1:\d+/);
  });

  it("should serve the chat page and the official client bundle from both servers", async () => {
    for (const file of ["/", "/app.js", "/style.css"]) {
      const [a, b] = await Promise.all([go, node].map((srv) => fetch(srv.url + file)));
      assert.equal(b.status, 200, file);
      assert.equal(b.headers.get("content-type"), a.headers.get("content-type"), file);
      assert.equal(await b.text(), await a.text(), file);
    }
    const bundle = await fetch(node.url + "/socket.io/socket.io.js");
    assert.equal(bundle.status, 200);
    assert.match(await bundle.text(), /Socket\.IO/);
    assert.equal((await fetch(node.url + "/nope")).status, 404);
  });

  it("should deliver a message sent on either server to the room's members on the other, exactly once", async () => {
    const alice = await user(go, "x-alice", "x-room");
    const bob = await user(node, "x-bob");
    const carol = await user(node, "x-carol", "x-other");
    const dave = await user(go, "x-dave", "x-other");
    const joined = waitFor(alice, "user joined");
    const res = await bob.emitWithAck("join", "x-room");
    assert.deepEqual(sorted(res.users), ["x-alice", "x-bob"], "the Node server lists the Go server's member");
    assert.deepEqual(await joined, { nickname: "x-bob", room: "x-room" }, "the notice crosses to the Go server");

    const [toAlice, toBob, toCarol] = [received(alice), received(bob), received(carol)];
    const a1 = await alice.emitWithAck("chat message", "from Go");
    const b1 = await bob.emitWithAck("chat message", "from Node");
    // Fences: each sender's next message comes after its first one.
    const fenceA = waitFor(alice, "chat message");
    const fenceB = waitFor(bob, "chat message");
    await bob.emitWithAck("chat message", "fence from Node");
    await alice.emitWithAck("chat message", "fence from Go");
    const fenceC = waitFor(carol, "chat message");
    await dave.emitWithAck("chat message", "fence in x-other");
    await Promise.all([fenceA, fenceB, fenceC]);

    assert.deepEqual(toBob.map((m) => m.text), ["from Go", "fence from Go"], "once, on the Node server");
    assert.deepEqual(toAlice.map((m) => m.text), ["from Node", "fence from Node"], "once, on the Go server");
    assert.deepEqual(toBob[0], { id: a1.id, from: "x-alice", text: "from Go", room: "x-room", ts: a1.ts });
    assert.deepEqual(toAlice[0], { id: b1.id, from: "x-bob", text: "from Node", room: "x-room", ts: b1.ts });
    assert.deepEqual(toCarol.map((m) => m.text), ["fence in x-other"], "nothing from another room");
  });

  it("should list a room's members on both servers from either, with nicknames set on either", () => checkMembersAcross(user, go, node));

  it("should relay typing notices across servers", () => checkTypingAcross(user, go, node));

  it("should push headlines on /news from both servers", async () => {
    // Listening before the connection: the first headline comes with it.
    const news = (srv) => {
      const s = io(srv.url + "/news", { forceNew: true, reconnection: false, transports: ["websocket"] });
      sockets.push(s);
      return waitFor(s, "headline");
    };
    const [a, b] = await Promise.all([news(go), news(node)]);
    assert.equal(a.text, "A Go server speaks to the official Socket.IO clients");
    assert.equal(b.text, a.text);
    assert.deepEqual(Object.keys(b), Object.keys(a));
    assert.equal(typeof b.ts, "number");
  });

  it("should answer the same input alike on both servers: limits, trimming, error texts and key order", async () => {
    // Each server gets the same calls from a client of its own, in a room
    // of its own; their answers, room name, ids and times aside, must be
    // the same JSON.
    const run = async (srv) => {
      const s = await client(srv.url);
      sockets.push(s);
      return contractAnswers(s, `p-${srv.name}`);
    };
    const [onGo, onNode] = await Promise.all([run(go), run(node)]);
    assert.equal(onNode.length, onGo.length);
    for (let i = 0; i < onGo.length; i++) assert.equal(onNode[i], onGo[i], `answer ${i} to ${JSON.stringify(contractScript("ROOM")[i]).slice(0, 80)}`);
    // What they agree on is what the Go chat does.
    assert.match(onGo[8], /^\{"ok":true\}$/);
    assert.equal(onGo[15], JSON.stringify({ room: "ROOM", users: ["p-nick\u3000\ufeff"] }));
    assert.match(onGo[onGo.length - 1], / lone \ufffd <&> \u2028 "/, "a lone surrogate is U+FFFD");
  });

  it("should serve the same history from either server, in send order, stored command for command alike", async () => {
    // Twins: one user on each server, same nickname and text, so that what
    // each stores differs only by id and time.
    const onGo = await user(go, "h-twin", "h-room");
    const onNode = await user(node, "h-twin", "h-room");
    const listener = await user(go, "h-listener", "h-room");
    const seen = received(listener);
    const acks = [];
    const sent = [];
    for (let i = 0; i < 3; i++) {
      for (const s of [onGo, onNode]) {
        const text = `${i} <&> "é" \u2028`;
        acks.push(await s.emitWithAck("chat message", text));
        sent.push(text);
      }
    }
    const fromGo = await history(onGo, "h-room");
    const fromNode = await history(onNode, "h-room");
    assert.deepEqual(fromNode, fromGo, "both servers answer the same history");
    assert.equal(JSON.stringify(fromNode), JSON.stringify(fromGo), "as the same JSON");
    assert.deepEqual(fromGo.messages.map((m) => m.text), sent, "in send order");
    assert.deepEqual(fromGo.messages.map((m) => [m.id, m.ts]), acks.map((a) => [a.id, a.ts]));
    await eventually(() => seen.length >= 6, "the listener to see the six messages");
    // The history is in the order the servers stored the messages, which
    // is the order of the acks; what a client sees live is in the order of
    // the stream, which for messages sent on two servers a moment apart may
    // differ (the ack does not wait for the broadcast to be in the stream).
    const byId = (ms) => [...ms].sort((x, y) => (x.id < y.id ? -1 : 1));
    assert.deepEqual(byId(seen), byId(fromGo.messages), "the very payloads broadcast");

    // The Redis list: the entries one server wrote and the other wrote are
    // the same bytes, ids and times aside (Go's encoding/json: <, > and &
    // escaped, as U+2028).
    const raw = (await redis.cli("LRANGE", "chat:history:h-room", "0", "-1")).trim().split("\n")
      .map((l) => l.replace(/"id":"[0-9a-f]{16}"/, `"id":"ID"`).replace(/"ts":\d+/, `"ts":0`));
    assert.equal(raw.length, 6);
    for (let i = 0; i < 3; i++) assert.equal(raw[2 * i + 1], raw[2 * i], `entry ${i} by Node as by Go`);
    assert.equal(raw[0], String.raw`{"id":"ID","from":"h-twin","text":"0 \u003c\u0026\u003e \"é\" \u2028","room":"h-room","ts":0}`);

    // The commands: what the Go server sends Redis to store a message, the
    // Node server sends too (MONITOR shows them, in the order Redis runs
    // them).
    const mon = spawn("redis-cli", ["-p", String(redis.port), "MONITOR"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    mon.stdout.on("data", (b) => { out += b; });
    try {
      await eventually(() => /^OK/m.test(out), "MONITOR");
      await onGo.emitWithAck("chat message", "watched");
      await onNode.emitWithAck("chat message", "watched");
      await redis.cli("ECHO", "monitor-end");
      await eventually(() => out.includes(`"monitor-end"`), "the end of MONITOR");
    } finally {
      mon.kill();
    }
    const lines = out.split("\n").map((l) => /^[\d.]+ \[\d+ ([^\]]+)\] (.*)$/.exec(l)).filter(Boolean);
    const stores = lines.filter(([, , cmd]) => /^"rpush" "chat:history:h-room"/i.test(cmd));
    assert.equal(stores.length, 2);
    const [byGo, byNode] = stores.map(([line, conn]) => {
      const mine = lines.filter(([, c]) => c === conn).map(([, , cmd]) => cmd);
      const at = mine.findIndex((cmd) => cmd === line.slice(line.indexOf("] ") + 2));
      return mine.slice(at - 1, at + 4).map((cmd) => cmd
        .replace(/^"[a-zA-Z]+"/, (c) => c.toLowerCase())
        .replace(/\\"id\\":\\"[0-9a-f]{16}\\"/, "ID").replace(/\\"ts\\":\d+/, "TS"));
    });
    assert.deepEqual(byNode, byGo);
    assert.deepEqual(byGo.map((cmd) => cmd.split(" ")[0]), [`"multi"`, `"rpush"`, `"ltrim"`, `"expire"`, `"exec"`]);
    assert.equal(byGo[2], `"ltrim" "chat:history:h-room" "-50" "-1"`);
    assert.equal(byGo[3], `"expire" "chat:history:h-room" "604800"`);
  });

  for (const [from, to] of [["go", "node"], ["node", "go"]]) {
    it(`should recover on the ${to === "go" ? "Go" : "Node"} server a client dropped by the ${from === "go" ? "Go" : "Node"} one: same id, nickname and room, the missed messages once and in order, no one told it left`, async () => {
      const [src, dst] = from === "go" ? [go, node] : [node, go];
      const p = `r-${from}`;
      const room = `${p}-room`;
      const alice = await user(src, `${p}-alice`, room); // drops, comes back on dst
      const dave = await user(src, `${p}-dave`, room); // drops, never comes back
      const bob = await user(dst, `${p}-bob`, room);
      // The ack of a join does not wait for its notice to be on its way.
      const carolJoined = waitFor(bob, "user joined");
      const carol = await user(src, `${p}-carol`, room);
      assert.equal((await carolJoined).nickname, `${p}-carol`);
      const [byBob, byCarol] = [notices(bob), notices(carol)];

      // A client can ask for recovery once it holds an offset, which comes
      // with every broadcast.
      const offsets = [waitFor(alice, "chat message"), waitFor(dave, "chat message")];
      await bob.emitWithAck("chat message", "before");
      await Promise.all(offsets);
      const { id, _pid: pid } = alice;
      assert.equal(typeof pid, "string");
      assert.equal(typeof alice._lastOffset, "string");

      await dropTransport(alice);
      await dropTransport(dave);
      await sessionStored(pid);
      // Sent from both servers, each once the other server has delivered
      // the one before: an ack says the message is in the history, not
      // that its broadcast is in the stream yet (neither server waits for
      // that), and the order of the stream is the order every client sees.
      for (const [s, text, to] of [[bob, "one", carol], [carol, "two", bob], [bob, "three", carol]]) {
        const delivered = waitFor(to, "chat message");
        assert.ok((await s.emitWithAck("chat message", text)).id);
        assert.equal((await delivered).text, text);
      }

      // The official client comes back elsewhere: its manager's URI points
      // at the other server, and the socket keeps its pid and offset.
      const got = texts(alice);
      alice.io.uri = dst.url;
      const back = waitFor(alice, "connect");
      alice.connect();
      await back;
      assert.equal(alice.recovered, true, "recovered");
      assert.equal(alice.id, id, "same id");
      assert.deepEqual(got, ["one", "two", "three"], "the missed messages, once, in order");
      await eventually(() => dst.log().includes(`a user reconnected: ${id} (${p}-alice in ${room})`), `the ${dst.name} server to log the recovery`);

      // Nickname and room kept.
      const users = await alice.emitWithAck("users");
      assert.equal(users.room, room);
      assert.deepEqual(sorted(users.users), [`${p}-alice`, `${p}-bob`, `${p}-carol`]);
      const [toBob, toCarol] = [waitFor(bob, "chat message"), waitFor(carol, "chat message")];
      await alice.emitWithAck("chat message", "I am back");
      for (const m of await Promise.all([toBob, toCarol])) {
        assert.deepEqual([m.from, m.room, m.text], [`${p}-alice`, room, "I am back"]);
      }
      const next = waitFor(alice, "chat message");
      await bob.emitWithAck("chat message", "after");
      await next;
      assert.deepEqual(got, ["one", "two", "three", "after"], "nothing twice");

      // The server alice and dave dropped from announces, a second past
      // the window, that dave left, and not alice, whom it finds on the
      // other server (dave dropped after alice: her check came first).
      assert.deepEqual(await waitFor(bob, "user left", WINDOW_MS + 5000), { nickname: `${p}-dave`, room });
      await expectNone(bob, "user left", 500);
      assert.deepEqual(byBob, [["left", `${p}-dave`]]);
      assert.deepEqual(byCarol, [["left", `${p}-dave`]]);
    });
  }

  // Last: it stops the Node server.
  it("should hand the Node server's clients to the Go server with their sessions when it stops (SIGTERM)", async () => {
    const alice = await user(node, "s-alice", "s-room");
    const bob = await user(go, "s-bob", "s-room");
    const first = waitFor(alice, "chat message");
    await bob.emitWithAck("chat message", "before");
    await first;
    const id = alice.id;
    const gone = waitFor(alice, "disconnect");
    assert.equal(await node.stop(), 0, "the Node chat exits cleanly on SIGTERM");
    assert.equal(await gone, "transport close");
    assert.match(node.log(), /shutting down/);
    // Its session was stored before it exited.
    assert.equal((await redis.cli("EXISTS", "sio:session:" + alice._pid)).trim(), "1");
    await bob.emitWithAck("chat message", "while away");
    const got = texts(alice);
    alice.io.uri = go.url;
    const back = waitFor(alice, "connect");
    alice.connect();
    await back;
    assert.equal(alice.recovered, true);
    assert.equal(alice.id, id);
    assert.deepEqual(got, ["while away"]);
    assert.deepEqual(sorted((await alice.emitWithAck("users")).users), ["s-alice", "s-bob"]);
  });
});

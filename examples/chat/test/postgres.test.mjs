// A Go chat server and a Node one (../node/server.mjs: socket.io 4.8.4 on
// @socket.io/postgres-adapter 0.5.0) on one PostgreSQL form one chat:
// messages, members, typing and join/leave notices cross, the rooms'
// history stays per server (in memory), and a user whose connection drops
// is gone at once (the Postgres adapter recovers no session), driven with
// the official socket.io-client.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import {
  checkMembersAcross, checkTypingAcross,
  chatDir, serverBinary, startChat, startNodeChat, startPostgres, client, waitFor, expectNone, notices, dropTransport,
  contractScript, contractAnswers,
} from "./helpers.mjs";

let pg, go, node;
let tableByNode;
const sockets = [];

async function user(srv, name, room) {
  const s = await client(srv.url);
  sockets.push(s);
  assert.deepEqual(await s.emitWithAck("set nickname", name), { ok: true });
  if (room) assert.equal((await s.emitWithAck("join", room)).room, room);
  return s;
}

const sorted = (a) => [...a].sort();

// received records the payloads of the chat messages s receives.
function received(s) {
  const got = [];
  s.on("chat message", (m) => got.push(m));
  return got;
}

// A recovery window, which the Postgres mode ignores: a dropped user is
// announced as gone at once, not a second past it.
const env = () => ({ POSTGRES_URL: pg.url, RECOVERY_WINDOW: "3s" });

before(async () => {
  pg = await startPostgres();
  // The Node server first, alone: it makes the attachments table.
  node = await startNodeChat(env());
  tableByNode = await pg.psql("SELECT to_regclass('socket_io_attachments')");
  go = await startChat(env());
  go.name = "Go";
  node.name = "Node";
});

after(async () => {
  sockets.splice(0).forEach((s) => s.disconnect());
  try {
    if (go) assert.equal(await go.stop(), 0, "the Go chat exits cleanly on SIGTERM");
  } finally {
    try {
      if (node) assert.equal(await node.stop(), 0, "the Node chat exits cleanly on SIGTERM");
    } finally {
      await pg?.stop();
    }
  }
});

describe("mixed chat cluster: a Go and a Node chat server on one Postgres", () => {
  it("should start the Node server on Postgres as the Go one: the same log lines, the attachments table made if missing", async () => {
    assert.equal(tableByNode, "socket_io_attachments", "the Node server made the table");
    assert.equal(
      await pg.psql("SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'socket_io_attachments'"),
      "id bigint, created_at timestamp with time zone, payload bytea",
    );
    // The lines each server logs about its adapter, timestamps aside.
    const lines = (srv) => srv.log().split("\n").map((l) => l.slice(20)).filter((l) => /Postgres adapter|connection state/.test(l));
    assert.deepEqual(lines(node), lines(go));
    assert.deepEqual(lines(go), [
      `using the Postgres adapter at 127.0.0.1:${pg.port} (the rooms' history stays per server)`,
      "this adapter cannot recover connection state yet: a client that reconnects gets a new session",
    ]);
  });

  it("should refuse REDIS_URL with POSTGRES_URL, on both servers alike", async () => {
    const both = { ...process.env, REDIS_URL: "redis://127.0.0.1:1", POSTGRES_URL: pg.url, PORT: "0" };
    const fail = (p) => p.then(() => assert.fail("the server started"), (e) => e);
    const [onGo, onNode] = await Promise.all([
      fail(promisify(execFile)(serverBinary(), [], { cwd: chatDir, env: both, timeout: 10000 })),
      fail(promisify(execFile)(process.execPath, ["server.mjs"], { cwd: path.join(chatDir, "node"), env: both, timeout: 10000 })),
    ]);
    const why = /POSTGRES_URL and REDIS_URL: one cluster uses one adapter; unset one of them/;
    assert.equal(onGo.code, 1);
    assert.match(onGo.stderr, why);
    assert.equal(onNode.code, 1);
    assert.match(onNode.stderr, why);
  });

  it("should deliver a message sent on either server to the room's members on the other, exactly once, and nothing to another room", async () => {
    const alice = await user(go, "x-alice", "x-room");
    const bob = await user(node, "x-bob");
    const carol = await user(node, "x-carol", "x-other");
    const dave = await user(go, "x-dave", "x-other");
    const joined = waitFor(alice, "user joined");
    const res = await bob.emitWithAck("join", "x-room");
    assert.deepEqual(sorted(res.users), ["x-alice", "x-bob"], "the Node server lists the Go server's member");
    assert.deepEqual(await joined, { nickname: "x-bob", room: "x-room" }, "the notice crosses to the Go server");

    const [toAlice, toBob, toCarol, toDave] = [received(alice), received(bob), received(carol), received(dave)];
    const a1 = await alice.emitWithAck("chat message", "from Go");
    const b1 = await bob.emitWithAck("chat message", "from Node");
    // Fences: each sender's next message comes after its first one.
    const fenceA = waitFor(alice, "chat message");
    const fenceB = waitFor(bob, "chat message");
    await bob.emitWithAck("chat message", "fence from Node");
    await alice.emitWithAck("chat message", "fence from Go");
    const fenceC = waitFor(carol, "chat message");
    const fenceD = waitFor(dave, "chat message");
    await dave.emitWithAck("chat message", "fence in x-other from Go");
    await carol.emitWithAck("chat message", "fence in x-other from Node");
    await Promise.all([fenceA, fenceB, fenceC, fenceD]);

    assert.deepEqual(toBob.map((m) => m.text), ["from Go", "fence from Go"], "once, on the Node server");
    assert.deepEqual(toAlice.map((m) => m.text), ["from Node", "fence from Node"], "once, on the Go server");
    assert.deepEqual(toBob[0], { id: a1.id, from: "x-alice", text: "from Go", room: "x-room", ts: a1.ts });
    assert.deepEqual(toAlice[0], { id: b1.id, from: "x-bob", text: "from Node", room: "x-room", ts: b1.ts });
    assert.deepEqual(toCarol.map((m) => m.text), ["fence in x-other from Go"], "nothing from another room");
    assert.deepEqual(toDave.map((m) => m.text), ["fence in x-other from Node"], "nothing from another room");
  });

  it("should list a room's members on both servers from either, with nicknames set on either", () => checkMembersAcross(user, go, node));

  it("should relay typing notices across servers", () => checkTypingAcross(user, go, node));

  it("should tell the other server's members who joins and leaves, and a dropped user as gone at once, with no session to recover", async () => {
    for (const [from, to] of [[go, node], [node, go]]) {
      const p = `n-${from.name}`;
      const room = `${p}-room`;
      const watcher = await user(to, `${p}-watcher`, room);
      const seen = notices(watcher);
      const alice = await user(from, `${p}-alice`);
      const joined = waitFor(watcher, "user joined");
      await alice.emitWithAck("join", room);
      assert.deepEqual(await joined, { nickname: `${p}-alice`, room });
      // Leaving the room for another.
      const left = waitFor(watcher, "user left");
      await alice.emitWithAck("join", `${p}-elsewhere`);
      assert.deepEqual(await left, { nickname: `${p}-alice`, room });
      // A dropped connection: gone at once, not a second past the window.
      await alice.emitWithAck("join", room);
      const gone = waitFor(watcher, "user left", 1500);
      const id = alice.id;
      await dropTransport(alice);
      assert.deepEqual(await gone, { nickname: `${p}-alice`, room });
      assert.deepEqual(seen, [["joined", `${p}-alice`], ["left", `${p}-alice`], ["joined", `${p}-alice`], ["left", `${p}-alice`]]);
      // Back: a new socket, a guest in the default room.
      const back = waitFor(alice, "connect");
      alice.connect();
      await back;
      // (The Go server answers the CONNECT with a pid nonetheless, which
      // makes recovered false rather than undefined: no session either way.)
      assert.ok(!alice.recovered, `not recovered by the ${from.name} server`);
      assert.notEqual(alice.id, id);
      assert.deepEqual(await alice.emitWithAck("users").then((r) => [r.room, r.users.includes(`${p}-alice`)]), ["general", false]);
      assert.deepEqual((await watcher.emitWithAck("users")).users, [`${p}-watcher`]);
      await expectNone(watcher, "user left", 200);
    }
  });

  it("should answer the same input alike on both servers: limits, trimming, error texts and key order", async () => {
    const run = async (srv) => {
      const s = await client(srv.url);
      sockets.push(s);
      return contractAnswers(s, `p-${srv.name}`);
    };
    const [onGo, onNode] = await Promise.all([run(go), run(node)]);
    assert.equal(onNode.length, onGo.length);
    for (let i = 0; i < onGo.length; i++) assert.equal(onNode[i], onGo[i], `answer ${i} to ${JSON.stringify(contractScript("ROOM")[i]).slice(0, 80)}`);
    assert.match(onGo[8], /^\{"ok":true\}$/);
    assert.equal(onGo[15], JSON.stringify({ room: "ROOM", users: ["p-nick\u3000\ufeff"] }));
    assert.match(onGo[onGo.length - 1], / lone \ufffd <&> \u2028 "/, "a lone surrogate is U+FFFD");
  });

  it("should keep each server's history of a room to itself: the last 50 of its own messages, in the Go chat's JSON", async () => {
    const onGo = await user(go, "h-twin", "h-room");
    const onNode = await user(node, "h-twin", "h-room");
    const history = (s, room = "h-room") => s.timeout(5000).emitWithAck("history", room);
    const sent = { Go: [], Node: [] };
    for (let i = 0; i < 52; i++) {
      for (const [name, s] of [["Go", onGo], ["Node", onNode]]) {
        const text = `${i} <&> "é" \u2028`;
        const ack = await s.emitWithAck("chat message", text);
        sent[name].push({ id: ack.id, from: "h-twin", text, room: "h-room", ts: ack.ts });
      }
    }
    const fromGo = await history(onGo);
    const fromNode = await history(onNode);
    assert.equal(JSON.stringify(fromGo), JSON.stringify({ messages: sent.Go.slice(2), room: "h-room" }), "the Go server's own, last 50");
    assert.equal(JSON.stringify(fromNode), JSON.stringify({ messages: sent.Node.slice(2), room: "h-room" }), "the Node server's own, last 50, alike");
    // A room written on one server only has no history on the other.
    await onGo.emitWithAck("join", "h-go-only");
    await onGo.emitWithAck("chat message", "only on Go");
    assert.deepEqual(await history(onNode, "h-go-only"), { messages: [], room: "h-go-only" });
    assert.deepEqual((await history(onGo, "h-go-only")).messages.map((m) => m.text), ["only on Go"]);
  });

  it("should carry a message whose JSON passes Postgres' 8000-byte NOTIFY limit through the attachments table, both ways", async () => {
    const alice = await user(go, "b-alice", "b-room");
    const bob = await user(node, "b-bob", "b-room");
    const rows = async () => Number(await pg.psql("SELECT count(*) FROM socket_io_attachments"));
    // 2000 characters of 4 UTF-8 bytes: the largest message, over 8000
    // bytes of JSON; 2000 ASCII characters fit in a notification.
    for (const [from, to] of [[alice, bob], [bob, alice]]) {
      for (const [text, viaTable] of [["😀".repeat(2000), true], ["x".repeat(2000), false]]) {
        const before = await rows();
        const got = received(to);
        const first = waitFor(to, "chat message");
        const ack = await from.emitWithAck("chat message", text);
        assert.ok(ack.id, "sent");
        assert.equal((await first).text, text);
        // A fence: nothing arrives twice.
        const fence = waitFor(to, "chat message");
        await from.emitWithAck("chat message", "fence");
        await fence;
        assert.deepEqual(got.map((m) => m.text.length), [text.length, 5]);
        if (viaTable) assert.ok(await rows() > before, "an attachment row");
        else assert.equal(await rows(), before, "no attachment row");
      }
    }
  });

  it("should outlive Postgres dropping every connection: both servers LISTEN again and the chat works again, both ways", async () => {
    const alice = await user(go, "d-alice", "d-room");
    const bob = await user(node, "d-bob", "d-room");
    const dropped = await pg.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
    assert.ok(Number(dropped) >= 4, `${dropped} connections dropped`);
    // What is sent while a server does not listen is lost: each side sends
    // until the other gets one (the adapters come back within ~1 to 3 s).
    for (const [from, to] of [[alice, bob], [bob, alice]]) {
      const got = waitFor(to, "chat message", 8000);
      const again = setInterval(() => from.emit("chat message", "anyone?"), 200);
      try {
        assert.equal((await got).text, "anyone?");
      } finally {
        clearInterval(again);
      }
    }
    assert.equal(node.exitCode(), null, "the Node server is still up");
    assert.match(node.log(), /postgres: terminating connection due to administrator command/);
    assert.deepEqual(sorted((await alice.timeout(6000).emitWithAck("users")).users), ["d-alice", "d-bob"]);
  });

  // Last: it stops the Node server.
  it("should forget the Node server at once when it stops (SIGTERM): its members leave, and the Go server answers alone", async () => {
    const alice = await user(go, "s-alice", "s-room");
    await user(node, "s-bob", "s-room");
    assert.deepEqual(sorted((await alice.emitWithAck("users")).users), ["s-alice", "s-bob"]);
    const left = waitFor(alice, "user left", 3000);
    assert.equal(await node.stop(), 0, "the Node chat exits cleanly on SIGTERM");
    assert.deepEqual(await left, { nickname: "s-bob", room: "s-room" });
    // Without its goodbye (ADAPTER_CLOSE), the Go server would wait for
    // its answer until the request's timeout (5 s).
    const t0 = Date.now();
    assert.deepEqual((await alice.timeout(2000).emitWithAck("users")).users, ["s-alice"]);
    assert.ok(Date.now() - t0 < 1000, `answered in ${Date.now() - t0} ms`);
  });
});

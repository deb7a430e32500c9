// Two chat servers joined through Redis (REDIS_URL) form one chat, on the
// Redis Streams adapter (the default) and on the classic pub/sub one
// (REDIS_ADAPTER=pubsub).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startChat, startRedis, client, waitFor, expectNone, texts, dropTransport } from "./helpers.mjs";

let redis;
const sockets = [];

// redisCli runs one redis-cli command against the test's redis-server and
// resolves with its raw output.
async function redisCli(...args) {
  const { stdout } = await promisify(execFile)("redis-cli", ["-p", String(redis.port), "--raw", ...args]);
  return stdout;
}

async function user(url, name, room) {
  const s = await client(url);
  sockets.push(s);
  await s.emitWithAck("set nickname", name);
  if (room) await s.emitWithAck("join", room);
  return s;
}

const history = (s, room) => s.timeout(5000).emitWithAck("history", room);

before(async () => { redis = await startRedis(); });

after(() => { redis?.stop(); });

for (const [kind, env, logged] of [
  ["the Redis Streams adapter", {}, /using the Redis Streams adapter at /],
  ["the classic Redis adapter", { REDIS_ADAPTER: "pubsub" }, /using the classic Redis adapter \(pub\/sub\) at .*: it cannot recover connection state/],
]) describe(`chat cluster on ${kind}`, () => {
  let a, b;
  before(async () => {
    await redisCli("FLUSHALL"); // the other kind's history
    const all = { REDIS_URL: redis.url, ...env };
    [a, b] = await Promise.all([startChat(all), startChat(all)]);
  });
  after(async () => {
    sockets.splice(0).forEach((s) => s.disconnect());
    if (a) assert.equal(await a.stop(), 0);
    if (b) assert.equal(await b.stop(), 0);
  });

  it("should form one chat across two servers with REDIS_URL", async () => {
    const alice = await client(a.url);
    const bob = await client(b.url);
    sockets.push(alice, bob);
    assert.match(a.log(), logged);
    await alice.emitWithAck("set nickname", "alice");
    await bob.emitWithAck("set nickname", "bob");
    await alice.emitWithAck("join", "cluster-room");
    const joined = waitFor(alice, "user joined");
    const res = await bob.emitWithAck("join", "cluster-room");
    assert.deepEqual([...res.users].sort(), ["alice", "bob"], "FetchSockets sees both servers");
    assert.deepEqual(await joined, { nickname: "bob", room: "cluster-room" });
    const got = waitFor(bob, "chat message");
    const ack = await alice.emitWithAck("chat message", "across servers");
    const m = await got;
    assert.equal(m.text, "across servers");
    assert.equal(m.id, ack.id);
  });

  it("should give a client whose connection dropped the messages it missed: replayed if recovered, else in the history", async () => {
    const alice = await user(a.url, "gap-alice", "gap-room");
    const bob = await user(b.url, "gap-bob", "gap-room");
    const first = waitFor(alice, "chat message");
    await bob.emitWithAck("chat message", "before");
    await first;
    await dropTransport(alice);
    for (const text of ["one", "two", "three"]) assert.ok((await bob.emitWithAck("chat message", text)).id);
    const got = texts(alice);
    const back = waitFor(alice, "connect");
    alice.connect();
    await back;
    if (env.REDIS_ADAPTER === "pubsub") assert.equal(alice.recovered, false, "pub/sub keeps no session");
    if (alice.recovered) {
      assert.deepEqual(got, ["one", "two", "three"]);
    } else {
      // What the page does then: who and where, and the room's history.
      assert.deepEqual(got, []);
      await alice.emitWithAck("set nickname", "gap-alice");
      await alice.emitWithAck("join", "gap-room");
      assert.deepEqual((await history(alice, "gap-room")).messages.map((m) => m.text), ["before", "one", "two", "three"]);
    }
    const toAlice = waitFor(alice, "chat message");
    await bob.emitWithAck("chat message", "after");
    assert.equal((await toAlice).text, "after");
  });

  it("should serve on one node the history written on another, from the Redis list chat:history:<room>", async () => {
    const alice = await user(a.url, "hist-alice", "hist-cluster");
    const bob = await user(b.url, "hist-bob", "hist-cluster");
    const got = waitFor(bob, "chat message");
    const first = await alice.emitWithAck("chat message", "written on A");
    const broadcast = await got;
    await bob.emitWithAck("chat message", "written on B");
    const onB = await history(bob, "hist-cluster");
    const onA = await history(alice, "hist-cluster");
    assert.deepEqual(onB.messages.map((m) => [m.from, m.text]), [["hist-alice", "written on A"], ["hist-bob", "written on B"]]);
    assert.deepEqual(onB.messages[0], broadcast, "the very object broadcast");
    assert.equal(onB.messages[0].id, first.id);
    assert.deepEqual(onA, onB, "both nodes serve the same history");
    // What another chat server, Go or Node, reads: one JSON payload per
    // entry, oldest first, and the bound of 50 kept in Redis.
    const list = (await redisCli("LRANGE", "chat:history:hist-cluster", "0", "-1")).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(list, onB.messages);
    for (let i = 0; i < 55; i++) await alice.emitWithAck("chat message", `bulk ${i}`);
    assert.equal((await redisCli("LLEN", "chat:history:hist-cluster")).trim(), "50");
    const ttl = Number((await redisCli("TTL", "chat:history:hist-cluster")).trim());
    assert.ok(ttl > 0, `the list expires (TTL ${ttl})`);
    const last = (await history(bob, "hist-cluster")).messages;
    assert.deepEqual(last.map((m) => m.text), Array.from({ length: 50 }, (_, i) => `bulk ${i + 5}`));
  });

  it("should serve a payload that another server pushed to the Redis list", async () => {
    const m = { id: "from-node", from: "node-user", text: "pushed by a Node chat server", room: "hist-foreign", ts: 1700000000000 };
    await redisCli("RPUSH", "chat:history:hist-foreign", JSON.stringify(m));
    const s = await user(b.url, "hist-reader");
    assert.deepEqual(await history(s, "hist-foreign"), { room: "hist-foreign", messages: [m] });
  });

  it("should answer {error} and log a line when Redis fails, and keep serving", async () => {
    // A key of the wrong type makes Redis answer WRONGTYPE to LRANGE and RPUSH.
    await redisCli("SET", "chat:history:hist-broken", "not a list");
    const s = await user(a.url, "hist-broken", "hist-broken");
    const other = await user(a.url, "hist-other", "hist-broken");
    const read = await history(s, "hist-broken");
    assert.deepEqual(Object.keys(read), ["error"]);
    assert.match(read.error, /could not be read/);
    const none = expectNone(other, "chat message", 300);
    const sent = await s.emitWithAck("chat message", "cannot be stored");
    assert.deepEqual(Object.keys(sent), ["error"]);
    assert.match(sent.error, /could not be stored/);
    await none;
    assert.match(a.log(), /history of room "hist-broken": read: WRONGTYPE/);
    assert.match(a.log(), /history of room "hist-broken": store: .*WRONGTYPE/);
    await redisCli("DEL", "chat:history:hist-broken");
    assert.ok((await s.emitWithAck("chat message", "stored now")).id);
    assert.deepEqual((await history(other, "hist-broken")).messages.map((m) => m.text), ["stored now"]);
  });
});

// Two chat servers joined by the Redis adapter (REDIS_URL) form one chat.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { startChat, client, waitFor, withTimeout, freePort } from "./helpers.mjs";

let redis, a, b;
const sockets = [];

before(async () => {
  const port = await freePort();
  redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  await withTimeout(new Promise((resolve, reject) => {
    redis.on("error", reject);
    const tryConnect = () => {
      const s = net.connect(port, "127.0.0.1", () => { s.end(); resolve(); });
      s.on("error", () => setTimeout(tryConnect, 50));
    };
    tryConnect();
  }), 10000, "redis-server (apt-get install redis-server)");
  const env = { REDIS_URL: `redis://127.0.0.1:${port}` };
  [a, b] = await Promise.all([startChat(env), startChat(env)]);
});

after(async () => {
  sockets.forEach((s) => s.disconnect());
  if (a) assert.equal(await a.stop(), 0);
  if (b) assert.equal(await b.stop(), 0);
  redis?.kill();
});

describe("chat cluster", () => {
  it("should form one chat across two servers with REDIS_URL", async () => {
    const alice = await client(a.url);
    const bob = await client(b.url);
    sockets.push(alice, bob);
    assert.ok(a.log().includes("using the Redis adapter"));
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
});

// A Socket.IO v2 client (socket.io-client 2.x, Engine.IO v3) in the chat
// beside a v4 one: the chat turns AllowEIO3 on.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import ioV2 from "socket.io-client-v2";
import { startChat, client, waitFor, withTimeout, expectNone } from "./helpers.mjs";

let chat;
const sockets = [];

before(async () => { chat = await startChat(); });
after(async () => {
  sockets.forEach((s) => s.disconnect());
  assert.equal(await chat.stop(), 0, "the chat server exits cleanly on SIGTERM");
});

// v2 connects a socket.io-client 2.x socket to the chat.
async function v2() {
  const s = ioV2(chat.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  sockets.push(s);
  await withTimeout(new Promise((resolve, reject) => {
    s.once("connect", resolve);
    s.once("connect_error", reject);
    s.once("error", reject);
  }), 5000, "v2 connect");
  return s;
}

async function v4() {
  const s = await client(chat.url);
  sockets.push(s);
  return s;
}

// emitV2 emits with an ack on a v2 socket, which has no emitWithAck.
const emitV2 = (s, ...args) =>
  withTimeout(new Promise((resolve) => s.emit(...args, resolve)), 5000, `ack of ${args[0]}`);

const shape = (m) => assert.deepEqual(Object.keys(m).sort(), ["from", "id", "room", "text", "ts"]);

describe("socket.io-client 2.x in the chat", () => {
  it("should answer an Engine.IO v3 handshake (refused with code 5 without AllowEIO3)", async () => {
    const res = await fetch(`${chat.url}/socket.io/?EIO=3&transport=polling`);
    const body = await res.text();
    assert.equal(res.status, 200, body);
    assert.match(body, /"sid"/);
    assert.doesNotMatch(body, /Unsupported protocol version/);
  });

  it("should let a v2 and a v4 client chat in one room, each message received once", async () => {
    const a = await v2();
    const b = await v4();
    assert.equal(a.io.engine.transport.name, "websocket");

    assert.deepEqual(await emitV2(a, "set nickname", "old-ada"), { ok: true });
    assert.deepEqual(await b.emitWithAck("set nickname", "new-bob"), { ok: true });
    await b.emitWithAck("join", "mixed-versions");
    const joined = waitFor(b, "user joined");
    const res = await emitV2(a, "join", "mixed-versions");
    assert.equal(res.room, "mixed-versions");
    assert.deepEqual([...res.users].sort(), ["new-bob", "old-ada"]);
    assert.deepEqual(await joined, { nickname: "old-ada", room: "mixed-versions" });

    const listed = await b.emitWithAck("users");
    assert.deepEqual([...listed.users].sort(), ["new-bob", "old-ada"], "the v2 client is in users");

    // v2 to v4, once.
    const gotB = [];
    b.on("chat message", (m) => gotB.push(m));
    const ack = await emitV2(a, "chat message", "from v2");
    assert.equal(typeof ack.id, "string");
    assert.equal(typeof ack.ts, "number");
    await withTimeout((async () => { while (gotB.length < 1) await new Promise((r) => setTimeout(r, 10)); })(), 5000, "message at v4");
    shape(gotB[0]);
    assert.deepEqual(gotB[0], { id: ack.id, from: "old-ada", text: "from v2", room: "mixed-versions", ts: ack.ts });

    // v4 to v2, once; the sender hears nothing back.
    const gotA = [];
    a.on("chat message", (m) => gotA.push(m));
    const notB = expectNone(b, "chat message", 300);
    const ack2 = await b.emitWithAck("chat message", "from v4");
    await withTimeout((async () => { while (gotA.length < 1) await new Promise((r) => setTimeout(r, 10)); })(), 5000, "message at v2");
    shape(gotA[0]);
    assert.deepEqual(gotA[0], { id: ack2.id, from: "new-bob", text: "from v4", room: "mixed-versions", ts: ack2.ts });
    await notB;
    // Nothing came twice.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(gotA.length, 1);
    assert.equal(gotB.length, 1);
  });

  it("should tell the v4 client when the v2 client leaves", async () => {
    const a = await v2();
    const b = await v4();
    assert.deepEqual(await emitV2(a, "set nickname", "old-eve"), { ok: true });
    await b.emitWithAck("join", "v2-leaves");
    await emitV2(a, "join", "v2-leaves");
    const left = waitFor(b, "user left");
    a.disconnect();
    assert.deepEqual(await left, { nickname: "old-eve", room: "v2-leaves" });
  });
});

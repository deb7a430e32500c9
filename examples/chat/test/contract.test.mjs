// The chat's socket contract, driven with the official socket.io-client.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startChat, client, waitFor, withTimeout, expectNone, texts, notices, dropTransport } from "./helpers.mjs";

let chat;
const sockets = [];
async function user(name, room) {
  const s = await client(chat.url);
  sockets.push(s);
  if (name) assert.deepEqual(await s.emitWithAck("set nickname", name), { ok: true });
  if (room) await s.emitWithAck("join", room);
  return s;
}

// history asks for a room's history, failing rather than waiting forever
// for an ack a server without the event never sends.
const history = (s, ...room) => s.timeout(5000).emitWithAck("history", ...room);

before(async () => { chat = await startChat(); });
after(async () => {
  sockets.forEach((s) => s.disconnect());
  assert.equal(await chat.stop(), 0, "the chat server exits cleanly on SIGTERM");
});

describe("chat contract", () => {
  it("should accept a nickname and refuse an empty one", async () => {
    const s = await user();
    assert.deepEqual(await s.emitWithAck("set nickname", "ada"), { ok: true });
    const bad = await s.emitWithAck("set nickname", "  ");
    assert.equal(bad.ok, false);
    assert.match(bad.error, /empty/);
  });

  it("should put a new socket in room general", async () => {
    const a = await user("gen-a");
    const b = await user("gen-b");
    const got = waitFor(b, "chat message");
    await a.emitWithAck("chat message", "hello general");
    const m = await got;
    assert.equal(m.room, "general");
    assert.equal(m.from, "gen-a");
  });

  it("should join a room, list its users and tell the others", async () => {
    const a = await user("join-a", "lobby-1");
    const b = await user("join-b");
    const joined = waitFor(a, "user joined");
    const res = await b.emitWithAck("join", "lobby-1");
    assert.equal(res.room, "lobby-1");
    assert.deepEqual([...res.users].sort(), ["join-a", "join-b"]);
    assert.deepEqual(await joined, { nickname: "join-b", room: "lobby-1" });
  });

  it("should deliver a chat message to the others in the room only, and ack the sender", async () => {
    const a = await user("msg-a", "room-x");
    const b = await user("msg-b", "room-x");
    const c = await user("msg-c", "room-y");
    const toB = waitFor(b, "chat message");
    const notC = expectNone(c, "chat message", 300);
    const notA = expectNone(a, "chat message", 300);
    const ack = await a.emitWithAck("chat message", "only for room-x");
    const m = await toB;
    assert.equal(m.text, "only for room-x");
    assert.equal(m.from, "msg-a");
    assert.equal(m.room, "room-x");
    assert.equal(m.id, ack.id);
    assert.equal(m.ts, ack.ts);
    assert.equal(typeof ack.ts, "number");
    await Promise.all([notA, notC]);
  });

  it("should refuse an empty or too long message without broadcasting it", async () => {
    const a = await user("long-a", "room-long");
    const b = await user("long-b", "room-long");
    const none = expectNone(b, "chat message", 300);
    assert.match((await a.emitWithAck("chat message", "x".repeat(2001))).error, /2000/);
    assert.match((await a.emitWithAck("chat message", "")).error, /2000/);
    assert.match((await a.emitWithAck("chat message", "é".repeat(2001))).error, /2000/, "characters, not bytes");
    await none;
    const ok = await a.emitWithAck("chat message", "x".repeat(2000));
    assert.ok(ok.id);
    assert.ok((await a.emitWithAck("chat message", "é".repeat(2000))).id, "2000 two-byte characters fit");
  });

  it("should answer bad input with an error and keep serving everyone", async () => {
    const a = await user("bad-a", "room-bad");
    const b = await user("bad-b", "room-bad");
    const none = expectNone(b, "chat message", 300);
    assert.match((await a.emitWithAck("chat message", 42)).error, /string/);
    assert.match((await a.emitWithAck("chat message", { text: "hi" })).error, /string/);
    assert.match((await a.emitWithAck("chat message", null)).error, /string/);
    assert.equal((await a.emitWithAck("set nickname", ["x"])).ok, false);
    assert.match((await a.emitWithAck("join", 7)).error, /string/);
    assert.match((await a.emitWithAck("join", "r".repeat(65))).error, /64/);
    a.emit("no such event", 1, 2, 3);
    await none;
    // Both clients, and a new one, are still served.
    const got = waitFor(b, "chat message");
    await a.emitWithAck("chat message", "still fine");
    assert.equal((await got).text, "still fine");
    const c = await user("bad-c", "room-bad");
    assert.deepEqual((await c.emitWithAck("users")).users.sort(), ["bad-a", "bad-b", "bad-c"]);
  });

  it("should send typing notices to the others in the room", async () => {
    const a = await user("type-a", "room-t");
    const b = await user("type-b", "room-t");
    const got = waitFor(b, "typing");
    // Typing notices are volatile: one that finds b's connection busy
    // writing is dropped, so a keeps typing, as a user would, until b
    // sees one.
    a.emit("typing");
    const again = setInterval(() => a.emit("typing"), 100);
    try {
      assert.deepEqual(await got, { from: "type-a" });
    } finally {
      clearInterval(again);
    }
  });

  it("should tell the room when a user leaves it", async () => {
    const a = await user("leave-a", "room-l");
    const b = await user("leave-b", "room-l");
    const left = waitFor(a, "user left");
    await b.emitWithAck("join", "elsewhere");
    assert.deepEqual(await left, { nickname: "leave-b", room: "room-l" });
    const gone = waitFor(a, "user left");
    const c = await user("leave-c", "room-l");
    c.disconnect();
    assert.deepEqual(await gone, { nickname: "leave-c", room: "room-l" });
  });

  it("should push headlines on /news over the same connection", async () => {
    const a = await user("news-a");
    const news = a.io.socket("/news");
    sockets.push(news);
    const h = await waitFor(news, "headline");
    assert.equal(typeof h.text, "string");
    assert.equal(news.io.engine.id, a.io.engine.id, "one engine connection for both namespaces");
  });

  it("should answer the history of a room with no messages with an empty list", async () => {
    const a = await user("hist-empty");
    assert.deepEqual(await history(a, "hist-nobody-wrote-here"), { room: "hist-nobody-wrote-here", messages: [] });
  });

  it("should answer a room's history with the messages broadcast, oldest first", async () => {
    const a = await user("hist-a", "hist-room");
    const b = await user("hist-b", "hist-room");
    const seen = [];
    const fiveSeen = withTimeout(new Promise((resolve) => b.on("chat message", (m) => {
      if (seen.push(m) === 5) resolve();
    })), 5000, "b to receive the five messages");
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await a.emitWithAck("chat message", `history ${i}`));
    // The acks come after the store: the history is complete now.
    const res = await history(a, "hist-room");
    assert.equal(res.room, "hist-room");
    assert.deepEqual(res.messages.map((m) => m.text), [0, 1, 2, 3, 4].map((i) => `history ${i}`));
    assert.deepEqual(res.messages.map((m) => m.id), acks.map((a) => a.id));
    assert.deepEqual(Object.keys(res.messages[0]).sort(), ["from", "id", "room", "text", "ts"]);
    await fiveSeen;
    assert.deepEqual(res.messages, seen, "the very objects that were broadcast");
    // Someone who was not in the room sees the same.
    const c = await user("hist-c");
    assert.deepEqual((await history(c, " hist-room ")).messages, seen, "the name is trimmed, as by join");
  });

  it("should keep only a room's last 50 messages", async () => {
    const a = await user("hist-60", "hist-sixty");
    const ids = [];
    for (let i = 0; i < 60; i++) ids.push((await a.emitWithAck("chat message", `m${i}`)).id);
    const res = await history(a, "hist-sixty");
    assert.equal(res.messages.length, 50);
    assert.deepEqual(res.messages.map((m) => m.id), ids.slice(10));
    assert.deepEqual(res.messages.map((m) => m.text), ids.slice(10).map((_, i) => `m${i + 10}`));
  });

  it("should keep each room's history apart", async () => {
    const a = await user("hist-sep-a", "hist-one");
    const b = await user("hist-sep-b", "hist-two");
    await a.emitWithAck("chat message", "in one");
    await b.emitWithAck("chat message", "in two");
    await a.emitWithAck("chat message", "in one again");
    const one = await history(b, "hist-one");
    const two = await history(a, "hist-two");
    assert.deepEqual(one.messages.map((m) => [m.from, m.room, m.text]), [["hist-sep-a", "hist-one", "in one"], ["hist-sep-a", "hist-one", "in one again"]]);
    assert.deepEqual(two.messages.map((m) => [m.from, m.room, m.text]), [["hist-sep-b", "hist-two", "in two"]]);
  });

  it("should answer a history request for a room that is not a non-empty string with an error", async () => {
    const a = await user("hist-bad", "hist-bad-room");
    await a.emitWithAck("chat message", "something to leak");
    for (const bad of [7, "", "   ", null, true, { room: "hist-bad-room" }, ["hist-bad-room"], "r".repeat(65)]) {
      const res = await history(a, bad);
      assert.deepEqual(Object.keys(res), ["error"], `history(${JSON.stringify(bad)})`);
      assert.match(res.error, /a room name is a string of 1 to 64 characters/);
    }
    assert.match((await history(a)).error, /room name/, "no room at all");
    assert.equal((await history(a, "hist-bad-room")).messages.length, 1, "still served");
  });

  it("should recover a socket whose transport dropped: same id, nickname and room, the missed messages once and in order, nothing announced", async () => {
    const a = await user("rec-a", "rec-room");
    const b = await user("rec-b", "rec-room");
    const seenByB = notices(b);
    // The client can ask for recovery once it holds an offset, which
    // comes with every broadcast.
    const first = waitFor(a, "chat message");
    await b.emitWithAck("chat message", "before");
    assert.equal((await first).text, "before");
    assert.equal(typeof a._lastOffset, "string", "the broadcast carried its offset");
    const id = a.id;

    await dropTransport(a);
    for (const text of ["one", "two", "three"]) assert.ok((await b.emitWithAck("chat message", text)).id);
    const got = texts(a);
    const back = waitFor(a, "connect");
    a.connect();
    await back;
    assert.equal(a.recovered, true);
    assert.equal(a.id, id);
    assert.deepEqual(got, ["one", "two", "three"], "the missed messages, before connect, in order");

    // Nickname and room kept: the room's users, a's next message.
    const users = await a.emitWithAck("users");
    assert.equal(users.room, "rec-room");
    assert.deepEqual([...users.users].sort(), ["rec-a", "rec-b"], "listed once");
    const toB = waitFor(b, "chat message");
    await a.emitWithAck("chat message", "I am back");
    assert.deepEqual(await toB.then((m) => [m.from, m.room]), ["rec-a", "rec-room"]);
    // Nothing more came for a (a later message shows the way is clear),
    // and b saw it neither leave nor join.
    const next = waitFor(a, "chat message");
    await b.emitWithAck("chat message", "after");
    await next;
    assert.deepEqual(got, ["one", "two", "three", "after"]);
    assert.deepEqual(seenByB, []);
  });

  it("should serve the official client bundle with caching headers", async () => {
    const res = await fetch(chat.url + "/socket.io/socket.io.js", { headers: { "accept-encoding": "gzip" } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /javascript/);
    const etag = res.headers.get("etag");
    assert.ok(etag);
    const body = await res.text();
    assert.match(body, /Socket\.IO/);
    const again = await fetch(chat.url + "/socket.io/socket.io.js", { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
  });

  it("should serve Prometheus metrics on /metrics", async () => {
    const s = await user("metrics-a");
    await s.emitWithAck("chat message", "counted");
    const res = await fetch(chat.url + "/metrics");
    assert.equal(res.status, 200);
    const body = await res.text();
    const value = (re) => Number(body.match(re)?.[1]);
    assert.ok(value(/^socketio_connected_sockets\{namespace="\/"\} (\d+)$/m) >= 1, body);
    assert.ok(value(/^socketio_events_received_total\{namespace="\/"\} (\d+)$/m) >= 2);
    assert.ok(value(/^engineio_clients\{transport="websocket"\} (\d+)$/m) >= 1);
    assert.match(body, /^socketio_disconnects_total\{namespace="\/news",reason="ping timeout"\} \d+$/m);
    assert.match(body, /^go_goroutines \d+$/m);
    assert.match(body, /^process_resident_memory_bytes /m);
  });
});

// A server with a short recovery window: a socket that does not come back
// in time is announced as gone, and a late one gets a new session.
describe("chat contract, recovery window over", () => {
  let short;
  before(async () => { short = await startChat({ RECOVERY_WINDOW: "300ms" }); });
  after(async () => { assert.equal(await short.stop(), 0); });

  it("should tell the room that a dropped user left once its session expired, and give a new session to it", async () => {
    const connect = async (name) => {
      const s = await client(short.url);
      sockets.push(s);
      await s.emitWithAck("set nickname", name);
      await s.emitWithAck("join", "exp-room");
      return s;
    };
    const a = await connect("exp-a");
    const b = await connect("exp-b");
    const first = waitFor(a, "chat message");
    await b.emitWithAck("chat message", "before");
    await first;
    const id = a.id;
    await dropTransport(a);
    // The window (300 ms) and a second's grace, no more.
    const left = await waitFor(b, "user left", 5000);
    assert.deepEqual(left, { nickname: "exp-a", room: "exp-room" });
    const back = waitFor(a, "connect");
    a.connect();
    await back;
    assert.equal(a.recovered, false);
    assert.notEqual(a.id, id);
    assert.equal((await a.emitWithAck("users")).room, "general", "a new socket starts in general");
  });

  it("should tell the room at once when a user disconnects on purpose", async () => {
    const a = await client(short.url);
    const b = await client(short.url);
    sockets.push(a, b);
    await a.emitWithAck("set nickname", "bye-a");
    const left = waitFor(b, "user left", 1000);
    a.disconnect();
    assert.deepEqual(await left, { nickname: "bye-a", room: "general" });
  });
});

// The admin UI's protocol, driven by the official client as the UI drives
// it: the same checks against the Go chat with ADMIN_PASSWORD set and
// against a Node.js server instrumented by the reference,
// @socket.io/admin-ui 0.5.1 (node-admin/), which proves the checks right;
// then two Go chats joined by Redis.
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { io } from "socket.io-client";
import { startChat, startNodeAdmin, startRedis, client, waitFor, withTimeout } from "./helpers.mjs";

const PASSWORD = "s3cret admin";
const LOGIN = { username: "admin", password: PASSWORD };
const ALL_FEATURES = ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"];

// Every socket a test opens, closed after it.
const opened = [];
afterEach(() => { opened.splice(0).forEach((s) => s.disconnect()); });

// admin connects to the admin namespace as the UI does (polling first,
// then websocket) and records every event it gets, from the first one.
function admin(url, auth = LOGIN) {
  const s = io(url + "/admin", { forceNew: true, reconnection: false, auth });
  opened.push(s);
  const got = [];
  const waiters = new Set();
  s.onAny((event, ...args) => {
    got.push({ event, args });
    for (const w of waiters) w();
  });
  // seen resolves with the arguments of the first event called name,
  // received or to come, that match accepts; it fails after ms.
  s.seen = (name, match = () => true, ms = 6000) => {
    let off;
    return withTimeout(new Promise((resolve) => {
      const check = () => {
        const e = got.find((e) => e.event === name && match(...e.args));
        if (e) { waiters.delete(check); resolve(e.args); }
      };
      off = () => waiters.delete(check);
      waiters.add(check);
      check();
    }), ms, name).finally(() => off());
  };
  s.count = (name, match = () => true) => got.filter((e) => e.event === name && match(...e.args)).length;
  return s;
}

async function connected(s) {
  if (!s.connected) await waitFor(s, "connect");
  return s;
}

// user is a chat client with a nickname, in room if given.
async function user(url, nickname, room) {
  const s = await client(url);
  opened.push(s);
  await s.emitWithAck("set nickname", nickname);
  if (room) await s.emitWithAck("join", room);
  return s;
}

const clientId = (s) => s.io.engine.id.slice(0, 12);
const isDate = (v) => typeof v === "string" && !Number.isNaN(Date.parse(v));

for (const [name, start] of [
  ["the Go chat", startChat],
  ["a Node.js server instrumented by @socket.io/admin-ui (the reference)", startNodeAdmin],
]) describe(`admin UI protocol against ${name}`, () => {
  let server;
  before(async () => { server = await start({ ADMIN_PASSWORD: PASSWORD }); });
  after(async () => { if (server) assert.equal(await server.stop(), 0); });

  it("should refuse a wrong login with the connect_error message 'invalid credentials'", async () => {
    for (const auth of [{ username: "admin", password: "wrong" }, { username: "root", password: PASSWORD }, {}, { sessionId: "0123456789abcdef" }]) {
      const s = admin(server.url, auth);
      const err = await waitFor(s, "connect_error");
      assert.equal(err.message, "invalid credentials", JSON.stringify(auth));
      assert.equal(s.connected, false);
    }
  });

  it("should send the config, then list the chat clients with their rooms and nicknames", async () => {
    const alice = await user(server.url, "alice", "admin-room");
    const bob = await user(server.url, "bob");
    const a = await connected(admin(server.url));
    const [config] = await a.seen("config");
    assert.deepEqual(config, { supportedFeatures: ALL_FEATURES });
    const [sessionId] = await a.seen("session");
    assert.match(sessionId, /^[0-9a-f]{16}$/);

    const [list] = await a.seen("all_sockets");
    const byId = new Map(list.map((s) => [s.id, s]));
    const al = byId.get(alice.id);
    assert.ok(al, "alice is listed");
    assert.equal(al.nsp, "/");
    assert.deepEqual(al.data, { nickname: "alice", room: "admin-room" });
    assert.deepEqual([...al.rooms].sort(), [alice.id, "admin-room"].sort());
    assert.equal(al.clientId, clientId(alice));
    assert.equal(al.transport, "websocket");
    const h = al.handshake;
    assert.deepEqual(Object.keys(h).sort(), ["address", "headers", "issued", "query", "secure", "time", "url", "xdomain"]);
    assert.match(h.address, /127\.0\.0\.1/);
    assert.equal(h.headers.host, new URL(server.url).host);
    assert.equal(h.query.EIO, "4");
    assert.equal(typeof h.issued, "number");
    assert.ok(Math.abs(Date.now() - h.issued) < 60000);
    assert.match(h.url, /^\/socket\.io\/\?/);
    assert.equal(h.secure, false);
    assert.equal(h.xdomain, false);
    assert.equal(typeof h.time, "string");

    const b = byId.get(bob.id);
    assert.ok(b, "bob is listed");
    assert.deepEqual(b.data, { nickname: "bob", room: "general" });
    assert.deepEqual([...b.rooms].sort(), [bob.id, "general"].sort());
    assert.equal(b.clientId, clientId(bob));
    assert.ok(byId.get(a.id), "the admin's own socket is listed too");
    assert.equal(byId.get(a.id).nsp, "/admin");
    assert.equal(list.filter((s) => s.nsp === "/").length, 2);
  });

  it("should send server_stats every 2 seconds: the server, its clients, namespaces and traffic", async () => {
    const a = await connected(admin(server.url));
    await user(server.url, "carol"); // after the admin: its connection is in the next stats
    const [stats] = await a.seen("server_stats", (st) => st.clientsCount === 2 && st.pollingClientsCount === 0 && st.aggregatedEvents.some((e) => e.type === "rawConnection"));
    assert.equal(stats.serverId, `${os.hostname()}:${server.port}`);
    assert.equal(stats.hostname, os.hostname());
    assert.equal(typeof stats.pid, "number");
    assert.ok(stats.uptime > 0);
    const nsps = Object.fromEntries(stats.namespaces.map((n) => [n.name, n.socketsCount]));
    assert.equal(nsps["/"], 1);
    assert.equal(nsps["/admin"], 1);
    for (const e of stats.aggregatedEvents) {
      assert.equal(typeof e.timestamp, "number");
      assert.equal(e.timestamp % 1000, 0);
      assert.ok(e.count > 0);
    }
    const types = new Set(stats.aggregatedEvents.map((e) => e.type));
    for (const t of ["rawConnection", "packetsIn", "packetsOut", "bytesIn", "bytesOut"]) assert.ok(types.has(t), t);
    // A client that goes away is counted with its reason.
    const dave = await user(server.url, "dave");
    dave.io.engine.close();
    await a.seen("server_stats", (st) => st.aggregatedEvents.some((e) => e.type === "rawDisconnection" && e.subType === "transport close"));
  });

  it("should tell the admin as a socket connects, joins and leaves rooms, changes, gets an event and disconnects", async () => {
    const a = await connected(admin(server.url));
    await a.seen("all_sockets");
    const carol = await client(server.url);
    opened.push(carol);
    const [connectedSocket, at] = await a.seen("socket_connected", (s) => s.id === carol.id);
    assert.equal(connectedSocket.nsp, "/");
    assert.equal(connectedSocket.clientId, clientId(carol));
    assert.ok(isDate(at), at);
    await a.seen("room_joined", (nsp, room, id, at) => nsp === "/" && room === carol.id && id === carol.id && isDate(at));
    await a.seen("room_joined", (nsp, room, id) => nsp === "/" && room === "general" && id === carol.id);

    await carol.emitWithAck("set nickname", "carol");
    await a.seen("socket_updated", (s) => s.id === carol.id && s.nsp === "/" && s.data?.nickname === "carol");

    await carol.emitWithAck("join", "elsewhere");
    await a.seen("event_received", (nsp, id, args, at) => nsp === "/" && id === carol.id &&
      JSON.stringify(args) === JSON.stringify(["join", "elsewhere"]) && isDate(at));
    await a.seen("room_left", (nsp, room, id) => nsp === "/" && room === "general" && id === carol.id);
    await a.seen("room_joined", (nsp, room, id) => nsp === "/" && room === "elsewhere" && id === carol.id);

    // The UI's emit: an event to one socket, which the admin sees sent.
    const hello = waitFor(carol, "hello");
    a.emit("emit", "/", carol.id, "hello", "from the admin");
    assert.equal(await hello, "from the admin");
    await a.seen("event_sent", (nsp, id, args) => nsp === "/" && id === carol.id && args[0] === "hello" && args[1] === "from the admin");

    const carolId = carol.id; // the client forgets it on disconnect
    carol.disconnect();
    await a.seen("socket_disconnected", (nsp, id, reason, at) => nsp === "/" && id === carolId && reason === "client namespace disconnect" && isDate(at));
  });

  it("should make a socket join and leave a room when the admin asks", async () => {
    const alice = await user(server.url, "alice");
    const a = await connected(admin(server.url));
    await a.seen("all_sockets");
    a.emit("join", "/", "vip", alice.id);
    await a.seen("room_joined", (nsp, room, id) => nsp === "/" && room === "vip" && id === alice.id);
    a.emit("leave", "/", "vip", alice.id);
    await a.seen("room_left", (nsp, room, id) => nsp === "/" && room === "vip" && id === alice.id);
  });

  it("should disconnect a chat client when the admin asks (_disconnect)", async () => {
    const alice = await user(server.url, "alice");
    const bob = await user(server.url, "bob");
    const a = await connected(admin(server.url));
    await a.seen("all_sockets");
    const bobId = bob.id; // the client forgets it on disconnect
    const gone = waitFor(bob, "disconnect");
    a.emit("_disconnect", "/", false, bobId);
    assert.equal(await gone, "io server disconnect");
    await a.seen("socket_disconnected", (nsp, id, reason) => nsp === "/" && id === bobId && reason === "server namespace disconnect");
    assert.equal(alice.connected, true, "only the one asked for");
    assert.deepEqual(await alice.emitWithAck("set nickname", "still alice"), { ok: true });
  });

  it("should let a reloaded page in with its session ID alone", async () => {
    const first = await connected(admin(server.url));
    const [sessionId] = await first.seen("session");
    first.disconnect();
    const again = await connected(admin(server.url, { sessionId }));
    await again.seen("config");
    assert.equal(again.count("session"), 0, "no new session");
  });
});

for (const [name, start] of [
  ["the Go chat", startChat],
  ["a Node.js server instrumented by @socket.io/admin-ui (the reference)", startNodeAdmin],
]) describe(`admin UI protocol, read-only, against ${name}`, () => {
  let server;
  before(async () => { server = await start({ ADMIN_PASSWORD: PASSWORD, ADMIN_READONLY: "1" }); });
  after(async () => { if (server) assert.equal(await server.stop(), 0); });

  it("should offer no action and carry out none", async () => {
    const bob = await user(server.url, "bob");
    let dropped = false;
    bob.on("disconnect", () => { dropped = true; });
    const a = await connected(admin(server.url));
    const [config] = await a.seen("config");
    assert.deepEqual(config, { supportedFeatures: ["AGGREGATED_EVENTS", "ALL_EVENTS"] });
    await a.seen("all_sockets");
    a.emit("_disconnect", "/", false, bob.id);
    a.emit("_disconnect", "/", true);
    a.emit("join", "/", "vip", bob.id);
    a.emit("emit", "/", bob.id, "hello", "no");
    // The admin's events are handled in order, long before two more
    // stats have come.
    const stats = a.count("server_stats");
    await a.seen("server_stats", () => a.count("server_stats") >= stats + 2, 8000);
    assert.equal(dropped, false);
    assert.equal(bob.connected, true);
    assert.deepEqual(await bob.emitWithAck("set nickname", "bob again"), { ok: true });
    assert.equal(a.count("room_joined", (nsp, room) => room === "vip"), 0, "nobody joined vip");
  });
});

describe("admin UI on two Go chats joined by Redis", () => {
  let redis, nodeA, nodeB;
  before(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, ADMIN_PASSWORD: PASSWORD };
    [nodeA, nodeB] = await Promise.all([startChat(env), startChat(env)]);
  });
  after(async () => {
    if (nodeA) assert.equal(await nodeA.stop(), 0);
    if (nodeB) assert.equal(await nodeB.stop(), 0);
    redis?.stop();
  });

  it("should show each server's sockets and stats to an admin connected to either, and act on them", async () => {
    const alice = await user(nodeA.url, "alice", "cluster-room");
    const bob = await user(nodeB.url, "bob", "cluster-room");
    const a = await connected(admin(nodeA.url));
    const [list] = await a.seen("all_sockets");
    for (const [s, nickname] of [[alice, "alice"], [bob, "bob"]]) {
      const got = list.find((x) => x.id === s.id);
      assert.ok(got, `${nickname} is listed`);
      assert.deepEqual(got.data, { nickname, room: "cluster-room" });
      assert.deepEqual([...got.rooms].sort(), [s.id, "cluster-room"].sort());
      assert.equal(got.clientId, clientId(s), "the connection's ID, from the server that holds it");
      assert.equal(got.transport, "websocket");
    }
    // Both servers' stats, and their sockets' events, reach it.
    const ids = [`${os.hostname()}:${nodeA.port}`, `${os.hostname()}:${nodeB.port}`];
    for (const id of ids) await a.seen("server_stats", (st) => st.serverId === id);
    const carol = await client(nodeB.url);
    opened.push(carol);
    await a.seen("socket_connected", (s) => s.id === carol.id && s.clientId === clientId(carol));

    const bobId = bob.id; // the client forgets it on disconnect
    const gone = waitFor(bob, "disconnect");
    a.emit("_disconnect", "/", false, bobId);
    assert.equal(await gone, "io server disconnect");
    await a.seen("socket_disconnected", (nsp, id, reason) => id === bobId && reason === "server namespace disconnect");
  });
});

describe("the Go chat without ADMIN_PASSWORD", () => {
  it("should have no admin namespace and no admin page", async () => {
    const chat = await startChat();
    try {
      const s = admin(chat.url);
      const err = await waitFor(s, "connect_error");
      assert.equal(err.message, "Invalid namespace");
      assert.equal((await fetch(chat.url + "/admin/")).status, 404);
    } finally {
      assert.equal(await chat.stop(), 0);
    }
  });
});

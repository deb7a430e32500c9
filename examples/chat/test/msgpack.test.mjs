// The chat with PARSER=msgpack: the official client with
// socket.io-msgpack-parser chats; a client of the default (JSON) parser
// cannot connect; the page loads the msgpack bundle and two pages chat in
// Debian's Chromium. Two such servers joined by Redis form one chat: the
// adapters carry the JSON form whatever the clients' codec.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { io } from "socket.io-client";
import parser from "socket.io-msgpack-parser";
import { chromium } from "playwright-core";
import { startChat, startRedis, serverBinary, chatDir, client, waitFor, withTimeout, expectNone } from "./helpers.mjs";

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
let chat;
const sockets = [];

before(async () => { chat = await startChat({ PARSER: "msgpack" }); });
after(async () => {
  sockets.forEach((s) => s.disconnect());
  assert.equal(await chat.stop(), 0, "the chat server exits cleanly on SIGTERM");
});

async function user(name, room) {
  const s = await client(chat.url, "/", { parser });
  sockets.push(s);
  if (name) assert.deepEqual(await s.emitWithAck("set nickname", name), { ok: true });
  if (room) await s.emitWithAck("join", room);
  return s;
}

describe("chat with PARSER=msgpack", () => {
  it("should say which parser it uses", () => {
    assert.match(chat.log(), /using the msgpack parser/);
  });

  it("should deliver a chat message between two msgpack clients, ack it and keep it in the history", async () => {
    const a = await user("mp-a", "mp-room");
    const b = await user("mp-b", "mp-room");
    const toB = waitFor(b, "chat message");
    const notA = expectNone(a, "chat message", 300);
    const ack = await a.emitWithAck("chat message", "über msgpack ✓");
    assert.equal(typeof ack.id, "string");
    assert.equal(typeof ack.ts, "number");
    assert.deepEqual(await toB, { id: ack.id, from: "mp-a", text: "über msgpack ✓", room: "mp-room", ts: ack.ts });
    await notA;
    const hist = await b.timeout(5000).emitWithAck("history", "mp-room");
    assert.equal(hist.room, "mp-room");
    const last = hist.messages.at(-1);
    assert.deepEqual(last, { id: ack.id, from: "mp-a", text: "über msgpack ✓", room: "mp-room", ts: ack.ts });
  });

  it("should not connect a client of the default parser", async () => {
    const s = io(chat.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
    sockets.push(s);
    let connects = 0;
    s.on("connect", () => connects++);
    const outcome = await withTimeout(new Promise((resolve) => {
      s.on("connect_error", () => resolve("connect_error"));
      s.on("disconnect", () => resolve("disconnect"));
    }), 5000, "the JSON client's connection to fail");
    assert.ok(outcome);
    assert.equal(connects, 0);
    assert.equal(s.connected, false);
  });

  it("should serve the page with the msgpack bundle and the bundle itself", async () => {
    const html = await (await fetch(chat.url + "/")).text();
    assert.match(html, /<script src="\/socket\.io\/socket\.io\.msgpack\.min\.js"><\/script>/);
    assert.doesNotMatch(html, /socket\.io\.js"/);
    const res = await fetch(chat.url + "/socket.io/socket.io.msgpack.min.js");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /javascript/);
  });

  // refused runs the chat binary with env and resolves with its exit
  // code and output once it has exited, without listening.
  const refused = (env) => new Promise((resolve) => {
    execFile(serverBinary(), [], { cwd: chatDir, timeout: 15000, env: { ...process.env, PORT: "0", ...env } },
      (err, stdout, stderr) => resolve({ code: err?.code, out: stdout + stderr }));
  });

  it("should refuse ADMIN_PASSWORD with one log line, the admin UI's client speaking JSON", async () => {
    const { code, out } = await refused({ PARSER: "msgpack", ADMIN_PASSWORD: "secret" });
    assert.equal(code, 1);
    assert.equal(out.trim().split("\n").length, 1, out);
    assert.match(out, /ADMIN_PASSWORD: the admin UI's client speaks JSON, so it cannot connect with PARSER=msgpack/);
  });

  it("should refuse a PARSER it does not know", async () => {
    const { code, out } = await refused({ PARSER: "cbor" });
    assert.equal(code, 1);
    assert.match(out, /PARSER: "cbor" is neither json \(the default\) nor msgpack/);
  });

  it("should let two pages chat in Chromium", async (t) => {
    assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath} (apt-get install chromium)`);
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    t.after(() => browser.close());
    const scripts = [];
    const open = async (nick) => {
      const page = await browser.newPage();
      page.on("pageerror", (err) => { throw err; });
      page.on("request", (r) => { if (r.url().includes("/socket.io/socket.io")) scripts.push(new URL(r.url()).pathname); });
      await page.goto(chat.url);
      await page.fill("#nick", nick);
      await page.click("#nick-ok");
      await page.locator("#messages li.notice", { hasText: "You joined #general" }).waitFor();
      return page;
    };
    const alice = await open("mp-alice");
    const bob = await open("mp-bob");
    assert.deepEqual([...new Set(scripts)], ["/socket.io/socket.io.msgpack.min.js"]);
    await alice.fill("#input", "hello from a msgpack page");
    await alice.click("#send");
    await bob.locator("#messages li", { hasText: "hello from a msgpack page" }).waitFor({ timeout: 5000 });
  });
});

describe("chat cluster with PARSER=msgpack", () => {
  let redis, a, b;
  before(async () => {
    redis = await startRedis();
    const env = { PARSER: "msgpack", REDIS_URL: redis.url };
    [a, b] = await Promise.all([startChat(env), startChat(env)]);
  });
  after(async () => {
    if (a) assert.equal(await a.stop(), 0);
    if (b) assert.equal(await b.stop(), 0);
    redis?.stop();
  });

  it("should form one chat across two msgpack servers with REDIS_URL", async () => {
    const alice = await client(a.url, "/", { parser });
    const bob = await client(b.url, "/", { parser });
    sockets.push(alice, bob);
    await alice.emitWithAck("set nickname", "mp-alice");
    await bob.emitWithAck("set nickname", "mp-bob");
    await alice.emitWithAck("join", "mp-cluster");
    const joined = waitFor(alice, "user joined");
    const res = await bob.emitWithAck("join", "mp-cluster");
    assert.deepEqual([...res.users].sort(), ["mp-alice", "mp-bob"], "FetchSockets sees both servers");
    assert.deepEqual(await joined, { nickname: "mp-bob", room: "mp-cluster" });
    const got = waitFor(bob, "chat message");
    const ack = await alice.emitWithAck("chat message", "across msgpack servers");
    const m = await got;
    assert.deepEqual(m, { id: ack.id, from: "mp-alice", text: "across msgpack servers", room: "mp-cluster", ts: ack.ts });
    const hist = await bob.timeout(5000).emitWithAck("history", "mp-cluster");
    assert.equal(hist.messages.at(-1).id, ack.id, "the history, kept in Redis, is read on the other server");
  });
});

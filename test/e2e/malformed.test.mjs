// Malformed input from raw clients (Node's fetch and the ws package): bad
// HTTP requests get the reference server's error responses, and bad
// packets get the connection closed at once (the suite's server pings every
// 30 s, so a ping timeout cannot be what closes it). After all of it a
// normal socket.io-client still connects and echoes.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { useServer, withTimeout, connected, ack } from "./helpers.mjs";

const srv = useServer();

/** The deadline for the server to close a connection after a bad packet. */
const CLOSE_WITHIN_MS = 1000;

const RS = "\x1e"; // Engine.IO polling record separator

/** A raw Engine.IO WebSocket connection with a queue of received frames. */
class RawWs {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.frames = [];
    this.waiters = [];
    this.closedAt = undefined;
    this.ws.on("message", (data, isBinary) => {
      this.frames.push(isBinary ? Buffer.from(data) : data.toString());
      this.#wake();
    });
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => {
        this.closedAt = performance.now();
        resolve({ code, reason: reason.toString() });
        this.#wake();
      });
    });
    this.ws.on("error", () => {}); // reported by close
  }

  #wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with the next received frame (skipping pings if skipPings). */
  async next(ms = 2000, { skipPings = true } = {}) {
    const deadline = performance.now() + ms;
    for (;;) {
      while (this.frames.length) {
        const f = this.frames.shift();
        if (skipPings && f === "2") continue;
        return f;
      }
      if (this.closedAt !== undefined) throw new Error("connection closed while waiting for a frame");
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no frame within ${ms} ms`);
      await withTimeout(new Promise((r) => this.waiters.push(r)), left, "a frame").catch(() => {});
    }
  }

  async expect(prefix, ms = 2000) {
    const f = await this.next(ms);
    assert.equal(typeof f, "string", `expected a text frame starting with ${prefix}, got binary`);
    assert.ok(f.startsWith(prefix), `expected a frame starting with ${JSON.stringify(prefix)}, got ${JSON.stringify(f)}`);
    return f;
  }

  send(data) {
    this.ws.send(data);
  }

  close() {
    this.ws.terminate();
  }
}

/** Opens a raw WebSocket session: handshake, and joins "/" if join. */
async function openRaw({ join = true } = {}) {
  const conn = new RawWs(`ws://127.0.0.1:${srv.port}/socket.io/?EIO=4&transport=websocket`);
  const open = await conn.expect("0");
  const hs = JSON.parse(open.slice(1));
  assert.equal(typeof hs.sid, "string");
  assert.deepEqual(hs.upgrades, []);
  if (join) {
    conn.send("40");
    const ok = await conn.expect("40");
    assert.equal(typeof JSON.parse(ok.slice(2)).sid, "string");
    // the suite's server greets every socket of "/"
    await conn.expect('42["welcome",');
  }
  return conn;
}

/** Asserts that the server closes conn within CLOSE_WITHIN_MS of `since`. */
async function assertClosedQuickly(conn, since) {
  try {
    await withTimeout(conn.closed, CLOSE_WITHIN_MS, "the server to close the connection");
  } finally {
    conn.close();
  }
  const took = conn.closedAt - since;
  assert.ok(took < CLOSE_WITHIN_MS, `closed after ${took.toFixed(0)} ms`);
}

describe("malformed HTTP requests", () => {
  const path = "/socket.io/";
  const table = [
    { name: "an unsupported protocol version (EIO=3)", query: "EIO=3&transport=polling", status: 400, body: { code: 5, message: "Unsupported protocol version" } },
    { name: "a missing protocol version", query: "transport=polling", status: 400, body: { code: 5, message: "Unsupported protocol version" } },
    { name: "a garbage protocol version", query: "EIO=abc&transport=polling", status: 400, body: { code: 5, message: "Unsupported protocol version" } },
    { name: "an unknown transport", query: "EIO=4&transport=carrier-pigeon", status: 400, body: { code: 0, message: "Transport unknown" } },
    { name: "a missing transport", query: "EIO=4", status: 400, body: { code: 0, message: "Transport unknown" } },
    { name: "the webtransport transport over HTTP", query: "EIO=4&transport=webtransport", status: 400, body: { code: 0, message: "Transport unknown" } },
    { name: "an unknown session ID (GET)", query: "EIO=4&transport=polling&sid=doesnotexist", status: 400, body: { code: 1, message: "Session ID unknown" } },
    { name: "an unknown session ID (POST)", method: "POST", query: "EIO=4&transport=polling&sid=doesnotexist", reqBody: "40", status: 400, body: { code: 1, message: "Session ID unknown" } },
    { name: "a POST handshake", method: "POST", query: "EIO=4&transport=polling", reqBody: "40", status: 400, body: { code: 2, message: "Bad handshake method" } },
    { name: "a PUT handshake", method: "PUT", query: "EIO=4&transport=polling", reqBody: "", status: 400, body: { code: 2, message: "Bad handshake method" } },
    { name: "the websocket transport without an upgrade", query: "EIO=4&transport=websocket", status: 400, body: { code: 3, message: "Bad request" } },
  ];

  for (const row of table) {
    it(`should answer ${row.status} ${JSON.stringify(row.body)} to ${row.name}`, async () => {
      const res = await withTimeout(
        fetch(`${srv.url}${path}?${row.query}`, { method: row.method ?? "GET", body: row.reqBody }),
        2000,
        "the HTTP response",
      );
      assert.equal(res.status, row.status);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await res.json(), row.body);
    });
  }

  it("should answer 400 {\"code\":3,\"message\":\"Bad request\"} to the websocket transport without an upgrade on a valid session", async () => {
    const hs = await fetch(`${srv.url}${path}?EIO=4&transport=polling`);
    assert.equal(hs.status, 200);
    const { sid } = JSON.parse((await hs.text()).slice(1));
    const res = await fetch(`${srv.url}${path}?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { code: 3, message: "Bad request" });
    // close the session
    await fetch(`${srv.url}${path}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, { method: "POST", body: "1" });
  });

  it("should refuse a websocket upgrade with an unknown session ID with 400", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}${path}?EIO=4&transport=websocket&sid=doesnotexist`);
    ws.on("error", () => {});
    const status = await withTimeout(
      new Promise((resolve) => {
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode));
        ws.on("open", () => resolve("open"));
      }),
      2000,
      "the upgrade response",
    );
    ws.terminate();
    assert.equal(status, 400);
  });

  it("should answer 404 outside the Socket.IO path", async () => {
    const res = await fetch(`${srv.url}/not-socket.io/?EIO=4&transport=polling`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });
});

describe("malformed packets over a raw websocket", () => {
  // Each row opens a fresh session (joined to "/" unless join is false),
  // runs `before` (checks that must pass and leave the connection open),
  // then sends `send` (strings as text frames, Buffers as binary frames),
  // and expects the server to close the connection within CLOSE_WITHIN_MS.
  const table = [
    { name: "an unknown Engine.IO packet type", send: ["9"] },
    { name: "an empty text frame", send: [""] },
    { name: "a ping from the client (wrong heartbeat direction)", send: ["2"] },
    { name: "garbage after the message type (4abc)", send: ["4abc"] },
    { name: "an unknown Socket.IO packet type (49)", send: ["49"] },
    { name: "an event whose payload is an object (42{})", send: ["42{}"] },
    { name: "an event whose payload is an empty array (42[])", send: ["42[]"] },
    { name: "an event whose name is null (42[null])", send: ["42[null]"] },
    { name: "an event with broken JSON", send: ['42["echo",'] },
    { name: "an event with trailing garbage after the JSON", send: ['42["echo"]xyz'] },
    {
      name: "a reserved event name (42[\"disconnect\"]) after an unknown namespace was refused",
      before: async (conn) => {
        conn.send("40/x");
        assert.equal(await conn.expect("44/x,"), '44/x,{"message":"Invalid namespace"}');
      },
      send: ['42["disconnect"]'],
    },
    { name: "a reserved event name (42[\"connect\"])", send: ['42["connect"]'] },
    { name: "an event for a namespace not joined", send: ['42/admin,["echo","x"]'] },
    { name: "an event before joining any namespace", join: false, send: ['42["echo","x"]'] },
    { name: "a DISCONNECT for a namespace not joined", send: ["41/admin,"] },
    { name: "a DISCONNECT with a payload", send: ["41{}"] },
    { name: "a second CONNECT to a namespace already joined", send: ["40"] },
    { name: "a CONNECT whose payload is not an object", send: ["40/admin,[1]"] },
    { name: "a CONNECT_ERROR from the client", send: ['44{"message":"x"}'] },
    { name: "an ACK whose payload is not an array", send: ["431{}"] },
    { name: "a binary frame when no attachment is expected", send: [Buffer.from([1, 2, 3])] },
    {
      name: "a text packet where a binary attachment is expected",
      send: ['451-["echo",{"_placeholder":true,"num":0}]', '42["echo","x"]'],
    },
    {
      name: "a placeholder number out of range",
      send: ['451-["echo",{"_placeholder":true,"num":3}]', Buffer.from([1])],
    },
    { name: "a negative attachment count", send: ['45-1-["echo",{"_placeholder":true,"num":0}]'] },
    { name: "more attachments than allowed (11)", send: ['411-["echo"]'] },
  ];

  for (const row of table) {
    it(`should close the connection at once on ${row.name}`, async () => {
      const conn = await openRaw({ join: row.join ?? true });
      try {
        if (row.before) await row.before(conn);
      } catch (err) {
        conn.close();
        throw err;
      }
      assert.equal(conn.closedAt, undefined, "connection closed before the bad packet was sent");
      const since = performance.now();
      for (const f of row.send) conn.send(f);
      await assertClosedQuickly(conn, since);
    });
  }

  it("should not close the connection on an ack with an unknown id", async () => {
    const conn = await openRaw();
    conn.send('4399["nobody asked"]');
    // handled in order: the echo's ack proves the bad ack was processed
    conn.send('421["echo","ok"]');
    assert.equal(await conn.expect("431"), '431["ok"]');
    assert.equal(conn.closedAt, undefined);
    conn.close();
  });

  it("should accept an event for an unknown event name without closing", async () => {
    const conn = await openRaw();
    conn.send('42["no-such-handler",1]');
    conn.send('427["echo","ok"]');
    assert.equal(await conn.expect("437"), '437["ok"]');
    conn.close();
  });

  it("should accept an event whose name is a number, as the reference parser does", async () => {
    const conn = await openRaw();
    conn.send('42[1,"x"]');
    conn.send('428["echo","ok"]');
    assert.equal(await conn.expect("438"), '438["ok"]');
    conn.close();
  });

  it("should accept a CONNECT without a trailing comma after the namespace (40/admin)", async () => {
    const conn = await openRaw();
    conn.send("40/admin");
    const ok = await conn.expect("40/admin,");
    assert.equal(typeof JSON.parse(ok.slice("40/admin,".length)).sid, "string");
    await conn.expect('42/admin,["welcome",');
    conn.send('42/admin,3["echo","x"]');
    assert.equal(await conn.expect("43/admin,3"), '43/admin,3["admin","x"]');
    conn.close();
  });

  it("should accept a binary event sent by a raw client", async () => {
    const conn = await openRaw();
    conn.send('451-5["echo",{"_placeholder":true,"num":0}]');
    conn.send(Buffer.from([9, 8, 7]));
    assert.equal(await conn.expect("461-5"), '461-5[{"_placeholder":true,"num":0}]');
    const bin = await conn.next();
    assert.ok(Buffer.isBuffer(bin));
    assert.deepEqual([...bin], [9, 8, 7]);
    conn.close();
  });
});

describe("malformed packets over raw long-polling", () => {
  const base = () => `${srv.url}/socket.io/?EIO=4&transport=polling`;

  async function openPolling() {
    const res = await fetch(base());
    assert.equal(res.status, 200);
    const { sid } = JSON.parse((await res.text()).slice(1));
    const url = `${base()}&sid=${encodeURIComponent(sid)}`;
    const post = await fetch(url, { method: "POST", body: "40" });
    assert.equal(post.status, 200);
    await post.text();
    const get = await withTimeout(fetch(url), 2000, "the CONNECT reply");
    // the CONNECT reply, possibly followed by the server's "welcome" event
    assert.match(await get.text(), /^40\{"sid":"[^"]+"\}(\x1e42\["welcome",.*)?$/);
    return url;
  }

  const table = [
    { name: "garbage after the message type", body: "4abc" },
    { name: "an event for a namespace not joined", body: '42/admin,["echo"]' },
    { name: "a binary packet when no attachment is expected", body: "bAQID" },
    { name: "a reserved event name", body: '42["disconnect"]' },
  ];

  for (const row of table) {
    it(`should close the session at once on ${row.name}`, async () => {
      const url = await openPolling();
      const since = performance.now();
      const post = await fetch(url, { method: "POST", body: row.body });
      await post.text();
      // the pending/next GET must end the session: a close packet "1", or
      // 400 once the session is gone, not hang until the ping
      const get = await withTimeout(fetch(url), CLOSE_WITHIN_MS, "the session to close");
      const body = await get.text();
      const took = performance.now() - since;
      if (get.status === 200) {
        assert.ok(body.split(RS).includes("1"), `GET answered 200 ${JSON.stringify(body)}, expected a close packet`);
      } else {
        assert.equal(get.status, 400);
        assert.deepEqual(JSON.parse(body), { code: 1, message: "Session ID unknown" });
      }
      assert.ok(took < CLOSE_WITHIN_MS, `closed after ${took.toFixed(0)} ms`);
    });
  }
});

describe("after malformed input", () => {
  it("should still connect a normal client and echo", async () => {
    for (const transports of [["websocket"], ["polling"], ["polling", "websocket"]]) {
      const socket = srv.client("/", { transports });
      await connected(socket);
      assert.equal(await ack(socket, "echo", "healthy", { t: transports.join() }), "healthy");
      socket.disconnect();
    }
  });
});

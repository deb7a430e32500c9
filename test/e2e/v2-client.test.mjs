// Socket.IO v2 clients (the official socket.io-client 2.x, which speaks
// Engine.IO v3) against a server with Options.AllowEIO3 (env ALLOW_EIO3),
// over each transport, and beside a v4 client. Without AllowEIO3 such a
// client is refused: malformed.test.mjs checks the raw EIO=3 handshake,
// and the last test here the v2 client against a server without it.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import ioV2 from "socket.io-client-v2";
import { useServer, startServer, waitFor, withTimeout, connected, op, normalize } from "./helpers.mjs";

const srv = useServer({ env: { ALLOW_EIO3: "1" } });

/** A socket.io-client 2.x socket, closed by the after hook. */
function clientV2(nsp = "/", opts = {}) {
  return srv.track(ioV2(srv.url + nsp, { forceNew: true, reconnection: false, timeout: 3000, ...opts }));
}

/** Emits with an ack callback (2.x has no emitWithAck); rejects after ms. */
function ackV2(socket, event, ...args) {
  return withTimeout(new Promise((resolve) => socket.emit(event, ...args, (...res) => resolve(res))), 2000, `ack of ${event}`);
}

for (const transport of ["polling", "websocket"]) {
  const opts = { transports: [transport] };

  describe(`socket.io-client 2.x over ${transport}`, () => {
    it("should connect to / without sending CONNECT, with the connection's id", async () => {
      const socket = clientV2("/", opts);
      const welcome = waitFor(socket, "welcome", 3000);
      await connected(socket);
      assert.equal(socket.io.engine.transport.name, transport);
      const [msg] = await welcome;
      // The reference's ids for v2 clients: the Engine.IO id.
      assert.deepEqual(msg, { id: socket.id, nsp: "/" });
      assert.equal(socket.id, socket.io.engine.id);
      socket.disconnect();
    });

    it("should ack a client emit with the same arguments", async () => {
      const socket = clientV2("/", opts);
      await connected(socket);
      const args = [1, "two", { three: [3] }, null, false, "üñí©ødé ✓ 🚀"];
      assert.deepEqual(await ackV2(socket, "echo", ...args), args);
      socket.disconnect();
    });

    it("should receive an event emitted back and answer an ack the server asked for", async () => {
      const socket = clientV2("/", opts);
      await connected(socket);
      const back = waitFor(socket, "emit-back");
      socket.emit("emit-back", "hello", { a: 1 });
      assert.deepEqual(await back, ["hello", { a: 1 }]);
      socket.on("sum", (a, b, cb) => cb(a + b));
      const [res] = await ackV2(socket, "ask-sum", 2, 3);
      assert.deepEqual(res, { ok: true, got: 5, err: "" });
      socket.disconnect();
    });

    it("should carry binary both ways, at the top level and nested", async () => {
      const socket = clientV2("/", opts);
      await connected(socket);
      const data = Buffer.from([0, 1, 2, 250, 255]);
      const [rev] = await ackV2(socket, "reverse-bytes", data);
      assert.deepEqual(normalize(rev), Buffer.from([255, 250, 2, 1, 0]));
      const nested = { name: "n", list: [Buffer.from([1]), "x", Buffer.from([2, 3])] };
      const echoed = await ackV2(socket, "echo", "bin", nested, data);
      assert.deepEqual(normalize(echoed), ["bin", nested, data]);
      const back = waitFor(socket, "emit-back");
      socket.emit("emit-back", data);
      assert.deepEqual(normalize(await back), [data]);
      socket.disconnect();
    });

    it("should join a second namespace, with its query as auth", async () => {
      const socket = clientV2("/guarded", { ...opts, query: { token: "let-me-in" } });
      await connected(socket);
      assert.match(socket.id, /^\/guarded#/);
      assert.deepEqual(await ackV2(socket, "echo", "in"), ["in"]);
      const refused = clientV2("/guarded", { ...opts, query: { token: "wrong" } });
      // A connect error reaches a v2 client as a plain value: the error's
      // data when it has some, as the reference sends.
      const [err] = await waitFor(refused, "error", 3000);
      assert.deepEqual(err, { reason: "bad token", code: 4001 });
      socket.disconnect();
    });

    it("should see the handshake query and an empty auth on /", async () => {
      const socket = clientV2("/", { ...opts, query: { x: "42" } });
      await connected(socket);
      const [info] = await ackV2(socket, "get-info");
      assert.equal(info.query, "42");
      assert.equal(info.id, socket.id);
      assert.deepEqual(await ackV2(socket, "get-auth"), [{}]);
      socket.disconnect();
    });

    it("should get broadcasts, and its emits should reach the others", async () => {
      const a = clientV2("/", opts);
      const b = clientV2("/", opts);
      await Promise.all([connected(a), connected(b)]);
      const atA = waitFor(a, "everyone");
      const atB = waitFor(b, "everyone");
      const [res] = await ackV2(a, "do", "emit", { via: "io.emit", event: "everyone", args: ["hi", 7] });
      assert.ok(!("error" in res), res.error);
      assert.deepEqual(await atA, ["hi", 7]);
      assert.deepEqual(await atB, ["hi", 7]);
      a.disconnect();
      b.disconnect();
    });
  });
}

describe("socket.io-client 2.x and 4.x together", () => {
  it("should upgrade a v2 client from polling to websocket", async () => {
    const socket = clientV2("/");
    await connected(socket);
    if (socket.io.engine.transport.name !== "websocket") {
      await waitFor(socket.io.engine, "upgrade", 3000);
    }
    assert.deepEqual(normalize(await ackV2(socket, "echo", Buffer.from([9]))), [Buffer.from([9])]);
    socket.disconnect();
  });

  for (const transport of ["polling", "websocket"]) {
    it(`should give a v2 client (${transport}) and a v4 client in one room the same broadcast`, async () => {
      const v2 = clientV2("/", { transports: [transport] });
      const v4 = srv.client("/", { transports: [transport] });
      await Promise.all([connected(v2), connected(v4)]);
      const room = `mixed-${transport}`;
      assert.deepEqual(await ackV2(v2, "do", "join", { rooms: [room] }), [{ ok: [room, v2.id].sort() }]);
      await op(v4, "join", { rooms: [room] });
      const at2 = waitFor(v2, "room-news");
      const at4 = waitFor(v4, "room-news");
      const data = Buffer.from([1, 2, 3]);
      // From the v4 client, then from the v2 one: text and binary, one
      // encoding for both clients.
      v4.emit("to-room", room, "from v4", { data });
      const want = ["from v4", { data }];
      assert.deepEqual(normalize(await at2), want);
      assert.deepEqual(normalize(await at4), want);
      const again2 = waitFor(v2, "room-news");
      const again4 = waitFor(v4, "room-news");
      v2.emit("to-room", room, "from v2", data);
      assert.deepEqual(normalize(await again2), ["from v2", data]);
      assert.deepEqual(normalize(await again4), ["from v2", data]);
      v2.disconnect();
      v4.disconnect();
    });
  }
});

describe("socket.io-client 2.x heartbeat", () => {
  // The v3 heartbeat: the client pings every pingInterval, the server
  // answers and would close a client silent for pingInterval+pingTimeout.
  for (const transport of ["polling", "websocket"]) {
    it(`should stay connected past many heartbeats over ${transport}`, async () => {
      const server = await startServer({ env: { ALLOW_EIO3: "1", PING_INTERVAL: "150", PING_TIMEOUT: "150" } });
      const socket = ioV2(server.url, { forceNew: true, reconnection: false, timeout: 3000, transports: [transport] });
      try {
        await connected(socket);
        let disconnected = null;
        socket.on("disconnect", (reason) => {
          disconnected = reason;
        });
        let pongs = 0;
        await withTimeout(
          new Promise((resolve) => {
            socket.on("pong", () => {
              if (++pongs === 8) resolve();
            });
          }),
          5000,
          "8 pongs",
        );
        assert.equal(disconnected, null);
        assert.deepEqual(await ackV2(socket, "echo", "still here"), ["still here"]);
      } finally {
        socket.close();
        await server.stop();
      }
    });
  }
});

describe("socket.io-client 2.x without AllowEIO3", () => {
  it("should be refused", async () => {
    const server = await startServer();
    try {
      const socket = ioV2(server.url, { forceNew: true, reconnection: false, timeout: 3000, transports: ["polling"] });
      try {
        await waitFor(socket, "connect_error", 3000);
        assert.equal(socket.connected, false);
      } finally {
        socket.close();
      }
    } finally {
      await server.stop();
    }
  });
});

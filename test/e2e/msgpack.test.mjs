// The official client with socket.io-msgpack-parser 3.0.x (io(url,
// {parser})) against the server started with PARSER=msgpack
// (Options.Parser: msgpack.Parser{}): every packet is one binary message
// holding a msgpack map, binary data is msgpack bin, anywhere.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Manager } from "socket.io-client";
import parser from "socket.io-msgpack-parser";
import { useServer, waitFor, withTimeout, connected, ack, normalize, bytes, op, record, sentinel, unique } from "./helpers.mjs";

const srv = useServer({ env: { PARSER: "msgpack" } });
const reversed = (b) => Buffer.from(b).reverse();

for (const transport of ["websocket", "polling"]) {
  const opts = { transports: [transport], parser };
  const client = (nsp = "/", more = {}) => srv.client(nsp, { ...opts, ...more });

  describe(`msgpack parser over ${transport}`, () => {
    it("should speak msgpack: every message from the server is binary", async () => {
      const socket = client();
      const messages = [];
      socket.io.on("open", () => {
        socket.io.engine.on("packet", (p) => {
          if (p.type === "message") messages.push(p.data);
        });
      });
      const welcome = waitFor(socket, "welcome", 3000);
      await connected(socket);
      const [msg] = await welcome;
      assert.deepEqual(msg, { id: socket.id, nsp: "/" });
      assert.ok(messages.length >= 2, "the CONNECT answer and the welcome event");
      for (const m of messages) assert.notEqual(typeof m, "string", "a text message");
      socket.disconnect();
    });

    it("should receive an event emitted back by the server with the same arguments", async () => {
      const socket = client();
      await connected(socket);
      const args = ["hello", 1, -1, 200, -200, 70000, 2 ** 40, -(2 ** 40), 2.5, 0.1, true, null, { b: 1, a: [1, { c: "d" }] }, ["x"], "üñí©ødé ✓ 🚀", "", "x".repeat(300)];
      const back = waitFor(socket, "emit-back");
      socket.emit("emit-back", ...args);
      assert.deepEqual(await back, args);
      socket.disconnect();
    });

    it("should ack a client emit with the same arguments", async () => {
      const socket = client();
      await connected(socket);
      const answer = await socket.timeout(2000).emitWithAck("echo", 1, "two", { three: [3] }, null, false);
      assert.deepEqual(answer, 1);
      const all = await new Promise((resolve, reject) =>
        socket.timeout(2000).emit("echo", 1, "two", { three: [3] }, null, false, (err, ...a) => (err ? reject(err) : resolve(a))),
      );
      assert.deepEqual(all, [1, "two", { three: [3] }, null, false]);
      socket.disconnect();
    });

    it("should let the server EmitWithAck and decode the client's answer into a Go int", async () => {
      const socket = client();
      await connected(socket);
      socket.on("sum", (a, b, cb) => cb(a + b));
      assert.deepEqual(await ack(socket, "ask-sum", 2, 3), { ok: true, got: 5, err: "" });
      assert.deepEqual(await ack(socket, "ask-sum", -700, 100000), { ok: true, got: 99300, err: "" });
      socket.disconnect();
    });

    it("should ack with Buffers nested in objects and arrays, bytes unchanged", async () => {
      const socket = client();
      await connected(socket);
      const payload = { a: bytes(10), nested: [bytes(3, 1), { b: bytes(300, 2), text: "t" }, "s", 42], all: bytes(256), empty: Buffer.alloc(0) };
      const top = bytes(1000, 3); // the suite runs the server with MaxHTTPBufferSize 10000
      const res = await new Promise((resolve, reject) =>
        socket.timeout(3000).emit("echo", payload, top, "after", (err, ...a) => (err ? reject(err) : resolve(a))),
      );
      assert.deepEqual(normalize(res), [payload, top, "after"]);
      socket.disconnect();
    });

    it("should decode binary into typed []byte arguments and struct fields", async () => {
      const socket = client();
      await connected(socket);
      const data = bytes(513, 11);
      assert.deepEqual(normalize(await ack(socket, "reverse-bytes", data)), reversed(data));
      const small = bytes(100, 17);
      assert.deepEqual(normalize(await ack(socket, "struct-bin", { name: "blob", data: small })), { name: "blob!", data: reversed(small), len: 100 });
      socket.disconnect();
    });

    it("should pass nested binary through the server's EmitWithAck and the client's ack", async () => {
      const socket = client();
      await connected(socket);
      socket.on("transform", (obj, buf, cb) => cb({ gotLen: buf.length, back: Buffer.from(normalize(buf)) }, reversed(normalize(obj.inner))));
      const inner = bytes(50, 3);
      const buf = bytes(70, 1);
      const res = await new Promise((resolve, reject) =>
        socket.timeout(3000).emit("ask-client", "transform", { inner }, buf, (err, ...a) => (err ? reject(err) : resolve(a))),
      );
      assert.deepEqual(normalize(res), [null, { gotLen: 70, back: buf }, reversed(inner)]);
      socket.disconnect();
    });

    it("should multiplex two namespaces over one connection", async () => {
      const manager = srv.track(new Manager(srv.url, { reconnection: false, transports: [transport], parser }));
      const main = srv.track(manager.socket("/"));
      const admin = srv.track(manager.socket("/admin"));
      await Promise.all([connected(main), connected(admin)]);
      assert.deepEqual(await ack(main, "echo", "x"), "x");
      const res = await new Promise((resolve, reject) =>
        admin.timeout(2000).emit("echo", "y", bytes(4), (err, ...a) => (err ? reject(err) : resolve(a))),
      );
      assert.deepEqual(normalize(res), ["admin", "y", bytes(4)]);
      assert.equal(await ack(admin, "admin-only"), "admin-only-ok");
      admin.disconnect();
      main.disconnect();
    });

    it("should hand the auth payload to the server", async () => {
      const auth = { token: "t", n: 12, nested: { list: [1, "two"] } };
      const socket = client("/", { auth });
      await connected(socket);
      assert.deepEqual(await ack(socket, "get-auth"), auth);
      socket.disconnect();
    });

    it("should give connect_error with its message and data from a middleware", async () => {
      const socket = client("/guarded", { auth: { token: "wrong" } });
      const [err] = await waitFor(socket, "connect_error", 3000);
      assert.equal(err.message, "not authorized");
      assert.deepEqual(err.data, { reason: "bad token", code: 4001 });
      socket.disconnect();
      const ok = client("/guarded", { auth: { token: "let-me-in" } });
      await connected(ok);
      assert.equal(await ack(ok, "echo", "inside"), "inside");
      ok.disconnect();
    });

    it("should give connect_error for a namespace that does not exist", async () => {
      const socket = client("/no-such-namespace");
      const [err] = await waitFor(socket, "connect_error", 3000);
      assert.equal(err.message, "Invalid namespace");
      socket.disconnect();
    });

    it("should broadcast to rooms, binary included, to the members only", async () => {
      const all = await Promise.all([0, 1, 2].map(() => connected(client())));
      const [a, b, c] = all;
      const room = unique("room");
      await op(a, "join", { rooms: [room] });
      await op(b, "join", { rooms: [room] });
      const event = unique("to-room");
      const got = all.map((s) => record(s, event));
      const payload = { n: 1, list: [1.5, "x", { deep: true }] };
      await op(c, "emit", { via: "io.to", rooms: [room], event, args: [room, payload] });
      await sentinel(c, all);
      assert.deepEqual(got[0], [[room, payload]]);
      assert.deepEqual(got[1], [[room, payload]]);
      assert.deepEqual(got[2], [], "a socket outside the room must not get the event");
      for (const s of all) s.disconnect();
    });

    it("should broadcast to a room of another namespace", async () => {
      const listeners = [0, 1].map(() => client("/lobby"));
      const ready = listeners.map((s) => waitFor(s, "ready", 3000));
      await Promise.all(ready);
      const heard = listeners.map((s) => waitFor(s, "heard", 3000));
      listeners[0].emit("shout", 42);
      for (const h of heard) assert.deepEqual(await h, [42]);
      for (const s of listeners) s.disconnect();
    });

    it("should keep the order of many events", async () => {
      const socket = client();
      await connected(socket);
      const got = [];
      const done = new Promise((resolve) => {
        socket.on("emit-back", (i, b) => {
          got.push([i, normalize(b)]);
          if (got.length === 50) resolve();
        });
      });
      for (let i = 0; i < 50; i++) socket.emit("emit-back", i, bytes(i % 5));
      await withTimeout(done, 5000, "50 emit-back events");
      assert.deepEqual(got, [...Array(50).keys()].map((i) => [i, bytes(i % 5)]));
      socket.disconnect();
    });
  });
}

describe("msgpack parser with connection-state recovery", () => {
  // Every broadcast then carries its offset as its last argument, added to
  // the packet encoded once for all its recipients.
  const rec = useServer({ env: { PARSER: "msgpack", RECOVERY_MS: "1500" } });

  for (const transport of ["websocket", "polling"]) {
    it(`should recover the socket with the events it missed, binary included, over ${transport}`, async () => {
      const sender = await connected(rec.client("/recovery", { parser }));
      const socket = rec.client("/recovery", { transports: [transport], parser });
      const log = [];
      socket.on("m", (v) => log.push(normalize(v)));
      const hello = waitFor(socket, "hello");
      await connected(socket);
      await hello;
      const id = socket.id;
      const got = waitFor(socket, "m");
      await ack(sender, "send", "news", "m", 0);
      await got;

      const disconnected = waitFor(socket, "disconnect");
      socket.io.engine.close();
      await disconnected;
      assert.equal(await ack(sender, "await-gone", id), true);
      await ack(sender, "send", "news", "m", { n: 1, b: bytes(3) });
      await ack(sender, "send", "news", "m", 2);

      const reconnected = waitFor(socket, "connect");
      socket.connect();
      await reconnected;
      assert.equal(socket.recovered, true);
      assert.equal(socket.id, id);
      assert.deepEqual(log, [0, { n: 1, b: bytes(3) }, 2]);
      socket.disconnect();
      sender.disconnect();
    });
  }
});

describe("msgpack parser against the JSON parser", () => {
  it("should close the connection of a client using the default parser", async () => {
    const socket = srv.client("/", { transports: ["websocket"] });
    let connects = 0;
    socket.on("connect", () => connects++);
    const outcome = await withTimeout(
      new Promise((resolve) => {
        socket.on("connect_error", () => resolve("connect_error"));
        socket.on("disconnect", () => resolve("disconnect"));
      }),
      3000,
      "the connection to fail",
    );
    assert.ok(outcome);
    assert.equal(connects, 0);
    assert.equal(socket.connected, false);
    socket.disconnect();
  });
});

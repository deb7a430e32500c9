// Events and acknowledgements in both directions, and binary data, with the
// official socket.io-client, over each transport.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { useServer, waitFor, withTimeout, connected, ack, normalize, bytes } from "./helpers.mjs";

const srv = useServer();

const reversed = (b) => Buffer.from(b).reverse();

for (const transport of ["websocket", "polling"]) {
  const opts = { transports: [transport] };

  describe(`events over ${transport}`, () => {
    it("should receive an event emitted by the server on connection", async () => {
      const socket = srv.client("/", opts);
      const welcome = waitFor(socket, "welcome", 3000);
      await connected(socket);
      const [msg] = await welcome;
      assert.deepEqual(msg, { id: socket.id, nsp: "/" });
      socket.disconnect();
    });

    it("should receive an event emitted back by the server with the same arguments", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      const args = ["hello", 1, 2.5, true, null, { a: [1, { b: "c" }] }, ["x", "y"], "üñí©ødé ✓ 🚀", ""];
      const back = waitFor(socket, "emit-back");
      socket.emit("emit-back", ...args);
      assert.deepEqual(await back, args);
      socket.disconnect();
    });

    it("should keep the order of events", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      const got = [];
      const all = new Promise((resolve) => {
        socket.on("emit-back", (i) => {
          got.push(i);
          if (got.length === 20) resolve();
        });
      });
      for (let i = 0; i < 20; i++) socket.emit("emit-back", i);
      await withTimeout(all, 3000, "20 emit-back events");
      assert.deepEqual(got, [...Array(20).keys()]);
      socket.disconnect();
    });

    it("should ack a client emit with the same arguments", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      const answer = await new Promise((resolve, reject) => {
        socket.timeout(2000).emit("echo", 1, "two", { three: [3] }, null, false, (err, ...args) =>
          err ? reject(err) : resolve(args),
        );
      });
      assert.deepEqual(answer, [1, "two", { three: [3] }, null, false]);
      assert.deepEqual(await ack(socket, "echo", { k: "v" }), { k: "v" });
      socket.disconnect();
    });

    it("should ack concurrent emits each with its own answer", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      const answers = await Promise.all([...Array(10).keys()].map((i) => ack(socket, "echo", `n${i}`)));
      assert.deepEqual(answers, [...Array(10).keys()].map((i) => `n${i}`));
      socket.disconnect();
    });

    it("should let the server EmitWithAck and check the client's answer", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      socket.on("sum", (a, b, cb) => cb(a + b));
      assert.deepEqual(await ack(socket, "ask-sum", 2, 3), { ok: true, got: 5, err: "" });
      assert.deepEqual(await ack(socket, "ask-sum", -7, 100), { ok: true, got: 93, err: "" });
      socket.disconnect();
    });

    it("should let the server see a wrong answer to its EmitWithAck", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      socket.on("sum", (a, b, cb) => cb(a * b));
      assert.deepEqual(await ack(socket, "ask-sum", 2, 5), { ok: false, got: 10, err: "" });
      socket.disconnect();
    });

    it("should pass the client's ack arguments to the server's EmitWithAck", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      socket.on("question", (q, cb) => cb("answer to " + q.text, { n: q.n + 1 }, [true]));
      const res = await new Promise((resolve, reject) =>
        socket.timeout(3000).emit("ask-client", "question", { text: "life", n: 41 }, (err, ...args) =>
          err ? reject(err) : resolve(args),
        ),
      );
      assert.deepEqual(res, [null, "answer to life", { n: 42 }, [true]]);
      socket.disconnect();
    });
  });

  describe(`binary over ${transport}`, () => {
    it("should ack with Buffers nested in objects and arrays, bytes unchanged", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      const payload = {
        a: bytes(10),
        nested: [bytes(3, 1), { b: bytes(300, 2), text: "t" }, "s", 42],
        all: bytes(256),
      };
      const top = bytes(1000, 3);
      const res = await new Promise((resolve, reject) =>
        socket.timeout(2000).emit("echo", payload, top, "after", (err, ...args) =>
          err ? reject(err) : resolve(args),
        ),
      );
      assert.equal(res.length, 3);
      assert.deepEqual(normalize(res), [payload, top, "after"]);
      assert.ok(Buffer.isBuffer(normalize(res[1])));
      socket.disconnect();
    });

    it("should emit back top-level and nested Buffers, bytes unchanged", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      const args = [bytes(5, 9), "mid", [bytes(1), [bytes(2, 4)]], { deep: { deeper: { buf: bytes(600, 5) } } }, bytes(7, 200)];
      const back = waitFor(socket, "emit-back");
      socket.emit("emit-back", ...args);
      assert.deepEqual(normalize(await back), args);
      socket.disconnect();
    });

    it("should round-trip an empty Buffer", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      const res = await ack(socket, "echo", Buffer.alloc(0));
      assert.deepEqual(normalize(res), Buffer.alloc(0));
      socket.disconnect();
    });

    it("should decode a Buffer into a typed []byte handler argument and send []byte back", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      const data = bytes(513, 11);
      const res = await ack(socket, "reverse-bytes", data);
      assert.deepEqual(normalize(res), reversed(data));
      socket.disconnect();
    });

    it("should decode a Buffer inside an object into a struct's []byte field", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      const data = bytes(100, 17);
      const res = await ack(socket, "struct-bin", { name: "blob", data });
      assert.deepEqual(normalize(res), { name: "blob!", data: reversed(data), len: 100 });
      socket.disconnect();
    });

    it("should pass binary through the server's EmitWithAck and the client's ack", async () => {
      const socket = srv.client("/", opts);
      await connected(socket);
      socket.on("transform", (obj, buf, cb) => {
        cb({ gotLen: buf.length, back: Buffer.from(normalize(buf)) }, reversed(normalize(obj.inner)));
      });
      const inner = bytes(50, 3);
      const buf = bytes(70, 1);
      const res = await new Promise((resolve, reject) =>
        socket.timeout(3000).emit("ask-client", "transform", { inner }, buf, (err, ...args) =>
          err ? reject(err) : resolve(args),
        ),
      );
      assert.deepEqual(normalize(res), [null, { gotLen: 70, back: buf }, reversed(inner)]);
      socket.disconnect();
    });
  });
}

// Typed event handlers (Socket.On with reflection) on namespace "/typed":
// struct, pointer, []byte, Ack anywhere, variadic, any, Raw, missing
// arguments, several handlers, returned errors and *DecodeError to OnError.
// The server forwards OnError to the client as "handler-error".

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { useServer, connected, waitFor, ack, normalize, bytes } from "./helpers.mjs";

const srv = useServer();

for (const transport of ["websocket", "polling"]) {
  describe(`typed handlers over ${transport}`, () => {
    async function typed() {
      const s = srv.client("/typed", { transports: [transport] });
      await connected(s);
      return s;
    }

    /** emit with an ack callback: resolves with every ack argument. */
    const call = (s, event, ...args) =>
      new Promise((resolve, reject) =>
        s.timeout(2000).emit(event, ...args, (err, ...res) => (err ? reject(err) : resolve(res))),
      );

    it("should decode an argument into a struct", async () => {
      const s = await typed();
      const avatar = bytes(20, 3);
      const [res] = await call(s, "struct", { name: "Ann", age: 42, tags: ["a", "b"], avatar, ignored: 1 });
      assert.deepEqual(normalize(res), { name: "Ann", age: 42, tags: ["a", "b"], avatarLen: 20, avatar });
      s.disconnect();
    });

    it("should decode into a pointer, nil for null", async () => {
      const s = await typed();
      assert.deepEqual(await call(s, "pointer", { name: "Bo" }), ["Bo"]);
      assert.deepEqual(await call(s, "pointer", null), ["nil"]);
      s.disconnect();
    });

    it("should decode a binary argument into []byte", async () => {
      const s = await typed();
      const data = bytes(300, 9);
      const [label, n, back] = await call(s, "bytes", "label", data);
      assert.equal(label, "label");
      assert.equal(n, 300);
      assert.deepEqual(normalize(back), Buffer.from(data).reverse());
      s.disconnect();
    });

    it("should pass the Ack parameter wherever it is declared", async () => {
      // func(ack Ack, a, b int)
      const s = await typed();
      assert.deepEqual(await call(s, "ack-first", 6, 7), [42]);
      s.disconnect();
    });

    it("should pass the remaining arguments to a variadic parameter", async () => {
      // func(ack Ack, first string, rest ...int)
      const s = await typed();
      assert.deepEqual(await call(s, "variadic", "sum", 1, 2, 3, 4), ["sum", 10, 4]);
      assert.deepEqual(await call(s, "variadic", "none"), ["none", 0, 0]);
      s.disconnect();
    });

    it("should decode any like encoding/json, binary as []byte", async () => {
      // func(ack Ack, args ...any): acks with the Go type of each
      const s = await typed();
      const [types] = await call(s, "any-types", 1, 2.5, "s", true, null, { k: 1 }, [1], Buffer.from([1, 2]));
      assert.deepEqual(types, [
        "float64",
        "float64",
        "string",
        "bool",
        "<nil>",
        "map[string]interface {}",
        "[]interface {}",
        "[]uint8",
      ]);
      s.disconnect();
    });

    it("should pass a Raw argument undecoded", async () => {
      const s = await typed();
      assert.deepEqual(await call(s, "raw", { b: [1, "x"], a: null }), ['{"b":[1,"x"],"a":null}']);
      s.disconnect();
    });

    it("should leave missing arguments at their zero value", async () => {
      // func(a string, b int, c []string, ack Ack): ack(a, b, c == nil)
      const s = await typed();
      assert.deepEqual(await call(s, "missing"), ["", 0, true]);
      assert.deepEqual(await call(s, "missing", "only a"), ["only a", 0, true]);
      s.disconnect();
    });

    it("should run every handler of an event in order", async () => {
      const s = await typed();
      assert.deepEqual(await call(s, "twice"), [["first", "second"]]);
      s.disconnect();
    });

    it("should send a handler's returned error to OnError", async () => {
      const s = await typed();
      const reported = waitFor(s, "handler-error", 2000);
      s.emit("fails", "boom");
      assert.deepEqual(await reported, [{ message: "handler failed: boom", decode: false }]);
      assert.equal(await ack(s, "ping"), "pong", "the socket keeps working");
      s.disconnect();
    });

    it("should report a wrongly typed argument as a *DecodeError to OnError without calling the handler", async () => {
      // func(n int, ack Ack)
      const s = await typed();
      let acked = false;
      const reported = waitFor(s, "handler-error", 2000);
      s.emit("int", "not a number", () => {
        acked = true;
      });
      const [info] = await reported;
      assert.equal(info.decode, true, "errors.As(err, *DecodeError)");
      assert.equal(info.event, "int");
      assert.equal(info.index, 0);
      assert.match(info.message, /"int"/);
      // "ping" is handled after "int": had the handler run, its ack would be in
      assert.equal(await ack(s, "ping"), "pong");
      assert.equal(acked, false, "the handler must not be called");
      assert.deepEqual(await call(s, "int", 21), [42]);
      s.disconnect();
    });
  });
}

// Socket hooks on namespace "/hooks": OnAny, PrependAny, OffAny (and the
// function OnAny returns), OnAnyOutgoing, PrependAnyOutgoing,
// OffAnyOutgoing, packet middleware (Socket.Use) and OnError. Each socket
// of "/hooks" keeps a log of what its hooks saw, read with "log".

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { useServer, connected, waitFor, ack } from "./helpers.mjs";

const srv = useServer();

async function hooks() {
  const s = srv.client("/hooks", { transports: ["websocket"] });
  await connected(s);
  return s;
}

/** The socket's hook log since the last read (the "log" event itself is left out). */
const readLog = (s) => ack(s, "log");
const only = (log, prefix) => log.filter((e) => e.startsWith(prefix));

describe("hooks", () => {
  it("should receive any incoming event with onAny", async () => {
    const s = await hooks();
    s.emit("note", 1, "a");
    s.emit("no-handler", { x: [true, null] }); // any-listeners get it too
    const log = await readLog(s);
    assert.deepEqual(only(log, "any1:"), ['any1:note [1,"a"]', 'any1:no-handler [{"x":[true,null]}]']);
    assert.ok(log.includes("handler:note"));
    s.disconnect();
  });

  it("should call prependAny listeners first", async () => {
    const s = await hooks();
    s.emit("note");
    const log = (await readLog(s)).filter((e) => /^(prepended|any1|any2|handler):/.test(e));
    assert.deepEqual(log, ["prepended:note", "any1:note []", "any2:note", "handler:note"]);
    s.disconnect();
  });

  it("should stop with offAny", async () => {
    const s = await hooks();
    await ack(s, "off-first-any"); // the function OnAny returned
    await readLog(s);
    s.emit("note");
    assert.deepEqual(
      (await readLog(s)).filter((e) => /^(prepended|any1|any2|handler):/.test(e)),
      ["prepended:note", "any2:note", "handler:note"],
    );
    await ack(s, "off-any");
    await readLog(s);
    s.emit("note");
    assert.deepEqual(
      (await readLog(s)).filter((e) => /^(prepended|any1|any2|handler):/.test(e)),
      ["handler:note"],
      "OffAny removes every incoming any-listener, prepended ones included",
    );
    s.disconnect();
  });

  it("should receive outgoing events with onAnyOutgoing (broadcasts included)", async () => {
    const a = await hooks();
    const b = await hooks();
    await readLog(a);
    assert.equal(await ack(a, "emit-out"), "done");
    const log = await readLog(a);
    // emit-out: s.Emit("direct", 1, "a"); namespace Emit("to-all", 2);
    // To(own id).Emit("to-room", 3); then the ack, which is no event
    assert.deepEqual(only(log, "out"), [
      "out-prepended:direct",
      'out:direct [1,"a"]',
      "out-prepended:to-all",
      "out:to-all [2]",
      "out-prepended:to-room",
      "out:to-room [3]",
    ]);
    // a broadcast made by another socket reaches a's outgoing listeners too
    const toAll = waitFor(a, "to-all", 2000);
    await ack(b, "emit-out");
    await toAll;
    assert.deepEqual(only(await readLog(a), "out"), ["out-prepended:to-all", "out:to-all [2]"]);
    a.disconnect();
    b.disconnect();
  });

  it("should stop with offAnyOutgoing", async () => {
    const s = await hooks();
    await ack(s, "off-any-outgoing");
    await readLog(s);
    await ack(s, "emit-out");
    assert.deepEqual(only(await readLog(s), "out"), []);
    s.disconnect();
  });

  it("should run per-packet middleware and drop the packet on error (error reaches OnError)", async () => {
    const s = await hooks();
    let handlerAcked = false;
    const reported = waitFor(s, "hooks-error", 2000);
    s.emit("forbidden", () => {
      handlerAcked = true;
    });
    assert.deepEqual(await reported, ["forbidden event"]);
    const log = await readLog(s); // handled after "forbidden": its handler would have run by now
    assert.ok(log.includes("middleware:forbidden"), log.join("\n"));
    assert.ok(log.includes("error:forbidden event"), log.join("\n"));
    assert.ok(!log.includes("handler:forbidden"), "the handler of a dropped packet must not run");
    assert.equal(handlerAcked, false);
    // an allowed event goes through the middleware, then to its handler
    s.emit("note");
    const next = await readLog(s);
    assert.ok(next.indexOf("middleware:note") >= 0);
    assert.ok(next.indexOf("middleware:note") < next.indexOf("handler:note"), next.join("\n"));
    s.disconnect();
  });

  it("should call onAny listeners before the packet middleware, as the reference does", async () => {
    // socket.io socket.ts onevent(): the any-listeners run, then dispatch()
    // runs the middleware (run()), then the handlers; an event the
    // middleware drops has still been seen by the any-listeners
    const s = await hooks();
    s.emit("note");
    s.emit("forbidden");
    const log = (await readLog(s)).filter((e) => /^(prepended|any1|any2|middleware|handler):/.test(e));
    assert.deepEqual(log, [
      "prepended:note",
      "any1:note []",
      "any2:note",
      "middleware:note",
      "handler:note",
      "prepended:forbidden",
      "any1:forbidden []",
      "any2:forbidden",
      "middleware:forbidden",
    ]);
    s.disconnect();
  });
});

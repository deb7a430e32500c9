// Broadcasting (io.Emit, To/In/Except, Socket.Broadcast/To/Except, Local,
// Volatile, Compress, Send), reserved event names, and acknowledgements of
// broadcasts and of single emits, driven through the server's "do" handler.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { useServer, connected, waitFor, withTimeout, op, record, sentinel, unique } from "./helpers.mjs";

const srv = useServer();
const ws = { transports: ["websocket"] };

/**
 * n connected clients, each greeted: the server's "welcome" (emitted on
 * connection) may arrive in a later read than the CONNECT answer, so a
 * test that records every event starts after it.
 */
async function clients(n, opts = ws) {
  const list = Array.from({ length: n }, () => srv.client("/", opts));
  await Promise.all(list.map((s) => Promise.all([connected(s), waitFor(s, "welcome", 3000)])));
  return list;
}

function disconnectAll(sockets) {
  for (const s of sockets) s.disconnect();
}

const sorted = (xs) => [...xs].sort();

describe("broadcast", () => {
  it("should broadcast to all clients", async () => {
    const all = await clients(3);
    const [a] = all;
    const event = unique("bcast-all");
    const got = all.map((s) => record(s, event));
    await op(a, "emit", { via: "io.emit", event, args: [1, "x", { y: true }] });
    await sentinel(a, all);
    for (const g of got) assert.deepEqual(g, [[1, "x", { y: true }]]);
    disconnectAll(all);
  });

  it("should broadcast to all clients except the sender", async () => {
    const all = await clients(3);
    const [a] = all;
    const event = unique("bcast-others");
    const [ga, gb, gc] = all.map((s) => record(s, event));
    await op(a, "emit", { via: "socket.broadcast", event, args: ["hi"] });
    await sentinel(a, all);
    assert.deepEqual(ga, [], "the sender must not get its own broadcast");
    assert.deepEqual(gb, [["hi"]]);
    assert.deepEqual(gc, [["hi"]]);
    disconnectAll(all);
  });

  it("should emit to a room", async () => {
    const all = await clients(4);
    const [a, b, , d] = all;
    const room = unique("room");
    await op(a, "join", { rooms: [room] });
    await op(b, "join", { rooms: [room] });
    const event = unique("to-room");
    const [ga, gb, gc, gd] = all.map((s) => record(s, event));
    await op(d, "emit", { via: "io.to", rooms: [room], event, args: [room] });
    await sentinel(d, all);
    assert.deepEqual(ga, [[room]]);
    assert.deepEqual(gb, [[room]]);
    assert.deepEqual(gc, [], "a socket outside the room must not get the event");
    assert.deepEqual(gd, [], "the emitter is not in the room");
    disconnectAll(all);
  });

  it("should exclude the sender with to(room)", async () => {
    const all = await clients(3);
    const [a, b] = all;
    const room = unique("room");
    await op(a, "join", { rooms: [room] });
    await op(b, "join", { rooms: [room] });
    const event = unique("socket-to");
    const [ga, gb, gc] = all.map((s) => record(s, event));
    await op(a, "emit", { via: "socket.to", rooms: [room], event, args: ["from a"] });
    await sentinel(a, all);
    assert.deepEqual(ga, [], "socket.To(room) must leave out the sender, even in the room");
    assert.deepEqual(gb, [["from a"]]);
    assert.deepEqual(gc, []);
    disconnectAll(all);
  });

  it("should emit to several rooms without duplicates", async () => {
    const all = await clients(4);
    const [a, b, c, d] = all;
    const [r1, r2, r3] = [unique("r1"), unique("r2"), unique("r3")];
    await op(a, "join", { rooms: [r1, r2] });
    await op(b, "join", { rooms: [r2] });
    await op(c, "join", { rooms: [r3] });
    const event = unique("multi");
    const [ga, gb, gc, gd] = all.map((s) => record(s, event));
    await op(d, "emit", { via: "io.to", rooms: [r1, r2], event, args: [] });
    await sentinel(d, all);
    assert.equal(ga.length, 1, "a socket in two of the rooms gets the event exactly once");
    assert.equal(gb.length, 1);
    assert.equal(gc.length, 0);
    assert.equal(gd.length, 0);
    disconnectAll(all);
  });

  it("should exclude sockets in except(room)", async () => {
    const all = await clients(4);
    const [a, b, c, d] = all;
    const ex = unique("except");
    await op(a, "join", { rooms: [ex] });
    await op(b, "join", { rooms: [ex] });
    const event = unique("except-ev");
    const [ga, gb, gc, gd] = all.map((s) => record(s, event));
    await op(d, "emit", { via: "io.except", except: [ex], event, args: ["e"] });
    await sentinel(d, all);
    assert.deepEqual(ga, []);
    assert.deepEqual(gb, []);
    assert.deepEqual(gc, [["e"]]);
    assert.deepEqual(gd, [["e"]]);
    disconnectAll(all);
  });

  it("should combine to(room) and except(room)", async () => {
    const all = await clients(3);
    const [a, b, c] = all;
    const [room, ex] = [unique("room"), unique("except")];
    await op(a, "join", { rooms: [room, ex] });
    await op(b, "join", { rooms: [room] });
    const event = unique("to-except");
    const [ga, gb, gc] = all.map((s) => record(s, event));
    await op(c, "emit", { via: "io.to.except", rooms: [room], except: [ex], event, args: [] });
    await sentinel(c, all);
    assert.equal(ga.length, 0, "in the room but also in the excluded room");
    assert.equal(gb.length, 1);
    assert.equal(gc.length, 0);
    disconnectAll(all);
  });

  it("should exclude the sender and the sockets in except(room) with socket.except()", async () => {
    const all = await clients(3);
    const [a, b, c] = all;
    const ex = unique("except");
    await op(b, "join", { rooms: [ex] });
    const event = unique("socket-except");
    const [ga, gb, gc] = all.map((s) => record(s, event));
    await op(a, "emit", { via: "socket.except", except: [ex], event, args: [] });
    await sentinel(a, all);
    assert.equal(ga.length, 0);
    assert.equal(gb.length, 0);
    assert.equal(gc.length, 1);
    disconnectAll(all);
  });

  it("should emit with in() like to()", async () => {
    const all = await clients(3);
    const [a, , c] = all;
    const room = unique("room");
    await op(a, "join", { rooms: [room] });
    const event = unique("in-ev");
    const [ga, gb, gc] = all.map((s) => record(s, event));
    await op(c, "emit", { via: "io.in", rooms: [room], event, args: ["in"] });
    await sentinel(c, all);
    assert.deepEqual(ga, [["in"]]);
    assert.deepEqual(gb, []);
    assert.deepEqual(gc, []);
    disconnectAll(all);
  });

  it("should emit to a socket's own id room", async () => {
    const all = await clients(3);
    const [a, b] = all;
    const event = unique("own-id");
    const [ga, gb, gc] = all.map((s) => record(s, event));
    await op(b, "emit", { via: "io.to", rooms: [a.id], event, args: ["for a"] });
    await sentinel(b, all);
    assert.deepEqual(ga, [["for a"]]);
    assert.deepEqual(gb, []);
    assert.deepEqual(gc, []);
    disconnectAll(all);
  });

  it("should use local() for broadcasts", async () => {
    const all = await clients(3);
    const [a, b] = all;
    const room = unique("room");
    await op(b, "join", { rooms: [room] });
    const event = unique("local");
    const got = all.map((s) => record(s, event));
    await op(a, "emit", { via: "io.local", event, args: ["all"] });
    await op(a, "emit", { via: "io.local.to", rooms: [room], event, args: ["room"] });
    await sentinel(a, all);
    assert.deepEqual(got[0], [["all"]]);
    assert.deepEqual(got[1], [["all"], ["room"]]);
    assert.deepEqual(got[2], [["all"]]);
    disconnectAll(all);
  });

  it("should send with compress(false)", async () => {
    const all = await clients(2);
    const [a, b] = all;
    const event = unique("nocomp");
    const [ga, gb] = all.map((s) => record(s, event));
    const big = "z".repeat(5000); // above any compression threshold
    await op(a, "emit", { via: "socket.compress", event, args: ["socket", big] });
    await op(a, "emit", { via: "io.compress", event, args: ["io", big] });
    await sentinel(a, all);
    assert.deepEqual(ga, [["socket", big], ["io", big]]);
    assert.deepEqual(gb, [["io", big]]);
    disconnectAll(all);
  });

  it("should deliver volatile events to a ready client", async () => {
    const all = await clients(2);
    const [a, b] = all;
    const event = unique("volatile");
    const [ga, gb] = all.map((s) => record(s, event));
    await op(a, "emit", { via: "socket.volatile", event, args: ["socket"] });
    // the op's ack is queued after the event: it has arrived by now
    assert.deepEqual(ga, [["socket"]]);
    await op(a, "emit", { via: "io.volatile", event, args: ["io"] });
    await sentinel(a, all);
    assert.deepEqual(ga, [["socket"], ["io"]]);
    assert.deepEqual(gb, [["io"]]);
    disconnectAll(all);
  });

  it("should not emit a volatile event right after a regular event (polling)", async () => {
    // As in the reference's test: after a regular emit, the long-polling
    // transport is not writable until the client polls again, so the
    // volatile event that follows is dropped.
    const [a] = await clients(1, { transports: ["polling"] });
    const event = unique("vol-after");
    const got = record(a, event);
    await op(a, "emit", { via: "socket.emit+volatile", event });
    // the ack was queued after both events
    assert.deepEqual(got, [["regular"]]);
    a.disconnect();
  });

  it("should send and receive with send()/message event", async () => {
    const all = await clients(2);
    const [a, b] = all;
    const back = waitFor(a, "message");
    a.send("hello", { n: 1 });
    assert.deepEqual(await back, ["hello", { n: 1 }]);
    const [ga, gb] = all.map((s) => record(s, "message"));
    await op(a, "emit", { via: "socket.send", args: ["socket.send"] });
    await op(a, "emit", { via: "io.send", args: ["io.send", 2] });
    await sentinel(a, all);
    assert.deepEqual(ga, [["socket.send"], ["io.send", 2]]);
    assert.deepEqual(gb, [["io.send", 2]]);
    disconnectAll(all);
  });

  it("should refuse to emit reserved event names", async () => {
    const all = await clients(2);
    const [a, b] = all;
    const reserved = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];
    const seen = [];
    for (const s of all) s.onAny((ev) => seen.push(ev));
    for (const event of reserved) {
      const errs = await op(a, "emit-reserved", { event });
      for (const [api, err] of Object.entries(errs)) {
        assert.equal(typeof err, "string", `${api}("${event}") must return an error`);
        assert.match(err, /reserved/, `${api}("${event}")`);
      }
    }
    await sentinel(a, all);
    assert.deepEqual(
      seen.filter((ev) => !ev.startsWith("sentinel-")),
      [],
      "no reserved event may reach a client",
    );
    assert.ok(a.connected && b.connected);
    disconnectAll(all);
  });
});

describe("broadcast acks", () => {
  /** n clients in a fresh room, each answering "question" with answer(i). */
  async function room(n, answer) {
    const list = await clients(n);
    const name = unique("ack-room");
    for (const s of list) await op(s, "join", { rooms: [name] });
    list.forEach((s, i) => s.on("question", (...args) => answer(i, args)));
    return { list, name };
  }

  it("should collect a broadcast ack from every client", async () => {
    const { list, name } = await room(3, (i, [q, cb]) => cb(`answer-${i}-${q}`, "second arg is dropped"));
    const [requester] = await clients(1);
    const res = await op(requester, "broadcast-ack", { rooms: [name], timeout: 2000, event: "question", args: ["q"] });
    assert.equal(res.error, null);
    assert.deepEqual(sorted(res.responses), ["answer-0-q", "answer-1-q", "answer-2-q"]);
    disconnectAll([...list, requester]);
  });

  it("should complete a broadcast ack without a timeout once every client answered", async () => {
    const { list, name } = await room(2, (i, [, cb]) => cb({ i }));
    const [requester] = await clients(1);
    const res = await op(requester, "broadcast-ack", { rooms: [name], event: "question", args: [1] });
    assert.equal(res.error, null);
    assert.deepEqual(res.responses.map((r) => r.i).sort(), [0, 1]);
    disconnectAll([...list, requester]);
  });

  it("should complete a broadcast ack at once when no client is targeted", async () => {
    const [requester] = await clients(1);
    const res = await op(requester, "broadcast-ack", {
      rooms: [unique("empty-room")],
      timeout: 2000,
      event: "question",
    });
    assert.equal(res.error, null);
    assert.deepEqual(res.responses, []);
    assert.ok(res.elapsed < 1000, `took ${res.elapsed} ms; nobody has to answer`);
    requester.disconnect();
  });

  it("should timeout a broadcast ack and return partial responses", async () => {
    let late;
    const { list, name } = await room(3, (i, [, cb]) => {
      if (i === 2) late = cb; // never answers in time
      else cb(`answer-${i}`);
    });
    const [requester] = await clients(1);
    const res = await op(requester, "broadcast-ack", { rooms: [name], timeout: 300, event: "question", args: ["q"] });
    assert.equal(res.error, "operation has timed out");
    assert.equal(res.isTimeout, true);
    assert.deepEqual(sorted(res.responses), ["answer-0", "answer-1"]);
    assert.deepEqual(sorted(res.errorResponses), ["answer-0", "answer-1"], "AckTimeoutError.Responses");
    assert.ok(res.elapsed >= 250 && res.elapsed < 2000, `timed out after ${res.elapsed} ms`);
    assert.equal(typeof late, "function");
    disconnectAll([...list, requester]);
  });

  it("should ignore an ack that arrives after the broadcast timed out", async () => {
    const pending = [];
    const { list, name } = await room(3, (i, [round, cb]) => {
      if (i === 2) pending.push(cb); // socket 2 never answers in time
      else cb(`round-${round}-${i}`);
    });
    const [requester] = await clients(1);
    const first = await op(requester, "broadcast-ack", { rooms: [name], timeout: 200, event: "question", args: [1] });
    assert.equal(first.isTimeout, true);
    assert.deepEqual(sorted(first.responses), ["round-1-0", "round-1-1"]);
    // a second broadcast; as soon as socket 2 has got it, it answers the
    // FIRST one, late: that answer must count for neither
    const asked = waitFor(list[2], "question", 3000);
    const second = op(requester, "broadcast-ack", { rooms: [name], timeout: 500, event: "question", args: [2] });
    await asked;
    assert.equal(pending.length, 2);
    pending[0]("late answer to round 1");
    const res = await second;
    assert.equal(res.isTimeout, true, "socket 2 did not answer round 2: its late round-1 ack must not complete it");
    assert.deepEqual(sorted(res.responses), ["round-2-0", "round-2-1"]);
    disconnectAll([...list, requester]);
  });

  it("should emitWithAck to a client with timeout", async () => {
    const [a] = await clients(1);
    let asked = 0;
    a.on("no-answer", () => asked++); // never acks
    const res = await op(a, "emit-with-ack", { event: "no-answer", args: ["x"], timeout: 200 });
    assert.equal(res.error, "operation has timed out");
    assert.equal(res.isTimeout, true);
    assert.equal(asked, 1);
    a.disconnect();
  });

  it("should emitWithAck to a client and get its answer", async () => {
    const [a] = await clients(1);
    a.on("please-answer", (x, cb) => cb(`got ${x}`, 2, { three: 3 }));
    const res = await op(a, "emit-with-ack", { event: "please-answer", args: ["x"], timeout: 2000 });
    assert.equal(res.error, null);
    assert.deepEqual(res.args, ["got x", 2, { three: 3 }]);
    a.disconnect();
  });

  it("should run the handlers of one client in order even when a handler waits for an ack from that client", async () => {
    const [a] = await clients(1);
    const seq = [];
    // answered late on purpose: were the later events handled while
    // "ask-client" waits, their answers would come first
    a.on("question", (cb) => {
      seq.push("question");
      setTimeout(() => cb("answer"), 100);
    });
    let secondBack;
    const backs = new Promise((resolve) => (secondBack = resolve));
    a.on("emit-back", (n) => {
      seq.push(`emit-back ${n}`);
      if (n === 2) secondBack();
    });
    const asked = new Promise((resolve, reject) =>
      a.timeout(3000).emit("ask-client", "question", (err, ...args) => {
        if (err) return reject(err);
        seq.push("ask-client acked");
        resolve(args);
      }),
    );
    a.emit("emit-back", 1);
    a.emit("emit-back", 2);
    assert.deepEqual(await asked, [null, "answer"]);
    await withTimeout(backs, 3000, "emit-back 2");
    assert.deepEqual(seq, ["question", "ask-client acked", "emit-back 1", "emit-back 2"]);
    a.disconnect();
  });
});

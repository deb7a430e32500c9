// Rooms (Join/Leave/Rooms, rooms on disconnect, adapter room events), the
// cluster-wide utilities on a single server (FetchSockets, RemoteSocket,
// SocketsJoin/SocketsLeave, DisconnectSockets) and ServerSideEmit with the
// in-memory adapter, driven through the server's "do" handler.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Manager } from "socket.io-client";
import { useServer, connected, waitFor, ack, op, record, sentinel, unique } from "./helpers.mjs";

const srv = useServer();
const ws = { transports: ["websocket"] };

async function clients(n, opts = ws) {
  const list = Array.from({ length: n }, () => srv.client("/", opts));
  await Promise.all(list.map((s) => connected(s)));
  return list;
}

function disconnectAll(sockets) {
  for (const s of sockets) s.disconnect();
}

const sorted = (xs) => [...xs].sort();
const ids = (fetched) => sorted(fetched.map((f) => f.id));

/** A Manager with a socket on "/" and one on "/admin" (one connection). */
async function twoNamespaces() {
  const manager = srv.track(new Manager(srv.url, { reconnection: false, transports: ["websocket"] }));
  const main = srv.track(manager.socket("/"));
  const admin = srv.track(manager.socket("/admin"));
  await Promise.all([connected(main), connected(admin)]);
  return { manager, main, admin };
}

describe("rooms", () => {
  it("should join and leave rooms", async () => {
    const [a, b] = await clients(2);
    const [r1, r2] = [unique("r1"), unique("r2")];
    assert.deepEqual(await op(a, "join", { rooms: [r1, r2] }), sorted([a.id, r1, r2]));
    assert.deepEqual(await op(a, "rooms", { room: r1 }), { rooms: sorted([a.id, r1, r2]), in: true });
    assert.deepEqual(await op(a, "leave", { room: r1 }), sorted([a.id, r2]));
    assert.deepEqual(await op(a, "rooms", { room: r1 }), { rooms: sorted([a.id, r2]), in: false });
    // a broadcast to the room left no longer reaches the socket
    const event = unique("left-room");
    const got = record(a, event);
    await op(b, "emit", { via: "io.to", rooms: [r1], event });
    await op(b, "emit", { via: "io.to", rooms: [r2], event, args: ["r2"] });
    await sentinel(b, [a]);
    assert.deepEqual(got, [["r2"]]);
    disconnectAll([a, b]);
  });

  it("should be in its own id room from the start", async () => {
    const [a] = await clients(1);
    assert.deepEqual(await op(a, "rooms", { room: a.id }), { rooms: [a.id], in: true });
    a.disconnect();
  });

  it("should not fail to leave a room the socket is not in", async () => {
    const [a] = await clients(1);
    assert.deepEqual(await op(a, "leave", { room: unique("never-joined") }), [a.id]);
    a.disconnect();
  });

  it("should leave all rooms on disconnect", async () => {
    const [a, observer] = await clients(2);
    const room = unique("room");
    await op(a, "join", { rooms: [room] });
    assert.deepEqual(ids(await op(observer, "fetch", { rooms: [room] })), [a.id]);
    const id = a.id;
    a.disconnect();
    assert.equal(await ack(observer, "wait-disconnect", id), "client namespace disconnect");
    assert.deepEqual(await op(observer, "fetch", { rooms: [room] }), []);
    assert.deepEqual(await op(observer, "fetch", { rooms: [id] }), [], "its own id room is gone too");
    observer.disconnect();
  });

  it("should keep rooms present in disconnecting", async () => {
    const [a, observer] = await clients(2);
    const [r1, r2] = [unique("r1"), unique("r2")];
    await op(a, "join", { rooms: [r1, r2] });
    const id = a.id;
    a.disconnect();
    const info = await op(observer, "disconnect-info", { id });
    assert.equal(info.reason, "client namespace disconnect");
    assert.deepEqual(info.disconnecting, sorted([id, r1, r2]), "rooms in OnDisconnecting");
    assert.deepEqual(info.disconnect, [], "rooms in OnDisconnect");
    observer.disconnect();
  });

  it("should emit create-room, join-room, leave-room and delete-room adapter events", async () => {
    const [a, b, observer] = await clients(3);
    const room = unique("room");
    await op(a, "join", { rooms: [room] });
    await op(b, "join", { rooms: [room] }); // exists: join-room only
    await op(a, "leave", { room }); // b still in it: leave-room only
    const [aID, bID] = [a.id, b.id];
    a.disconnect();
    b.disconnect();
    await ack(observer, "wait-disconnect", aID);
    await ack(observer, "wait-disconnect", bID);
    const events = [
      ...(await op(observer, "room-events", { id: aID, rooms: [room] })),
      ...(await op(observer, "room-events", { id: bID })),
    ];
    // events of each room, in order (DelAll may go through rooms in any order)
    const of = (r) => {
      const seen = new Set();
      return events
        .filter((e) => e.room === r)
        .map((e) => [e.type, e.id ?? ""])
        .filter((e) => {
          const k = JSON.stringify(e);
          return seen.has(k) ? false : (seen.add(k), true); // both queries may return an event
        });
    };
    assert.deepEqual(of(room), [
      ["create-room", ""],
      ["join-room", aID],
      ["join-room", bID],
      ["leave-room", aID],
      ["leave-room", bID],
      ["delete-room", ""],
    ]);
    for (const id of [aID, bID]) {
      assert.deepEqual(
        of(id),
        [
          ["create-room", ""],
          ["join-room", id],
          ["leave-room", id],
          ["delete-room", ""],
        ],
        `the own-id room ${id}`,
      );
    }
    observer.disconnect();
  });
});

describe("fetchSockets", () => {
  it("should fetch all sockets", async () => {
    const all = await clients(3);
    const fetched = await op(all[0], "fetch");
    for (const s of all) {
      const f = fetched.find((x) => x.id === s.id);
      assert.ok(f, `socket ${s.id} fetched`);
      assert.equal(f.local, true, "RemoteSocket.Local() of a socket of this server");
      assert.deepEqual(f.rooms, [s.id]);
    }
    disconnectAll(all);
  });

  it("should fetch sockets in a room", async () => {
    const [room, other] = [unique("fetch"), unique("other")];
    const mk = (name) =>
      srv.client("/", {
        transports: ["websocket"],
        auth: { name },
        query: { x: `q-${name}` },
        extraHeaders: { "x-test": `h-${name}` },
      });
    const [a, b] = [mk("alice"), mk("bob")];
    const [c] = await clients(1);
    await Promise.all([connected(a), connected(b)]);
    await op(a, "join", { rooms: [room] });
    await op(b, "join", { rooms: [room, other] });
    await op(a, "set-data", { data: { nick: "alice", n: 1 } });
    await op(b, "set-data", { data: { nick: "bob", list: [1, 2] } });
    const fetched = await op(c, "fetch", { rooms: [room] });
    const expected = [
      { s: a, name: "alice", rooms: sorted([a.id, room]), data: { nick: "alice", n: 1 } },
      { s: b, name: "bob", rooms: sorted([b.id, room, other]), data: { nick: "bob", list: [1, 2] } },
    ].sort((x, y) => (x.s.id < y.s.id ? -1 : 1));
    assert.equal(fetched.length, 2);
    expected.forEach((e, i) => {
      const f = fetched[i];
      assert.equal(f.id, e.s.id);
      assert.deepEqual(f.rooms, e.rooms);
      assert.deepEqual(f.data, e.data);
      assert.deepEqual(f.handshake.auth, { name: e.name });
      assert.equal(f.handshake.query, `q-${e.name}`);
      assert.equal(f.handshake.header, `h-${e.name}`);
    });
    // except()
    assert.deepEqual(ids(await op(c, "fetch", { rooms: [room], except: [other] })), [a.id]);
    disconnectAll([a, b, c]);
  });

  it("should emit to a fetched socket with RemoteSocket.Emit", async () => {
    const all = await clients(3);
    const [a, , c] = all;
    const event = unique("remote-emit");
    const got = all.map((s) => record(s, event));
    await op(c, "remote", { id: a.id, action: "emit", event, args: [1, "two"] });
    await sentinel(c, all);
    assert.deepEqual(got, [[[1, "two"]], [], []]);
    disconnectAll(all);
  });

  it("should make a fetched socket join and leave rooms with RemoteSocket.Join/Leave", async () => {
    const [a, b] = await clients(2);
    const [r1, r2] = [unique("rj1"), unique("rj2")];
    await op(b, "remote", { id: a.id, action: "join", rooms: [r1, r2] });
    assert.deepEqual((await op(a, "rooms")).rooms, sorted([a.id, r1, r2]));
    assert.deepEqual(ids(await op(b, "fetch", { rooms: [r1] })), [a.id]);
    await op(b, "remote", { id: a.id, action: "leave", rooms: [r1] });
    assert.deepEqual((await op(a, "rooms")).rooms, sorted([a.id, r2]));
    assert.deepEqual((await op(b, "rooms")).rooms, [b.id], "the requester is untouched");
    disconnectAll([a, b]);
  });

  it("should disconnect a fetched socket with RemoteSocket.Disconnect", async () => {
    const [a, b] = await clients(2);
    const id = a.id;
    const disconnected = waitFor(a, "disconnect", 2000);
    await op(b, "remote", { id, action: "disconnect" });
    assert.equal((await disconnected)[0], "io server disconnect");
    assert.equal(await ack(b, "wait-disconnect", id), "server namespace disconnect");
    assert.equal(b.connected, true);
    b.disconnect();
  });
});

describe("socketsJoin / socketsLeave / disconnectSockets", () => {
  it("should make all sockets join a room with socketsJoin", async () => {
    const all = await clients(3);
    const room = unique("all-join");
    await op(all[0], "sockets-join", { rooms: [room] });
    const fetched = ids(await op(all[0], "fetch", { rooms: [room] }));
    for (const s of all) assert.ok(fetched.includes(s.id), `${s.id} joined`);
    for (const s of all) assert.ok((await op(s, "rooms")).rooms.includes(room));
    disconnectAll(all);
  });

  it("should make the sockets in a room join another room with in().socketsJoin()", async () => {
    const [a, b, c] = await clients(3);
    const [src, dst] = [unique("src"), unique("dst")];
    await op(a, "join", { rooms: [src] });
    await op(b, "join", { rooms: [src] });
    await op(c, "sockets-join", { in: [src], rooms: [dst] });
    assert.deepEqual(ids(await op(c, "fetch", { rooms: [dst] })), sorted([a.id, b.id]));
    disconnectAll([a, b, c]);
  });

  it("should make all sockets leave a room with socketsLeave", async () => {
    const all = await clients(3);
    const room = unique("all-leave");
    for (const s of all) await op(s, "join", { rooms: [room] });
    assert.equal((await op(all[0], "fetch", { rooms: [room] })).length, 3);
    await op(all[0], "sockets-leave", { rooms: [room] });
    assert.deepEqual(await op(all[0], "fetch", { rooms: [room] }), []);
    disconnectAll(all);
  });

  it("should make the sockets in a room leave a room with in().socketsLeave()", async () => {
    const [a, b, c] = await clients(3);
    const [room, filter] = [unique("leave"), unique("filter")];
    for (const s of [a, b]) await op(s, "join", { rooms: [room] });
    await op(a, "join", { rooms: [filter] });
    await op(c, "sockets-leave", { in: [filter], rooms: [room] });
    assert.deepEqual(ids(await op(c, "fetch", { rooms: [room] })), [b.id]);
    disconnectAll([a, b, c]);
  });

  it("should disconnect sockets with disconnectSockets", async () => {
    const a = await twoNamespaces();
    const [b, c] = await clients(2);
    const room = unique("disc");
    await op(a.main, "join", { rooms: [room] });
    await op(b, "join", { rooms: [room] });
    const [aID, bID] = [a.main.id, b.id];
    const reasons = Promise.all([waitFor(a.main, "disconnect", 2000), waitFor(b, "disconnect", 2000)]);
    await op(c, "disconnect-sockets", { in: [room] });
    assert.deepEqual(
      (await reasons).map(([reason]) => reason),
      ["io server disconnect", "io server disconnect"],
    );
    assert.equal(await ack(c, "wait-disconnect", aID), "server namespace disconnect");
    assert.equal(await ack(c, "wait-disconnect", bID), "server namespace disconnect");
    // close=false: the other namespace of a's connection, and c, stay
    assert.equal(await ack(a.admin, "admin-only"), "admin-only-ok");
    assert.equal(a.admin.connected, true);
    assert.equal(await ack(c, "echo", "still"), "still");
    a.admin.disconnect();
    c.disconnect();
  });

  it("should disconnect sockets and close their connections with disconnectSockets(true)", async () => {
    const a = await twoNamespaces();
    const [c] = await clients(1);
    const room = unique("disc-close");
    await op(a.main, "join", { rooms: [room] });
    const [mainID, adminID] = [a.main.id, a.admin.id];
    const closed = waitFor(a.manager.engine, "close", 3000);
    const reasons = Promise.all([waitFor(a.main, "disconnect", 2000), waitFor(a.admin, "disconnect", 2000)]);
    await op(c, "disconnect-sockets", { in: [room], close: true });
    assert.deepEqual(
      (await reasons).map(([reason]) => reason),
      ["io server disconnect", "io server disconnect"],
    );
    await closed;
    assert.equal(await ack(c, "wait-disconnect", mainID), "server namespace disconnect");
    assert.equal(await ack(c, "wait-disconnect", adminID), "server namespace disconnect");
    assert.equal(await ack(c, "echo", "still"), "still");
    c.disconnect();
  });
});

describe("serverSideEmit", () => {
  it("should return an error for serverSideEmit with the in-memory adapter", async () => {
    const [a] = await clients(1);
    const res = await op(a, "server-side-emit", { event: "hello" });
    assert.match(res.emit, /not supported/);
    assert.equal(res.emitNotSupported, true, "errors.Is(err, adapter.ErrNotSupported)");
    assert.match(res.emitWithAck, /not supported/);
    a.disconnect();
  });

  it("should refuse reserved names in serverSideEmit", async () => {
    const [a] = await clients(1);
    for (const event of ["connect", "connection", "new_namespace"]) {
      const res = await op(a, "server-side-emit", { event });
      assert.equal(res.emitReserved, true, `ServerSideEmit("${event}"): ${res.emit}`);
      assert.equal(res.emitWithAckReserved, true, `ServerSideEmitWithAck("${event}"): ${res.emitWithAck}`);
    }
    a.disconnect();
  });
});

// Namespaces: middleware, dynamic namespaces (OfRegexp, OfFunc), their
// parent's middleware and handlers, OnNewNamespace, ParentNamespace.Emit,
// CleanupEmptyChildNamespaces, and names without a leading slash.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { useServer, startServer, connected, waitFor, ack, op, record, sentinel, unique } from "./helpers.mjs";

const srv = useServer();
const ws = { transports: ["websocket"] };

async function main() {
  const s = srv.client("/", ws);
  await connected(s);
  return s;
}

/** Connects to nsp and resolves with [socket, welcome payload]. */
async function joinWelcomed(nsp, opts = {}, url = srv.url) {
  const socket = srv.track(io(url + nsp, { forceNew: true, reconnection: false, timeout: 3000, ...ws, ...opts }));
  const welcome = waitFor(socket, "welcome", 3000);
  await connected(socket);
  const [w] = await welcome;
  return [socket, w];
}

async function connectError(nsp, opts = {}) {
  const socket = srv.client(nsp, { ...ws, ...opts });
  const [err] = await waitFor(socket, "connect_error", 3000);
  socket.disconnect();
  return err;
}

describe("namespace middleware", () => {
  it("should run namespace middleware in order", async () => {
    const socket = srv.client("/mw-order", ws);
    const order = waitFor(socket, "mw-order", 3000);
    await connected(socket);
    assert.deepEqual((await order)[0], ["first", "second", "third", "connection"]);
    socket.disconnect();
  });

  it("should reject a connection with middleware error data", async () => {
    const tag = unique("tag");
    const err = await connectError("/mw-reject", { auth: { tag, reject: true } });
    assert.equal(err.message, "rejected by mw2");
    assert.deepEqual(err.data, { tag });
  });

  it("should not run the connection handler when middleware rejects", async () => {
    const observer = await main();
    const tag = unique("tag");
    await connectError("/mw-reject", { auth: { tag, reject: true } });
    // the later middleware and the connection handler never run
    assert.deepEqual(await op(observer, "mw-log", { tag }), ["mw1", "mw2"]);
    const accepted = unique("tag");
    const socket = srv.client("/mw-reject", { ...ws, auth: { tag: accepted } });
    await connected(socket);
    assert.deepEqual(await op(observer, "mw-log", { tag: accepted }), ["mw1", "mw2", "mw3", "connection"]);
    socket.disconnect();
    observer.disconnect();
  });
});

describe("dynamic namespaces", () => {
  it("should create a child namespace from a regexp", async () => {
    const observer = await main();
    const name = "/" + unique("dyn");
    assert.ok(!(await op(observer, "children", { parent: "dyn" })).includes(name));
    const [socket, welcome] = await joinWelcomed(name);
    assert.deepEqual(welcome, { id: socket.id, nsp: name, parent: "dyn" });
    assert.equal(await ack(socket, "echo", "in child"), "in child");
    assert.ok((await op(observer, "children", { parent: "dyn" })).includes(name));
    socket.disconnect();
    observer.disconnect();
  });

  it("should refuse a name that no parent matches", async () => {
    const err = await connectError("/DYN-not-matched");
    assert.equal(err.message, "Invalid namespace");
  });

  it("should reuse a child namespace for later clients", async () => {
    const observer = await main();
    const name = "/" + unique("dyn");
    const [a] = await joinWelcomed(name);
    const [b] = await joinWelcomed(name);
    const created = (await op(observer, "new-namespaces")).filter((n) => n === name);
    assert.equal(created.length, 1, "the child is created once");
    const event = unique("shared");
    const got = [a, b].map((s) => record(s, event));
    await op(observer, "emit", { via: "nsp.emit", nsp: name, event });
    await sentinel(observer, [a, b]);
    assert.deepEqual(got, [[[]], [[]]]);
    a.disconnect();
    b.disconnect();
    observer.disconnect();
  });

  it("should create a child namespace from a function", async () => {
    // the matcher reads the client's auth: {allow: true}
    const name = "/" + unique("fn");
    const [socket, welcome] = await joinWelcomed(name, { auth: { allow: true, extra: "x" } });
    assert.deepEqual(welcome, { id: socket.id, nsp: name, parent: "fn", auth: { allow: true, extra: "x" } });
    socket.disconnect();
    const refused = await connectError("/" + unique("fn"), { auth: { allow: false } });
    assert.equal(refused.message, "Invalid namespace");
  });

  it("should refuse the connection when the namespace function returns an error", async () => {
    const err = await connectError("/" + unique("fn"), { auth: { allow: true, fail: true } });
    assert.equal(err.message, "Invalid namespace");
  });

  it("should copy the parent's middleware to child namespaces", async () => {
    const name = "/" + unique("dyn");
    const err = await connectError(name, { auth: { deny: true } });
    assert.equal(err.message, "denied by parent");
    assert.deepEqual(err.data, { nsp: name });
    const [socket] = await joinWelcomed(name);
    assert.deepEqual(await ack(socket, "get-data"), { parentMiddleware: name });
    socket.disconnect();
  });

  it("should not apply a middleware added to the parent later to existing children", async () => {
    const observer = await main();
    const existing = "/" + unique("late");
    const [before] = await joinWelcomed(existing);
    await op(observer, "late-parent-use"); // adds a middleware refusing everything
    const [again, welcome] = await joinWelcomed(existing);
    assert.equal(welcome.nsp, existing);
    const err = await connectError("/" + unique("late"));
    assert.equal(err.message, "late middleware", "a child created afterwards gets it");
    before.disconnect();
    again.disconnect();
    observer.disconnect();
  });

  it("should emit new_namespace", async () => {
    const observer = await main();
    const name = "/" + unique("dyn");
    const [socket] = await joinWelcomed(name);
    const names = await op(observer, "new-namespaces");
    assert.equal(names.filter((n) => n === name).length, 1);
    for (const n of ["/admin", "/guarded", "/hooks"]) assert.ok(names.includes(n), `static ${n}`);
    assert.ok(!names.includes("/"), "not for the main namespace");
    socket.disconnect();
    observer.disconnect();
  });

  it("should broadcast to all children of a parent namespace", async () => {
    const observer = await main();
    const [c1] = await joinWelcomed("/" + unique("dyn"));
    const [c2] = await joinWelcomed("/" + unique("dyn"));
    const [other] = await joinWelcomed("/" + unique("fn"), { auth: { allow: true } });
    const event = unique("parent-emit");
    const [g1, g2, gOther, gMain] = [c1, c2, other, observer].map((s) => record(s, event));
    await op(observer, "emit", { via: "parent.emit", parent: "dyn", event, args: ["to children"] });
    await sentinel(observer, [c1, c2, other, observer]);
    assert.deepEqual(g1, [["to children"]]);
    assert.deepEqual(g2, [["to children"]]);
    assert.deepEqual(gOther, [], "a child of another parent");
    assert.deepEqual(gMain, []);
    for (const s of [c1, c2, other, observer]) s.disconnect();
  });

  it("should attach io.of(name) to a matching regexp parent namespace", async () => {
    // server: io.Of("/dyn-static") after io.OfRegexp(^/dyn-...$). The
    // reference (index.ts of()) creates it as a child of that parent: it
    // gets the parent's middleware and connection handlers.
    const observer = await main();
    const children = await op(observer, "children", { parent: "dyn" });
    observer.disconnect();
    assert.ok(children.includes("/dyn-static"), `"/dyn-static" is a child of the regexp parent: ${children}`);
    const [socket, welcome] = await joinWelcomed("/dyn-static");
    assert.deepEqual(welcome, { id: socket.id, nsp: "/dyn-static", parent: "dyn" });
    socket.disconnect();
  });

  it("should keep empty child namespaces without CleanupEmptyChildNamespaces", async () => {
    const observer = await main();
    const name = "/" + unique("dyn");
    const [socket] = await joinWelcomed(name);
    const id = socket.id;
    socket.disconnect();
    await ack(observer, "wait-disconnect", id);
    assert.ok((await op(observer, "children", { parent: "dyn" })).includes(name));
    observer.disconnect();
  });

  it("should cleanup empty child namespaces", async () => {
    const server = await startServer({ env: { CLEANUP_CHILD_NAMESPACES: "1" } });
    const opts = { forceNew: true, reconnection: false, timeout: 3000, ...ws };
    const observer = io(server.url, opts);
    const sockets = [observer];
    try {
      await connected(observer);
      const name = "/" + unique("dyn");
      const [a] = await joinWelcomed(name, {}, server.url);
      const [b] = await joinWelcomed(name, {}, server.url);
      sockets.push(a, b);
      const isChild = async () => (await op(observer, "children", { parent: "dyn" })).includes(name);
      assert.equal(await isChild(), true);
      const [aID, bID] = [a.id, b.id];
      a.disconnect();
      await ack(observer, "wait-disconnect", aID);
      assert.equal(await isChild(), true, "b is still in it");
      b.disconnect();
      await ack(observer, "wait-disconnect", bID);
      assert.equal(await isChild(), false, "removed with its last socket");
      // connecting again creates it afresh
      const [c, welcome] = await joinWelcomed(name, {}, server.url);
      sockets.push(c);
      assert.equal(welcome.nsp, name);
      assert.equal((await op(observer, "new-namespaces")).filter((n) => n === name).length, 2);
      assert.equal(await isChild(), true);
    } finally {
      for (const s of sockets) s.disconnect();
      await server.stop();
    }
  });

  it("should add a missing leading slash to a namespace name", async () => {
    // server: io.Of("admin2")
    const socket = srv.client("/admin2", ws);
    await connected(socket);
    assert.equal(await ack(socket, "who"), "/admin2");
    socket.disconnect();
  });
});

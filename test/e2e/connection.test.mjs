// Connecting, the transports, the upgrade, auth, namespace refusals and
// disconnections, with the official socket.io-client.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Manager } from "socket.io-client";
import { useServer, waitFor, connected, ack, expectNo } from "./helpers.mjs";

const srv = useServer();

describe("connection", () => {
  it("should connect over websocket only", async () => {
    const socket = srv.client("/", { transports: ["websocket"] });
    await connected(socket);
    assert.equal(socket.io.engine.transport.name, "websocket");
    const info = await ack(socket, "get-info");
    assert.equal(info.transport, "websocket");
    assert.equal(info.id, socket.id);
    assert.equal(info.nsp, "/");
    assert.deepEqual(await ack(socket, "echo", "over ws"), "over ws");
    socket.disconnect();
  });

  it("should connect over polling only", async () => {
    const socket = srv.client("/", { transports: ["polling"] });
    await connected(socket);
    assert.equal(socket.io.engine.transport.name, "polling");
    const info = await ack(socket, "get-info");
    assert.equal(info.transport, "polling");
    assert.equal(info.id, socket.id);
    assert.deepEqual(await ack(socket, "echo", "over polling"), "over polling");
    // several round trips in a row over long-polling
    for (let i = 0; i < 5; i++) assert.equal(await ack(socket, "echo", i), i);
    assert.equal(socket.io.engine.transport.name, "polling");
    socket.disconnect();
  });

  it("should connect over polling and upgrade to websocket", async () => {
    const socket = srv.client("/");
    const upgraded = waitFor(socket.io.engine, "upgrade", 3000);
    await connected(socket);
    const [transport] = await upgraded;
    assert.equal(transport.name, "websocket");
    assert.equal(socket.io.engine.transport.name, "websocket");
    const info = await ack(socket, "get-info");
    assert.equal(info.transport, "websocket");
    assert.deepEqual(await ack(socket, "echo", "after upgrade", { n: 1 }), "after upgrade");
    socket.disconnect();
  });

  it("should keep the socket (same id, same engine id) across the upgrade", async () => {
    const socket = srv.client("/");
    const upgraded = waitFor(socket.io.engine, "upgrade", 3000);
    await connected(socket);
    const id = socket.id;
    const engineId = socket.io.engine.id;
    await upgraded;
    assert.equal(socket.id, id);
    assert.equal(socket.io.engine.id, engineId);
    assert.equal((await ack(socket, "get-info")).id, id);
    socket.disconnect();
  });

  it("should give the socket an id distinct from the engine id", async () => {
    const socket = srv.client("/", { transports: ["websocket"] });
    await connected(socket);
    assert.equal(typeof socket.id, "string");
    assert.ok(socket.id.length > 0);
    assert.notEqual(socket.id, socket.io.engine.id);
    socket.disconnect();
  });

  it("should pass the auth payload to the server", async () => {
    const auth = { token: "abc-123", n: 42, nested: { ok: true, list: [1, "two"] } };
    const socket = srv.client("/", { transports: ["websocket"], auth });
    await connected(socket);
    assert.deepEqual(await ack(socket, "get-auth"), auth);
    socket.disconnect();
  });

  it("should pass an empty auth object when the client sends none", async () => {
    const socket = srv.client("/", { transports: ["polling"] });
    await connected(socket);
    assert.deepEqual(await ack(socket, "get-auth"), {});
    socket.disconnect();
  });

  it("should pass the query string in the handshake", async () => {
    const socket = srv.client("/", { transports: ["websocket"], query: { x: "from-query" } });
    await connected(socket);
    assert.equal((await ack(socket, "get-info")).query, "from-query");
    socket.disconnect();
  });

  it("should refuse an unknown namespace with connect_error \"Invalid namespace\"", async () => {
    const socket = srv.client("/does-not-exist", { transports: ["websocket"] });
    const [err] = await waitFor(socket, "connect_error", 3000);
    assert.ok(err instanceof Error);
    assert.equal(err.message, "Invalid namespace");
    assert.equal(socket.connected, false);
    socket.disconnect();
  });

  it("should keep the connection open after an unknown namespace is refused", async () => {
    const manager = srv.track(new Manager(srv.url, { reconnection: false, transports: ["websocket"] }));
    const main = srv.track(manager.socket("/"));
    await connected(main);
    const engineId = manager.engine.id;
    const bad = srv.track(manager.socket("/nope"));
    const [err] = await waitFor(bad, "connect_error", 3000);
    assert.equal(err.message, "Invalid namespace");
    assert.equal(main.connected, true);
    assert.equal(manager.engine.id, engineId);
    assert.equal(await ack(main, "echo", "still here"), "still here");
    main.disconnect();
    bad.disconnect();
  });

  it("should give connect_error with the middleware's message and data", async () => {
    const socket = srv.client("/guarded", { transports: ["websocket"], auth: { token: "wrong" } });
    const [err] = await waitFor(socket, "connect_error", 3000);
    assert.equal(err.message, "not authorized");
    assert.deepEqual(err.data, { reason: "bad token", code: 4001 });
    assert.equal(socket.connected, false);
    socket.disconnect();
  });

  it("should give connect_error from the middleware over polling too", async () => {
    const socket = srv.client("/guarded", { transports: ["polling"] });
    const [err] = await waitFor(socket, "connect_error", 3000);
    assert.equal(err.message, "not authorized");
    assert.deepEqual(err.data, { reason: "bad token", code: 4001 });
    socket.disconnect();
  });

  it("should let a socket accepted by the middleware in", async () => {
    const socket = srv.client("/guarded", { transports: ["websocket"], auth: { token: "let-me-in" } });
    await connected(socket);
    assert.deepEqual(await ack(socket, "echo", "inside"), "inside");
    socket.disconnect();
  });
});

describe("disconnection", () => {
  it("should give \"io server disconnect\" on server Disconnect(false), without reconnecting", async () => {
    const observer = srv.client("/", { transports: ["websocket"] });
    const socket = srv.client("/", {
      transports: ["websocket"],
      // a reconnection, if one were attempted, would happen within ~50 ms
      reconnection: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 50,
      randomizationFactor: 0,
    });
    await Promise.all([connected(observer), connected(socket)]);
    const id = socket.id;
    const disconnected = waitFor(socket, "disconnect", 2000);
    socket.emit("server-disconnect");
    const [reason] = await disconnected;
    assert.equal(reason, "io server disconnect");
    assert.equal(socket.connected, false);
    assert.equal(socket.active, false, "the socket must not try to reconnect");
    assert.equal(await ack(observer, "wait-disconnect", id), "server namespace disconnect");
    // negative check: nothing reconnects within a window 10x the reconnection delay
    await Promise.all([
      expectNo(socket, "connect", 500),
      expectNo(socket.io, "reconnect_attempt", 500),
    ]);
    socket.disconnect();
    observer.disconnect();
  });

  it("should report \"client namespace disconnect\" on the server when the client calls disconnect()", async () => {
    const observer = srv.client("/", { transports: ["websocket"] });
    const socket = srv.client("/", { transports: ["websocket"] });
    await Promise.all([connected(observer), connected(socket)]);
    const id = socket.id;
    socket.disconnect();
    assert.equal(await ack(observer, "wait-disconnect", id), "client namespace disconnect");
    observer.disconnect();
  });

  it("should report \"client namespace disconnect\" when the client disconnects while a handler is still running", async () => {
    // The DISCONNECT packet arrives before the WebSocket closes, but waits
    // behind the slow "block" handler: it must still be what the server
    // reports, not the transport close that follows it.
    const observer = srv.client("/", { transports: ["websocket"] });
    const socket = srv.client("/", { transports: ["websocket"] });
    await Promise.all([connected(observer), connected(socket)]);
    const id = socket.id;
    socket.emit("block", 200);
    socket.disconnect(); // sends DISCONNECT, then closes the connection
    assert.equal(await ack(observer, "wait-disconnect", id), "client namespace disconnect");
    observer.disconnect();
  });

  it("should run the handlers of events the client sent just before disconnecting", async () => {
    // "remember" waits behind the slow "block" handler when the client
    // disconnects; it was received before the DISCONNECT and the close, so
    // it must still run (before the socket's disconnect handlers).
    const observer = srv.client("/", { transports: ["websocket"] });
    const socket = srv.client("/", { transports: ["websocket"] });
    await Promise.all([connected(observer), connected(socket)]);
    const id = socket.id;
    const key = `last-words-${id}`;
    socket.emit("block", 200);
    socket.emit("remember", key, "goodbye");
    socket.disconnect();
    await ack(observer, "wait-disconnect", id);
    assert.equal(await ack(observer, "recall", key), "goodbye");
    observer.disconnect();
  });

  it("should report \"client namespace disconnect\" for a polling client too", async () => {
    const observer = srv.client("/", { transports: ["websocket"] });
    const socket = srv.client("/", { transports: ["polling"] });
    await Promise.all([connected(observer), connected(socket)]);
    const id = socket.id;
    socket.disconnect();
    assert.equal(await ack(observer, "wait-disconnect", id), "client namespace disconnect");
    observer.disconnect();
  });

  it("should report \"transport close\" on the server when the client closes the connection", async () => {
    const observer = srv.client("/", { transports: ["websocket"] });
    const socket = srv.client("/", { transports: ["websocket"] });
    await Promise.all([connected(observer), connected(socket)]);
    const id = socket.id;
    const disconnected = waitFor(socket, "disconnect", 2000);
    socket.io.engine.close(); // closes the WebSocket without any DISCONNECT packet
    await disconnected;
    assert.equal(await ack(observer, "wait-disconnect", id), "transport close");
    observer.disconnect();
  });

  it("should report \"client namespace disconnect\" for a socket that leaves one namespace of a shared connection", async () => {
    const manager = srv.track(new Manager(srv.url, { reconnection: false, transports: ["websocket"] }));
    const main = srv.track(manager.socket("/"));
    const admin = srv.track(manager.socket("/admin"));
    await Promise.all([connected(main), connected(admin)]);
    const adminId = admin.id;
    admin.disconnect();
    assert.equal(await ack(main, "wait-disconnect", adminId), "client namespace disconnect");
    assert.equal(main.connected, true);
    main.disconnect();
  });
});

// Socket: Handshake, Transport, Disconnect(close) across the namespaces of
// a connection, driven through the server's "do" handler.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Manager } from "socket.io-client";
import { useServer, connected, waitFor, ack, op } from "./helpers.mjs";

const srv = useServer();

/** A Manager with a socket on "/" and one on "/admin" (one connection). */
async function twoNamespaces(opts = {}) {
  const manager = srv.track(new Manager(srv.url, { reconnection: false, transports: ["websocket"], ...opts }));
  const main = srv.track(manager.socket("/"));
  const admin = srv.track(manager.socket("/admin"));
  await Promise.all([connected(main), connected(admin)]);
  return { manager, main, admin };
}

describe("handshake", () => {
  for (const transport of ["polling", "websocket"]) {
    it(`should expose the handshake details (${transport})`, async () => {
      const t0 = Date.now();
      const socket = srv.client("/", {
        transports: [transport],
        query: { x: "from-query", other: "2" },
        auth: { token: "tok", n: 1 },
        extraHeaders: { "x-custom": "custom-value" },
      });
      await connected(socket);
      const h = await op(socket, "handshake");
      const t1 = Date.now();
      assert.equal(h.headers["x-custom"], "custom-value");
      assert.deepEqual(h.auth, { token: "tok", n: 1 });
      assert.equal(h.query.x, "from-query");
      assert.equal(h.query.other, "2");
      assert.equal(h.query.EIO, "4");
      assert.equal(h.query.transport, transport);
      assert.equal(h.xdomain, false, "no Origin header from the Node.js client");
      assert.equal(h.secure, false);
      assert.match(h.url, /^\/socket\.io\/\?/);
      assert.match(h.url, /[?&]x=from-query(&|$)/);
      assert.match(h.url, /[?&]EIO=4(&|$)/);
      assert.ok(h.issued >= t0 - 5 && h.issued <= t1 + 5, `issued ${h.issued} within [${t0}, ${t1}]`);
      assert.ok(Math.abs(h.time - h.issued) <= 1, "time and issued are the same instant");
      assert.match(h.remoteAddr, /^127\.0\.0\.1(:\d+)?$/, "Socket.RemoteAddr()");
      socket.disconnect();
    });
  }

  it("should expose the client's IP address, without port, as handshake.address", async () => {
    // the reference: handshake.address = conn.remoteAddress, "127.0.0.1"
    const socket = srv.client("/", { transports: ["websocket"] });
    await connected(socket);
    const h = await op(socket, "handshake");
    assert.equal(h.address, "127.0.0.1");
    socket.disconnect();
  });

  it("should include the Host header in handshake.headers", async () => {
    // the reference: handshake.headers = req.headers, which has "host"
    const socket = srv.client("/", { transports: ["polling"] });
    await connected(socket);
    const h = await op(socket, "handshake");
    assert.equal(h.headers.host, `127.0.0.1:${srv.port}`);
    socket.disconnect();
  });

  it("should set xdomain when the request has an Origin header", async () => {
    const socket = srv.client("/", { transports: ["websocket"], extraHeaders: { origin: "http://example.com" } });
    await connected(socket);
    const h = await op(socket, "handshake");
    assert.equal(h.headers.origin, "http://example.com");
    assert.equal(h.xdomain, true);
    socket.disconnect();
  });

  it("should give each namespace its own handshake auth", async () => {
    const manager = srv.track(new Manager(srv.url, { reconnection: false, transports: ["websocket"] }));
    const main = srv.track(manager.socket("/", { auth: { who: "main" } }));
    const admin = srv.track(manager.socket("/admin", { auth: { who: "admin" } }));
    await Promise.all([connected(main), connected(admin)]);
    assert.deepEqual((await op(main, "handshake")).auth, { who: "main" });
    assert.deepEqual((await ack(admin, "handshake")).auth, { who: "admin" });
    main.disconnect();
    admin.disconnect();
  });

  it("should build the handshake when the socket connects to its namespace", async () => {
    // the reference builds socket.handshake (time, issued) in the Socket
    // constructor, when the CONNECT to the namespace is handled, not at the
    // Engine.IO handshake
    const manager = srv.track(new Manager(srv.url, { reconnection: false, transports: ["websocket"] }));
    const main = srv.track(manager.socket("/"));
    await connected(main);
    const mainIssued = (await op(main, "handshake")).issued;
    await new Promise((resolve) => setTimeout(resolve, 50)); // a gap in time, not a synchronisation
    const t0 = Date.now();
    const admin = srv.track(manager.socket("/admin"));
    await connected(admin);
    const h = await ack(admin, "handshake");
    assert.ok(h.issued >= t0, `"/admin" issued ${h.issued} is before its CONNECT (${t0}); "/" issued ${mainIssued}`);
    main.disconnect();
    admin.disconnect();
  });
});

describe("transport", () => {
  it("should expose the transport name", async () => {
    const polling = srv.client("/", { transports: ["polling"] });
    const websocket = srv.client("/", { transports: ["websocket"] });
    await Promise.all([connected(polling), connected(websocket)]);
    assert.deepEqual(await op(polling, "transport"), { atConnect: "polling", now: "polling" });
    assert.deepEqual(await op(websocket, "transport"), { atConnect: "websocket", now: "websocket" });
    polling.disconnect();
    websocket.disconnect();
  });

  it("should expose the transport name before and after the upgrade", async () => {
    const socket = srv.client("/");
    const upgraded = waitFor(socket.io.engine, "upgrade", 3000);
    await connected(socket);
    await upgraded;
    // The CONNECT travels over polling, before the upgrade can complete.
    assert.deepEqual(await op(socket, "transport"), { atConnect: "polling", now: "websocket" });
    socket.disconnect();
  });
});

describe("Socket.Disconnect", () => {
  it("should disconnect with close=true and disconnect every namespace of the client", async () => {
    const { manager, main, admin } = await twoNamespaces();
    const observer = srv.client("/", { transports: ["websocket"] });
    await connected(observer);
    const [mainID, adminID] = [main.id, admin.id];
    const closed = waitFor(manager.engine, "close", 3000);
    const reasons = Promise.all([waitFor(main, "disconnect", 2000), waitFor(admin, "disconnect", 2000)]);
    await op(main, "disconnect", { close: true });
    assert.deepEqual(
      (await reasons).map(([r]) => r),
      ["io server disconnect", "io server disconnect"],
    );
    await closed;
    assert.equal(await ack(observer, "wait-disconnect", mainID), "server namespace disconnect");
    assert.equal(await ack(observer, "wait-disconnect", adminID), "server namespace disconnect");
    observer.disconnect();
  });

  it("should disconnect only its own namespace with close=false", async () => {
    const { manager, main, admin } = await twoNamespaces();
    const engineID = manager.engine.id;
    const disconnected = waitFor(main, "disconnect", 2000);
    await op(main, "disconnect", { close: false });
    assert.equal((await disconnected)[0], "io server disconnect");
    assert.equal(admin.connected, true);
    assert.equal(await ack(admin, "admin-only"), "admin-only-ok");
    assert.equal(manager.engine.id, engineID);
    admin.disconnect();
  });
});

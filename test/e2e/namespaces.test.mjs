// Several namespaces multiplexed over one connection, with the official
// socket.io-client.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { io, Manager } from "socket.io-client";
import { useServer, waitFor, connected, ack, normalize, bytes } from "./helpers.mjs";

const srv = useServer();

describe("namespaces", () => {
  it("should share the Manager (and engine connection) of io(url) and io(url + \"/admin\")", async () => {
    // no forceNew: the client caches and reuses the Manager for one URL
    const main = srv.track(io(srv.url, { reconnection: false }));
    const admin = srv.track(io(srv.url + "/admin", { reconnection: false }));
    await Promise.all([connected(main), connected(admin)]);
    assert.equal(main.io, admin.io);
    assert.equal(main.io.engine.id, admin.io.engine.id);
    main.disconnect();
    admin.disconnect();
  });
});

for (const transport of ["websocket", "polling"]) {
  describe(`namespaces over ${transport}`, () => {
    it("should multiplex two namespaces on one engine connection", async () => {
      const manager = srv.track(new Manager(srv.url, { reconnection: false, transports: [transport] }));
      const main = srv.track(manager.socket("/"));
      const admin = srv.track(manager.socket("/admin"));
      const welcomes = Promise.all([waitFor(main, "welcome", 3000), waitFor(admin, "welcome", 3000)]);
      await Promise.all([connected(main), connected(admin)]);
      assert.equal(main.io, admin.io);
      assert.equal(main.io.engine.id, admin.io.engine.id);
      assert.notEqual(main.id, admin.id);
      const [[wMain], [wAdmin]] = await welcomes;
      assert.deepEqual(wMain, { id: main.id, nsp: "/" });
      assert.deepEqual(wAdmin, { id: admin.id, nsp: "/admin" });
      const [iMain, iAdmin] = await Promise.all([ack(main, "get-info"), ack(admin, "get-info")]);
      assert.equal(iMain.nsp, "/");
      assert.equal(iMain.id, main.id);
      assert.equal(iAdmin.nsp, "/admin");
      assert.equal(iAdmin.id, admin.id);
      main.disconnect();
      admin.disconnect();
    });

    it("should dispatch events to each namespace's own handlers", async () => {
      const manager = srv.track(new Manager(srv.url, { reconnection: false, transports: [transport] }));
      const main = srv.track(manager.socket("/"));
      const admin = srv.track(manager.socket("/admin"));
      await Promise.all([connected(main), connected(admin)]);
      // the same event name answered by different handlers
      const [rMain, rAdmin] = await Promise.all([
        main.timeout(2000).emitWithAck("echo", "x", 1),
        new Promise((resolve, reject) =>
          admin.timeout(2000).emit("echo", "x", 1, (err, ...args) => (err ? reject(err) : resolve(args))),
        ),
      ]);
      assert.equal(rMain, "x");
      assert.deepEqual(rAdmin, ["admin", "x", 1]);
      // binary on the second namespace
      const buf = bytes(123, 5);
      const rBin = await new Promise((resolve, reject) =>
        admin.timeout(2000).emit("echo", { buf }, (err, ...args) => (err ? reject(err) : resolve(args))),
      );
      assert.deepEqual(normalize(rBin), ["admin", { buf }]);
      // an event that only /admin handles: "/" has no handler, so no ack.
      // Events of one connection are handled in order, so once the later
      // "echo" is acked, "admin-only" on "/" has been handled (and ignored).
      let mainAdminOnlyAcked = false;
      main.emit("admin-only", () => {
        mainAdminOnlyAcked = true;
      });
      assert.equal(await ack(main, "echo", "after"), "after");
      assert.equal(mainAdminOnlyAcked, false, "\"/\" must not run the handler of \"/admin\"");
      assert.equal(await ack(admin, "admin-only"), "admin-only-ok");
      main.disconnect();
      admin.disconnect();
    });

    it("should keep the other namespace working when one leaves", async () => {
      const manager = srv.track(new Manager(srv.url, { reconnection: false, transports: [transport] }));
      const main = srv.track(manager.socket("/"));
      const admin = srv.track(manager.socket("/admin"));
      await Promise.all([connected(main), connected(admin)]);
      const engineId = manager.engine.id;
      const adminId = admin.id;
      main.disconnect();
      assert.equal(await ack(admin, "admin-only"), "admin-only-ok");
      assert.equal(manager.engine.id, engineId);
      // rejoin "/" over the same connection
      main.connect();
      await connected(main);
      assert.equal(manager.engine.id, engineId);
      assert.equal(await ack(main, "echo", "back"), "back");
      assert.equal(admin.id, adminId);
      main.disconnect();
      admin.disconnect();
    });
  });
}

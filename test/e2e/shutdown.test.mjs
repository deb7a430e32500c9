// Server.Shutdown on SIGTERM: every test starts its own server.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { io } from "socket.io-client";
import { startServer, waitFor, connected, withTimeout } from "./helpers.mjs";

/** Sends SIGTERM and resolves with {code, ms} once the server exited. */
async function terminate(server, ms) {
  const exited = server.proc.exitCode !== null ? Promise.resolve([server.proc.exitCode]) : once(server.proc, "exit");
  const t0 = performance.now();
  server.proc.kill("SIGTERM");
  try {
    const [code] = await withTimeout(exited, ms, `the server to exit after SIGTERM`);
    return { code, ms: performance.now() - t0 };
  } catch (err) {
    server.proc.kill("SIGKILL");
    throw err;
  }
}

describe("shutdown", () => {
  it("should disconnect websocket and polling clients with \"transport close\" and exit 0", async () => {
    const server = await startServer();
    const opts = { forceNew: true, reconnection: false, timeout: 3000 };
    const ws = io(server.url, { ...opts, transports: ["websocket"] });
    const polling = io(server.url, { ...opts, transports: ["polling"] });
    try {
      await Promise.all([connected(ws), connected(polling)]);
      const reasons = Promise.all([waitFor(ws, "disconnect", 2000), waitFor(polling, "disconnect", 2000)]);
      const { code } = await terminate(server, 2000);
      assert.equal(code, 0, `exit code; stderr:\n${server.stderr()}`);
      const [[wsReason], [pollingReason]] = await reasons;
      assert.equal(wsReason, "transport close");
      assert.equal(pollingReason, "transport close");
    } finally {
      ws.disconnect();
      polling.disconnect();
      server.proc.kill("SIGKILL");
    }
  });

  it("should answer a pending long-polling GET with a close packet and exit 0", async () => {
    const server = await startServer();
    try {
      const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
      const hs = await fetch(base);
      const { sid } = JSON.parse((await hs.text()).slice(1));
      const url = `${base}&sid=${encodeURIComponent(sid)}`;
      await (await fetch(url, { method: "POST", body: "40" })).text();
      // read the CONNECT reply and the "welcome" event; then nothing is
      // queued, so the next GET stays pending
      let received = "";
      while (!received.includes('42["welcome",')) {
        received += (await (await withTimeout(fetch(url), 2000, "the CONNECT reply and welcome")).text()) + "\x1e";
      }
      assert.match(received, /^40\{/);
      const pending = fetch(url);
      const t0 = performance.now();
      const exited = terminate(server, 3000);
      const res = await withTimeout(pending, 1000, "the pending GET to be answered");
      const body = await res.text();
      assert.equal(res.status, 200);
      assert.ok(body.split("\x1e").includes("1"), `pending GET answered ${JSON.stringify(body)}, expected a close packet`);
      assert.ok(performance.now() - t0 < 1000);
      const { code } = await exited;
      assert.equal(code, 0, `exit code; stderr:\n${server.stderr()}`);
    } finally {
      server.proc.kill("SIGKILL");
    }
  });

  it("should deliver what was queued, then let official clients reconnect to a new server on the same port", async () => {
    const server = await startServer();
    const n = 20, burst = 200;
    const clients = [];
    let next;
    try {
      for (let i = 0; i < n; i++) {
        clients.push(io(server.url, {
          forceNew: true,
          transports: i % 2 ? ["websocket"] : ["polling"],
          reconnectionDelay: 50,
          reconnectionDelayMax: 200,
          randomizationFactor: 0,
          timeout: 3000,
        }));
      }
      await Promise.all(clients.map((c) => connected(c)));
      const firstIds = clients.map((c) => c.id);
      const received = clients.map(() => []);
      clients.forEach((c, i) => c.on("seq", (k) => received[i].push(k)));
      const gone = clients.map((c) => waitFor(c, "disconnect", 5000));
      // Each client has `burst` events queued when the server is told to stop.
      await Promise.all(clients.map((c) => c.timeout(3000).emitWithAck("flood", burst)));
      const { code } = await terminate(server, 5000);
      assert.equal(code, 0, `exit code; stderr:\n${server.stderr()}`);
      const reasons = await Promise.all(gone);
      reasons.forEach(([reason], i) => assert.equal(reason, "transport close", `client ${i}`));
      received.forEach((r, i) => assert.deepEqual(r, [...Array(burst).keys()], `client ${i} got every queued event, in order`));
      // A new server on the same port: every client reconnects by itself.
      const back = clients.map((c) => waitFor(c, "connect", 10000));
      next = await startServer({ env: { PORT: String(server.port) } });
      await Promise.all(back);
      clients.forEach((c, i) => {
        assert.ok(c.connected, `client ${i} reconnected`);
        assert.notEqual(c.id, firstIds[i]);
      });
      const echoes = await Promise.all(clients.map((c) => c.timeout(3000).emitWithAck("echo", "again")));
      echoes.forEach((e) => assert.equal(e, "again"));
    } finally {
      clients.forEach((c) => c.disconnect());
      server.proc.kill("SIGKILL");
      if (next) await next.stop();
    }
  });
});

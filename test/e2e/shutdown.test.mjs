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

  it("should shut down at once when a polling session has no pending request", async () => {
    // A client that did the handshake and went away (or is between two
    // polls): the reference server (engine.close() discards the transports)
    // closes it at once instead of waiting for a GET to deliver the close.
    const server = await startServer({ env: { SHUTDOWN_TIMEOUT: "1500" } });
    try {
      const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
      assert.equal(res.status, 200);
      await res.text();
      const { code, ms } = await terminate(server, 3000);
      assert.equal(code, 0, `exit code; stderr:\n${server.stderr()}`);
      assert.ok(ms < 1000, `Shutdown took ${ms.toFixed(0)} ms`);
    } finally {
      server.proc.kill("SIGKILL");
    }
  });
});

// Connections that should stay up do. The official client holds one
// connection over websocket, over long-polling, and over long-polling
// upgraded to websocket, idle and under steady traffic both ways, for many
// times longer than every timeout in play, and must see no disconnect, every
// heartbeat, and every message in order. One server has every timeout
// shrunk so that this takes seconds; the other runs on the library's
// defaults past the first two heartbeats (about a minute).
//
// LIFETIME_DEFAULTS_MS sets how long the connections to the second server
// live (default 62000): `LIFETIME_DEFAULTS_MS=600000` holds them for ten
// minutes.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { startServer, connected, waitFor } from "./helpers.mjs";

const TRANSPORTS = {
  websocket: { transports: ["websocket"] },
  polling: { transports: ["polling"] },
  upgrade: {}, // long-polling first, then websocket, as a browser does
};

/**
 * Holds one connection to url for lifeMs and checks it. When busy, the
 * client emits "echo" with an ack and the server emits "tick" (half of them
 * broadcast to the socket's room), each every tickMs.
 */
async function hold(url, { transport, busy, lifeMs, tickMs, minPings }) {
  const socket = io(url, { forceNew: true, reconnection: false, timeout: 10000, ...TRANSPORTS[transport] });
  const start = Date.now();
  const since = () => `${Date.now() - start} ms`;
  const trouble = [];
  let fail;
  const failed = new Promise((_, reject) => {
    fail = (what) => {
      trouble.push(what);
      reject(new Error(what));
    };
  });
  failed.catch(() => {});
  socket.on("disconnect", (reason, desc) =>
    fail(`disconnect "${reason}" after ${since()} (${desc?.description?.message ?? desc?.message ?? ""})`),
  );
  socket.on("connect_error", (err) => fail(`connect_error after ${since()}: ${err.message}`));
  try {
    const upgraded = transport === "upgrade" ? waitFor(socket.io.engine, "upgrade", 10000) : null;
    await connected(socket, 10000);
    await upgraded;
    const engine = socket.io.engine;
    let pings = 0;
    engine.on("ping", () => pings++);
    const ticks = [];
    socket.on("tick", (n) => ticks.push(n));
    const acks = [];
    const inflight = [];
    let sent = 0;
    let timer;
    if (busy) {
      socket.emit("ticks", tickMs);
      timer = setInterval(() => {
        const i = sent++;
        inflight.push(
          socket
            .timeout(lifeMs + 10000)
            .emitWithAck("echo", i)
            .then(
              (v) => acks.push(v),
              (err) => fail(`echo ${i}: ${err.message}`),
            ),
        );
      }, tickMs);
    }
    // The connection lives; any disconnect ends the wait at once.
    let lived;
    await Promise.race([failed, new Promise((r) => (lived = setTimeout(r, lifeMs)))]).finally(() => {
      clearTimeout(lived);
      clearInterval(timer);
    });

    if (busy) {
      const n = await socket.timeout(10000).emitWithAck("ticks-stop");
      await Promise.race([failed, Promise.all(inflight)]);
      assert.ok(n > 0, `the server sent ${n} ticks`);
      // Every tick is queued before the ack of "ticks-stop": all arrived.
      assert.deepEqual(ticks, [...Array(n).keys()], "ticks lost, doubled or out of order");
      assert.deepEqual(acks, [...Array(sent).keys()], "acks lost, doubled or out of order");
      assert.ok(sent >= lifeMs / tickMs / 4, `only ${sent} echoes sent in ${lifeMs} ms`);
    }
    // Still up: one more round trip.
    assert.equal(await socket.timeout(10000).emitWithAck("echo", "still here"), "still here");
    assert.deepEqual(trouble, []);
    assert.ok(socket.connected, "not connected at the end");
    assert.equal(engine.transport.name, transport === "polling" ? "polling" : "websocket");
    assert.ok(pings >= minPings, `${pings} pings in ${lifeMs} ms, want at least ${minPings}`);
  } finally {
    socket.off("disconnect");
    socket.disconnect();
  }
}

function suite(name, env, { lifeMs, tickMs, minPings }) {
  describe(name, { concurrency: true, timeout: lifeMs + 60000 }, () => {
    let server;
    before(async () => {
      server = await startServer({ env });
    });
    after(async () => {
      await server?.stop();
    });
    for (const busy of [false, true]) {
      for (const transport of Object.keys(TRANSPORTS)) {
        const what = `${transport}, ${busy ? `a message each way every ${tickMs} ms` : "idle"}`;
        it(`stays connected for ${lifeMs / 1000} s: ${what}`, { timeout: lifeMs + 60000 }, () =>
          hold(server.url, { transport, busy, lifeMs, tickMs, minPings }),
        );
      }
    }
  });
}

// Shrunk: a ping every 200 ms, a write timeout of 300 ms (stall detector:
// 150 ms), upgrade and connect timeouts of 300 ms. Six seconds is 30
// heartbeats and 20 write, upgrade and connect timeouts.
suite(
  "lifetime, every timeout shrunk",
  { PING_INTERVAL: "200", PING_TIMEOUT: "400", WRITE_TIMEOUT: "300", UPGRADE_TIMEOUT: "300", CONNECT_TIMEOUT: "300" },
  { lifeMs: 6000, tickMs: 20, minPings: 10 },
);

// The library's defaults (0 means default): pings at 25 s and 50 s, write
// timeout 10 s, upgrade timeout 10 s, connect timeout 45 s.
const defaultsLife = Number(process.env.LIFETIME_DEFAULTS_MS || 62000);
suite(
  "lifetime, default timeouts",
  { PING_INTERVAL: "0", PING_TIMEOUT: "0" },
  { lifeMs: defaultsLife, tickMs: 100, minPings: Math.floor(defaultsLife / 25000) },
);

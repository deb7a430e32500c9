// Connection-state recovery with the official client: a server started
// with RECOVERY_MS (Options.ConnectionStateRecovery), namespace
// "/recovery" (see server/recovery.go).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { useServer, waitFor, connected, ack } from "./helpers.mjs";

const WINDOW_MS = 1500;

describe("connection state recovery", () => {
  const srv = useServer({ env: { RECOVERY_MS: String(WINDOW_MS) } });

  /** A socket of "/recovery" whose "m" events and connects go to log. */
  async function recorded(opts = {}) {
    const socket = srv.client("/recovery", opts);
    const log = [];
    const hellos = [];
    socket.on("connect", () => log.push("connect"));
    socket.on("m", (v) => log.push(v));
    socket.on("hello", (h) => hellos.push(h.recovered));
    const hello = waitFor(socket, "hello");
    await connected(socket);
    await hello; // its offset is the client's last one
    return { socket, log, hellos };
  }

  /** Sends "m" v to room through sender; resolves once socket got it. */
  async function deliver(sender, socket, room, v) {
    const got = waitFor(socket, "m");
    await ack(sender, "send", room, "m", v);
    const [x] = await got;
    assert.deepEqual(x, v);
  }

  /** Drops the socket's transport; resolves once the server stored its session. */
  async function drop(sender, socket) {
    const id = socket.id;
    const disconnected = waitFor(socket, "disconnect");
    socket.io.engine.close();
    const [reason] = await disconnected;
    assert.equal(reason, "forced close"); // the client closed its transport itself
    assert.equal(await ack(sender, "await-gone", id), true, "the server saw the disconnect");
  }

  for (const transport of ["websocket", "polling"]) {
    it(`should recover the socket (id, rooms, data) with every missed event once and in order, over ${transport}`, async () => {
      const sender = await connected(srv.client("/recovery"));
      const { socket, log, hellos } = await recorded({ transports: [transport] });
      assert.equal(socket.recovered, false);
      const id = socket.id;
      const before = await ack(socket, "state");
      assert.deepEqual(before.rooms, [id, "news"].sort());
      await deliver(sender, socket, "news", 0);

      await drop(sender, socket);
      for (const v of [1, 2, 3]) await ack(sender, "send", "news", "m", v);
      await ack(sender, "send", "elsewhere", "m", "not for it");
      await ack(sender, "send", id, "m", 4); // to its own room

      const reconnected = waitFor(socket, "connect");
      socket.connect();
      await reconnected;
      assert.equal(socket.recovered, true);
      assert.equal(socket.id, id);
      // The missed events reach the handlers before "connect", as with
      // the Node server (they come before the CONNECT answer).
      assert.deepEqual(log, ["connect", 0, 1, 2, 3, 4, "connect"]);
      await deliver(sender, socket, "news", "after");
      assert.deepEqual(log, ["connect", 0, 1, 2, 3, 4, "connect", "after"], "nothing twice");
      assert.deepEqual(hellos, [false, true], "the connection handler saw Recovered()");
      const after = await ack(socket, "state");
      assert.deepEqual(after, { ...before, recovered: true });
      assert.equal(socket.io.engine.transport.name, transport);
    });
  }

  it("should recover after its TCP connection was killed", async () => {
    const sender = await connected(srv.client("/recovery"));
    const { socket, log } = await recorded({ transports: ["websocket"] });
    const id = socket.id;
    await deliver(sender, socket, "news", 0);
    const disconnected = waitFor(socket, "disconnect");
    socket.io.engine.transport.ws._socket.destroy(); // no close frame
    await disconnected;
    assert.equal(await ack(sender, "await-gone", id), true, "the server saw the disconnect");
    await ack(sender, "send", "news", "m", 1);
    const reconnected = waitFor(socket, "connect");
    socket.connect();
    await reconnected;
    assert.equal(socket.recovered, true);
    assert.equal(socket.id, id);
    await deliver(sender, socket, "news", 2);
    assert.deepEqual(log, ["connect", 0, 1, "connect", 2]);
  });

  it("should recover twice in a row", async () => {
    const sender = await connected(srv.client("/recovery"));
    const { socket, log } = await recorded();
    const id = socket.id;
    for (const round of [1, 2]) {
      await drop(sender, socket);
      await ack(sender, "send", "news", "m", round);
      const reconnected = waitFor(socket, "connect");
      socket.connect();
      await reconnected;
      assert.equal(socket.recovered, true);
      assert.equal(socket.id, id);
    }
    assert.deepEqual(log, ["connect", 1, "connect", 2, "connect"]);
  });

  it("should give a fresh session with recovered === false after MaxDisconnectionDuration", async () => {
    const sender = await connected(srv.client("/recovery"));
    const { socket, hellos } = await recorded();
    const id = socket.id;
    await drop(sender, socket);
    await ack(sender, "send", "news", "m", 1);
    const expired = await sender.timeout(8000).emitWithAck("await-no-session");
    assert.equal(expired, true, "the session expired and was pruned");
    const reconnected = waitFor(socket, "connect");
    socket.connect();
    await reconnected;
    assert.equal(socket.recovered, false);
    assert.notEqual(socket.id, id);
    const state = await ack(socket, "state");
    assert.equal(state.recovered, false);
    assert.deepEqual(hellos, [false, false]);
  });

  it("should give a fresh session for a forged pid", async () => {
    const sender = await connected(srv.client("/recovery"));
    const { socket: victim } = await recorded();
    await deliver(sender, victim, "news", 0);
    const victimId = victim.id;
    await drop(sender, victim); // its session is stored
    for (const auth of [
      { pid: "forged", offset: "forged" },
      { pid: victimId, offset: "0" }, // the public id is not the pid
      { pid: 1, offset: 2 },
    ]) {
      const { socket } = await recorded({ auth });
      assert.equal(socket.recovered, false);
      assert.notEqual(socket.id, victimId);
      const state = await ack(socket, "state");
      assert.equal(state.recovered, false);
      assert.notEqual(state.id, victimId);
      socket.disconnect();
    }
    // The victim's session is untouched.
    const reconnected = waitFor(victim, "connect");
    victim.connect();
    await reconnected;
    assert.equal(victim.recovered, true);
    assert.equal(victim.id, victimId);
  });
});

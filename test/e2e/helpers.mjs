// Shared helpers of the end-to-end tests: start the Go server of ./server,
// and promise helpers in which every wait has a timeout that fails the test.
//
// The server binary is taken from env E2E_SERVER_BIN. When it is unset, the
// server is built once with `go build ./test/e2e/server` from the repository
// root into a temporary directory (a `go run` whose child would outlive a
// SIGTERM to the go command), and that binary is run.

import { spawn, execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { before, after } from "node:test";
import { io, Manager } from "socket.io-client";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..");

/** MaxHTTPBufferSize the suite runs the server with. */
export const MAX_BUFFER = 10000;

function serverBinary() {
  if (process.env.E2E_SERVER_BIN) return process.env.E2E_SERVER_BIN;
  const bin = join(mkdtempSync(join(tmpdir(), "gosio-e2e-")), "server");
  execFileSync("go", ["build", "-o", bin, "./test/e2e/server"], {
    cwd: repoRoot,
    stdio: ["ignore", "inherit", "inherit"],
  });
  return bin;
}

/**
 * Starts the server and resolves to {url, port, proc, stop()} once it has
 * printed its "listening on" line (within ms).
 */
export async function startServer({ env = {}, ms = 60000 } = {}) {
  const bin = serverBinary();
  const proc = spawn(bin, [], {
    env: { ...process.env, PORT: "0", MAX_BUFFER: String(MAX_BUFFER), ...env },
    stdio: ["ignore", "pipe", process.env.E2E_DEBUG ? "inherit" : "pipe"],
  });
  let stderr = "";
  proc.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exited = once(proc, "exit");
  const lines = createInterface({ input: proc.stdout });
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`server did not print "listening on" within ${ms} ms; stderr:\n${stderr}`));
    }, ms);
    lines.on("line", (line) => {
      const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      } else {
        process.stderr.write(`[server stdout] ${line}\n`);
      }
    });
    proc.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}, signal ${signal}); stderr:\n${stderr}`));
    });
  });
  const port = Number(new URL(url).port);
  async function stop() {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const [code, signal] = await withTimeout(exited, 7000, "server exit after SIGTERM").catch((err) => {
      proc.kill("SIGKILL");
      throw err;
    });
    if (code !== 0) {
      throw new Error(`server exited with code ${code} (signal ${signal}) after SIGTERM; stderr:\n${stderr}`);
    }
  }
  return { url, port, proc, stop, stderr: () => stderr };
}

/**
 * Registers before/after hooks starting one server for the calling test
 * file, and one that closes every client made with the returned `client`.
 * Returns an object whose `url`/`port` are set once the before hook ran.
 */
export function useServer(options) {
  const ctx = { url: undefined, port: undefined, server: undefined, clients: [] };
  ctx.client = (nsp = "/", opts = {}) => {
    const socket = io(ctx.url + nsp, { forceNew: true, reconnection: false, timeout: 3000, ...opts });
    ctx.clients.push(socket);
    return socket;
  };
  ctx.track = (socket) => {
    ctx.clients.push(socket);
    return socket;
  };
  before(async () => {
    ctx.server = await startServer(options);
    ctx.url = ctx.server.url;
    ctx.port = ctx.server.port;
  });
  after(async () => {
    for (const s of ctx.clients) {
      const manager = s instanceof Manager ? s : s.io;
      manager?.reconnection(false);
      if (!(s instanceof Manager)) s.disconnect();
      manager?.engine?.close();
    }
    await ctx.server?.stop();
  });
  return ctx;
}

/** Rejects with an Error naming what after ms, unless p settles first. */
export function withTimeout(p, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Resolves with the arguments (an array) of the next `event` emitted by
 * emitter (a socket.io-client Socket, Manager, engine or any EventEmitter),
 * or rejects after ms. "connect_error" rejects a wait for "connect".
 */
export function waitFor(emitter, event, ms = 2000) {
  return new Promise((resolveWait, reject) => {
    const on = emitter.on.bind(emitter);
    const off = (emitter.off ?? emitter.removeListener).bind(emitter);
    const listener = (...args) => {
      cleanup();
      resolveWait(args);
    };
    const onConnectError = (err) => {
      cleanup();
      reject(new Error(`connect_error while waiting for "${event}": ${err?.message}`, { cause: err }));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timeout after ${ms} ms waiting for "${event}"`));
    }, ms);
    function cleanup() {
      clearTimeout(timer);
      off(event, listener);
      if (event === "connect") off("connect_error", onConnectError);
    }
    on(event, listener);
    if (event === "connect") on("connect_error", onConnectError);
  });
}

/** Resolves once socket is connected (at once if it already is). */
export async function connected(socket, ms = 3000) {
  if (socket.connected) return socket;
  await waitFor(socket, "connect", ms);
  return socket;
}

/**
 * Resolves if `event` is NOT emitted by emitter during ms; rejects as soon
 * as it is. Only for asserting that something does not happen, never for
 * synchronisation.
 */
export function expectNo(emitter, event, ms) {
  return new Promise((resolveNo, reject) => {
    const listener = (...args) => {
      clearTimeout(timer);
      reject(new Error(`unexpected "${event}" (${JSON.stringify(args)})`));
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      resolveNo();
    }, ms);
    emitter.on(event, listener);
  });
}

/** socket.emitWithAck with a timeout that fails the test. */
export function ack(socket, event, ...args) {
  return socket.timeout(2000).emitWithAck(event, ...args);
}

/** Returns v with every Buffer/ArrayBuffer/typed array turned into a Buffer. */
export function normalize(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}

/** n bytes covering every byte value, starting at `seed`. */
export function bytes(n, seed = 0) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

/**
 * Runs operation `name` of the server's "do" handler (see server/main.go)
 * on a socket of "/", and resolves with its result; rejects with the
 * server's error.
 */
export async function op(socket, name, params = {}, ms = 3000) {
  const res = await socket.timeout(ms).emitWithAck("do", name, params);
  if (res && typeof res === "object" && "error" in res) {
    throw new Error(`op ${name}: ${res.error}`);
  }
  return res?.ok;
}

/** Like op, but resolves with the server's error text (null if none). */
export async function opError(socket, name, params = {}, ms = 3000) {
  const res = await socket.timeout(ms).emitWithAck("do", name, params);
  return res && typeof res === "object" && "error" in res ? res.error : null;
}

/**
 * Records every `event` the socket receives: returns an array that gets
 * the arguments (an array) of each.
 */
export function record(socket, event) {
  const got = [];
  socket.on(event, (...args) => got.push(args));
  return got;
}

let sentinels = 0;

/**
 * Makes the server emit a fresh event to the namespace of each of sockets
 * (through the "do" handler of `via`, a socket of "/"), and resolves once
 * every one of sockets got it. Events are delivered to a connection in the
 * order the server queued them, so anything the server queued to those
 * sockets before has then arrived: a way to assert that something was
 * received exactly once, or not at all, without waiting for a fixed time.
 */
export async function sentinel(via, sockets, ms = 3000) {
  const event = `sentinel-${++sentinels}`;
  const got = Promise.all(sockets.map((s) => waitFor(s, event, ms)));
  for (const nsp of new Set(sockets.map((s) => s.nsp))) {
    await op(via, "emit", { via: "nsp.emit", nsp, event });
  }
  await got;
}

/** A name unique in this run, for rooms, events and namespaces. */
let uniques = 0;
export function unique(prefix) {
  return `${prefix}-${process.pid}-${++uniques}`;
}

// Writes golden.json: packets encoded by notepack.io, the encoder of
// socket.io-msgpack-parser 3.0.x, as the Node server builds them (its key
// order), each with the server's JSON form of the same packet, for
// golden_test.go. notepack.io is taken from test/e2e/node_modules.
// golden.json holds the cases of up to 2 KiB; golden_test.go runs the
// script for them all (64 KiB strings, arrays and binary included).
//
//	node golden.mjs small > golden.json
import { createRequire } from "node:module";

const require = createRequire(new URL("../../../test/e2e/package.json", import.meta.url));
const { Encoder } = require("socket.io-msgpack-parser");
const encoder = new Encoder();

const bin = (n, seed = 0) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
};

// The server's JSON form: binary values become placeholders.
function jsonForm(v, atts) {
  if (Buffer.isBuffer(v)) {
    atts.push(v.toString("hex"));
    return { _placeholder: true, num: atts.length - 1 };
  }
  if (Array.isArray(v)) return v.map((x) => jsonForm(x, atts));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonForm(x, atts)]));
  }
  return v;
}

const values = {
  ints: [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1],
  negative: [-1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53 - 1)],
  // Integral numbers are integers to notepack; beyond ±2^63 it writes them
  // modulo 2^64 (the Go encoder writes a float64 there), so none here.
  floats: [1.5, -1.5, 0.1, 1e-7, -0, 2.0, 1e15, 1e19, -1e18, -2.5e-300, 5e-324, 1.7976931348623157e-308],
  literals: [true, false, null],
  strings: ["", "a", "x".repeat(31), "x".repeat(32), "y".repeat(255), "y".repeat(256)],
  "long strings": ["z".repeat(65535), "z".repeat(65536)],
  unicode: ["üñí©ødé ✓ 🚀", 'a"b\\c\n\u0001\u001f', "\u2028\u2029", "</script>&"],
  arrays: [[], [[]], Array(15).fill(1), Array(16).fill(2)],
  "long arrays": [Array(65535).fill(0), Array(65536).fill(0)],
  objects: [{}, { b: 1, a: 2 }, Object.fromEntries([...Array(15).keys()].map((i) => [`k${i}`, i])), Object.fromEntries([...Array(16).keys()].map((i) => [`k${i}`, i])), { nested: { deeper: [{ x: null }] } }],
  binary: [bin(0), bin(1), bin(255), bin(256)],
  "long binary": [bin(65535), bin(65536)],
  "binary nested": [{ name: "f", data: bin(3) }, [bin(2, 1), [bin(4, 2)]], { a: [{ b: bin(1, 3) }] }],
};

const cases = [];
function add(name, packet) {
  const atts = [];
  const json = packet.data === undefined ? undefined : JSON.stringify(jsonForm(packet.data, atts));
  const c = { name, type: packet.type, nsp: packet.nsp };
  if (packet.id !== undefined) c.id = packet.id;
  if (json !== undefined) c.data = json;
  c.attachments = atts;
  c.msgpack = encoder.encode(packet)[0].toString("hex");
  cases.push(c);
}

for (const [name, args] of Object.entries(values)) {
  // socket.emit / io.emit: {type, data}, then nsp.
  add(`event ${name}`, { type: 2, data: ["e", ...args], nsp: "/" });
}
add("event number name", { type: 2, data: [42], nsp: "/" });
add("event with id", { type: 2, data: ["e", 1], id: 0, nsp: "/" });
add("event with large id", { type: 2, data: ["e"], id: 2 ** 53 - 1, nsp: "/admin" });
add("event long namespace", { type: 2, data: ["e"], nsp: "/" + "n".repeat(40) });
add("event binary with id", { type: 2, data: ["e", bin(5)], id: 300, nsp: "/" });
// socket.ts ack: {id, type, data}, then nsp.
add("ack", { id: 7, type: 3, data: ["a", 1], nsp: "/" });
add("ack empty", { id: 70000, type: 3, data: [], nsp: "/chat" });
add("ack binary", { id: 1, type: 3, data: [{ data: bin(10) }], nsp: "/" });
// CONNECT answer, CONNECT_ERROR from a middleware, DISCONNECT.
add("connect", { type: 0, data: { sid: "abcdefghijklmnopqrst" }, nsp: "/" });
add("connect with pid", { type: 0, data: { sid: "abcdefghijklmnopqrst", pid: "zyxwvutsrqponmlkjihg" }, nsp: "/admin" });
add("connect without data", { type: 0, nsp: "/" });
add("connect error", { type: 4, data: { message: "not authorized", data: { reason: "bad token", code: 4001 } }, nsp: "/guarded" });
add("connect error string", { type: 4, data: "nope", nsp: "/" });
add("disconnect", { type: 1, nsp: "/admin" });

const small = process.argv[2] === "small";
const out = small ? cases.filter((c) => c.msgpack.length <= 4096) : cases;
process.stdout.write(JSON.stringify(out, null, 1) + "\n");

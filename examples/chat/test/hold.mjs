// Holds official clients connected to a running chat server for a while
// and fails on any disconnect or lost message: one client per transport
// (websocket, long-polling, long-polling upgraded to websocket) idle in a
// room of its own, and one per transport sending a chat message every
// 100 ms to a room the three busy clients share.
//
//   make run &                                            # the chat on :3000
//   node examples/chat/test/hold.mjs http://localhost:3000 600   # 10 minutes
//
// Prints one line per client at the end and exits 1 if any client
// disconnected, missed an ack or missed another's message.
import { io } from "socket.io-client";

const url = process.argv[2] || "http://localhost:3000";
const seconds = Number(process.argv[3] || 60);
const transports = { websocket: ["websocket"], polling: ["polling"], upgrade: ["polling", "websocket"] };

function client(name, transport, room) {
  const socket = io(url, { transports: transports[transport], reconnection: false, forceNew: true });
  const c = { name, transport, socket, room, drops: [], pings: 0, sent: 0, acked: 0, got: new Map(), bad: [] };
  const start = Date.now();
  socket.on("disconnect", (reason) => c.drops.push(`${reason} after ${((Date.now() - start) / 1000).toFixed(1)} s`));
  socket.on("connect_error", (err) => c.drops.push(`connect_error ${err.message}`));
  socket.on("chat message", (m) => {
    const [from, n] = m.text.split(" ");
    const want = c.got.get(from) ?? 0;
    if (Number(n) !== want) c.bad.push(`${from} ${n} after ${want}`);
    c.got.set(from, want + 1);
  });
  socket.io.on("open", () => socket.io.engine.on("ping", () => c.pings++));
  c.ready = new Promise((resolve, reject) => {
    socket.once("connect", async () => {
      await socket.timeout(10000).emitWithAck("set nickname", name);
      await socket.timeout(10000).emitWithAck("join", room);
      resolve();
    });
    socket.once("connect_error", reject);
  });
  return c;
}

const clients = [];
for (const t of Object.keys(transports)) {
  clients.push(client(`idle-${t}`, t, `hold-idle-${t}`), client(`busy-${t}`, t, "hold-busy"));
}
await Promise.all(clients.map((c) => c.ready));
const busy = clients.filter((c) => c.name.startsWith("busy"));
const timer = setInterval(() => {
  for (const c of busy) {
    const n = c.sent++;
    c.socket.timeout(10000).emitWithAck("chat message", `${c.name} ${n}`).then(
      () => c.acked++,
      (err) => c.bad.push(`ack ${n}: ${err.message}`),
    );
  }
}, 100);
console.log(`holding ${clients.length} clients on ${url} for ${seconds} s`);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(timer);
await new Promise((r) => setTimeout(r, 2000)); // the last acks and messages
let failed = false;
for (const c of clients) {
  const got = [...c.got.entries()].map(([k, v]) => `${k}:${v}`).join(" ");
  const transport = c.socket.io.engine?.transport?.name;
  const ok = c.drops.length === 0 && c.bad.length === 0 && c.acked === c.sent &&
    (!c.name.startsWith("busy") || busy.every((o) => o === c || c.got.get(o.name) === o.sent));
  if (!ok) failed = true;
  console.log(`${ok ? "ok  " : "FAIL"} ${c.name.padEnd(15)} now on ${transport}, ${c.pings} pings, sent ${c.sent}, acked ${c.acked}, got ${got || "-"}` +
    (c.drops.length ? `, disconnects: ${c.drops.join("; ")}` : "") + (c.bad.length ? `, problems: ${c.bad.slice(0, 5).join("; ")}` : ""));
  c.socket.disconnect();
}
process.exit(failed ? 1 : 0);

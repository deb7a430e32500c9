// The official socket.io-client of adapter/redisstreams' recovery tests,
// driven by the Go test: it connects to URL (websocket, query name=NAME)
// and prints one JSON line per happening: {ev: "connect", id, pid,
// recovered}, {ev: "event", name, args} (args as the client's handlers see
// them, the offset last), {ev: "disconnect", reason}. Commands on stdin,
// one a line: "drop <url>" closes the transport (socket.io.engine.close(),
// as the Socket.IO docs show to test recovery) with automatic reconnection
// off, and points the manager at <url>; "reconnect" connects again, with
// the pid and last offset the client kept. Exits when its stdin closes.
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const { URL, NAME = "client" } = process.env;
const out = (v) => console.log(JSON.stringify(v));

const socket = io(URL, { transports: ["websocket"], query: { name: NAME }, reconnectionDelay: 50, reconnectionDelayMax: 100 });
socket.on("connect", () => out({ ev: "connect", id: socket.id, pid: socket._pid, recovered: socket.recovered }));
socket.on("disconnect", (reason) => out({ ev: "disconnect", reason }));
socket.onAny((name, ...args) => out({ ev: "event", name, args }));

const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const [cmd, arg] = line.trim().split(" ");
  if (cmd === "drop") {
    socket.io.reconnection(false);
    socket.io.uri = arg;
    socket.io.engine.close();
  } else if (cmd === "reconnect") {
    socket.connect();
  }
});
rl.on("close", () => process.exit(0));

// Reference server for bench/: socket.io 4.8 on Node with default options.
//   broadcast (...args)      -> io.emit("msg", ...args), the sender included
//   echo      (...args, ack) -> ack(...args)
// Listens on HOST (default 127.0.0.1) : PORT (default 3000); exits on SIGTERM/SIGINT.
"use strict";
const { createServer } = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1";

const httpServer = createServer();
const io = new Server(httpServer);

io.on("connection", (socket) => {
  socket.on("broadcast", (...args) => {
    io.emit("msg", ...args);
  });
  socket.on("echo", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
});

httpServer.listen(port, host, () => {
  console.log(`node socket.io ${require("socket.io/package.json").version} listening on ${host}:${port}`);
});

for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    io.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}

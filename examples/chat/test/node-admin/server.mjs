// A Node.js chat server instrumented by the reference, @socket.io/admin-ui
// 0.5.1, so that test/admin.test.mjs can prove its checks on it before
// running them against the Go chat. It keeps the part of the chat's
// contract those checks use: a nickname and a room in socket.data, the
// "set nickname" and "join" events. The environment is the Go chat's:
// PORT, ADMIN_PASSWORD (bcrypt-hashed at start), ADMIN_USER,
// ADMIN_READONLY.
import { createServer } from "node:http";
import os from "node:os";
import { Server } from "socket.io";
import { instrument } from "@socket.io/admin-ui";
import bcrypt from "bcryptjs";

const port = Number(process.env.PORT || 3000);
const httpServer = createServer();
const io = new Server(httpServer);

if (process.env.ADMIN_PASSWORD) {
  instrument(io, {
    auth: {
      type: "basic",
      username: process.env.ADMIN_USER || "admin",
      password: bcrypt.hashSync(process.env.ADMIN_PASSWORD, 10),
    },
    readonly: ["1", "true"].includes(process.env.ADMIN_READONLY),
    serverId: `${os.hostname()}:${port}`,
  });
}

io.on("connection", (socket) => {
  // Properties of socket.data, not a new object: the instrumentation
  // watches them through the proxy it put there.
  socket.data.nickname = `guest-${socket.id.slice(0, 4)}`;
  socket.data.room = "general";
  socket.join("general");
  socket.on("set nickname", (name, ack) => {
    socket.data.nickname = name;
    ack({ ok: true });
  });
  socket.on("join", (room, ack) => {
    if (socket.data.room !== room) {
      socket.leave(socket.data.room);
      socket.join(room);
      socket.data.room = room;
    }
    ack({ room, users: [] });
  });
});

httpServer.listen(port, () => console.log(`listening on http://localhost:${port}`));
process.on("SIGTERM", () => io.close(() => process.exit(0)));

// MaxHTTPBufferSize: an oversized message disconnects only its sender.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { useServer, waitFor, connected, ack, MAX_BUFFER, bytes } from "./helpers.mjs";

const srv = useServer();

describe("maxHttpBufferSize", () => {
  it("should advertise MaxHTTPBufferSize as maxPayload in the handshake", async () => {
    const res = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.equal(body[0], "0");
    const open = JSON.parse(body.slice(1));
    assert.equal(open.maxPayload, MAX_BUFFER);
    // close the session
    const close = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling&sid=${open.sid}`, { method: "POST", body: "1" });
    assert.equal(close.status, 200);
    await close.text();
  });

  const cases = [
    { name: "a text message", transport: "websocket", payload: () => "x".repeat(MAX_BUFFER * 2), serverReason: "transport error" },
    { name: "a binary attachment", transport: "websocket", payload: () => bytes(MAX_BUFFER * 2), serverReason: "transport error" },
    // over polling the POST is refused with 413; the client then closes
    // with "transport error" (the server may keep the session until then)
    { name: "a text message", transport: "polling", payload: () => "y".repeat(MAX_BUFFER * 2) },
  ];

  for (const c of cases) {
    it(`should disconnect only the sender of ${c.name} larger than MaxHTTPBufferSize over ${c.transport}`, async () => {
      const other = srv.client("/", { transports: [c.transport] });
      const sender = srv.client("/", { transports: [c.transport] });
      await Promise.all([connected(other), connected(sender)]);
      const senderId = sender.id;
      const disconnected = waitFor(sender, "disconnect", 3000);
      sender.emit("echo", c.payload(), () => assert.fail("the oversized message must not be acked"));
      const [reason] = await disconnected;
      assert.ok(
        reason === "transport close" || reason === "transport error",
        `sender disconnect reason: ${reason}`,
      );
      // the other client keeps working
      assert.equal(other.connected, true);
      assert.equal(await ack(other, "echo", "still alive"), "still alive");
      if (c.serverReason) {
        assert.equal(await ack(other, "wait-disconnect", senderId), c.serverReason);
      }
      assert.equal(await ack(other, "echo", "still alive 2"), "still alive 2");
      other.disconnect();
    });
  }

  it("should accept a message just under MaxHTTPBufferSize", async () => {
    const socket = srv.client("/", { transports: ["websocket"] });
    await connected(socket);
    // 42["echo","<s>"] plus the ack id: keep well under the limit
    const s = "z".repeat(MAX_BUFFER - 100);
    assert.equal(await ack(socket, "echo", s), s);
    socket.disconnect();
  });
});

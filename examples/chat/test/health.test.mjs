// The chat's probes for a load balancer or Kubernetes: /readyz and /healthz.
// That readiness turns off before the first client is told to go is
// asserted in the Go tests (socketio/health_test.go), where the drain can
// be held open.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startChat } from "./helpers.mjs";

describe("chat probes", () => {
  let chat;
  before(async () => { chat = await startChat(); });
  after(async () => { await chat?.stop(); });

  for (const path of ["/readyz", "/healthz"]) {
    it(`should answer ${path} with 200 ok while serving`, async () => {
      const res = await fetch(chat.url + path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.equal(await res.text(), "ok\n");
    });
  }

  it("should not serve the probes under the Socket.IO path", async () => {
    const res = await fetch(chat.url + "/socket.io/readyz");
    assert.notEqual(res.status, 200);
  });
});

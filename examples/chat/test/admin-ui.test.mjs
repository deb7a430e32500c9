// The official admin UI (@socket.io/admin-ui 0.5.1, its built files
// served by the Go chat at /admin/) in a real browser: Debian's Chromium
// driven by playwright-core (never a downloaded browser). With
// SCREENSHOT=path, a picture of a socket's page is saved there (make
// screenshot retakes docs/admin-ui.png).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startChat, client, waitFor } from "./helpers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const PASSWORD = "s3cret admin";
let chat, browser;
const sockets = [];

before(async () => {
  assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath} (apt-get install chromium)`);
  chat = await startChat({ ADMIN_PASSWORD: PASSWORD });
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  sockets.splice(0).forEach((s) => s.disconnect());
  await browser?.close();
  if (chat) assert.equal(await chat.stop(), 0);
});

// The UI's page links its fonts from Google Fonts and its icons from
// jsDelivr. The tests reach no CDN: the icon font comes from the npm
// package @mdi/font instead, and Roboto falls back to a local font.
async function offline(page) {
  const mdi = path.join(here, "node_modules", "@mdi", "font");
  await page.route("https://cdn.jsdelivr.net/npm/@mdi/font@latest/**", (route) => {
    const rel = new URL(route.request().url()).pathname.replace(/^\/npm\/@mdi\/font@latest\//, "");
    const file = path.join(mdi, rel);
    if (!file.startsWith(mdi + path.sep) || !existsSync(file)) return route.fulfill({ status: 404 });
    const type = file.endsWith(".css") ? "text/css" : file.endsWith(".woff2") ? "font/woff2" : "application/octet-stream";
    return route.fulfill({ status: 200, contentType: type, body: readFileSync(file) });
  });
  await page.route("https://fonts.googleapis.com/**", (route) => route.fulfill({ status: 200, contentType: "text/css", body: "" }));
}

// settled resolves once the page's transitions have ended.
function settled(page) {
  return page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running"));
}

async function user(nickname, room) {
  const s = await client(chat.url);
  sockets.push(s);
  await s.emitWithAck("set nickname", nickname);
  if (room) await s.emitWithAck("join", room);
  return s;
}

describe("admin UI page", () => {
  it("should log in, list the chat's clients with their rooms and nicknames, disconnect one, and stay logged in when reloaded", async () => {
    const alice = await user("alice", "lobby");
    const bob = await user("bob", "random");
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const errors = [];
    page.on("pageerror", (err) => errors.push(err));
    await offline(page);

    // The login form, as a person fills it: the chat's origin, the user
    // and the password.
    await page.goto(chat.url + "/admin/");
    const form = page.locator(".v-dialog form");
    await form.getByLabel("Server URL").fill(chat.url);
    await form.getByLabel("Username").fill("admin");
    await form.getByLabel("Password").fill("wrong");
    await form.getByRole("button", { name: "Connect" }).click();
    await form.getByText("Invalid credentials").waitFor();
    await form.getByLabel("Password").fill(PASSWORD);
    await form.getByRole("button", { name: "Connect" }).click();
    await page.locator(".v-dialog form").waitFor({ state: "hidden" });

    // The sockets of the main namespace: alice and bob.
    await page.getByRole("navigation").getByRole("link", { name: "Sockets" }).click();
    const rows = page.locator(".v-data-table.row-pointer tbody tr"); // the list of sockets
    await rows.filter({ hasText: alice.id }).waitFor();
    await rows.filter({ hasText: bob.id }).waitFor();

    // Alice's socket: her nickname and room in its data, her rooms.
    await rows.filter({ hasText: alice.id }).click();
    await page.getByText('"nickname": "alice"').waitFor();
    await page.getByText('"room": "lobby"').waitFor();
    const roomsCard = page.locator(".v-card", { hasText: "Rooms" }).last();
    await roomsCard.getByText("lobby", { exact: true }).waitFor();
    if (process.env.SCREENSHOT) {
      await settled(page);
      await page.screenshot({ path: process.env.SCREENSHOT });
    }

    // Bob is disconnected with the button of his row in the list of
    // sockets (the click goes on to the row: his details show him gone),
    // and leaves the list.
    await page.getByRole("navigation").getByRole("link", { name: "Sockets" }).click();
    const bobId = bob.id; // the client forgets it on disconnect
    const bobGone = waitFor(bob, "disconnect");
    await rows.filter({ hasText: bobId }).getByRole("button").click();
    assert.equal(await bobGone, "io server disconnect");
    await page.locator(".v-card", { hasText: bobId }).getByText("disconnected").first().waitFor();
    await page.getByRole("navigation").getByRole("link", { name: "Sockets" }).click();
    await rows.filter({ hasText: alice.id }).waitFor();
    await rows.filter({ hasText: bobId }).waitFor({ state: "detached" });

    // A reload logs in again with the session ID the page kept: no form.
    await page.reload();
    await page.getByRole("navigation").getByRole("link", { name: "Sockets" }).click();
    await rows.filter({ hasText: alice.id }).waitFor();
    assert.equal(await page.locator(".v-dialog form").isVisible(), false);
    assert.equal(await rows.filter({ hasText: bobId }).count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });
});

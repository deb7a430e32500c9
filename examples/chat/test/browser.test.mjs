// The chat page in a real browser: Debian's Chromium driven by
// playwright-core (never a downloaded browser). Two windows chat with each
// other. With SCREENSHOT=path, a picture of both windows is saved there.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import net from "node:net";
import { chromium } from "playwright-core";
import { startChat } from "./helpers.mjs";

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
let chat, browser;

before(async () => {
  assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath} (apt-get install chromium)`);
  chat = await startChat();
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  if (chat) await chat.stop();
});

async function openChat(nick, url = chat.url) {
  const page = await browser.newPage({ viewport: { width: 760, height: 520 } });
  page.on("pageerror", (err) => { throw err; });
  await page.goto(url);
  await page.fill("#nick", nick);
  await page.click("#nick-ok");
  await page.locator("#messages li.notice", { hasText: "You joined #general" }).waitFor();
  return page;
}

// relay forwards TCP connections to the chat server, so that the
// connections of a page loaded through it can be cut as a failing network
// cuts them: Chromium's offline emulation blocks new requests but leaves
// an open websocket alone.
async function relay(port) {
  const open = new Set();
  const srv = net.createServer((c) => {
    const up = net.connect(port, "127.0.0.1");
    const end = () => { c.destroy(); up.destroy(); open.delete(c); };
    open.add(c);
    c.pipe(up).pipe(c);
    for (const s of [c, up]) { s.on("error", end); s.on("close", end); }
  });
  await new Promise((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://localhost:${srv.address().port}`,
    cut() { for (const c of open) c.destroy(); },
    close() { this.cut(); srv.close(); },
  };
}

// texts returns the text of each line of a page's messages, in order.
function texts(page) {
  return page.locator("#messages li").allTextContents();
}

describe("chat page", () => {
  it("should stay connected past the first heartbeat, with no reconnecting banner", async () => {
    const pages = [await openChat("dave"), await openChat("erin")];
    // Count every disconnect and every showing of the banner from now on.
    for (const page of pages) {
      await page.evaluate(() => {
        window.drops = [];
        window.chat.socket.on("disconnect", (reason) => window.drops.push(reason));
        const banner = document.getElementById("banner");
        new MutationObserver(() => {
          if (!banner.hidden) window.drops.push("banner shown");
        }).observe(banner, { attributes: true, attributeFilter: ["hidden"] });
      });
    }
    // The server's default heartbeat: a ping 25 s after the connection
    // opened. Wait for each page's first, then talk over the connection
    // that carried it.
    await Promise.all(pages.map((page) => page.evaluate(() => new Promise((resolve, reject) => {
      window.chat.manager.engine.once("ping", resolve);
      window.chat.socket.once("disconnect", (reason) => reject(new Error(`disconnected before the first ping: ${reason}`)));
      setTimeout(() => reject(new Error("no ping within 40 s")), 40000);
    }))));
    const [dave, erin] = pages;
    await dave.fill("#input", "still here after the heartbeat");
    await dave.click("#send");
    await erin.locator("#messages li", { hasText: "still here after the heartbeat" }).waitFor();
    await erin.fill("#input", "me too");
    await erin.click("#send");
    await dave.locator("#messages li", { hasText: "me too" }).waitFor();
    for (const page of pages) {
      assert.deepEqual(await page.evaluate(() => window.drops), []);
      assert.equal(await page.evaluate(() => window.chat.manager.engine.transport.name), "websocket");
      assert.equal(await page.locator("#banner").isHidden(), true);
    }
    await Promise.all(pages.map((p) => p.close()));
  });

  it("should let two windows chat, with delivery ticks, typing notices, users, rooms and news", async () => {
    const alice = await openChat("alice");
    const bob = await openChat("bob");

    // Alice sees Bob arrive; the users list of the room shows both.
    await alice.locator("#messages li.notice", { hasText: "bob joined" }).waitFor();
    await alice.locator("#users li", { hasText: "bob" }).waitFor();
    await bob.locator("#users li", { hasText: "alice" }).waitFor();

    // Typing notice, then a message with its delivered tick.
    await alice.type("#input", "Hello Bob");
    await bob.locator("#typing", { hasText: "alice is typing" }).waitFor();
    await alice.click("#send");
    await bob.locator("#messages li", { hasText: "Hello Bob" }).waitFor();
    await alice.locator("#messages li.mine .tick").first().waitFor();
    await bob.fill("#input", "Hi Alice!");
    await bob.click("#send");
    await alice.locator("#messages li", { hasText: "Hi Alice!" }).waitFor();

    // The /news namespace shares the connection and shows a headline.
    await alice.waitForFunction(() => document.getElementById("news").textContent.length > 3);

    if (process.env.SCREENSHOT) {
      const shots = await Promise.all([alice.screenshot(), bob.screenshot()]);
      const sheet = await browser.newPage({ viewport: { width: 1560, height: 540 } });
      const img = (b) => `<img src="data:image/png;base64,${b.toString("base64")}" style="border:1px solid #999;margin:4px">`;
      await sheet.setContent(`<body style="margin:0;background:#eee;display:flex">${img(shots[0])}${img(shots[1])}</body>`);
      await sheet.screenshot({ path: process.env.SCREENSHOT });
      await sheet.close();
    }

    // Rooms keep conversations apart.
    await bob.click('button[data-room="random"]');
    await bob.locator("#messages li.notice", { hasText: "You joined #random" }).waitFor();
    await alice.locator("#messages li.notice", { hasText: "bob left" }).waitFor();
    await alice.fill("#input", "only general hears this");
    await alice.click("#send");
    await alice.locator("#messages li.mine", { hasText: "only general hears this" }).locator(".tick").waitFor();
    await bob.fill("#input", "anyone in random?");
    await bob.click("#send");
    await bob.locator("#messages li.mine", { hasText: "anyone in random?" }).locator(".tick").waitFor();
    assert.equal(await bob.locator("#messages li", { hasText: "only general hears this" }).count(), 0);

    // A page that closes: the others in its room see it leave.
    const carol = await openChat("carol");
    await alice.locator("#messages li.notice", { hasText: "carol joined" }).waitFor();
    await carol.close();
    await alice.locator("#messages li.notice", { hasText: "carol left" }).waitFor();

    // A custom room typed by hand.
    await bob.fill("#room-name", "go-fans");
    await bob.click("#room-go");
    await bob.locator("#room-title", { hasText: "#go-fans" }).waitFor();

    // The server goes away: a reconnecting banner; it comes back: the
    // page reconnects by itself, under the same nickname and room.
    assert.equal(await chat.stop(), 0);
    await bob.locator("#banner").waitFor({ state: "visible", timeout: 10000 });
    chat = await startChat({}, chat.port);
    await bob.locator("#banner").waitFor({ state: "hidden", timeout: 20000 });
    await bob.locator("#messages li.notice", { hasText: "You joined #go-fans" }).waitFor({ timeout: 10000 });
    await bob.locator("#users li", { hasText: "bob" }).waitFor();
  });

  it("should show a room's earlier messages to a page that enters it, once and in order", async () => {
    // Earlier messages in general, the room a page starts in.
    const alice = await openChat("hist-alice");
    for (const text of ["general one", "general two"]) {
      await alice.fill("#input", text);
      await alice.click("#send");
      await alice.locator("#messages li.mine", { hasText: text }).locator(".tick").waitFor();
    }
    const bob = await openChat("hist-bob");
    await bob.locator("#messages li", { hasText: "general two" }).waitFor();
    // (General may hold earlier tests' messages too.)
    assert.deepEqual((await texts(bob)).filter((t) => /^hist-|^You joined/.test(t)),
      ["hist-alicegeneral one", "hist-alicegeneral two", "You joined #general"]);

    // Earlier messages in another room.
    await alice.fill("#room-name", "history-room");
    await alice.click("#room-go");
    await alice.locator("#messages li.notice", { hasText: "You joined #history-room" }).waitFor();
    for (const text of ["first", "second", "third"]) {
      await alice.fill("#input", text);
      await alice.click("#send");
      await alice.locator("#messages li.mine", { hasText: text }).locator(".tick").waitFor();
    }

    // Bob enters it, and a message arrives live while his history request
    // is held back: the history, asked for afterwards, holds it too.
    await bob.evaluate(() => {
      const { socket } = window.chat;
      const emitWithAck = socket.emitWithAck.bind(socket);
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      window.releaseHistory = release;
      socket.emitWithAck = async (event, ...args) => {
        if (event === "history") await held;
        return emitWithAck(event, ...args);
      };
    });
    await bob.fill("#room-name", "history-room");
    await bob.click("#room-go");
    await bob.locator("#messages li.notice", { hasText: "You joined #history-room" }).waitFor();
    await alice.fill("#input", "live");
    await alice.click("#send");
    await bob.locator("#messages li", { hasText: "live" }).waitFor();
    await bob.evaluate(() => window.releaseHistory());
    await bob.locator("#messages li", { hasText: "first" }).waitFor();
    assert.deepEqual(await texts(bob), ["hist-alicefirst", "hist-alicesecond", "hist-alicethird", "You joined #history-room", "hist-alicelive"]);

    // A third page, with no hold, sees all four in order.
    const carol = await openChat("hist-carol");
    await carol.fill("#room-name", "history-room");
    await carol.click("#room-go");
    await carol.locator("#messages li", { hasText: "live" }).waitFor();
    assert.deepEqual(await texts(carol), ["hist-alicefirst", "hist-alicesecond", "hist-alicethird", "hist-alicelive", "You joined #history-room"]);
    await Promise.all([alice, bob, carol].map((p) => p.close()));
  });
  it("should show a page that was offline the messages it missed, once and in order, with a reconnected notice", async () => {
    const link = await relay(chat.port);
    try {
      const frank = await openChat("off-frank", link.url);
      const grace = await openChat("off-grace");
      for (const page of [frank, grace]) {
        await page.fill("#room-name", "offline-room");
        await page.click("#room-go");
        await page.locator("#messages li.notice", { hasText: "You joined #offline-room" }).waitFor();
      }
      await frank.locator("#messages li.notice", { hasText: "off-grace joined" }).waitFor();

      // Frank's network goes: no new request gets out, and the open
      // connection breaks.
      await frank.context().setOffline(true);
      link.cut();
      await frank.locator("#banner").waitFor({ state: "visible" });
      for (const text of ["one", "two", "three"]) {
        await grace.fill("#input", text);
        await grace.click("#send");
        await grace.locator("#messages li.mine", { hasText: text }).locator(".tick").waitFor();
      }
      await frank.context().setOffline(false);
      await frank.locator("#messages li.notice", { hasText: "Reconnected" }).waitFor({ timeout: 15000 });
      await frank.locator("#banner").waitFor({ state: "hidden" });
      assert.deepEqual(await texts(frank), ["You joined #offline-room", "off-grace joined",
        "off-graceone", "off-gracetwo", "off-gracethree", "Reconnected: 3 missed messages above"]);

      // Still in the room under the same name, and nothing shown twice.
      await frank.fill("#input", "back");
      await frank.click("#send");
      await grace.locator("#messages li", { hasText: "off-frankback" }).waitFor();
      await grace.fill("#input", "welcome back");
      await grace.click("#send");
      await frank.locator("#messages li", { hasText: "welcome back" }).waitFor();
      assert.deepEqual((await texts(frank)).slice(5), ["Reconnected: 3 missed messages above", "off-frankback✓", "off-gracewelcome back"]);
      assert.deepEqual((await frank.locator("#users li").allTextContents()).sort(), ["off-frank", "off-grace"]);
      // Grace saw Frank neither leave nor join again.
      assert.deepEqual(await grace.locator("#messages li.notice").allTextContents(), ["You joined #offline-room"]);
      await Promise.all([frank, grace].map((p) => p.close()));
    } finally {
      link.close();
    }
  });
});

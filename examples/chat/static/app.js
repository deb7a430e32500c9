// The chat page: plain JavaScript over the official Socket.IO client.
(() => {
  const $ = (id) => document.getElementById(id);
  const manager = new io.Manager(window.location.origin);
  const socket = manager.socket("/");     // the chat
  const news = manager.socket("/news");   // headlines, on the same connection
  window.chat = { manager, socket, news }; // for the browser's console and the tests

  let nickname = "";
  let room = "general";
  let shown = new Set(); // ids of the messages shown for this room
  const typingTimers = new Map();
  let away = false; // between a disconnect and the next connect
  let missed = 0;   // messages received while away, delivered on reconnection

  // add appends li to the messages, or puts it before the element before.
  function add(li, before) {
    $("messages").insertBefore(li, before ?? null);
    $("messages").scrollTop = $("messages").scrollHeight;
    return li;
  }

  function addMessage(from, text, mine, before) {
    const li = document.createElement("li");
    if (mine) li.className = "mine";
    const who = document.createElement("span");
    who.className = "from";
    who.textContent = from;
    li.append(who, document.createTextNode(text));
    return add(li, before);
  }

  function addNotice(text) {
    const li = document.createElement("li");
    li.className = "notice";
    li.textContent = text;
    return add(li);
  }

  function showUsers(users) {
    $("users").replaceChildren(...users.map((u) => {
      const li = document.createElement("li");
      li.textContent = u;
      return li;
    }));
  }

  function markRoom() {
    $("room-title").textContent = "#" + room;
    document.querySelectorAll(".room").forEach((b) => b.classList.toggle("active", b.dataset.room === room));
  }

  async function join(name) {
    const res = await socket.emitWithAck("join", name);
    if (res.error) { addNotice(res.error); return; }
    room = res.room;
    shown = new Set();
    $("messages").replaceChildren();
    markRoom();
    showUsers(res.users);
    await showHistory(room, addNotice(`You joined #${room}`));
  }

  // showHistory puts the room's earlier messages before the "You joined"
  // notice. The page is in the room already, so a message sent meanwhile
  // arrives live, after the notice, and may be in the history too: each
  // id is shown once.
  async function showHistory(name, joined) {
    const res = await socket.emitWithAck("history", name);
    if (!joined.isConnected) return; // the page joined a room since
    if (res.error) { addNotice(res.error); return; }
    for (const m of res.messages) {
      if (shown.has(m.id)) continue;
      shown.add(m.id);
      addMessage(m.from, m.text, m.from === nickname, joined);
    }
  }

  // Nickname first.
  $("welcome").showModal();
  $("nick-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const res = await socket.emitWithAck("set nickname", $("nick").value);
    if (!res.ok) { $("nick-error").textContent = res.error; return; }
    nickname = $("nick").value.trim();
    $("me").textContent = "as " + nickname;
    $("welcome").close();
    await join(room);
    $("input").focus();
  });

  $("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("input").value;
    if (!text) return;
    $("input").value = "";
    const li = addMessage(nickname, text, true);
    const res = await socket.emitWithAck("chat message", text);
    if (res.error) { addNotice(res.error); li.remove(); return; }
    shown.add(res.id);
    const tick = document.createElement("span");
    tick.className = "tick";
    tick.title = "delivered";
    tick.textContent = "✓";
    li.appendChild(tick);
  });

  $("input").addEventListener("input", () => socket.emit("typing"));

  document.querySelectorAll(".room").forEach((b) => b.addEventListener("click", () => join(b.dataset.room)));
  $("room-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("room-name").value.trim();
    if (name) { $("room-name").value = ""; join(name); }
  });

  // With connection state recovery on, each broadcast comes with its
  // offset as an extra last argument, for the client to keep: handlers
  // take only the payload.
  socket.on("chat message", (m) => {
    // One for a room the page is leaving, or one the history showed, is
    // not shown (again).
    if (m.room !== room || shown.has(m.id)) return;
    shown.add(m.id);
    if (away) missed++;
    addMessage(m.from, m.text, false);
    const t = typingTimers.get(m.from);
    if (t) { clearTimeout(t); typingTimers.delete(m.from); renderTyping(); }
  });
  socket.on("user joined", (n) => { addNotice(`${n.nickname} joined`); refreshUsers(); });
  socket.on("user left", (n) => { addNotice(`${n.nickname} left`); refreshUsers(); });

  function renderTyping() {
    const names = [...typingTimers.keys()];
    $("typing").textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
  }
  socket.on("typing", ({ from }) => {
    clearTimeout(typingTimers.get(from));
    typingTimers.set(from, setTimeout(() => { typingTimers.delete(from); renderTyping(); }, 2000));
    renderTyping();
  });

  async function refreshUsers() {
    const res = await socket.emitWithAck("users");
    if (res.room === room) showUsers(res.users);
  }

  news.on("headline", (h) => { $("news").textContent = h.text; });

  // A reconnecting banner while the connection is down. On reconnection
  // the server usually recovers the socket (connection state recovery):
  // same nickname and room, and the messages sent meanwhile arrive before
  // "connect", in order. Otherwise (the server restarted, or the page was
  // away too long) the server sees a new socket: tell it who we are and
  // where.
  socket.on("disconnect", () => { $("banner").hidden = false; away = true; missed = 0; });
  socket.on("connect", async () => {
    $("banner").hidden = true;
    away = false;
    if (socket.recovered) {
      addNotice(missed ? `Reconnected: ${missed} missed message${missed > 1 ? "s" : ""} above` : "Reconnected");
      refreshUsers();
    } else if (nickname) {
      await socket.emitWithAck("set nickname", nickname);
      await join(room);
    }
  });
  // A page that closes says goodbye (a namespace disconnect, which ends
  // the session), so that the others see it leave at once rather than when
  // its session would have expired. One kept in the back-forward cache
  // comes back as a new session.
  window.addEventListener("pagehide", () => { socket.disconnect(); news.disconnect(); });
  window.addEventListener("pageshow", (e) => { if (e.persisted) { socket.connect(); news.connect(); } });
  markRoom();
})();

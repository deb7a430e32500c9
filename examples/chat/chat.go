package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gosio/sio/socketio"
)

// Limits of the chat contract.
const (
	maxMessage  = 2000
	maxNickname = 32
	maxRoom     = 64
	defaultRoom = "general"
)

// user is what the chat keeps with each socket (Socket.SetData), so that
// FetchSockets can list who is in a room, on every server of a cluster.
type user struct {
	Nickname string `json:"nickname"`
	Room     string `json:"room"`
}

// chatMessage is the "chat message" event sent to the other members of a
// room, and what the room's history keeps.
type chatMessage struct {
	ID   string `json:"id"`
	From string `json:"from"`
	Text string `json:"text"`
	Room string `json:"room"`
	TS   int64  `json:"ts"`
}

// notice is the "user joined" and "user left" event.
type notice struct {
	Nickname string `json:"nickname"`
	Room     string `json:"room"`
}

type chat struct {
	io   *socketio.Server
	hist history
	// window is how long a dropped socket may come back (connection state
	// recovery), zero if it cannot. sessionsShared says the sessions are
	// kept in Redis, so that they outlive this server.
	window         time.Duration
	sessionsShared bool

	mu     sync.Mutex
	away   map[string]*time.Timer // socket ID: its "user left", due when its session ends
	closed bool
}

// historyTimeout bounds each call to the history (Redis may be away).
const historyTimeout = 5 * time.Second

func newChat(io *socketio.Server, hist history, window time.Duration, sessionsShared bool) *chat {
	c := &chat{io: io, hist: hist, window: window, sessionsShared: sessionsShared, away: make(map[string]*time.Timer)}
	io.OnConnection(c.onConnection)
	io.Of("/news").OnConnection(func(s *socketio.Socket) {
		_ = s.Emit("headline", headline(0))
	})
	return c
}

// userOf returns the user kept with s.
func userOf(s *socketio.Socket) user { return userFrom(s.Data()) }

// userFrom returns the user in a socket's data: a user, or the map it
// decodes into when it comes from Redis (another server's socket, or a
// session kept there).
func userFrom(data any) user {
	switch d := data.(type) {
	case user:
		return d
	case map[string]any:
		n, _ := d["nickname"].(string)
		r, _ := d["room"].(string)
		return user{Nickname: n, Room: r}
	}
	return user{}
}

func (c *chat) onConnection(s *socketio.Socket) {
	if s.Recovered() {
		// Same ID, nickname and room: the socket never left as far as the
		// room is concerned, so nothing is announced, and the messages it
		// missed are already on their way.
		u := userOf(s)
		s.SetData(u)
		c.back(s.ID())
		log.Printf("a user reconnected: %s (%s in %s)", s.ID(), u.Nickname, u.Room)
	} else {
		log.Printf("a user connected: %s", s.ID())
		s.SetData(user{Nickname: "guest-" + s.ID()[:4], Room: defaultRoom})
		s.Join(defaultRoom)
	}

	// Handlers take their argument as any and check it, so that a client
	// sending the wrong type gets an answer rather than silence.
	s.On("set nickname", func(arg any, ack socketio.Ack) {
		name, ok := arg.(string)
		name = strings.TrimSpace(name)
		switch {
		case !ok:
			_ = ack(map[string]any{"ok": false, "error": "the nickname must be a string"})
		case name == "":
			_ = ack(map[string]any{"ok": false, "error": "the nickname is empty"})
		case utf8.RuneCountInString(name) > maxNickname:
			_ = ack(map[string]any{"ok": false, "error": fmt.Sprintf("the nickname is longer than %d characters", maxNickname)})
		default:
			u := userOf(s)
			u.Nickname = name
			s.SetData(u)
			_ = ack(map[string]any{"ok": true})
		}
	})

	s.On("join", func(arg any, ack socketio.Ack) {
		room, ok := roomName(arg)
		if !ok {
			_ = ack(map[string]any{"error": badRoom})
			return
		}
		u := userOf(s)
		if u.Room != room {
			_ = s.To(u.Room).Emit("user left", notice(u))
			s.Leave(u.Room)
			s.Join(room)
			u.Room = room
			s.SetData(u)
		}
		_ = s.To(room).Emit("user joined", notice{u.Nickname, room})
		_ = ack(map[string]any{"room": room, "users": c.users(room)})
	})

	s.On("users", func(ack socketio.Ack) {
		room := userOf(s).Room
		_ = ack(map[string]any{"room": room, "users": c.users(room)})
	})

	s.On("chat message", func(arg any, ack socketio.Ack) {
		text, ok := arg.(string)
		if !ok || text == "" || utf8.RuneCountInString(text) > maxMessage {
			_ = ack(map[string]any{"error": fmt.Sprintf("a message is a string of 1 to %d characters", maxMessage)})
			return
		}
		u := userOf(s)
		m := chatMessage{ID: newID(), From: u.Nickname, Text: text, Room: u.Room, TS: time.Now().UnixMilli()}
		// Encoded once: the history keeps the very bytes broadcast. Stored
		// before the broadcast and the ack, so that the history is in send
		// order and holds every message anyone received; a message that
		// cannot be stored is not sent at all.
		p, err := json.Marshal(m)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
			err = c.hist.Add(ctx, m.Room, p)
			cancel()
		}
		if err != nil {
			log.Printf("history of room %q: store: %v", m.Room, err)
			_ = ack(map[string]any{"error": "the message could not be stored, try again"})
			return
		}
		_ = s.To(m.Room).Emit("chat message", json.RawMessage(p))
		_ = ack(map[string]any{"id": m.ID, "ts": m.TS})
	})

	// history (room, ack) answers {room, messages}: the room's last
	// historyLen "chat message" payloads, oldest first. Any room may be
	// asked for, as any room may be joined.
	s.On("history", func(arg any, ack socketio.Ack) {
		room, ok := roomName(arg)
		if !ok {
			_ = ack(map[string]any{"error": badRoom})
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
		msgs, err := c.hist.Recent(ctx, room)
		cancel()
		if err != nil {
			log.Printf("history of room %q: read: %v", room, err)
			_ = ack(map[string]any{"error": "the history of this room could not be read, try again"})
			return
		}
		out := make([]any, len(msgs))
		for i, m := range msgs {
			out[i] = m
		}
		_ = ack(map[string]any{"room": room, "messages": out})
	})

	s.On("typing", func() {
		u := userOf(s)
		_ = s.To(u.Room).Volatile().Emit("typing", map[string]string{"from": u.Nickname})
	})

	s.OnDisconnecting(func(reason socketio.DisconnectReason) {
		u := userOf(s)
		if c.mayComeBack(reason) {
			c.leaveLater(s.ID(), u)
			return
		}
		_ = s.To(u.Room).Emit("user left", notice(u))
	})
	s.OnDisconnect(func(reason socketio.DisconnectReason) {
		log.Printf("user disconnected: %s (%s)", s.ID(), reason)
	})
}

// mayComeBack says whether a socket that disconnected for reason keeps a
// session it may be recovered with: a dropped connection, not a goodbye
// (a namespace disconnect by either side, which is how a page that
// closes leaves). A session in memory does not outlive a shutdown.
func (c *chat) mayComeBack(reason socketio.DisconnectReason) bool {
	if c.window == 0 {
		return false
	}
	switch reason {
	case socketio.ReasonTransportError, socketio.ReasonTransportClose, socketio.ReasonForcedClose,
		socketio.ReasonPingTimeout, socketio.ReasonForcedServerClose:
		return true
	case socketio.ReasonServerShuttingDown:
		return c.sessionsShared
	}
	return false
}

// leaveLater announces that u left its room once the session of socket id
// has ended, unless the socket came back meanwhile, here or on another
// server of the cluster (it is then in the room named by its ID).
func (c *chat) leaveLater(id string, u user) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	// A socket recovered on another server and dropped again: the later
	// session counts.
	if t := c.away[id]; t != nil {
		t.Stop()
	}
	// A little past the window, so that a recovery in its last moment is
	// seen.
	var t *time.Timer
	t = time.AfterFunc(c.window+time.Second, func() {
		c.mu.Lock()
		if c.away[id] == t {
			delete(c.away, id)
		}
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		back, err := c.io.In(id).FetchSockets(ctx)
		cancel()
		if err == nil && len(back) > 0 {
			return
		}
		_ = c.io.To(u.Room).Emit("user left", notice(u))
	})
	c.away[id] = t
}

// back cancels the "user left" of socket id, recovered on this server.
func (c *chat) back(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.away[id]; t != nil {
		t.Stop()
		delete(c.away, id)
	}
}

// close drops the "user left" notices still due: this server is going.
func (c *chat) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for id, t := range c.away {
		t.Stop()
		delete(c.away, id)
	}
}

// badRoom answers a room name that is not one.
var badRoom = fmt.Sprintf("a room name is a string of 1 to %d characters", maxRoom)

// roomName returns arg as a room name, trimmed, and whether it is one.
func roomName(arg any) (string, bool) {
	room, ok := arg.(string)
	room = strings.TrimSpace(room)
	return room, ok && room != "" && utf8.RuneCountInString(room) <= maxRoom
}

// users returns the nicknames of the sockets in room, on every server.
func (c *chat) users(room string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sockets, err := c.io.In(room).FetchSockets(ctx)
	if err != nil {
		log.Printf("fetch sockets: %v", err)
	}
	names := make([]string, 0, len(sockets))
	for _, rs := range sockets {
		if u := userFrom(rs.Data()); u.Nickname != "" {
			names = append(names, u.Nickname)
		}
	}
	return names
}

var headlines = []string{
	"A Go server speaks to the official Socket.IO clients",
	"Namespaces: two channels, one connection",
	"Rooms keep conversations apart",
	"Volatile events: typing notices that never pile up",
	"Acks tell you the server got your message",
}

func headline(i int) map[string]any {
	return map[string]any{"text": headlines[i%len(headlines)], "ts": time.Now().UnixMilli()}
}

// pushHeadlines sends a headline to /news every period until ctx ends, to
// the clients of this server only: in a cluster every server runs its own
// ticker, and a broadcast to the cluster would give each page one headline
// per server.
func (c *chat) pushHeadlines(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = c.io.Of("/news").Local().Emit("headline", headline(i))
		}
	}
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

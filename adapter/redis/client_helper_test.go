package redis

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsClient is a Socket.IO client over a websocket, written by hand so that
// the tests see every packet, whichever server (Go or Node) it talks to.
// It joins the main namespace, answers every ack request with answer (or
// its name), and records every event.
type wsClient struct {
	t      testing.TB
	name   string
	conn   *websocket.Conn
	id     string
	events chan event
	gone   chan struct{} // closed on a DISCONNECT packet or a closed connection
	done   chan struct{} // the reader ended

	wmu    sync.Mutex
	mu     sync.Mutex
	nextID int
	acks   map[int]chan []json.RawMessage
	answer func(ev event) any
	once   sync.Once
}

// errNoAnswer, returned by a client's answer function, leaves an ack
// request unanswered.
var errNoAnswer = errors.New("no answer")

// setAnswer sets what the client answers to ack requests.
func (c *wsClient) setAnswer(fn func(ev event) any) {
	c.mu.Lock()
	c.answer = fn
	c.mu.Unlock()
}

// event is an event a client received.
type event struct {
	name  string
	args  []json.RawMessage
	atts  [][]byte
	ackID int // -1 when no ack was asked
}

func (e event) String() string {
	parts := make([]string, len(e.args))
	for i, a := range e.args {
		parts[i] = string(a)
	}
	return e.name + "(" + strings.Join(parts, ",") + ")"
}

// arg decodes argument i.
func (e event) arg(i int) any {
	if i >= len(e.args) {
		return nil
	}
	var v any
	_ = json.Unmarshal(e.args[i], &v)
	return v
}

// dialClient connects a client named name to the server at base (an
// http:// URL); the handshake query has name=<name>.
func dialClient(t testing.TB, base, name string) *wsClient {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket&name=" + url.QueryEscape(name)
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	c := &wsClient{
		t: t, name: name, conn: conn,
		events: make(chan event, 1024),
		gone:   make(chan struct{}),
		done:   make(chan struct{}),
		acks:   make(map[int]chan []json.RawMessage),
	}
	t.Cleanup(c.close)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, open, err := conn.ReadMessage()
	if err != nil || !strings.HasPrefix(string(open), "0{") {
		t.Fatalf("%s: open packet %q: %v", name, open, err)
	}
	c.write("40")
	_, connect, err := conn.ReadMessage()
	if err != nil || !strings.HasPrefix(string(connect), `40{"sid":"`) {
		t.Fatalf("%s: connect packet %q: %v", name, connect, err)
	}
	var v struct{ Sid string }
	_ = json.Unmarshal(connect[2:], &v)
	c.id = v.Sid
	_ = conn.SetReadDeadline(time.Time{})
	go c.read()
	return c
}

func (c *wsClient) close() {
	c.once.Do(func() { _ = c.conn.Close() })
	<-c.done
}

func (c *wsClient) write(s string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.WriteMessage(websocket.TextMessage, []byte(s))
}

func (c *wsClient) read() {
	defer close(c.done)
	defer c.markGone()
	for {
		op, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		if op != websocket.TextMessage {
			continue // binary frames are read with their packet
		}
		s := string(data)
		switch {
		case s == "2":
			c.write("3")
		case strings.HasPrefix(s, "41"):
			return
		case strings.HasPrefix(s, "4"):
			if err := c.onPacket(s[1:]); err != nil {
				return
			}
		}
	}
}

func (c *wsClient) markGone() {
	select {
	case <-c.gone:
	default:
		close(c.gone)
	}
}

// onPacket handles a Socket.IO packet of the main namespace.
func (c *wsClient) onPacket(s string) error {
	typ := s[0]
	s = s[1:]
	natt := 0
	if typ == '5' || typ == '6' {
		i := strings.IndexByte(s, '-')
		natt, _ = strconv.Atoi(s[:i])
		s = s[i+1:]
	}
	id := -1
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j > 0 {
		id, _ = strconv.Atoi(s[:j])
	}
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(s[j:]), &raw); err != nil {
		c.t.Errorf("%s: bad packet %q: %v", c.name, s, err)
		return nil
	}
	var atts [][]byte
	for range natt {
		op, data, err := c.conn.ReadMessage()
		if err != nil {
			return err
		}
		if op != websocket.BinaryMessage {
			c.t.Errorf("%s: expected a binary frame, got %q", c.name, data)
		}
		atts = append(atts, data)
	}
	switch typ {
	case '2', '5': // EVENT
		var name string
		_ = json.Unmarshal(raw[0], &name)
		ev := event{name: name, args: raw[1:], atts: atts, ackID: id}
		if id >= 0 {
			c.mu.Lock()
			fn := c.answer
			c.mu.Unlock()
			var ans any = c.name
			if fn != nil {
				ans = fn(ev)
			}
			if ans != errNoAnswer {
				b, _ := json.Marshal([]any{ans})
				c.write("43" + strconv.Itoa(id) + string(b))
			}
		}
		select {
		case c.events <- ev:
		default:
			c.t.Errorf("%s: event queue full", c.name)
		}
	case '3', '6': // ACK
		c.mu.Lock()
		ch := c.acks[id]
		delete(c.acks, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- raw
		}
	}
	return nil
}

// call sends an event with an ack request and returns the ack's arguments.
func (c *wsClient) call(event string, args ...any) []json.RawMessage {
	c.t.Helper()
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	ch := make(chan []json.RawMessage, 1)
	c.acks[id] = ch
	c.mu.Unlock()
	b, _ := json.Marshal(append([]any{event}, args...))
	c.write("42" + strconv.Itoa(id) + string(b))
	select {
	case res := <-ch:
		return res
	case <-time.After(10 * time.Second):
		c.t.Fatalf("%s: no ack for %s", c.name, b)
		return nil
	}
}

// next returns the next event, failing after a timeout.
func (c *wsClient) next() event {
	c.t.Helper()
	select {
	case ev := <-c.events:
		return ev
	case <-time.After(5 * time.Second):
		c.t.Fatalf("%s: no event within 5s", c.name)
		return event{}
	}
}

// expect returns the next event, which must be named name.
func (c *wsClient) expect(name string) event {
	c.t.Helper()
	ev := c.next()
	if ev.name != name {
		c.t.Fatalf("%s: got event %s, want %q", c.name, ev, name)
	}
	return ev
}

// expectGone waits for the server to disconnect the socket.
func (c *wsClient) expectGone() {
	c.t.Helper()
	select {
	case <-c.gone:
	case <-time.After(5 * time.Second):
		c.t.Fatalf("%s: not disconnected", c.name)
	}
}

// join asks the server to put the socket in rooms (the test servers'
// "join" event, with an ack once done).
func (c *wsClient) join(rooms ...string) {
	c.t.Helper()
	for _, r := range rooms {
		c.call("join", r)
	}
}

func (c *wsClient) String() string { return fmt.Sprintf("%s(%s)", c.name, c.id) }

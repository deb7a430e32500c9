package socketio

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// rawClient speaks Engine.IO/Socket.IO over a websocket by hand, so that
// tests see the exact frames.
type rawClient struct {
	t    testing.TB
	conn *websocket.Conn
	sid  string
}

func dial(t testing.TB, ts *httptest.Server) *rawClient {
	t.Helper()
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &rawClient{t: t, conn: conn}
	t.Cleanup(func() { conn.Close() })
	open := c.read()
	if !strings.HasPrefix(open, "0{") {
		t.Fatalf("open packet: %q", open)
	}
	var hs struct{ Sid string }
	_ = json.Unmarshal([]byte(open[1:]), &hs)
	c.sid = hs.Sid
	return c
}

// connect joins namespace nsp ("/" for the main one) and returns the
// socket ID from the server's CONNECT.
func (c *rawClient) connect(nsp, auth string) string {
	c.t.Helper()
	prefix := ""
	if nsp != "/" {
		prefix = nsp + ","
	}
	c.write("40" + prefix + auth)
	got := c.read()
	if !strings.HasPrefix(got, "40"+prefix+`{"sid":"`) {
		c.t.Fatalf("connect %s: got %q", nsp, got)
	}
	var v struct{ Sid string }
	_ = json.Unmarshal([]byte(got[len("40"+prefix):]), &v)
	return v.Sid
}

func (c *rawClient) write(s string) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

func (c *rawClient) writeBinary(b []byte) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.t.Fatalf("write binary: %v", err)
	}
}

// next returns the next frame other than a ping (which it answers), or an
// error.
func (c *rawClient) next(timeout time.Duration) (string, bool, error) {
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
		op, data, err := c.conn.ReadMessage()
		if err != nil {
			return "", false, err
		}
		if op == websocket.TextMessage && string(data) == "2" {
			_ = c.conn.WriteMessage(websocket.TextMessage, []byte("3"))
			continue
		}
		return string(data), op == websocket.BinaryMessage, nil
	}
}

func (c *rawClient) read() string {
	c.t.Helper()
	s, _, err := c.next(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return s
}

func (c *rawClient) readBinary() []byte {
	c.t.Helper()
	s, bin, err := c.next(5 * time.Second)
	if err != nil || !bin {
		c.t.Fatalf("read binary: %q %v %v", s, bin, err)
	}
	return []byte(s)
}

// expectNothing fails if a frame other than a ping arrives within d.
func (c *rawClient) expectNothing(d time.Duration) {
	c.t.Helper()
	s, _, err := c.next(d)
	if err == nil {
		c.t.Fatalf("unexpected frame %q", s)
	}
}

// expectClose waits for the server to close the connection.
func (c *rawClient) expectClose(d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		_, _, err := c.next(time.Until(deadline))
		if err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				break
			}
			return
		}
	}
	c.t.Fatalf("connection not closed within %v", d)
}

// newTestServer starts a server on an httptest server; both close at the
// end of the test.
func newTestServer(t testing.TB, opts *Options, setup func(io *Server)) (*Server, *httptest.Server) {
	t.Helper()
	io := NewServer(opts)
	if setup != nil {
		setup(io)
	}
	ts := httptest.NewServer(io)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		_ = io.Close()
		ts.Close()
	})
	return io, ts
}

// waitFor receives from ch or fails after a timeout.
func waitFor[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting")
		panic("unreachable")
	}
}

package socketio

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dialV3 opens a raw Engine.IO v3 websocket to ts and returns it with the
// sid of its open packet.
func dialV3(t *testing.T, url string) (*websocket.Conn, string) {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/socket.io/?EIO=3&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	open := readV3(t, c)
	var o struct{ Sid string }
	if !strings.HasPrefix(open, "0") || json.Unmarshal([]byte(open[1:]), &o) != nil || o.Sid == "" {
		t.Fatalf("open packet %q", open)
	}
	return c, o.Sid
}

func readV3(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	op, data, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if op == websocket.BinaryMessage {
		return "bin:" + string(data)
	}
	return string(data)
}

func sendV3(t *testing.T, c *websocket.Conn, op int, msg string) {
	t.Helper()
	if err := c.WriteMessage(op, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// A v2 client is connected to "/" without sending CONNECT, gets "40" with
// no data and the connection's ID, and the query of its CONNECT to another
// namespace is that socket's auth.
func TestEIO3ImplicitConnect(t *testing.T) {
	t.Parallel()
	ids := make(chan string, 4)
	_, ts := newTestServer(t, &Options{AllowEIO3: true}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			ids <- s.ID()
			s.On("bin", func(b []byte, ack Ack) { _ = ack(b) })
		})
		io.Of("/admin").OnConnection(func(s *Socket) {
			_ = s.Emit("auth", s.Handshake().Auth)
		})
		io.Of("/closed").Use(func(*Socket) error {
			return &ConnectError{Message: "no entry"}
		})
	})
	c, sid := dialV3(t, ts.URL)
	if got := readV3(t, c); got != "40" {
		t.Fatalf("after the open packet: %q, want 40", got)
	}
	if id := <-ids; id != sid {
		t.Errorf("socket ID %q, want the connection's %q", id, sid)
	}
	// Binary attachments travel as v3 binary frames, with the type byte.
	sendV3(t, c, websocket.TextMessage, `451-1["bin",{"_placeholder":true,"num":0}]`)
	sendV3(t, c, websocket.BinaryMessage, "\x04\x01\x02")
	if got := readV3(t, c); got != `461-1[{"_placeholder":true,"num":0}]` {
		t.Errorf("binary ack %q", got)
	}
	if got := readV3(t, c); got != "bin:\x04\x01\x02" {
		t.Errorf("attachment %q", got)
	}
	sendV3(t, c, websocket.TextMessage, "40/admin?token=abc&x=1,")
	if got := readV3(t, c); got != "40/admin," {
		t.Errorf("CONNECT answer %q", got)
	}
	if got := readV3(t, c); got != `42/admin,["auth",{"token":"abc","x":"1"}]` {
		t.Errorf("auth %q", got)
	}
	sendV3(t, c, websocket.TextMessage, "40/closed,")
	if got := readV3(t, c); got != `44/closed,"no entry"` {
		t.Errorf("connect error %q", got)
	}
	// The client pings, the server answers.
	sendV3(t, c, websocket.TextMessage, "2")
	if got := readV3(t, c); got != "3" {
		t.Errorf("pong %q", got)
	}
}

// Without AllowEIO3, an EIO=3 handshake is refused.
func TestEIO3RefusedWithoutOption(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, nil, nil)
	_, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/socket.io/?EIO=3&transport=websocket", nil)
	if err == nil || res == nil || res.StatusCode != 400 {
		t.Errorf("EIO=3 handshake: %v, %v", res, err)
	}
}

package engine

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A client that sends its last message and closes its socket at once: the
// message and the end of the stream reach the poller in one event, and the
// session must still see the end, rather than wait for the heartbeat to
// time out (a page that says goodbye and closes would stay connected for
// pingInterval + pingTimeout).
func TestLastMessageAndHangupInOneEvent(t *testing.T) {
	// No echo: an answer unread when the client closes would make its
	// kernel reset the connection rather than end it.
	ts := newTestServer(t, Config{}, func(h *testHandler) { h.echo = false })
	for i := range 30 {
		c, _, h := ts.openWS(t)
		if err := c.WriteMessage(websocket.TextMessage, []byte("4bye")); err != nil {
			t.Fatal(err)
		}
		_ = c.NetConn().Close()
		if m := h.waitMsg(t); m.data != "bye" {
			t.Fatalf("session %d: got %q", i, m.data)
		}
		select {
		case ev := <-h.closed:
			if ev.reason != ReasonTransportClose {
				t.Fatalf("session %d: closed with %v (%v), want transport close", i, ev.reason, ev.err)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("session %d: still open 2 s after its client closed the socket", i)
		}
	}
}

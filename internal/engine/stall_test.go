//go:build linux

package engine

import (
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosio/sio/internal/testkit"
)

type stallHandler struct{ closed chan error }

func (stallHandler) OnMessage([]byte, bool) {}
func (h stallHandler) OnClose(_ CloseReason, err error) {
	h.closed <- err
}

// A websocket client that stops reading is dropped with ErrStalled once it
// has taken nothing for half the write timeout while messages keep coming, even
// though all of them still fit in the kernel's buffers (so neither the
// queue bound nor the write timeout would notice).
func TestStalledClientIsDropped(t *testing.T) {
	t.Parallel()
	h := stallHandler{closed: make(chan error, 1)}
	sessions := make(chan *Session, 1)
	srv := NewServer(Config{
		PingInterval: time.Hour,
		OnConnection: func(s *Session) Handler { sessions <- s; return h },
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()
	d := &websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if err == nil {
			_ = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	// A kit client reads only when asked.
	c := testkit.MustDial(t, ts.URL, &testkit.Options{Path: "/", Dialer: d})
	defer c.Close()
	s := testkit.Receive(t, sessions)
	// After the open packet, the client reads nothing. 1 KiB every 5 ms is 200 KiB/s:
	// in 7 s, about 1.4 MiB, which the kernel's buffers mostly absorb.
	msg := NewPacket(PacketMessage, []byte(strings.Repeat("x", 1024)))
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-h.closed:
			if !errors.Is(err, ErrStalled) {
				t.Fatalf("closed with %v, want ErrStalled", err)
			}
			patience := srv.cfg.stallPatience()
			if d := time.Since(start); d < patience || d > patience+5*time.Second {
				t.Fatalf("dropped after %v, want a little over %v", d, patience)
			}
			return
		case <-tick.C:
			if time.Since(start) > 20*time.Second {
				t.Fatal("the stalled client was not dropped")
			}
			_ = s.Send(msg)
		}
	}
}

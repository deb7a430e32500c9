package socketio

import (
	"context"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/testkit"
)

// No user code runs under a library lock: each kind of callback may call
// back into the API. Every call is bounded: a deadlock fails the test
// instead of hanging it.
// fn runs on a goroutine of its own, so it reports by its error, which
// fails the test here.
func within(t *testing.T, what string, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		require.NoError(t, err, what)
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still blocked after 5 s (a callback under a lock?)", what)
	}
}

// callBackIn exercises the API from inside a callback about socket s.
func callBackIn(io *Server, s *Socket) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.Join("reentry")
	_ = s.Emit("from-callback")
	_ = io.To("reentry").Emit("to-room")
	_, _ = io.FetchSockets(ctx)
	_ = io.In("reentry").SocketsJoin("reentry-2")
	_ = io.In("reentry-2").SocketsLeave("reentry-2")
	s.Leave("reentry")
	_ = io.Of("/reentry-static")
}

func TestOutgoingListenerMayCallBackIn(t *testing.T) {
	var calls atomic.Int32
	io, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.OnAnyOutgoing(func(event string, _ Args) {
				if event == "news" && calls.Add(1) == 1 { // once: it emits too
					callBackIn(io, s)
				}
			})
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	id := c.MustConnect(t, "/", "")
	within(t, "io.Emit with an outgoing listener that joins and emits", func() error {
		return io.Emit("news", 1)
	})
	within(t, "a broadcast to a room, same listener", func() error {
		return io.To(id).Emit("news", 2)
	})
	assert.EqualValues(t, 2, calls.Load())
}

func TestNewNamespaceHookMayCallBackIn(t *testing.T) {
	var hooked atomic.Int32
	io, ts := newTestServer(t, nil, func(io *Server) {
		io.OnNewNamespace(func(n *Namespace) {
			hooked.Add(1)
			// The namespace itself, another one, and a broadcast.
			_ = io.Of(n.Name())
			if !strings.HasSuffix(n.Name(), "-other") {
				_ = io.Of(n.Name() + "-other")
			}
			_ = n.Emit("hello")
			n.Use(func(s *Socket) error { s.SetData("hooked"); return nil })
		})
		io.OfRegexp(regexp.MustCompile(`^/dyn-`)).OnConnection(func(s *Socket) {
			_ = s.Emit("data", s.Data())
		})
	})
	within(t, "a static namespace whose hook calls Of", func() error { _ = io.Of("/static"); return nil })
	c := testkit.MustDial(t, ts.URL, nil)
	within(t, "a dynamic namespace whose hook calls Of", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
		defer cancel()
		_, err := c.Connect(ctx, "/dyn-a", "")
		return err
	})
	// The hook's middleware ran for the socket that made the namespace.
	assert.Equal(t, `42/dyn-a,["data","hooked"]`, c.MustRead(t))
	assert.GreaterOrEqual(t, hooked.Load(), int32(4))
}

func TestRoomEventListenerMayCallBackIn(t *testing.T) {
	var calls atomic.Int32
	io, ts := newTestServer(t, nil, func(io *Server) {
		io.Sockets().OnRoomEvent(func(ev adapter.Event) {
			if ev.Type == adapter.JoinRoom && ev.Room == "lobby" && calls.Add(1) == 1 {
				s := io.Sockets().Socket(string(ev.ID))
				if s != nil {
					callBackIn(io, s)
				}
			}
		})
		io.OnConnection(func(s *Socket) {
			s.On("join", func(room string) { _ = s.Join(room) })
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	id := c.MustConnect(t, "/", "")
	within(t, "a join whose room listener calls back in", func() error {
		return io.Sockets().Socket(id).Join("lobby")
	})
	assert.EqualValues(t, 1, calls.Load())
}

func TestHandlersMayCallBackIn(t *testing.T) {
	done := make(chan string, 4)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.Use(func(s *Socket) error {
			callBackIn(io, s)
			done <- "middleware"
			return nil
		})
		io.OnConnection(func(s *Socket) {
			callBackIn(io, s)
			done <- "connection"
			s.On("go", func() {
				callBackIn(io, s)
				done <- "event"
				_ = io.In(s.ID()).DisconnectSockets(false)
			})
			s.OnDisconnect(func(DisconnectReason) {
				_ = io.Emit("gone")
				_, _ = io.FetchSockets(context.Background())
				done <- "disconnect"
			})
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `42["go"]`)
	for _, want := range []string{"middleware", "connection", "event", "disconnect"} {
		assert.Equal(t, want, testkit.Receive(t, done))
	}
}

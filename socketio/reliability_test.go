package socketio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/room"
)

// A client that stops reading is disconnected on its own, with "transport
// error", once its queue passes its bound; the others get every message.
func TestSlowConsumerIsDisconnectedAlone(t *testing.T) {
	reasons := make(chan DisconnectReason, 8)
	// The default bound (1 MiB), and no heartbeat to help: the stalled
	// client must be found by its queue alone, though the kernel's
	// buffers could hide megabytes.
	io, ts := newTestServer(t, &Options{PingInterval: time.Hour}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
		})
	})
	const fast, total = 4, 6000
	payload := strings.Repeat("x", 1000)
	stalled := testkit.MustDial(t, ts.URL, nil)
	stalled.MustConnect(t, "/", "") // and never reads again
	var wg sync.WaitGroup
	counts := make([]atomic.Int64, fast)
	for i := range fast {
		c := testkit.MustDial(t, ts.URL, nil)
		c.MustConnect(t, "/", "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for counts[i].Load() < total {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				f, err := c.Read(ctx)
				cancel()
				if err != nil {
					return
				}
				if s := f.Data; strings.HasPrefix(s, `42["m",`) {
					// In order: the n-th message carries n.
					want := fmt.Sprintf(`42["m",%d,`, counts[i].Load())
					if !strings.HasPrefix(s, want) {
						t.Errorf("fast client %d: got %.20q, want %s...", i, s, want)
						return
					}
					counts[i].Add(1)
				}
			}
		}()
	}
	// A flood the readers keep up with: at most 100 messages ahead of the
	// slowest of them.
	slowest := func() int64 {
		m := int64(total)
		for i := range counts {
			m = min(m, counts[i].Load())
		}
		return m
	}
	deadline := time.Now().Add(20 * time.Second)
	floodStart := time.Now()
	for i := range total {
		for int64(i)-slowest() > 100 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		require.NoError(t, io.Emit("m", i, payload))
	}
	assert.Equal(t, ReasonTransportError, testkit.Receive(t, reasons), "the stalled client is dropped")
	t.Logf("the stalled client was dropped %v after the flood started", time.Since(floodStart))
	wg.Wait()
	for i := range counts {
		assert.Equal(t, int64(total), counts[i].Load(), "fast client %d lost messages", i)
	}
	select {
	case r := <-reasons:
		t.Fatalf("another client was disconnected: %v", r)
	default:
	}
}

// A client that vanishes without closing its TCP connection is reaped by
// the heartbeat within pingInterval+pingTimeout, with its rooms, acks and
// goroutines.
func TestVanishedClientIsReaped(t *testing.T) {
	base := runtime.NumGoroutine()
	reasons := make(chan DisconnectReason, 1)
	acked := make(chan error, 1)
	io, ts := newTestServer(t, &Options{PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.Join("a", "b")
			s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
			go func() {
				_, err := s.EmitWithAck(context.Background(), "never answered")
				acked <- err
			}()
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	start := time.Now()
	c.MustConnect(t, "/", "")
	// From now on the client neither reads nor answers pings.
	assert.Equal(t, ReasonPingTimeout, testkit.Receive(t, reasons))
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.ErrorIs(t, testkit.Receive(t, acked), ErrDisconnected, "a pending ack does not outlive its socket")
	inMemory := io.Sockets().Adapter().(interface {
		Index() *room.Index[adapter.Member]
	})
	require.Eventually(t, func() bool { return inMemory.Index().Len() == 0 }, 2*time.Second, 10*time.Millisecond, "rooms left")
	assert.Empty(t, io.Sockets().Sockets())
	assert.Zero(t, io.EngineCount())
	c.Close()
	// Left running: the test server's accept loop, Eventually's own
	// goroutine and the engine's poller (one per server, not per client).
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= base+3 }, 5*time.Second, 20*time.Millisecond,
		"goroutines back to baseline")
}

// A long-polling handshake that is never followed by a poll expires the
// same way.
func TestAbandonedPollingHandshakeExpires(t *testing.T) {
	srv, ts := newTestServer(t, &Options{PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond}, nil)
	for range 20 {
		res, err := http.Get(ts.URL + "/socket.io/?EIO=4&transport=polling")
		require.NoError(t, err)
		_, _ = io.ReadAll(res.Body)
		res.Body.Close()
	}
	assert.Equal(t, 20, srv.EngineCount())
	require.Eventually(t, func() bool { return srv.EngineCount() == 0 }, 3*time.Second, 10*time.Millisecond)
}

// Hostile packets close the connection that sent them and cost the server
// nothing lasting; other clients go on.
func TestHostileInputIsRefusedCheaply(t *testing.T) {
	io, ts := newTestServer(t, &Options{PingInterval: time.Hour}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("echo", func(args Args, ack Ack) { _ = ack(rawArgs(args)...) })
		})
	})
	good := testkit.MustDial(t, ts.URL, nil)
	good.MustConnect(t, "/", "")
	deep := `42["echo",` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `]`
	badPlaceholder := `451-["echo",{"_placeholder":true,"num":5}]`
	bad := []string{
		deep,
		`4511-["echo"]`,
		badPlaceholder,
		`4299999999999999999999["echo"]`,
		`42["echo"`,
		`42/nope,["echo"]`,
		`4x`,
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for round := range 30 {
		for _, pkt := range bad {
			c := testkit.MustDial(t, ts.URL, nil)
			if !strings.HasPrefix(pkt, "42/nope") {
				c.MustConnect(t, "/", "")
			}
			c.MustSend(t, pkt)
			c.MustSeeClose(t, 2*time.Second)
			c.Close()
		}
		if round == 0 {
			good.MustSend(t, `421["echo","still here"]`)
			assert.Equal(t, `431["still here"]`, good.MustRead(t))
		}
	}
	require.Eventually(t, func() bool { return io.EngineCount() == 1 }, 2*time.Second, 10*time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapInuse) - int64(before.HeapInuse)
	assert.Less(t, growth, int64(8<<20), "heap grew by %d bytes after %d hostile connections", growth, 30*len(bad))
	good.MustSend(t, `422["echo","after all that"]`)
	assert.Equal(t, `432["after all that"]`, good.MustRead(t))
}

// Shutdown sends an Engine.IO close and a websocket close frame 1001, so
// the official client reconnects (to another node) by itself.
func TestShutdownSendsEngineCloseThenGoingAway(t *testing.T) {
	io := NewServer(nil)
	ts := httptest.NewServer(io)
	defer ts.Close()
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, io.Shutdown(ctx))
	assert.Equal(t, "1", c.MustRead(t))
	ctx, cancel = context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	_, err := c.Read(ctx)
	var ce *websocket.CloseError
	require.True(t, errors.As(err, &ce), "got %v", err)
	assert.Equal(t, websocket.CloseGoingAway, ce.Code)
}

func rawArgs(args Args) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

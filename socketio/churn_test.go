package socketio

import (
	"context"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/room"
)

func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// Thousands of clients that vanish (TCP dropped without a close, or a
// polling handshake never followed up) leave nothing behind: sessions,
// sockets, rooms, acks, goroutines and file descriptors return to their
// baseline within pingInterval+pingTimeout.
func TestChurnLeavesNothingBehind(t *testing.T) {
	const wsClients, pollClients = 1500, 500
	srv, ts := newTestServer(t, &Options{PingInterval: 200 * time.Millisecond, PingTimeout: 200 * time.Millisecond}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			_ = s.Join("lobby", "room-"+s.ID()[:2])
			go func() { _, _ = s.EmitWithAck(context.Background(), "hello?") }() // never answered
		})
	})
	runtime.GC()
	baseGoroutines, baseFDs := runtime.NumGoroutine(), openFDs()
	var baseMem runtime.MemStats
	runtime.ReadMemStats(&baseMem)

	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	var wg sync.WaitGroup
	var mu sync.Mutex
	var silent []*websocket.Conn
	sem := make(chan struct{}, 50)
	for i := range wsClients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conn, _, err := websocket.DefaultDialer.Dial(url, nil)
			if err != nil {
				t.Error(err)
				return
			}
			_, _, _ = conn.ReadMessage() // open
			_ = conn.WriteMessage(websocket.TextMessage, []byte("40"))
			_, _, _ = conn.ReadMessage() // connect
			if i%2 == 0 {
				conn.UnderlyingConn().Close() // abrupt: no close frame
			} else {
				// Silent: the TCP connection stays, nothing answers pings.
				mu.Lock()
				silent = append(silent, conn)
				mu.Unlock()
			}
		}()
	}
	for range pollClients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := http.Get(ts.URL + "/socket.io/?EIO=4&transport=polling")
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.ReadAll(res.Body)
			res.Body.Close()
		}()
	}
	wg.Wait()

	require.Eventually(t, func() bool { return srv.EngineCount() == 0 }, 10*time.Second, 20*time.Millisecond,
		"sessions left: %d", srv.EngineCount())
	require.Eventually(t, func() bool { return len(srv.Sockets().Sockets()) == 0 }, 5*time.Second, 20*time.Millisecond)
	idx := srv.Sockets().Adapter().(interface {
		Index() *room.Index[adapter.Member]
	}).Index()
	require.Eventually(t, func() bool { return idx.Len() == 0 && len(idx.AllRooms()) == 0 }, 5*time.Second, 20*time.Millisecond,
		"rooms left: %d", len(idx.AllRooms()))
	for _, c := range silent { // the test's own ends of the connections
		c.Close()
	}
	ts.CloseClientConnections()
	http.DefaultClient.CloseIdleConnections()
	require.Eventually(t, func() bool {
		runtime.GC()
		return runtime.NumGoroutine() <= baseGoroutines+5 && openFDs() <= baseFDs+5
	}, 10*time.Second, 50*time.Millisecond, "goroutines %d (baseline %d), fds %d (baseline %d)",
		runtime.NumGoroutine(), baseGoroutines, openFDs(), baseFDs)
	assert.Zero(t, srv.jobsRunning())
	var mem runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&mem)
	growth := int64(mem.HeapAlloc) - int64(baseMem.HeapAlloc)
	t.Logf("live heap %d -> %d bytes after %d vanished clients", baseMem.HeapAlloc, mem.HeapAlloc, wsClients+pollClients)
	assert.Less(t, growth, int64(4<<20), "the live heap returns to its baseline")
}

package postgres

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gosio/sio/internal/testkit/pgtest"
)

// BenchmarkClusterBroadcast measures broadcasts that enter the cluster at
// one Go server and reach the clients of another through Postgres
// NOTIFY: the deliveries/s metric counts the events the clients received,
// broadcasts/s the notifications.
func BenchmarkClusterBroadcast(b *testing.B) {
	pg := pgtest.Shared(b)
	pool := pg.NewPool(b)
	o := testOptions(b, pool)
	g1 := startGoNode(b, "go1", NewAdapter(pool, o))
	g2 := startGoNode(b, "go2", NewAdapter(pool, o))
	waitServerCount(b, g1.io, 2)
	const clients = 100
	var received atomic.Int64
	var wg sync.WaitGroup
	// Clients that only count events.
	conns := make([]*websocket.Conn, clients)
	for i := range conns {
		u := "ws" + strings.TrimPrefix(g2.url, "http") + "/socket.io/?EIO=4&transport=websocket"
		conn, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = conn
		_, _, _ = conn.ReadMessage() // open
		_ = conn.WriteMessage(websocket.TextMessage, []byte("40"))
		_, _, _ = conn.ReadMessage() // connect
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					return
				}
				if len(data) > 2 && data[0] == '4' && data[1] == '2' {
					received.Add(1)
				} else if string(data) == "2" {
					_ = conn.WriteMessage(websocket.TextMessage, []byte("3"))
				}
			}
		}()
	}
	b.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
		wg.Wait()
	})
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := g1.io.Emit("m", i); err != nil {
			b.Fatal(err)
		}
	}
	want := int64(b.N) * clients
	deadline := time.Now().Add(60 * time.Second)
	for received.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("received %d of %d", received.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
	d := time.Since(start).Seconds()
	b.ReportMetric(float64(want)/d, "deliveries/s")
	b.ReportMetric(float64(b.N)/d, "broadcasts/s")
}

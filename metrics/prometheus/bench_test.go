package prometheus

import (
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/socketio"
)

// BenchmarkBroadcast1000 measures srv.Emit to 1000 local websocket
// sockets, without a collector and with one registered (with the Go and
// process collectors) and gathered every 100 ms by another goroutine, ten
// times as often as Prometheus usually scrapes. The core counts either
// way; allocs/recipient, measured between gatherings, shows that a
// delivery allocates nothing.
func BenchmarkBroadcast1000(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "metrics=off"
		if on {
			name = "metrics=on"
		}
		b.Run(name, func(b *testing.B) { benchBroadcast(b, 1000, on) })
	}
}

func benchBroadcast(b *testing.B, n int, metrics bool) {
	srv := socketio.NewServer(&socketio.Options{PingInterval: time.Hour, MaxQueueBytes: 64 << 20})
	ts := httptest.NewServer(srv)
	b.Cleanup(func() {
		ts.CloseClientConnections()
		_ = srv.Close()
		ts.Close()
	})
	for range n {
		c := testkit.MustDial(b, ts.URL, nil)
		c.MustConnect(b, "/", "")
		go discard(c.NetConn())
	}
	var gathering sync.Mutex // held while a gathering runs
	if metrics {
		reg := NewRegistry(srv)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					gathering.Lock()
					if _, err := reg.Gather(); err != nil {
						panic(err)
					}
					gathering.Unlock()
				}
			}
		}()
		b.Cleanup(func() { close(stop); wg.Wait() })
	}
	payload := string(make([]byte, 100))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := srv.Emit("msg", payload); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	gathering.Lock() // no gathering's allocations in the count
	allocs := testing.AllocsPerRun(10, func() { _ = srv.Emit("msg", payload) })
	gathering.Unlock()
	b.ReportMetric(allocs/float64(n), "allocs/recipient")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/recipient")
}

// discard reads and drops everything the server sends to a client.
func discard(c net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

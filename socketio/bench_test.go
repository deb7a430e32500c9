package socketio

import (
	"net"
	"testing"
	"time"

	"github.com/gosio/sio/internal/testkit"
)

// drainClients connects n websocket clients to the main namespace and
// discards everything they receive, reading raw bytes so that the clients
// allocate nothing per message.
func drainClients(b *testing.B, n int) *Server {
	io, ts := newTestServer(b, &Options{PingInterval: time.Hour, MaxQueueBytes: 64 << 20}, nil)
	for range n {
		c := testkit.MustDial(b, ts.URL, nil)
		c.MustConnect(b, "/", "")
		raw := c.NetConn()
		go func(raw net.Conn) {
			buf := make([]byte, 64<<10)
			for {
				if _, err := raw.Read(buf); err != nil {
					return
				}
			}
		}(raw)
	}
	return io
}

// BenchmarkBroadcast1000 measures io.Emit to 1000 local websocket sockets:
// the packet is encoded once and the same bytes are queued to every
// recipient, so the allocations do not grow with the recipients.
func BenchmarkBroadcast1000(b *testing.B) {
	const n = 1000
	io := drainClients(b, n)
	payload := string(make([]byte, 100))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := io.Emit("msg", payload); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(testing.AllocsPerRun(10, func() { _ = io.Emit("msg", payload) }))/n, "allocs/recipient")
}

// BenchmarkEmitToOneSocket measures Socket.Emit of a small event.
func BenchmarkEmitToOneSocket(b *testing.B) {
	io := drainClients(b, 1)
	s := io.Sockets().Sockets()[0]
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Emit("msg", "hello", 42); err != nil {
			b.Fatal(err)
		}
	}
}

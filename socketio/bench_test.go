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
func drainClients(b *testing.B, n int, rec *ConnectionStateRecovery) *Server {
	io, ts := newTestServer(b, &Options{PingInterval: time.Hour, MaxQueueBytes: 64 << 20, ConnectionStateRecovery: rec}, nil)
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

// recoveryModes are the variants of the emit benchmarks: without
// connection-state recovery, and with it (each emit then gets an offset
// and is logged).
var recoveryModes = []struct {
	name string
	rec  *ConnectionStateRecovery
}{{"recovery=off", nil}, {"recovery=on", &ConnectionStateRecovery{}}}

// BenchmarkBroadcast1000 measures io.Emit to 1000 local websocket sockets:
// the packet is encoded once and the same bytes are queued to every
// recipient, so the allocations do not grow with the recipients; with
// recovery on, the offset is part of that one encoding.
func BenchmarkBroadcast1000(b *testing.B) {
	for _, m := range recoveryModes {
		b.Run(m.name, func(b *testing.B) { benchBroadcast1000(b, m.rec) })
	}
}

func benchBroadcast1000(b *testing.B, rec *ConnectionStateRecovery) {
	const n = 1000
	io := drainClients(b, n, rec)
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

// BenchmarkEmitToOneSocket measures Socket.Emit of a small event; with
// recovery on it goes through the adapter to the socket's room, as in the
// reference, to be logged.
func BenchmarkEmitToOneSocket(b *testing.B) {
	for _, m := range recoveryModes {
		b.Run(m.name, func(b *testing.B) { benchEmitToOneSocket(b, m.rec) })
	}
}

func benchEmitToOneSocket(b *testing.B, rec *ConnectionStateRecovery) {
	io := drainClients(b, 1, rec)
	s := io.Sockets().Sockets()[0]
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Emit("msg", "hello", 42); err != nil {
			b.Fatal(err)
		}
	}
}

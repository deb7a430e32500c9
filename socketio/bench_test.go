package socketio

import (
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/internal/testkit"
	sioparser "github.com/gosio/sio/parser"
	"github.com/gosio/sio/parser/msgpack"
	"github.com/gosio/sio/room"
)

// drainClients connects n websocket clients to the main namespace and
// discards everything they receive, reading raw bytes so that the clients
// allocate nothing per message.
func drainClients(b *testing.B, n int, rec *ConnectionStateRecovery) *Server {
	return drainClientsWith(b, n, rec, nil)
}

// drainClientsWith is drainClients for a server with parser p (nil:
// JSON): its clients send a msgpack CONNECT when p is set.
func drainClientsWith(b *testing.B, n int, rec *ConnectionStateRecovery, p sioparser.Parser) *Server {
	io, ts := newTestServer(b, &Options{PingInterval: time.Hour, MaxQueueBytes: 64 << 20, ConnectionStateRecovery: rec, Parser: p}, nil)
	connect, err := msgpack.AppendPacket(nil, &sioparser.Packet{Type: sioparser.Connect, Namespace: "/"})
	if err != nil {
		b.Fatal(err)
	}
	for range n {
		c := testkit.MustDial(b, ts.URL, nil)
		if p == nil {
			c.MustConnect(b, "/", "")
		} else {
			c.MustSendBinary(b, connect)
			c.MustReadBinary(b) // the CONNECT answer
		}
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

// BenchmarkBroadcast1000Msgpack is BenchmarkBroadcast1000 with the
// msgpack parser: the JSON form is translated to msgpack once per
// broadcast, whatever the number of recipients.
func BenchmarkBroadcast1000Msgpack(b *testing.B) {
	for _, m := range recoveryModes {
		b.Run(m.name, func(b *testing.B) {
			const n = 1000
			io := drainClientsWith(b, n, m.rec, msgpack.Parser{})
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
		})
	}
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

// BenchmarkRecoveryMemory measures what connection-state recovery keeps
// in memory: the heap per logged broadcast (a 100-byte string argument,
// to every socket) and per stored session (two rooms, small data).
func BenchmarkRecoveryMemory(b *testing.B) {
	const n = 20000
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	payload := string(make([]byte, 100))
	for b.Loop() {
		io := NewServer(&Options{ConnectionStateRecovery: &ConnectionStateRecovery{}})
		sa := io.Sockets().Adapter().(*adapter.SessionAware)
		h0 := heap()
		for range n {
			_ = io.Emit("msg", payload)
		}
		h1 := heap()
		for i := range n {
			id := room.SocketID(engine.NewID())
			_ = sa.PersistSession(&adapter.Session{SID: id, PID: engine.NewID(), Rooms: []room.Room{room.Room(id), "general"},
				Data: map[string]string{"nick": fmt.Sprint("user", i)}})
		}
		h2 := heap()
		b.ReportMetric(float64(h1-h0)/n, "B/packet")
		b.ReportMetric(float64(h2-h1)/n, "B/session")
		b.ReportMetric(float64(sa.Stats().Bytes)/n, "counted-B/packet")
		_ = io.Close()
	}
}

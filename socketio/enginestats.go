package socketio

import (
	"sync/atomic"

	"github.com/gosio/sio/internal/engine"
)

// EngineStats is a snapshot of a server's Engine.IO connections and of
// what they have carried since the server started; see
// [Server.EngineStats]. The counters only grow: a reader that wants rates
// subtracts two snapshots.
type EngineStats struct {
	// Clients is the number of open connections ([Server.EngineCount]),
	// PollingClients those of them on HTTP long-polling (not upgraded to
	// websocket).
	Clients, PollingClients int
	// Opened counts the connections opened.
	Opened uint64
	// Closed counts the connections closed, by the reason their sockets
	// saw (transport close, ping timeout, forced close, ...). Reasons that
	// never happened are left out.
	Closed map[DisconnectReason]uint64
	// PacketsIn counts the Engine.IO messages received from clients (a
	// binary attachment is a message of its own) and BytesIn their data;
	// PacketsOut and BytesOut, the messages queued to clients. Heartbeats
	// and the handshake are not counted, and the bytes are the messages'
	// data, without the type byte or any framing: the reference's
	// "packet" and "packetCreate" data, as @socket.io/admin-ui counts it.
	PacketsIn, BytesIn, PacketsOut, BytesOut uint64
}

// traffic holds the counters behind [Server.EngineStats]. The receive
// side is counted by the connections' readers, the send side by whoever
// sends, so the two are kept on different cache lines.
type traffic struct {
	opened atomic.Uint64
	closed [ReasonServerNamespaceDisconnect + 1]atomic.Uint64

	_                  [64]byte
	packetsIn, bytesIn atomic.Uint64
	_                  [64]byte
	packetsOut         atomic.Uint64
	bytesOut           atomic.Uint64
}

// received counts one message read from a client.
func (t *traffic) received(data []byte) {
	t.packetsIn.Add(1)
	t.bytesIn.Add(uint64(len(data)))
}

// sent counts messages queued to a client.
func (t *traffic) sent(pkts []*engine.Packet) {
	n := 0
	for _, p := range pkts {
		n += len(p.Payload())
		if !p.Binary() {
			n-- // the type byte
		}
	}
	t.packetsOut.Add(uint64(len(pkts)))
	t.bytesOut.Add(uint64(n))
}

// EngineStats returns a snapshot of the server's Engine.IO connections and
// traffic since it started. Counting costs two atomic additions per
// message; the snapshot looks at every open connection (for
// PollingClients), so it is for sampling now and then, such as an admin
// dashboard's or a metrics scraper's.
func (srv *Server) EngineStats() EngineStats {
	t := &srv.traffic
	st := EngineStats{
		Clients:        srv.engine.Count(),
		PollingClients: srv.engine.CountPolling(),
		Opened:         t.opened.Load(),
		Closed:         make(map[DisconnectReason]uint64),
		PacketsIn:      t.packetsIn.Load(),
		BytesIn:        t.bytesIn.Load(),
		PacketsOut:     t.packetsOut.Load(),
		BytesOut:       t.bytesOut.Load(),
	}
	for r := range t.closed {
		if n := t.closed[r].Load(); n > 0 {
			st.Closed[DisconnectReason(r)] = n
		}
	}
	return st
}

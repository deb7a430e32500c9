package engine

import (
	"errors"
	"os"
	"sync/atomic"
)

// Stats is a snapshot of a server's counters: totals since the server was
// made, and the sessions open now. See [Server.Stats].
type Stats struct {
	// Polling and WebSocket are the sessions open now, by transport: a
	// session counts as polling until its upgrade completes.
	Polling, WebSocket int
	// Opened counts the sessions opened (handshakes answered).
	Opened uint64
	// Upgrades counts the sessions upgraded from long-polling to websocket.
	Upgrades uint64
	// BytesReceived and BytesSent count the Engine.IO traffic as the
	// transports carry it: websocket frames with their headers (with
	// permessage-deflate, messages before compression and after
	// decompression, without headers), long-polling POST bodies and GET
	// response bodies (before HTTP compression). HTTP headers, the
	// websocket handshake and the final close frame are not counted.
	BytesReceived, BytesSent uint64
	// MessagesReceived and MessagesSent count message packets (each
	// Socket.IO packet is one, and so is each binary attachment): those
	// the handler got, and those a writer took from a session's queue to
	// write. Other packets (open, ping, pong, noop, close) are not counted.
	MessagesReceived, MessagesSent uint64
	// Refused counts the requests refused with an Engine.IO error code
	// (those [Config.OnConnectionError] hears of), by code.
	Refused [NumErrorCodes]uint64
	// SlowClients counts the sessions closed because their client did not
	// keep up: a queue past Config.MaxQueueBytes, a websocket peer that
	// stopped taking what it was sent, or a write past the write timeout.
	SlowClients uint64
}

// NumErrorCodes is the number of [ErrorCode] values: they run from 0 to
// NumErrorCodes-1.
const NumErrorCodes = int(CodeUnsupportedVersion) + 1

// statShards is the number of slots that sessions spread their traffic
// counters over (a power of two): each session adds to the slot it was
// given when it was made, so that sessions served at once on different
// CPUs seldom write the same cache line, and a scrape sums the slots.
const statShards = 16

// statSlot holds the traffic counters of the sessions given this slot, on
// a cache line of its own.
type statSlot struct {
	bytesIn, bytesOut, msgsIn, msgsOut atomic.Uint64
	_                                  [64 - 4*8]byte
}

// counters are a server's statistics, read by [Server.Stats]. Traffic is
// added per read, per write and per message, without a lock, to the
// session's slot; the rest changes once per session or per refusal.
type counters struct {
	slots     [statShards]statSlot
	next      atomic.Uint32 // the slot of the next session
	polling   atomic.Int64
	websocket atomic.Int64
	opened    atomic.Uint64
	upgrades  atomic.Uint64
	slow      atomic.Uint64
	refused   [NumErrorCodes]atomic.Uint64
}

// slot returns the slot of a new session or connection, in turn.
func (c *counters) slot() *statSlot {
	return &c.slots[c.next.Add(1)&(statShards-1)]
}

// refusedWith counts a request refused with code.
func (c *counters) refusedWith(code ErrorCode) {
	if code >= 0 && int(code) < NumErrorCodes {
		c.refused[code].Add(1)
	}
}

// slowClient reports whether a session closed with err was closed for not
// keeping up with what it was sent.
func slowClient(err error) bool {
	return errors.Is(err, ErrQueueFull) || errors.Is(err, ErrStalled) || errors.Is(err, os.ErrDeadlineExceeded)
}

// Stats returns the server's counters. It takes no lock and allocates
// nothing; the values are read one by one, so a snapshot taken while
// sessions come and go may be off by those in flight.
func (srv *Server) Stats() Stats {
	c := &srv.stats
	st := Stats{
		Polling:     int(c.polling.Load()),
		WebSocket:   int(c.websocket.Load()),
		Opened:      c.opened.Load(),
		Upgrades:    c.upgrades.Load(),
		SlowClients: c.slow.Load(),
	}
	for i := range c.slots {
		sl := &c.slots[i]
		st.BytesReceived += sl.bytesIn.Load()
		st.BytesSent += sl.bytesOut.Load()
		st.MessagesReceived += sl.msgsIn.Load()
		st.MessagesSent += sl.msgsOut.Load()
	}
	for i := range c.refused {
		st.Refused[i] = c.refused[i].Load()
	}
	return st
}

package socketio

import (
	"sync"
	"sync/atomic"

	"github.com/gosio/sio/internal/engine"
)

// Stats is a snapshot of a server's counters: totals since the server was
// created, and what is open now. [Server.Stats] returns it; a monitoring
// package (metrics/prometheus) or an admin page reads it as often as it
// likes, and per-interval figures are the differences between two
// snapshots.
//
// The Socket.IO counters are the sums over every namespace; see
// [NamespaceStats] for them one namespace at a time.
type Stats struct {
	// PollingConnections and WebSocketConnections are the Engine.IO
	// connections open now, by transport: a connection counts as polling
	// until its upgrade to websocket completes.
	PollingConnections, WebSocketConnections int
	// ConnectionsOpened counts the Engine.IO connections opened (the
	// handshakes answered); Upgrades those upgraded from long-polling to
	// websocket.
	ConnectionsOpened, Upgrades uint64
	// BytesReceived and BytesSent count the Engine.IO traffic as the
	// transports carry it: websocket frames with their headers (with
	// Options.PerMessageDeflate, messages before compression and after
	// decompression), long-polling POST and response bodies (before HTTP
	// compression). HTTP headers, the websocket handshake and the final
	// close frame are left out.
	BytesReceived, BytesSent uint64
	// MessagesReceived and MessagesSent count Engine.IO message packets:
	// each Socket.IO packet (CONNECT, EVENT, ACK, ...) is one, and so is
	// each binary attachment. A packet counts as sent when a writer takes
	// it from the connection's queue.
	MessagesReceived, MessagesSent uint64
	// ConnectionErrors counts the requests refused before a connection
	// existed, by the code the client got ([ConnectionError.Code]): the
	// refusals [Options.OnConnectionError] hears of.
	ConnectionErrors [NumConnectionErrorCodes]uint64
	// SlowClientDisconnects counts the connections closed because their
	// client did not keep up: a queue past MaxQueueBytes, a websocket
	// client that stopped taking what it was sent, or a write that did not
	// finish within WriteTimeout (see [Options.MaxQueueBytes]).
	SlowClientDisconnects uint64

	// Sockets is the number of sockets connected now, every namespace
	// together (a client in two namespaces has two).
	Sockets int
	// Connections counts the sockets that connected to a namespace
	// (recovered ones included); Disconnections those that disconnected,
	// for any reason.
	Connections, Disconnections uint64
	// EventsReceived counts the events the clients sent; EventsSent the
	// events queued to clients (a broadcast counts once per recipient);
	// Broadcasts the broadcasts sent from this server (a
	// [BroadcastOperator]'s Emit or EmitWithAck, and those of the
	// namespaces and the server); AckTimeouts the acks that did not come
	// in time.
	EventsReceived, EventsSent, Broadcasts, AckTimeouts uint64
}

// NumConnectionErrorCodes is the number of Engine.IO error codes: a
// [ConnectionError.Code] runs from 0 to NumConnectionErrorCodes-1.
const NumConnectionErrorCodes = engine.NumErrorCodes

// NumDisconnectReasons is the number of [DisconnectReason] values: they
// run from 0 to NumDisconnectReasons-1.
const NumDisconnectReasons = int(ReasonServerNamespaceDisconnect) + 1

// NamespaceStats are the counters of one namespace, or of every child of
// one [ParentNamespace] together: the children of a parent share the
// parent's counters and its name, so that however many names clients ask
// for, the set of NamespaceStats is the namespaces the server declared
// (with [Server.Of]) and its parents. The counters survive a child's
// removal ([Options.CleanupEmptyChildNamespaces]).
type NamespaceStats struct {
	// Name is the namespace's name, or the parent's ("/_0", see
	// [ParentNamespace.Name]).
	Name string
	// Parent reports that these are the counters of a parent's children.
	Parent bool
	// Sockets is the number of sockets connected now.
	Sockets int
	// Connections counts the sockets that connected (recovered ones
	// included).
	Connections uint64
	// Disconnects counts the sockets that disconnected, by reason:
	// Disconnects[ReasonPingTimeout] is how many for "ping timeout".
	Disconnects [NumDisconnectReasons]uint64
	// EventsReceived, EventsSent, Broadcasts and AckTimeouts are as in
	// [Stats].
	EventsReceived, EventsSent, Broadcasts, AckTimeouts uint64
}

// Stats returns the server's counters. It takes no lock and allocates
// nothing, so it may be called often; the values are read one by one, so
// a snapshot taken while sockets come and go may be off by those in
// flight.
func (srv *Server) Stats() Stats {
	e := srv.engine.Stats()
	st := Stats{
		PollingConnections:    e.Polling,
		WebSocketConnections:  e.WebSocket,
		ConnectionsOpened:     e.Opened,
		Upgrades:              e.Upgrades,
		BytesReceived:         e.BytesReceived,
		BytesSent:             e.BytesSent,
		MessagesReceived:      e.MessagesReceived,
		MessagesSent:          e.MessagesSent,
		ConnectionErrors:      e.Refused,
		SlowClientDisconnects: e.SlowClients,
	}
	for _, g := range srv.stats.list() {
		var ns NamespaceStats
		g.read(&ns)
		st.Sockets += ns.Sockets
		st.Connections += ns.Connections
		for _, n := range ns.Disconnects {
			st.Disconnections += n
		}
		st.EventsReceived += ns.EventsReceived
		st.EventsSent += ns.EventsSent
		st.Broadcasts += ns.Broadcasts
		st.AckTimeouts += ns.AckTimeouts
	}
	return st
}

// NamespaceStats appends to dst the counters of each namespace the server
// declared and of each [ParentNamespace] (its children together), in the
// order they were created, and returns the extended slice. Like
// [Server.Stats] it takes no lock; it allocates only to grow dst.
func (srv *Server) NamespaceStats(dst []NamespaceStats) []NamespaceStats {
	for _, g := range srv.stats.list() {
		dst = append(dst, NamespaceStats{})
		g.read(&dst[len(dst)-1])
	}
	return dst
}

// statShards is the number of slots the event counters of a namespace
// are spread over (a power of two): a socket counts its events in the
// slot of its client, numbered when the client connected, so that the
// handlers of clients running on different CPUs seldom write the same
// cache line; reading sums the slots.
const statShards = 16

// eventSlot holds event counters on a cache line of its own.
type eventSlot struct {
	in, out atomic.Uint64
	_       [64 - 2*8]byte
}

// nsStats are the counters of a namespace, or of the children of a
// parent. Events are counted in the socket's slot, per event and per
// recipient, without a lock; the rest once per socket, broadcast or
// timeout.
type nsStats struct {
	name   string
	parent bool

	sockets     atomic.Int64
	connections atomic.Uint64
	broadcasts  atomic.Uint64
	ackTimeouts atomic.Uint64
	disconnects [NumDisconnectReasons]atomic.Uint64
	slots       [statShards]eventSlot
}

// read fills ns with the counters.
func (g *nsStats) read(ns *NamespaceStats) {
	ns.Name, ns.Parent = g.name, g.parent
	ns.Sockets = int(g.sockets.Load())
	ns.Connections = g.connections.Load()
	ns.Broadcasts = g.broadcasts.Load()
	ns.AckTimeouts = g.ackTimeouts.Load()
	for i := range g.disconnects {
		ns.Disconnects[i] = g.disconnects[i].Load()
	}
	for i := range g.slots {
		ns.EventsReceived += g.slots[i].in.Load()
		ns.EventsSent += g.slots[i].out.Load()
	}
}

// disconnected counts a socket that disconnected for reason.
func (g *nsStats) disconnected(reason DisconnectReason) {
	if reason >= 0 && int(reason) < NumDisconnectReasons {
		g.disconnects[reason].Add(1)
	}
}

// statGroups are the counters of a server's namespaces: one nsStats per
// declared namespace and per parent, never removed, so that a counter
// never goes back and clients cannot add names.
type statGroups struct {
	mu     sync.Mutex // guards byName and the replacement of all; a leaf
	byName map[string]*nsStats
	// all lists the groups in creation order; it is replaced, never
	// changed in place, so that readers load it without the lock.
	all atomic.Pointer[[]*nsStats]
}

// group returns the counters named name, made on first use. A parent and
// a declared namespace of the same name (a namespace called "/_0") share
// them.
func (gs *statGroups) group(name string, parent bool) *nsStats {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if g := gs.byName[name]; g != nil {
		return g
	}
	g := &nsStats{name: name, parent: parent}
	if gs.byName == nil {
		gs.byName = make(map[string]*nsStats)
	}
	gs.byName[name] = g
	var all []*nsStats
	if p := gs.all.Load(); p != nil {
		all = *p
	}
	all = append(all[:len(all):len(all)], g)
	gs.all.Store(&all)
	return g
}

// list returns every group.
func (gs *statGroups) list() []*nsStats {
	if p := gs.all.Load(); p != nil {
		return *p
	}
	return nil
}

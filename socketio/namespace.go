package socketio

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/room"
)

// A Namespace is a communication channel multiplexed over the clients'
// connections: a client joins it with a CONNECT packet, and then has one
// [Socket] in it. Handlers, middleware, rooms and sockets of one namespace
// are independent of every other namespace. Every send goes through the
// namespace's [adapter.Adapter], so that a cluster adapter reaches the
// sockets of the other servers too. Its methods are safe for concurrent
// use.
type Namespace struct {
	srv     *Server
	name    string
	adapter adapter.Adapter
	// stats are the namespace's counters, or its parent's (shared by
	// every child); see Server.Stats.
	stats *nsStats

	ackIDs atomic.Uint64
	// logsOffsets: the adapter appends recovery offsets to the broadcasts
	// it logs, and encodes them itself (adapter.OffsetLogger).
	logsOffsets bool
	// ready is closed once the OnNewNamespace hooks have run for this
	// namespace: a CONNECT waits for it, so that what the hooks install
	// (middleware, handlers) applies to every socket.
	ready chan struct{}

	mu         sync.RWMutex
	middleware []func(*Socket) error
	onConnect  []func(*Socket)
	onRoom     []func(adapter.Event)
	onServer   []func(event string, args []any, ack func(any))
	sockets    map[string]*Socket
}

func newNamespace(srv *Server, name string, stats *nsStats) *Namespace {
	n := &Namespace{srv: srv, name: name, stats: stats, sockets: make(map[string]*Socket), ready: make(chan struct{})}
	factory := srv.opts.Adapter
	if factory == nil {
		factory = adapter.NewInMemory
		if r := srv.opts.ConnectionStateRecovery; r != nil {
			factory = adapter.NewSessionAware(adapter.RecoveryOptions{
				MaxDisconnectionDuration: r.MaxDisconnectionDuration,
				MaxLogBytes:              r.MaxLogBytes,
			})
		}
	}
	n.adapter = factory(nspView{n})
	if ol, ok := n.adapter.(adapter.OffsetLogger); ok && srv.opts.ConnectionStateRecovery != nil {
		n.logsOffsets = ol.LogsOffsets()
	}
	return n
}

// nspView is the namespace as its adapter sees it.
type nspView struct{ n *Namespace }

// Name implements adapter.Namespace.
func (v nspView) Name() string { return v.n.name }

// OnAdapterEvent implements adapter.Namespace: it hands the room event to
// the namespace's OnRoomEvent listeners.
func (v nspView) OnAdapterEvent(ev adapter.Event) {
	v.n.mu.RLock()
	fns := v.n.onRoom
	v.n.mu.RUnlock()
	for _, fn := range fns {
		fn(ev)
	}
}

// OnServerSideEmit implements adapter.Namespace: it hands an event from
// another server to the namespace's OnServerSideEmit listeners.
func (v nspView) OnServerSideEmit(args []any, ack func(any)) {
	if len(args) == 0 {
		return
	}
	event, _ := args[0].(string)
	v.n.mu.RLock()
	fns := v.n.onServer
	v.n.mu.RUnlock()
	for _, fn := range fns {
		fn(event, args[1:], ack)
	}
}

// Prepare encodes a packet that came from another server, once, for local
// delivery.
func (v nspView) Prepare(p *adapter.Packet) {
	if p.Encoded == nil {
		p.Encoded = encodeRaw(v.n.srv.codec, v.n.name, 0, false, p.Data, p.Attachments)
	}
}

// PrepareWithAck encodes a packet that came from another server with a
// new ack ID of this namespace; it implements [adapter.AckPreparer].
func (v nspView) PrepareWithAck(p *adapter.Packet) uint64 {
	id := v.n.ackIDs.Add(1) - 1
	p.Encoded = encodeRaw(v.n.srv.codec, v.n.name, id, true, p.Data, p.Attachments)
	return id
}

// PrepareWithOffset encodes a broadcast with its recovery offset as the
// last argument, once for every recipient; it implements
// [adapter.OffsetPreparer].
func (v nspView) PrepareWithOffset(p *adapter.Packet, offset string) {
	enc := frameWithOffset(v.n.srv.codec, v.n.name, p.Data, p.Attachments, offset)
	p.Data, p.Encoded = enc.data, enc
}

// MaxDisconnectionDuration returns the recovery window of the server, and
// false when recovery is off; it implements [adapter.RecoveryWindow].
func (v nspView) MaxDisconnectionDuration() (time.Duration, bool) {
	r := v.n.srv.opts.ConnectionStateRecovery
	if r == nil {
		return 0, false
	}
	if r.MaxDisconnectionDuration <= 0 {
		return adapter.DefaultMaxDisconnectionDuration, true
	}
	return r.MaxDisconnectionDuration, true
}

var (
	_ adapter.AckPreparer    = nspView{}
	_ adapter.OffsetPreparer = nspView{}
	_ adapter.RecoveryWindow = nspView{}
)

// Name returns the namespace's name, such as "/" or "/chat".
func (n *Namespace) Name() string { return n.name }

// Server returns the server the namespace belongs to.
func (n *Namespace) Server() *Server { return n.srv }

// Adapter returns the namespace's adapter.
func (n *Namespace) Adapter() adapter.Adapter { return n.adapter }

// OnConnection registers fn to run for each socket that connects, after
// the middleware accepted it and the client was told so. Handlers run in
// the order they were registered, on the connection's handler goroutine
// (see [Socket]).
func (n *Namespace) OnConnection(fn func(s *Socket)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.onConnect = append(n.onConnect[:len(n.onConnect):len(n.onConnect)], fn)
}

// Use adds a middleware, run for each connecting socket in the order added,
// before the connection handlers. A middleware that returns an error
// refuses the connection: the client gets a CONNECT_ERROR with the error's
// message (and data, for a [*ConnectError]) and no socket is created.
func (n *Namespace) Use(fn func(s *Socket) error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.middleware = append(n.middleware[:len(n.middleware):len(n.middleware)], fn)
}

// OnRoomEvent registers fn to receive the adapter's room events
// (create-room, delete-room, join-room, leave-room), own-ID rooms
// included. fn runs synchronously where the change happens and must not
// block.
func (n *Namespace) OnRoomEvent(fn func(ev adapter.Event)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.onRoom = append(n.onRoom[:len(n.onRoom):len(n.onRoom)], fn)
}

// OnServerSideEmit registers fn to receive the events that other servers
// of the cluster send with ServerSideEmit; ack is nil unless the sender
// waits for answers.
func (n *Namespace) OnServerSideEmit(fn func(event string, args []any, ack func(any))) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.onServer = append(n.onServer[:len(n.onServer):len(n.onServer)], fn)
}

// Sockets returns the sockets connected to the namespace on this server.
func (n *Namespace) Sockets() []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for _, s := range n.sockets {
		out = append(out, s)
	}
	return out
}

// Socket returns the socket of this server with the given ID, or nil.
func (n *Namespace) Socket(id string) *Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.sockets[id]
}

// To returns an operator that broadcasts to the sockets in rooms.
func (n *Namespace) To(rooms ...string) *BroadcastOperator { return newOperator(n).To(rooms...) }

// In is an alias of [Namespace.To].
func (n *Namespace) In(rooms ...string) *BroadcastOperator { return n.To(rooms...) }

// Except returns an operator that broadcasts to every socket except those
// in rooms.
func (n *Namespace) Except(rooms ...string) *BroadcastOperator {
	return newOperator(n).Except(rooms...)
}

// Volatile returns an operator whose events are dropped for the clients
// that cannot take them at once.
func (n *Namespace) Volatile() *BroadcastOperator { return newOperator(n).Volatile() }

// Local returns an operator that reaches the sockets of this server only.
func (n *Namespace) Local() *BroadcastOperator { return newOperator(n).Local() }

// Compress returns an operator with compression on or off.
func (n *Namespace) Compress(on bool) *BroadcastOperator { return newOperator(n).Compress(on) }

// Timeout returns an operator whose EmitWithAck waits at most d.
func (n *Namespace) Timeout(d time.Duration) *BroadcastOperator {
	return newOperator(n).Timeout(d)
}

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error {
	return newOperator(n).Emit(event, args...)
}

// Send emits a "message" event to every socket of the namespace.
func (n *Namespace) Send(args ...any) error { return n.Emit("message", args...) }

// Write is an alias of [Namespace.Send].
func (n *Namespace) Write(args ...any) error { return n.Send(args...) }

// FetchSockets returns every socket of the namespace, on every server.
func (n *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return newOperator(n).FetchSockets(ctx)
}

// SocketsJoin makes every socket of the namespace join rooms.
func (n *Namespace) SocketsJoin(rooms ...string) error { return newOperator(n).SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the namespace leave rooms.
func (n *Namespace) SocketsLeave(rooms ...string) error {
	return newOperator(n).SocketsLeave(rooms...)
}

// DisconnectSockets disconnects every socket of the namespace; with close,
// their connections too.
func (n *Namespace) DisconnectSockets(close bool) error {
	return newOperator(n).DisconnectSockets(close)
}

// ServerSideEmit sends an event to the other servers of the cluster (not
// this one), where [Namespace.OnServerSideEmit] handlers receive it. The
// in-memory adapter returns [adapter.ErrNotSupported].
func (n *Namespace) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	if reservedServerEvents[event] {
		return ErrReservedEvent
	}
	return n.adapter.ServerSideEmit(ctx, append([]any{event}, args...))
}

// ServerSideEmitWithAck is [Namespace.ServerSideEmit] waiting for one
// answer from each other server.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]any, error) {
	if reservedServerEvents[event] {
		return nil, ErrReservedEvent
	}
	return n.adapter.ServerSideEmitWithAck(ctx, append([]any{event}, args...))
}

var reservedServerEvents = map[string]bool{"connect": true, "connection": true, "new_namespace": true}

func (n *Namespace) handlers() ([]func(*Socket) error, []func(*Socket)) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.middleware, n.onConnect
}

// add registers a connected socket and puts it in its own-ID room.
func (n *Namespace) add(s *Socket) {
	n.mu.Lock()
	n.sockets[s.id] = s
	n.mu.Unlock()
	n.stats.connections.Add(1)
	n.stats.sockets.Add(1)
	n.adapter.AddAll(room.SocketID(s.id), s, room.Room(s.id))
	s.indexed.Store(true)
	if l := n.srv.debugLogger(); l != nil {
		l.LogAttrs(context.Background(), slog.LevelDebug, "socketio: socket connected", slog.String("socket", s.id), slog.String("nsp", n.name),
			slog.String("sid", s.client.sess.ID()), slog.String("transport", s.Transport()), slog.Bool("recovered", s.recovered))
	}
}

func (n *Namespace) remove(s *Socket) {
	n.mu.Lock()
	delete(n.sockets, s.id)
	empty := len(n.sockets) == 0
	n.mu.Unlock()
	n.stats.sockets.Add(-1)
	if empty && n.srv.nsps.Empty(n.name, n) {
		_ = n.adapter.Close() // a child of a parent, removed
	}
}

// cancelAck forgets ack id on every local socket, when a broadcast with
// acks timed out: no entry outlives its timeout.
func (n *Namespace) cancelAck(id uint64) {
	for _, s := range n.Sockets() {
		s.CancelAck(id)
	}
}

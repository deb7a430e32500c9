package socketio

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/parser"
	"github.com/gosio/sio/room"
)

// A BroadcastOperator selects sockets of a namespace (by rooms, on every
// server of the cluster unless Local) and acts on them: emit, fetch, join,
// leave, disconnect. It is immutable: every modifier returns a new
// operator, so one can be kept and shared between goroutines.
type BroadcastOperator struct {
	nsp    *Namespace
	rooms  []room.Room
	except []room.Room
	flags  adapter.Flags
}

func newOperator(n *Namespace) *BroadcastOperator {
	return &BroadcastOperator{nsp: n, flags: adapter.Flags{Compress: true}}
}

func (b *BroadcastOperator) clone() *BroadcastOperator {
	c := *b
	c.rooms = append([]room.Room(nil), b.rooms...)
	c.except = append([]room.Room(nil), b.except...)
	return &c
}

// To returns an operator that also targets the sockets in rooms. Several
// rooms make a union: a socket in two of them gets an event once.
func (b *BroadcastOperator) To(rooms ...string) *BroadcastOperator {
	c := b.clone()
	c.rooms = append(c.rooms, toRooms(rooms)...)
	return c
}

// In is an alias of [BroadcastOperator.To].
func (b *BroadcastOperator) In(rooms ...string) *BroadcastOperator { return b.To(rooms...) }

// Except returns an operator that leaves out the sockets in rooms.
func (b *BroadcastOperator) Except(rooms ...string) *BroadcastOperator {
	c := b.clone()
	c.except = append(c.except, toRooms(rooms)...)
	return c
}

// Volatile returns an operator whose events are dropped for the clients
// that cannot take them at once.
func (b *BroadcastOperator) Volatile() *BroadcastOperator {
	c := b.clone()
	c.flags.Volatile = true
	return c
}

// Compress returns an operator with compression on or off.
func (b *BroadcastOperator) Compress(on bool) *BroadcastOperator {
	c := b.clone()
	c.flags.Compress = on
	return c
}

// Local returns an operator that reaches the sockets of this server only.
func (b *BroadcastOperator) Local() *BroadcastOperator {
	c := b.clone()
	c.flags.Local = true
	return c
}

// Timeout returns an operator whose EmitWithAck waits at most d.
func (b *BroadcastOperator) Timeout(d time.Duration) *BroadcastOperator {
	c := b.clone()
	c.flags.Timeout = d
	return c
}

func (b *BroadcastOperator) opts() adapter.BroadcastOptions {
	return adapter.BroadcastOptions{Rooms: b.rooms, Except: b.except, Flags: b.flags}
}

// Emit sends an event to the selected sockets. The packet is encoded once
// and the same bytes are queued to every recipient.
func (b *BroadcastOperator) Emit(event string, args ...any) error {
	if reservedEvents[event] {
		return ErrReservedEvent
	}
	if b.nsp.logsOffsets && !b.flags.Volatile {
		return b.nsp.broadcastLogged(event, args, b.opts(), true)
	}
	enc, err := encode(b.nsp.srv.codec, parser.Event, b.nsp.name, 0, false, event, args)
	if err != nil {
		return err
	}
	b.nsp.stats.broadcasts.Add(1)
	p := &adapter.Packet{Namespace: b.nsp.name, Data: enc.data, Attachments: enc.atts, Encoded: enc}
	return b.nsp.adapter.Broadcast(p, b.opts())
}

// broadcastLogged hands an event to an adapter that appends its recovery
// offset and encodes it, once (adapter.OffsetLogger): the arguments are
// written to a pooled buffer the adapter copies from before it returns.
// A broadcast (not an emit to one socket) is counted in the stats.
func (n *Namespace) broadcastLogged(event string, args []any, opts adapter.BroadcastOptions, broadcast bool) error {
	sp, data, atts, err := encodeArgs(event, args)
	if err != nil {
		return err
	}
	if broadcast {
		n.stats.broadcasts.Add(1)
	}
	err = n.adapter.Broadcast(&adapter.Packet{Namespace: n.name, Data: data, Attachments: atts}, opts)
	putScratch(sp, data)
	return err
}

// Send emits a "message" event to the selected sockets.
func (b *BroadcastOperator) Send(args ...any) error { return b.Emit("message", args...) }

// Write is an alias of [BroadcastOperator.Send].
func (b *BroadcastOperator) Write(args ...any) error { return b.Send(args...) }

// EmitWithAck sends an event with an ack request to the selected sockets
// and waits for every client's ack, on every server. It returns one
// response per client: the first argument the client passed to its ack,
// as in the reference. If the timeout set with [BroadcastOperator.Timeout]
// passes first, it returns an [*AckTimeoutError] carrying the responses
// that arrived; if ctx ends first, ctx.Err(). Either way no pending ack
// outlives the call.
func (b *BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Raw, error) {
	if reservedEvents[event] {
		return nil, ErrReservedEvent
	}
	id := b.nsp.ackIDs.Add(1) - 1
	enc, err := encode(b.nsp.srv.codec, parser.Event, b.nsp.name, id, true, event, args)
	if err != nil {
		return nil, err
	}
	b.nsp.stats.broadcasts.Add(1)
	servers := 1
	if !b.flags.Local {
		if servers, err = b.nsp.adapter.ServerCount(ctx); err != nil {
			return nil, err
		}
	}
	var (
		mu        sync.Mutex
		reported  int
		expected  int
		responses []Raw
		done      = make(chan struct{})
		finished  bool
	)
	check := func() { // with mu held
		if !finished && reported >= servers && len(responses) >= expected {
			finished = true
			close(done)
		}
	}
	onCount := func(n int) {
		mu.Lock()
		reported++
		expected += n
		check()
		mu.Unlock()
	}
	onAck := func(a adapter.AckArgs) {
		var first Raw
		if elems, err := parser.SplitArray(a.Data); err == nil && len(elems) > 0 {
			first = Raw{elems[0], a.Attachments}
		} else {
			first = Raw{[]byte("null"), nil}
		}
		mu.Lock()
		if !finished {
			responses = append(responses, first)
			check()
		}
		mu.Unlock()
	}
	p := &adapter.Packet{Namespace: b.nsp.name, Data: enc.data, Attachments: enc.atts, Encoded: enc}
	if err := b.nsp.adapter.BroadcastWithAck(p, b.opts(), id, onCount, onAck); err != nil {
		b.nsp.cancelAck(id)
		return nil, err
	}
	var timeout <-chan time.Time
	if b.flags.Timeout > 0 {
		t := time.NewTimer(b.flags.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	var failure error
	select {
	case <-done:
	case <-timeout:
		failure = &AckTimeoutError{}
		b.nsp.stats.ackTimeouts.Add(1)
	case <-ctx.Done():
		failure = ctx.Err()
	}
	mu.Lock()
	finished = true
	out := responses
	mu.Unlock()
	if failure != nil {
		b.nsp.cancelAck(id)
		if te, ok := failure.(*AckTimeoutError); ok {
			te.Responses = out
		}
		return out, failure
	}
	return out, nil
}

// FetchSockets returns the selected sockets, on every server.
func (b *BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	details, err := b.nsp.adapter.FetchSockets(ctx, b.opts())
	if err != nil {
		return nil, err
	}
	out := make([]*RemoteSocket, len(details))
	for i, d := range details {
		out[i] = newRemoteSocket(b.nsp, d)
	}
	return out, nil
}

// SocketsJoin makes the selected sockets join rooms.
func (b *BroadcastOperator) SocketsJoin(rooms ...string) error {
	return b.nsp.adapter.AddSockets(context.Background(), b.opts(), toRooms(rooms))
}

// SocketsLeave makes the selected sockets leave rooms.
func (b *BroadcastOperator) SocketsLeave(rooms ...string) error {
	return b.nsp.adapter.DelSockets(context.Background(), b.opts(), toRooms(rooms))
}

// DisconnectSockets disconnects the selected sockets; with close, their
// whole connections.
func (b *BroadcastOperator) DisconnectSockets(close bool) error {
	return b.nsp.adapter.DisconnectSockets(context.Background(), b.opts(), close)
}

// A RemoteSocket is a socket found by FetchSockets, on this server or
// another one of the cluster. Its actions go through the adapter, so they
// work wherever the socket is.
type RemoteSocket struct {
	nsp       *Namespace
	id        string
	handshake *Handshake
	rooms     []string
	data      any
	local     *Socket
}

func newRemoteSocket(n *Namespace, d adapter.SocketDetails) *RemoteSocket {
	rs := &RemoteSocket{nsp: n, id: string(d.ID), rooms: fromRooms(d.Rooms), data: d.Data}
	if h, ok := d.Handshake.(*Handshake); ok {
		rs.handshake = h // a local socket's
	} else if b, err := json.Marshal(d.Handshake); err == nil {
		rs.handshake = new(Handshake)
		_ = json.Unmarshal(b, rs.handshake)
	}
	if s, ok := d.Member.(*Socket); ok {
		rs.local = s
	}
	return rs
}

// ID returns the socket's ID.
func (r *RemoteSocket) ID() string { return r.id }

// Handshake returns the socket's handshake details.
func (r *RemoteSocket) Handshake() *Handshake { return r.handshake }

// Rooms returns the rooms the socket was in when it was fetched.
func (r *RemoteSocket) Rooms() []string { return r.rooms }

// Data returns the socket's data (see [Socket.SetData]) when it was
// fetched; from another server it is the data decoded from JSON.
func (r *RemoteSocket) Data() any { return r.data }

// Local returns the socket if it is on this server, or nil.
func (r *RemoteSocket) Local() *Socket { return r.local }

// Emit sends an event to the socket.
func (r *RemoteSocket) Emit(event string, args ...any) error {
	return r.nsp.To(r.id).Emit(event, args...)
}

// Join makes the socket join rooms.
func (r *RemoteSocket) Join(rooms ...string) error { return r.nsp.In(r.id).SocketsJoin(rooms...) }

// Leave makes the socket leave rooms.
func (r *RemoteSocket) Leave(rooms ...string) error { return r.nsp.In(r.id).SocketsLeave(rooms...) }

// Disconnect disconnects the socket; with close, its whole connection.
func (r *RemoteSocket) Disconnect(close bool) error {
	return r.nsp.In(r.id).DisconnectSockets(close)
}

// To returns an operator that broadcasts to the sockets in rooms, except
// this one.
func (s *Socket) To(rooms ...string) *BroadcastOperator {
	return s.Broadcast().To(rooms...)
}

// In is an alias of [Socket.To], as in the reference (socket.in(room));
// [Socket.InRoom] tests membership.
func (s *Socket) In(rooms ...string) *BroadcastOperator { return s.To(rooms...) }

// Except returns an operator that broadcasts to every socket of the
// namespace except this one and those in rooms.
func (s *Socket) Except(rooms ...string) *BroadcastOperator {
	return s.Broadcast().Except(rooms...)
}

// Broadcast returns an operator that broadcasts to every socket of the
// namespace except this one.
func (s *Socket) Broadcast() *BroadcastOperator {
	return newOperator(s.nsp).Except(s.id)
}

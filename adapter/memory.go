package adapter

import (
	"context"
	"sync"

	"github.com/gosio/sio/room"
)

// InMemory is the default adapter: it serves the sockets of one server.
type InMemory struct {
	nsp   Namespace
	index room.Index[Member]
}

// NewInMemory returns an in-memory adapter for nsp. It is a [Factory].
func NewInMemory(nsp Namespace) Adapter { return &InMemory{nsp: nsp} }

var _ Factory = NewInMemory

// AddAll implements [Adapter].
func (a *InMemory) AddAll(id room.SocketID, m Member, rooms ...room.Room) {
	a.emit(id, a.index.Add(id, m, rooms...))
}

// Del implements [Adapter].
func (a *InMemory) Del(id room.SocketID, r room.Room) { a.emit(id, a.index.Remove(id, r)) }

// DelAll implements [Adapter].
func (a *InMemory) DelAll(id room.SocketID) { a.emit(id, a.index.RemoveAll(id)) }

// EmitChanges reports changes made to [InMemory.Index] for socket id as
// the reference's adapter events, for an adapter that changes the index
// under a lock of its own and reports after releasing it.
func (a *InMemory) EmitChanges(id room.SocketID, changes []room.Change) { a.emit(id, changes) }

// emit turns index changes into the reference's adapter events.
func (a *InMemory) emit(id room.SocketID, changes []room.Change) {
	for _, c := range changes {
		switch c.Kind {
		case room.Created:
			a.nsp.OnAdapterEvent(Event{Type: CreateRoom, Room: c.Room})
		case room.Joined:
			a.nsp.OnAdapterEvent(Event{Type: JoinRoom, Room: c.Room, ID: id})
		case room.Left:
			a.nsp.OnAdapterEvent(Event{Type: LeaveRoom, Room: c.Room, ID: id})
		case room.Deleted:
			a.nsp.OnAdapterEvent(Event{Type: DeleteRoom, Room: c.Room})
		}
	}
}

// Index returns the adapter's room index, for layers that resolve local
// recipients themselves.
func (a *InMemory) Index() *room.Index[Member] { return &a.index }

// SocketRooms implements [Adapter].
func (a *InMemory) SocketRooms(id room.SocketID) []room.Room { return a.index.Rooms(id) }

// memberBufs holds the slices that broadcasts collect their recipients in:
// members are called only once the index's lock is released, since they
// run user code (outgoing listeners) that may join, leave or emit, and
// the slice is reused so that a broadcast allocates nothing for it.
var memberBufs = sync.Pool{New: func() any { return new([]Member) }}

// maxPooledMembers bounds the recipient slices kept for reuse.
const maxPooledMembers = 1 << 16

// selected returns the local sockets opts selects, in a pooled slice to
// give back with putMembers.
func (a *InMemory) selected(opts BroadcastOptions) *[]Member {
	bp := memberBufs.Get().(*[]Member)
	ms := (*bp)[:0]
	a.index.ForEach(opts.Rooms, opts.Except, func(_ room.SocketID, m Member) bool {
		ms = append(ms, m)
		return true
	})
	*bp = ms
	return bp
}

func putMembers(bp *[]Member) {
	clear(*bp)
	if cap(*bp) <= maxPooledMembers {
		*bp = (*bp)[:0]
		memberBufs.Put(bp)
	}
}

// Sockets implements [Adapter].
func (a *InMemory) Sockets(rooms []room.Room) []room.SocketID {
	var out []room.SocketID
	a.index.ForEach(rooms, nil, func(id room.SocketID, _ Member) bool {
		out = append(out, id)
		return true
	})
	return out
}

// Broadcast implements [Adapter]: p is delivered to each selected local
// socket, with no work per recipient beyond queueing the packet.
func (a *InMemory) Broadcast(p *Packet, opts BroadcastOptions) error {
	bp := a.selected(opts)
	for _, m := range *bp {
		m.Deliver(p, opts.Flags)
	}
	putMembers(bp)
	return nil
}

// BroadcastWithAck implements [Adapter].
func (a *InMemory) BroadcastWithAck(p *Packet, opts BroadcastOptions, ackID uint64, onClientCount func(int), onAck func(AckArgs)) error {
	n := 0
	bp := a.selected(opts)
	for _, m := range *bp {
		if m.DeliverWithAck(p, opts.Flags, ackID, onAck) {
			n++
		}
	}
	putMembers(bp)
	onClientCount(n)
	return nil
}

// Members calls fn for each selected local socket, outside the index's
// lock: fn may join, leave or disconnect.
func (a *InMemory) Members(opts BroadcastOptions, fn func(m Member)) {
	bp := a.selected(opts)
	for _, m := range *bp {
		fn(m)
	}
	putMembers(bp)
}

// FetchSockets implements [Adapter].
func (a *InMemory) FetchSockets(_ context.Context, opts BroadcastOptions) ([]SocketDetails, error) {
	var out []SocketDetails
	a.Members(opts, func(m Member) { out = append(out, m.Details()) })
	return out, nil
}

// AddSockets implements [Adapter].
func (a *InMemory) AddSockets(_ context.Context, opts BroadcastOptions, rooms []room.Room) error {
	a.Members(opts, func(m Member) {
		d := m.Details()
		a.AddAll(d.ID, m, rooms...)
	})
	return nil
}

// DelSockets implements [Adapter].
func (a *InMemory) DelSockets(_ context.Context, opts BroadcastOptions, rooms []room.Room) error {
	a.Members(opts, func(m Member) {
		d := m.Details()
		for _, r := range rooms {
			a.Del(d.ID, r)
		}
	})
	return nil
}

// DisconnectSockets implements [Adapter].
func (a *InMemory) DisconnectSockets(_ context.Context, opts BroadcastOptions, close bool) error {
	a.Members(opts, func(m Member) { m.Disconnect(close) })
	return nil
}

// ServerSideEmit implements [Adapter]: there is no other server, so it
// returns [ErrNotSupported].
func (a *InMemory) ServerSideEmit(context.Context, []any) error { return ErrNotSupported }

// ServerSideEmitWithAck implements [Adapter]; it returns [ErrNotSupported].
func (a *InMemory) ServerSideEmitWithAck(context.Context, []any) ([]any, error) {
	return nil, ErrNotSupported
}

// ServerCount implements [Adapter]: always 1.
func (a *InMemory) ServerCount(context.Context) (int, error) { return 1, nil }

// PersistSession implements [Adapter]; recovery is not built yet.
func (a *InMemory) PersistSession(*Session) error { return ErrNotSupported }

// RestoreSession implements [Adapter]; recovery is not built yet.
func (a *InMemory) RestoreSession(string, string) (*Session, []*Packet, error) {
	return nil, nil, ErrNotSupported
}

// Close implements [Adapter].
func (a *InMemory) Close() error { return nil }

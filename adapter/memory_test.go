package adapter

import (
	"context"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/room"
)

type fakeNsp struct {
	mu     sync.Mutex
	events []string
}

func (f *fakeNsp) Name() string { return "/" }
func (f *fakeNsp) OnAdapterEvent(ev Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev.Type.String()+" "+string(ev.Room)+" "+string(ev.ID))
}
func (f *fakeNsp) OnServerSideEmit([]any, func(any)) {}
func (f *fakeNsp) Prepare(*Packet)                   {}

type fakeMember struct {
	id           room.SocketID
	mu           sync.Mutex
	got          []*Packet
	acks         map[uint64]func(AckArgs)
	disconnected bool
}

func (m *fakeMember) Deliver(p *Packet, _ Flags) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got = append(m.got, p)
}
func (m *fakeMember) DeliverWithAck(p *Packet, f Flags, id uint64, onAck func(AckArgs)) bool {
	m.Deliver(p, f)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.acks == nil {
		m.acks = map[uint64]func(AckArgs){}
	}
	m.acks[id] = onAck
	return true
}
func (m *fakeMember) CancelAck(id uint64) { delete(m.acks, id) }
func (m *fakeMember) Disconnect(bool)     { m.disconnected = true }
func (m *fakeMember) Details() SocketDetails {
	return SocketDetails{ID: m.id, Member: m}
}

func setup() (*fakeNsp, *InMemory, map[string]*fakeMember) {
	nsp := &fakeNsp{}
	a := NewInMemory(nsp).(*InMemory)
	ms := map[string]*fakeMember{}
	for _, id := range []string{"a", "b", "c"} {
		m := &fakeMember{id: room.SocketID(id)}
		ms[id] = m
		a.AddAll(m.id, m, room.Room(id))
	}
	a.AddAll("a", ms["a"], "r1")
	a.AddAll("b", ms["b"], "r1", "r2")
	return nsp, a, ms
}

func received(ms map[string]*fakeMember) []string {
	var out []string
	for id, m := range ms {
		if len(m.got) > 0 {
			out = append(out, id)
		}
		m.got = nil
	}
	sort.Strings(out)
	return out
}

func TestInMemoryBroadcastSelectsSockets(t *testing.T) {
	_, a, ms := setup()
	tests := []struct {
		name string
		opts BroadcastOptions
		want []string
	}{
		{"all", BroadcastOptions{}, []string{"a", "b", "c"}},
		{"room", BroadcastOptions{Rooms: []room.Room{"r1"}}, []string{"a", "b"}},
		{"except", BroadcastOptions{Except: []room.Room{"r2"}}, []string{"a", "c"}},
		{"rooms except", BroadcastOptions{Rooms: []room.Room{"r1", "c"}, Except: []room.Room{"a"}}, []string{"b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, a.Broadcast(&Packet{}, tt.opts))
			assert.Equal(t, tt.want, received(ms))
		})
	}
}

func TestInMemoryEmitsRoomEvents(t *testing.T) {
	nsp, a, _ := setup()
	nsp.events = nil
	a.Del("a", "r1")
	a.DelAll("b")
	assert.Equal(t, "leave-room r1 a", nsp.events[0])
	// DelAll leaves rooms in no set order, each followed by its deletion.
	rest := nsp.events[1:]
	require.Len(t, rest, 6)
	for i := 0; i < 6; i += 2 {
		r := rest[i][len("leave-room ") : len(rest[i])-len(" b")]
		assert.Equal(t, "leave-room "+r+" b", rest[i])
		assert.Equal(t, "delete-room "+r+" ", rest[i+1])
	}
}

func TestInMemoryBroadcastWithAckCountsClients(t *testing.T) {
	_, a, ms := setup()
	count := -1
	var acks []AckArgs
	require.NoError(t, a.BroadcastWithAck(&Packet{}, BroadcastOptions{Rooms: []room.Room{"r1"}}, 7,
		func(n int) { count = n }, func(x AckArgs) { acks = append(acks, x) }))
	assert.Equal(t, 2, count)
	ms["a"].acks[7](AckArgs{Data: []byte(`[1]`)})
	assert.Len(t, acks, 1)
	assert.Nil(t, ms["c"].acks)
}

func TestInMemoryRemoteOperationsAreLocal(t *testing.T) {
	_, a, ms := setup()
	ctx := context.Background()
	require.NoError(t, a.AddSockets(ctx, BroadcastOptions{Rooms: []room.Room{"r1"}}, []room.Room{"x"}))
	assert.ElementsMatch(t, []room.SocketID{"a", "b"}, a.Sockets([]room.Room{"x"}))
	require.NoError(t, a.DelSockets(ctx, BroadcastOptions{Rooms: []room.Room{"x"}, Except: []room.Room{"b"}}, []room.Room{"x"}))
	assert.Equal(t, []room.SocketID{"b"}, a.Sockets([]room.Room{"x"}))
	found, err := a.FetchSockets(ctx, BroadcastOptions{Rooms: []room.Room{"r2"}})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, room.SocketID("b"), found[0].ID)
	require.NoError(t, a.DisconnectSockets(ctx, BroadcastOptions{Rooms: []room.Room{"c"}}, false))
	assert.True(t, ms["c"].disconnected)
	assert.False(t, ms["a"].disconnected)

	n, err := a.ServerCount(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.ErrorIs(t, a.ServerSideEmit(ctx, []any{"x"}), ErrNotSupported)
	_, err = a.ServerSideEmitWithAck(ctx, []any{"x"})
	assert.ErrorIs(t, err, ErrNotSupported)
	assert.ErrorIs(t, a.PersistSession(&Session{}), ErrNotSupported)
	_, _, err = a.RestoreSession("p", "o")
	assert.ErrorIs(t, err, ErrNotSupported)
	assert.NoError(t, a.Close())
}

package socketio

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
)

// namespaceStats returns the server's NamespaceStats by name.
func namespaceStats(io *Server) map[string]NamespaceStats {
	out := map[string]NamespaceStats{}
	for _, ns := range io.NamespaceStats(nil) {
		out[ns.Name] = ns
	}
	return out
}

func TestStatsCountTheLifeOfSockets(t *testing.T) {
	events := make(chan struct{}, 16)
	io, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("note", func() { events <- struct{}{} })
		})
		io.Of("/chat")
	})
	var cs []*testkit.Client
	for range 3 {
		c := testkit.MustDial(t, ts.URL, nil)
		c.MustConnect(t, "/", "")
		cs = append(cs, c)
	}
	cs[0].MustConnect(t, "/chat", "")
	for i, n := range []int{2, 2, 1} {
		for range n {
			cs[i].MustEmit(t, "/", "note")
		}
	}
	for range 5 {
		testkit.Receive(t, events)
	}
	require.NoError(t, cs[2].Close()) // "transport close"
	testkit.Eventually(t, "two sockets left in /", func() bool { return namespaceStats(io)["/"].Sockets == 2 })
	require.NoError(t, io.Emit("news", "x"))
	for _, c := range cs[:2] {
		assert.Equal(t, "news", c.MustNextEvent(t).Name)
	}
	cs[0].MustSend(t, "41/chat,") // "client namespace disconnect"
	testkit.Eventually(t, "the /chat socket gone", func() bool {
		return namespaceStats(io)["/chat"].Connections == 1 && namespaceStats(io)["/chat"].Sockets == 0
	})

	var root, chat NamespaceStats
	testkit.Eventually(t, "the counters", func() bool {
		got := io.NamespaceStats(nil)
		if len(got) != 2 {
			return false
		}
		root, chat = got[0], got[1]
		return root.EventsSent == 2 && chat.Disconnects[ReasonClientNamespaceDisconnect] == 1
	})
	want := NamespaceStats{Name: "/", Sockets: 2, Connections: 3, EventsReceived: 5, EventsSent: 2, Broadcasts: 1}
	want.Disconnects[ReasonTransportClose] = 1
	assert.Equal(t, want, root)
	want = NamespaceStats{Name: "/chat", Connections: 1}
	want.Disconnects[ReasonClientNamespaceDisconnect] = 1
	assert.Equal(t, want, chat)

	st := io.Stats()
	assert.Equal(t, 2, st.Sockets)
	assert.Equal(t, uint64(4), st.Connections)
	assert.Equal(t, uint64(2), st.Disconnections)
	assert.Equal(t, uint64(5), st.EventsReceived)
	assert.Equal(t, uint64(2), st.EventsSent)
	assert.Equal(t, uint64(1), st.Broadcasts)
	assert.Equal(t, uint64(3), st.ConnectionsOpened)
	assert.Equal(t, 2, st.WebSocketConnections)
	assert.Equal(t, 0, st.PollingConnections)
	// 4 CONNECTs, 5 events and a DISCONNECT in; 4 CONNECT answers and the
	// broadcast to 2 out.
	assert.Equal(t, uint64(10), st.MessagesReceived)
	assert.Equal(t, uint64(6), st.MessagesSent)
	assert.NotZero(t, st.BytesReceived)
	assert.NotZero(t, st.BytesSent)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = io.Stats() }), "Stats allocates")
}

// The children of a parent count under the parent's name, whatever names
// clients ask for, and their counters outlive them.
func TestStatsDynamicChildrenCountUnderTheirParent(t *testing.T) {
	var parent *ParentNamespace
	io, ts := newTestServer(t, &Options{CleanupEmptyChildNamespaces: true}, func(io *Server) {
		parent = io.OfRegexp(regexp.MustCompile(`^/room-\d+$`))
	})
	c := testkit.MustDial(t, ts.URL, nil)
	for _, nsp := range []string{"/room-1", "/room-2", "/room-3"} {
		c.MustConnect(t, nsp, "")
		c.MustEmit(t, nsp, "hello")
		c.MustSend(t, "41"+nsp+",")
	}
	for _, nsp := range []string{"/nope", "/room-x", "/admin"} {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
		_, err := c.Connect(ctx, nsp, "")
		cancel()
		_, refused := testkit.IsConnectError(err)
		require.True(t, refused, "connect %s: %v", nsp, err)
	}
	testkit.Eventually(t, "the children removed", func() bool { return len(parent.Children()) == 0 })

	got := io.NamespaceStats(nil)
	require.Len(t, got, 2)
	assert.Equal(t, "/", got[0].Name)
	want := NamespaceStats{Name: parent.Name(), Parent: true, Connections: 3, EventsReceived: 3}
	want.Disconnects[ReasonClientNamespaceDisconnect] = 3
	assert.Equal(t, want, got[1])
}

// Every kind of ack that does not come in time is counted.
func TestStatsCountAckTimeouts(t *testing.T) {
	sockets := make(chan *Socket, 1)
	io, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) { sockets <- s })
	})
	c := testkit.MustDial(t, ts.URL, nil) // never answers
	c.MustConnect(t, "/", "")
	s := testkit.Receive(t, sockets)
	_, err := s.Timeout(10*time.Millisecond).EmitWithAck(context.Background(), "q")
	require.ErrorIs(t, err, ErrAckTimeout)
	timedOut := make(chan error, 1)
	require.NoError(t, s.Timeout(10*time.Millisecond).Emit("q", func(err error) { timedOut <- err }))
	require.ErrorIs(t, testkit.Receive(t, timedOut), ErrAckTimeout)
	_, err = io.Timeout(10*time.Millisecond).EmitWithAck(context.Background(), "q")
	require.ErrorIs(t, err, ErrAckTimeout)
	st := io.Stats()
	assert.Equal(t, uint64(3), st.AckTimeouts)
	assert.Equal(t, uint64(1), st.Broadcasts)
	assert.Equal(t, uint64(3), st.EventsSent)
}

package socketio

import (
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
)

func TestNamespacesListsStaticAndDynamicOnes(t *testing.T) {
	io, ts := newTestServer(t, nil, nil)
	io.Of("/chat")
	io.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/dyn-1", "")
	var names []string
	for _, n := range io.Namespaces() {
		names = append(names, n.Name())
	}
	slices.Sort(names)
	assert.Equal(t, []string{"/", "/chat", "/dyn-1"}, names)
}

func TestEngineStatsCountConnectionsPacketsAndBytes(t *testing.T) {
	io, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("echo", func(text string, ack Ack) { _ = ack(text) })
		})
	})
	st := io.EngineStats()
	assert.Equal(t, EngineStats{Closed: map[DisconnectReason]uint64{}}, st)

	ws := testkit.MustDial(t, ts.URL, nil)
	ws.MustConnect(t, "/", "") // in: `0`; out: `0{"sid":...}`
	poll := testkit.MustDial(t, ts.URL, &testkit.Options{Transport: "polling"})
	poll.MustConnect(t, "/", "")
	st = io.EngineStats()
	assert.Equal(t, 2, st.Clients)
	assert.Equal(t, 1, st.PollingClients)
	assert.Equal(t, uint64(2), st.Opened)
	assert.Equal(t, uint64(2), st.PacketsIn)
	assert.GreaterOrEqual(t, st.BytesIn, uint64(4)) // "40" twice, and their framing
	assert.Equal(t, uint64(2), st.PacketsOut)

	before := io.EngineStats()
	ws.MustEmitWithAck(t, "/", "echo", "hello") // `21["echo","hello"]` in, `31["hello"]` out
	st = io.EngineStats()
	assert.Equal(t, before.PacketsIn+1, st.PacketsIn)
	// A websocket frame from the client: 2 header bytes, a 4-byte mask,
	// the Engine.IO type byte, the packet; to it: 2 header bytes.
	assert.Equal(t, before.BytesIn+uint64(6+len(`421["echo","hello"]`)), st.BytesIn)
	assert.Equal(t, before.PacketsOut+1, st.PacketsOut)
	assert.Equal(t, before.BytesOut+uint64(2+len(`431["hello"]`)), st.BytesOut)

	poll.MustUpgrade(t)
	testkit.Eventually(t, "the upgrade seen", func() bool { return io.EngineStats().PollingClients == 0 })

	require.NoError(t, ws.Close())
	testkit.Eventually(t, "the close counted", func() bool {
		return io.EngineStats().Closed[ReasonTransportClose] == 1
	})
	st = io.EngineStats()
	assert.Equal(t, 1, st.Clients)
	assert.Equal(t, map[DisconnectReason]uint64{ReasonTransportClose: 1}, st.Closed)
}

package redisstreams

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
)

// nodeSocket is a socket as the Node server describes it (server.mjs).
type nodeSocket struct {
	ID    string         `json:"id"`
	Rooms []string       `json:"rooms"`
	Data  map[string]any `json:"data"`
	Query map[string]any `json:"query"`
}

func nodeSocketIDs(socks []nodeSocket) []string {
	out := make([]string, len(socks))
	for i, s := range socks {
		out[i] = s.ID
	}
	sort.Strings(out)
	return out
}

// TestMixedCluster runs a Go server and a Node.js server (socket.io 4.8
// with @socket.io/redis-streams-adapter 0.3.1, testdata/node) on one Redis
// and checks the cross-server features in both directions.
func TestMixedCluster(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	o := testOptions(t)
	g := startGoNode(t, "go1", NewAdapter(client, o))
	nd := startNodeNode(t, r.URL(), o.StreamName, "node1")
	waitReady(t, g.io)
	waitServerCount(t, g.io, 2)
	ctx := context.Background()
	// The reference reads from "$" until its first entry: wait until its
	// reader blocks in XREAD (the Go reader's is the other one).
	testkit.Eventually(t, "the Node reader in XREAD", func() bool {
		list, err := client.ClientList(ctx).Result()
		return err == nil && strings.Count(list, "cmd=xread") >= 2
	})

	a1 := dialClient(t, g.url, "a1")  // rooms a
	n1 := dialClient(t, nd.url, "n1") // rooms a, b
	nc := dialClient(t, nd.url, "nc") // drives the Node server; no room
	a1.Join(t, "a")
	n1.Join(t, "a", "b")
	all := []*wsClient{a1, n1, nc}
	nodeDo := func(t *testing.T, op map[string]any, out any) { t.Helper(); do(t, nc, op, out) }
	flushNode := func(t *testing.T, clients ...*wsClient) {
		t.Helper()
		nodeDo(t, map[string]any{"op": "emit", "event": "flush"}, nil)
		for _, c := range clients {
			c.Expect(t, "flush")
		}
	}

	t.Run("should count the servers on both sides", func(t *testing.T) {
		n, err := g.io.Sockets().Adapter().ServerCount(ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		var nn int
		nodeDo(t, map[string]any{"op": "serverCount"}, &nn)
		assert.Equal(t, 2, nn)
	})

	t.Run("should broadcast from each server to every client once", func(t *testing.T) {
		require.NoError(t, g.io.Emit("hello", "go1"))
		for _, c := range all {
			assert.Equal(t, "go1", c.Expect(t, "hello").Arg(0), c.Name)
		}
		flush(t, g, all...)
		nodeDo(t, map[string]any{"op": "emit", "event": "hello", "args": []any{"node1"}}, nil)
		for _, c := range all {
			assert.Equal(t, "node1", c.Expect(t, "hello").Arg(0), c.Name)
		}
		flushNode(t, all...)
	})

	t.Run("should filter rooms, except rooms and local both ways", func(t *testing.T) {
		nodeDo(t, map[string]any{"op": "emit", "event": "a-not-b", "rooms": []string{"a"}, "except": []string{"b"}}, nil)
		a1.Expect(t, "a-not-b")
		flushNode(t, all...)
		require.NoError(t, g.io.To("b").Emit("to-b"))
		n1.Expect(t, "to-b")
		flush(t, g, all...)
		require.NoError(t, g.io.To(n1.ID).Emit("to-n1"))
		n1.Expect(t, "to-n1")
		flush(t, g, all...)
		nodeDo(t, map[string]any{"op": "emit", "event": "local", "local": true}, nil)
		n1.Expect(t, "local")
		nc.Expect(t, "local")
		flushNode(t, all...)
	})

	t.Run("should carry binary arguments both ways", func(t *testing.T) {
		nodeDo(t, map[string]any{"op": "emit", "event": "bin", "args": []any{"x"}, "binary": []int{1, 2, 3}}, nil)
		for _, c := range all {
			ev := c.Expect(t, "bin")
			assert.Equal(t, [][]byte{{1, 2, 3}}, ev.Attachments, c.Name)
		}
		require.NoError(t, g.io.Emit("bin", []byte{4, 5}))
		for _, c := range all {
			ev := c.Expect(t, "bin")
			assert.Equal(t, [][]byte{{4, 5}}, ev.Attachments, c.Name)
		}
	})

	t.Run("should collect broadcast acks both ways", func(t *testing.T) {
		res, err := g.io.Timeout(3*time.Second).EmitWithAck(ctx, "ask")
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{`"a1"`, `"n1"`, `"nc"`}, rawStrings(res))
		for _, c := range all {
			c.Expect(t, "ask")
		}
		var answers []string
		nodeDo(t, map[string]any{"op": "emitWithAck", "event": "ask", "rooms": []string{"a"}, "timeout": 3000}, &answers)
		assert.ElementsMatch(t, []string{"a1", "n1"}, answers)
		a1.Expect(t, "ask")
		n1.Expect(t, "ask")
		flush(t, g, all...)
	})

	t.Run("should fetch the sockets of the other server both ways", func(t *testing.T) {
		socks, err := g.io.FetchSockets(ctx)
		require.NoError(t, err)
		assert.Equal(t, ids(all...), socketIDs(socks))
		for _, s := range socks {
			if s.ID() == n1.ID {
				assert.Equal(t, map[string]any{"name": "n1", "server": "node1"}, s.Data())
				assert.ElementsMatch(t, []string{n1.ID, "a", "b"}, s.Rooms())
				assert.Equal(t, "n1", s.Handshake().Query.Get("name"))
			}
		}
		var ns []nodeSocket
		nodeDo(t, map[string]any{"op": "fetchSockets", "rooms": []string{"a"}}, &ns)
		assert.Equal(t, ids(a1, n1), nodeSocketIDs(ns))
		for _, s := range ns {
			if s.ID == a1.ID {
				assert.Equal(t, map[string]any{"name": "a1", "server": "go1"}, s.Data)
				assert.ElementsMatch(t, []string{a1.ID, "a"}, s.Rooms)
				assert.Equal(t, "a1", s.Query["name"])
			}
		}
	})

	t.Run("should join, leave and disconnect sockets both ways", func(t *testing.T) {
		nodeDo(t, map[string]any{"op": "socketsJoin", "rooms": []string{"a"}, "room": "c"}, nil)
		testkit.Eventually(t, "the join on the Go server", func() bool {
			s, err := g.io.Local().In("c").FetchSockets(ctx)
			return err == nil && len(s) == 1
		})
		require.NoError(t, g.io.In("c").SocketsLeave("c"))
		testkit.Eventually(t, "the leave on the Node server", func() bool {
			var ns []nodeSocket
			do(t, nc, map[string]any{"op": "fetchSockets", "rooms": []string{"c"}, "local": true}, &ns)
			return len(ns) == 0
		})
		d1 := dialClient(t, g.url, "d1")
		d2 := dialClient(t, nd.url, "d2")
		d1.Join(t, "d")
		d2.Join(t, "d")
		require.NoError(t, g.io.In("d").DisconnectSockets(false))
		d1.ExpectGone(t)
		d2.ExpectGone(t)
		d3 := dialClient(t, g.url, "d3")
		d3.Join(t, "d")
		nodeDo(t, map[string]any{"op": "disconnectSockets", "rooms": []string{"d"}}, nil)
		d3.ExpectGone(t)
		flush(t, g, all...)
	})

	t.Run("should emit to the other server with and without acks both ways", func(t *testing.T) {
		require.NoError(t, g.io.ServerSideEmit(ctx, "note", 1, "x"))
		testkit.Eventually(t, "the note on the Node server", func() bool {
			var notes [][]any
			do(t, nc, map[string]any{"op": "notes"}, &notes)
			return len(notes) == 1 && assert.ObjectsAreEqual([]any{1.0, "x"}, notes[0])
		})
		nodeDo(t, map[string]any{"op": "serverSideEmit", "event": "note", "args": []any{"y"}}, nil)
		assert.Equal(t, []any{"y"}, testkit.Receive(t, g.notes))

		res, err := g.io.ServerSideEmitWithAck(ctx, "ssping", "hi")
		require.NoError(t, err)
		assert.Equal(t, []any{map[string]any{"from": "node1", "arg": "hi"}}, res)
		res, err = g.io.ServerSideEmitWithAck(ctx, "ssbinary", []byte{7, 8})
		require.NoError(t, err)
		assert.Equal(t, []any{map[string]any{"from": "node1", "isBuffer": true, "bytes": []any{7.0, 8.0}}}, res)
		var answers []map[string]any
		nodeDo(t, map[string]any{"op": "serverSideEmitWithAck", "event": "ssping", "args": []any{"ho"}}, &answers)
		assert.Equal(t, []map[string]any{{"from": "go1", "arg": "ho"}}, answers)
	})

	t.Run("should catch up on the Node server's broadcasts after a reconnect", func(t *testing.T) {
		reader := g.io.Sockets().Adapter().(*Adapter).reader
		away, added := make(chan struct{}), make(chan struct{})
		var once sync.Once
		hook := func() {
			once.Do(func() {
				close(away)
				<-added
			})
		}
		reader.h.beforeReconnect.Store(&hook)
		release := sync.OnceFunc(func() { close(added) })
		defer release()
		defer reader.h.beforeReconnect.Store(nil)
		reader.mu.Lock()
		id := reader.connID
		reader.mu.Unlock()
		require.NoError(t, client.ClientKillByFilter(ctx, "ID", strconv.FormatInt(id, 10)).Err())
		testkit.Receive(t, away)
		for i := range 5 {
			nodeDo(t, map[string]any{"op": "emit", "event": "n", "args": []any{i}}, nil)
		}
		for _, c := range []*wsClient{n1, nc} {
			for i := range 5 {
				assert.Equal(t, float64(i), c.Expect(t, "n").Arg(0))
			}
		}
		release()
		for i := range 5 {
			assert.Equal(t, float64(i), a1.Expect(t, "n").Arg(0))
		}
		flushNode(t, all...)
	})
}

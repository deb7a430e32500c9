package postgres

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/pgtest"
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

// TestMixedCluster runs two Go servers and a Node.js server (socket.io
// 4.8 with @socket.io/postgres-adapter 0.5.0, testdata/node) on one
// database and checks the cross-server features in every direction.
func TestMixedCluster(t *testing.T) {
	pg := pgtest.Shared(t)
	pool := pg.NewPool(t)
	o := testOptions(t, pool)
	g1 := startGoNode(t, "go1", NewAdapter(pool, o))
	g2 := startGoNode(t, "go2", NewAdapter(pool, o))
	nd := startNodeNode(t, pg.URL(), o.ChannelPrefix, "node1")
	ctx := context.Background()

	a1 := dialClient(t, g1.url, "a1") // on go1; rooms a
	b1 := dialClient(t, g2.url, "b1") // on go2; rooms a, b
	n1 := dialClient(t, nd.url, "n1") // on node1; rooms b
	nc := dialClient(t, nd.url, "nc") // drives the Node server; no room
	a1.Join(t, "a")
	b1.Join(t, "a", "b")
	n1.Join(t, "b")
	all := []*wsClient{a1, b1, n1, nc}
	nodeDo := func(t *testing.T, op map[string]any, out any) { t.Helper(); do(t, nc, op, out) }
	flushNode := func(t *testing.T, clients ...*wsClient) {
		t.Helper()
		nodeDo(t, map[string]any{"op": "emit", "event": "flush"}, nil)
		for _, c := range clients {
			c.Expect(t, "flush")
		}
	}
	waitServerCount(t, g1.io, 3)
	waitServerCount(t, g2.io, 3)
	waitNodeServerCount(t, nc, 3)

	t.Run("should broadcast from each server to every client once", func(t *testing.T) {
		require.NoError(t, g1.io.Emit("hello", "go1"))
		for _, c := range all {
			assert.Equal(t, "go1", c.Expect(t, "hello").Arg(0), c.Name)
		}
		require.NoError(t, g2.io.Emit("hello", "go2"))
		for _, c := range all {
			assert.Equal(t, "go2", c.Expect(t, "hello").Arg(0), c.Name)
		}
		nodeDo(t, map[string]any{"op": "emit", "event": "hello", "args": []any{"node1"}}, nil)
		for _, c := range all {
			assert.Equal(t, "node1", c.Expect(t, "hello").Arg(0), c.Name)
		}
		// Nothing came twice: the next event of each is the flush.
		flush(t, g1, all...)
		flushNode(t, all...)
	})

	t.Run("should filter rooms and except rooms every way", func(t *testing.T) {
		nodeDo(t, map[string]any{"op": "emit", "event": "a-not-b", "rooms": []string{"a"}, "except": []string{"b"}}, nil)
		a1.Expect(t, "a-not-b")
		flushNode(t, all...)
		require.NoError(t, g1.io.To("b").Emit("to-b"))
		b1.Expect(t, "to-b")
		n1.Expect(t, "to-b")
		flush(t, g1, all...)
		require.NoError(t, g2.io.To("a").Except("b").Emit("a-not-b"))
		a1.Expect(t, "a-not-b")
		flush(t, g2, all...)
		require.NoError(t, g1.io.To(n1.ID).Emit("to-n1"))
		n1.Expect(t, "to-n1")
		flush(t, g1, all...)
		nodeDo(t, map[string]any{"op": "emit", "event": "local", "local": true}, nil)
		n1.Expect(t, "local")
		nc.Expect(t, "local")
		flushNode(t, all...)
	})

	t.Run("should carry binary arguments every way", func(t *testing.T) {
		nodeDo(t, map[string]any{"op": "emit", "event": "bin", "args": []any{"x"}, "binary": []int{1, 2, 3}}, nil)
		for _, c := range all {
			ev := c.Expect(t, "bin")
			assert.Equal(t, "x", ev.Arg(0), c.Name)
			assert.Equal(t, [][]byte{{1, 2, 3}}, ev.Attachments, c.Name)
		}
		require.NoError(t, g2.io.Emit("bin", []byte{4, 5}))
		for _, c := range all {
			ev := c.Expect(t, "bin")
			assert.Equal(t, [][]byte{{4, 5}}, ev.Attachments, c.Name)
		}
	})

	t.Run("should carry payloads over the NOTIFY limit every way", func(t *testing.T) {
		const size = 20_000
		big := strings.Repeat("y", size)
		require.NoError(t, g1.io.Emit("big", big))
		for _, c := range all {
			ev := c.Expect(t, "big")
			assert.Equal(t, big, ev.Arg(0), c.Name)
		}
		nodeDo(t, map[string]any{"op": "emit", "event": "big", "big": size}, nil)
		want := strings.Repeat("x", size)
		for _, c := range all {
			ev := c.Expect(t, "big")
			assert.Equal(t, want, ev.Arg(0), c.Name)
		}
		var rows int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM "+o.TableName).Scan(&rows))
		assert.GreaterOrEqual(t, rows, 2, "rows of the attachments table")
	})

	t.Run("should collect broadcast acks every way", func(t *testing.T) {
		res, err := g1.io.Timeout(3*time.Second).EmitWithAck(ctx, "ask")
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{`"a1"`, `"b1"`, `"n1"`, `"nc"`}, rawStrings(res))
		for _, c := range all {
			c.Expect(t, "ask")
		}
		var answers []string
		nodeDo(t, map[string]any{"op": "emitWithAck", "event": "ask", "rooms": []string{"a"}, "timeout": 3000}, &answers)
		assert.ElementsMatch(t, []string{"a1", "b1"}, answers)
		a1.Expect(t, "ask")
		b1.Expect(t, "ask")
		flush(t, g1, all...)
	})

	t.Run("should fetch the sockets of the other servers both ways", func(t *testing.T) {
		socks, err := g1.io.FetchSockets(ctx)
		require.NoError(t, err)
		assert.Equal(t, ids(all...), socketIDs(socks))
		for _, s := range socks {
			if s.ID() == n1.ID {
				assert.Equal(t, map[string]any{"name": "n1", "server": "node1"}, s.Data())
				assert.ElementsMatch(t, []string{n1.ID, "b"}, s.Rooms())
				assert.Equal(t, "n1", s.Handshake().Query.Get("name"))
			}
		}
		var ns []nodeSocket
		nodeDo(t, map[string]any{"op": "fetchSockets", "rooms": []string{"a"}}, &ns)
		assert.Equal(t, ids(a1, b1), nodeSocketIDs(ns))
		for _, s := range ns {
			if s.ID == b1.ID {
				assert.Equal(t, map[string]any{"name": "b1", "server": "go2"}, s.Data)
				assert.ElementsMatch(t, []string{b1.ID, "a", "b"}, s.Rooms)
				assert.Equal(t, "b1", s.Query["name"])
			}
		}
	})

	t.Run("should join, leave and disconnect sockets both ways", func(t *testing.T) {
		nodeDo(t, map[string]any{"op": "socketsJoin", "rooms": []string{"a"}, "room": "c"}, nil)
		testkit.Eventually(t, "the join on the Go servers", func() bool {
			s1, err1 := g1.io.Local().In("c").FetchSockets(ctx)
			s2, err2 := g2.io.Local().In("c").FetchSockets(ctx)
			return err1 == nil && err2 == nil && len(s1) == 1 && len(s2) == 1
		})
		require.NoError(t, g1.io.In("c").SocketsLeave("c"))
		testkit.Eventually(t, "the leave on go2", func() bool {
			s, err := g2.io.Local().In("c").FetchSockets(ctx)
			return err == nil && len(s) == 0
		})
		d1 := dialClient(t, g2.url, "d1")
		d2 := dialClient(t, nd.url, "d2")
		d1.Join(t, "d")
		d2.Join(t, "d")
		require.NoError(t, g1.io.In("d").DisconnectSockets(false))
		d1.ExpectGone(t)
		d2.ExpectGone(t)
		d3 := dialClient(t, g1.url, "d3")
		d3.Join(t, "d")
		nodeDo(t, map[string]any{"op": "disconnectSockets", "rooms": []string{"d"}}, nil)
		d3.ExpectGone(t)
		flush(t, g1, all...)
	})

	t.Run("should emit to the other servers with and without acks both ways", func(t *testing.T) {
		require.NoError(t, g1.io.ServerSideEmit(ctx, "note", 1, "x"))
		assert.Equal(t, []any{1.0, "x"}, testkit.Receive(t, g2.notes))
		testkit.Eventually(t, "the note on the Node server", func() bool {
			var notes [][]any
			do(t, nc, map[string]any{"op": "notes"}, &notes)
			return len(notes) == 1 && assert.ObjectsAreEqual([]any{1.0, "x"}, notes[0])
		})
		nodeDo(t, map[string]any{"op": "serverSideEmit", "event": "note", "args": []any{"y"}}, nil)
		assert.Equal(t, []any{"y"}, testkit.Receive(t, g1.notes))
		assert.Equal(t, []any{"y"}, testkit.Receive(t, g2.notes))

		res, err := g1.io.ServerSideEmitWithAck(ctx, "ssping", "hi")
		require.NoError(t, err)
		assert.ElementsMatch(t, []any{
			map[string]any{"from": "node1", "arg": "hi"},
			map[string]any{"from": "go2", "arg": "hi"},
		}, res)
		res, err = g1.io.ServerSideEmitWithAck(ctx, "ssbinary", []byte{7, 8})
		require.NoError(t, err)
		assert.ElementsMatch(t, []any{
			map[string]any{"from": "node1", "isBuffer": true, "bytes": []any{7.0, 8.0}},
			map[string]any{"from": "go2", "isBytes": true, "bytes": []any{7.0, 8.0}},
		}, res)
		var answers []map[string]any
		nodeDo(t, map[string]any{"op": "serverSideEmitWithAck", "event": "ssping", "args": []any{"ho"}}, &answers)
		assert.ElementsMatch(t, []map[string]any{{"from": "go1", "arg": "ho"}, {"from": "go2", "arg": "ho"}}, answers)
	})

	t.Run("should count the servers on every side and forget a closed one", func(t *testing.T) {
		for _, g := range []*goNode{g1, g2} {
			n, err := g.io.Sockets().Adapter().ServerCount(ctx)
			require.NoError(t, err)
			assert.Equal(t, 3, n)
		}
		g2.stop()
		waitServerCount(t, g1.io, 2)
		waitNodeServerCount(t, nc, 2)
		st := pgAdapter(t, g1.io).ClusterStats()
		assert.NotZero(t, st.Published)
	})
}

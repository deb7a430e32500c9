package redis

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
)

// nodeSocket is a socket as the Node server describes it (server.mjs).
type nodeSocket struct {
	ID      string         `json:"id"`
	Rooms   []string       `json:"rooms"`
	Data    map[string]any `json:"data"`
	Query   map[string]any `json:"query"`
	Headers map[string]any `json:"headers"`
	Address string         `json:"address"`
	Issued  int64          `json:"issued"`
	Auth    map[string]any `json:"auth"`
}

func nodeSocketIDs(socks []nodeSocket) []string {
	out := make([]string, len(socks))
	for i, s := range socks {
		out[i] = s.ID
	}
	sort.Strings(out)
	return out
}

// TestMixedCluster runs a cluster of two Go servers and one Node.js
// server (socket.io 4.8 with @socket.io/redis-adapter 8) on one Redis, with
// each protocol, and checks every cross-server feature in both directions.
func TestMixedCluster(t *testing.T) {
	for _, fl := range flavors {
		t.Run(fl.name, func(t *testing.T) {
			r := redistest.Shared(t)
			if fl.name == "sharded" && r.MajorVersion(t) < 7 {
				t.Fatalf("the sharded adapter needs Redis 7 or later")
			}
			client := r.NewClient(t)
			key := redistest.UniqueKey(t.Name())
			g1 := startGoNode(t, "go1", fl.factory(client, &Options{Key: key}))
			g2 := startGoNode(t, "go2", fl.factory(client, &Options{Key: key}))
			nd := startNodeNode(t, r.URL(), key, fl.name, "node1")
			waitServerCount(t, g1.io, 3)
			waitServerCount(t, g2.io, 3)

			a1 := dialClient(t, g1.url, "a1") // rooms a
			b2 := dialClient(t, g2.url, "b2") // rooms b
			n1 := dialClient(t, nd.url, "n1") // rooms a, b
			nc := dialClient(t, nd.url, "nc") // drives the Node server; no room
			a1.Join(t, "a")
			b2.Join(t, "b")
			n1.Join(t, "a", "b")
			// The sharded adapters subscribe to a room's channel after the
			// join, not during it (Node's too).
			waitRoomChannel(t, fl, client, key, "a", 2)
			waitRoomChannel(t, fl, client, key, "b", 2)
			all := []*wsClient{a1, b2, n1, nc}
			ctx := context.Background()

			// nodeDo runs an operation on the Node server. Like every helper
			// that can fail the test, it takes the t of the (sub)test calling it.
			nodeDo := func(t *testing.T, op map[string]any, out any) { t.Helper(); do(t, nc, op, out) }
			// flushNode is flush for a broadcast that came from the Node
			// server: the marker comes the same way.
			flushNode := func(t *testing.T, clients ...*wsClient) {
				t.Helper()
				nodeDo(t, map[string]any{"op": "emit", "event": "flush"}, nil)
				for _, c := range clients {
					c.Expect(t, "flush")
				}
			}

			t.Run("should count the servers on both sides", func(t *testing.T) {
				n, err := g1.io.Sockets().Adapter().ServerCount(ctx)
				require.NoError(t, err)
				assert.Equal(t, 3, n)
				var nn int
				nodeDo(t, map[string]any{"op": "serverCount"}, &nn)
				assert.Equal(t, 3, nn)
			})

			t.Run("should broadcast from each server to every client once", func(t *testing.T) {
				for _, n := range []*goNode{g1, g2} {
					require.NoError(t, n.io.Emit("hello", n.name))
					for _, c := range all {
						assert.Equal(t, n.name, c.Expect(t, "hello").Arg(0), c.Name)
					}
					flush(t, n, all...)
				}
				nodeDo(t, map[string]any{"op": "emit", "event": "hello", "args": []any{"node1"}}, nil)
				for _, c := range all {
					assert.Equal(t, "node1", c.Expect(t, "hello").Arg(0), c.Name)
				}
				flushNode(t, all...)
			})

			t.Run("should filter rooms and except rooms across servers", func(t *testing.T) {
				nodeDo(t, map[string]any{"op": "emit", "event": "a-not-b", "rooms": []string{"a"}, "except": []string{"b"}}, nil)
				a1.Expect(t, "a-not-b")
				flushNode(t, all...)
				nodeDo(t, map[string]any{"op": "emit", "event": "to-b", "rooms": []string{"b"}}, nil)
				b2.Expect(t, "to-b")
				n1.Expect(t, "to-b")
				flushNode(t, all...)
				require.NoError(t, g2.io.To("a").Except("b").Emit("a-not-b"))
				a1.Expect(t, "a-not-b")
				flush(t, g2, all...)
				require.NoError(t, g1.io.To("b").Emit("to-b"))
				b2.Expect(t, "to-b")
				n1.Expect(t, "to-b")
				flush(t, g1, all...)
				require.NoError(t, g1.io.To(n1.ID).Emit("to-n1"))
				n1.Expect(t, "to-n1")
				flush(t, g1, all...)
				nodeDo(t, map[string]any{"op": "emit", "event": "to-b2", "rooms": []string{b2.ID}}, nil)
				b2.Expect(t, "to-b2")
				flushNode(t, all...)
			})

			t.Run("should keep Local broadcasts on their server", func(t *testing.T) {
				require.NoError(t, g1.io.Local().Emit("local"))
				a1.Expect(t, "local")
				flush(t, g1, all...)
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
					assert.Equal(t, "x", ev.Arg(0))
				}
				require.NoError(t, g2.io.Emit("bin", map[string]any{"b": []byte{4, 5}}, "y"))
				for _, c := range all {
					ev := c.Expect(t, "bin")
					assert.Equal(t, [][]byte{{4, 5}}, ev.Attachments, c.Name)
					assert.JSONEq(t, `{"b":{"_placeholder":true,"num":0}}`, string(ev.Args[0]), c.Name)
				}
			})

			t.Run("should collect broadcast acks from the clients of every server", func(t *testing.T) {
				res, err := g1.io.Timeout(3*time.Second).EmitWithAck(ctx, "ask")
				require.NoError(t, err)
				assert.ElementsMatch(t, []string{`"a1"`, `"b2"`, `"n1"`, `"nc"`}, rawStrings(res))
				for _, c := range all {
					c.Expect(t, "ask")
				}
				var answers []string
				nodeDo(t, map[string]any{"op": "emitWithAck", "event": "ask", "timeout": 3000}, &answers)
				assert.ElementsMatch(t, []string{"a1", "b2", "n1", "nc"}, answers)
				for _, c := range all {
					c.Expect(t, "ask")
				}
				nodeDo(t, map[string]any{"op": "emitWithAck", "event": "ask-b", "rooms": []string{"b"}, "timeout": 3000}, &answers)
				assert.ElementsMatch(t, []string{"b2", "n1"}, answers)
				b2.Expect(t, "ask-b")
				n1.Expect(t, "ask-b")
				flushNode(t, all...)
			})

			t.Run("should fetch the sockets of the Node server from Go", func(t *testing.T) {
				socks, err := g2.io.FetchSockets(ctx)
				require.NoError(t, err)
				assert.Equal(t, ids(all...), socketIDs(socks))
				for _, s := range socks {
					if s.ID() != n1.ID {
						continue
					}
					assert.Nil(t, s.Local())
					assert.Equal(t, map[string]any{"name": "n1", "server": "node1"}, s.Data())
					assert.ElementsMatch(t, []string{n1.ID, "a", "b"}, s.Rooms())
					hs := s.Handshake()
					require.NotNil(t, hs)
					assert.Equal(t, "n1", hs.Query.Get("name"))
					assert.NotEmpty(t, hs.Headers.Get("Host"))
					assert.Contains(t, hs.Address, "127.0.0.1")
					assert.WithinDuration(t, time.Now(), hs.Time, time.Minute)
					assert.JSONEq(t, `{}`, string(hs.Auth))
				}
				socks, err = g1.io.In("b").FetchSockets(ctx)
				require.NoError(t, err)
				assert.Equal(t, ids(b2, n1), socketIDs(socks))
			})

			t.Run("should fetch the sockets of the Go servers from Node", func(t *testing.T) {
				var socks []nodeSocket
				nodeDo(t, map[string]any{"op": "fetchSockets"}, &socks)
				assert.Equal(t, ids(all...), nodeSocketIDs(socks))
				for _, s := range socks {
					if s.ID != a1.ID {
						continue
					}
					assert.Equal(t, map[string]any{"name": "a1", "server": "go1"}, s.Data)
					assert.Equal(t, "a1", s.Query["name"]) // a string, as Node has it
					assert.ElementsMatch(t, []string{a1.ID, "a"}, s.Rooms)
					assert.NotEmpty(t, s.Headers["host"])
					assert.Equal(t, "127.0.0.1", s.Address)
					assert.InDelta(t, time.Now().UnixMilli(), s.Issued, 60000)
					assert.Equal(t, map[string]any{}, s.Auth)
				}
				nodeDo(t, map[string]any{"op": "fetchSockets", "rooms": []string{"a"}, "except": []string{"b"}}, &socks)
				assert.Equal(t, ids(a1), nodeSocketIDs(socks))
			})

			t.Run("should act on remote sockets from both sides", func(t *testing.T) {
				socks, err := g1.io.In(n1.ID).FetchSockets(ctx)
				require.NoError(t, err)
				require.Len(t, socks, 1)
				require.NoError(t, socks[0].Emit("direct", "from-go"))
				assert.Equal(t, "from-go", n1.Expect(t, "direct").Arg(0))
				nodeDo(t, map[string]any{"op": "remoteEmit", "id": b2.ID, "event": "direct", "args": []any{"from-node"}}, nil)
				assert.Equal(t, "from-node", b2.Expect(t, "direct").Arg(0))
				nodeDo(t, map[string]any{"op": "remoteJoin", "id": b2.ID, "room": "k"}, nil)
				testkit.Eventually(t, "the remote join from Node", func() bool {
					s, err := g1.io.In("k").FetchSockets(ctx)
					return err == nil && slices.Equal(socketIDs(s), ids(b2))
				})
				require.NoError(t, socks[0].Join("k"))
				testkit.Eventually(t, "the remote join from Go", func() bool {
					var s []nodeSocket
					nodeDo(t, map[string]any{"op": "fetchSockets", "rooms": []string{"k"}}, &s)
					return slices.Equal(nodeSocketIDs(s), ids(b2, n1))
				})
			})

			t.Run("should make sockets join and leave rooms across servers", func(t *testing.T) {
				nodeDo(t, map[string]any{"op": "socketsJoin", "rooms": []string{"a"}, "room": "c"}, nil)
				testkit.Eventually(t, "the joins from Node", func() bool {
					s, err := g2.io.In("c").FetchSockets(ctx)
					return err == nil && slices.Equal(socketIDs(s), ids(a1, n1))
				})
				require.NoError(t, g2.io.In("b").SocketsJoin("e"))
				testkit.Eventually(t, "the joins from Go", func() bool {
					var s []nodeSocket
					nodeDo(t, map[string]any{"op": "fetchSockets", "rooms": []string{"e"}}, &s)
					return slices.Equal(nodeSocketIDs(s), ids(b2, n1))
				})
				waitRoomChannel(t, fl, client, key, "e", 2)
				nodeDo(t, map[string]any{"op": "emit", "event": "in-e", "rooms": []string{"e"}}, nil)
				b2.Expect(t, "in-e")
				n1.Expect(t, "in-e")
				flushNode(t, all...)
				require.NoError(t, g1.io.SocketsLeave("e"))
				nodeDo(t, map[string]any{"op": "socketsLeave", "room": "c"}, nil)
				testkit.Eventually(t, "the leaves", func() bool {
					var s []nodeSocket
					nodeDo(t, map[string]any{"op": "fetchSockets", "rooms": []string{"c", "e"}}, &s)
					return len(s) == 0
				})
			})

			t.Run("should disconnect sockets across servers", func(t *testing.T) {
				d1 := dialClient(t, g1.url, "d1")
				dn := dialClient(t, nd.url, "dn")
				d1.Join(t, "d")
				dn.Join(t, "d")
				nodeDo(t, map[string]any{"op": "disconnectSockets", "rooms": []string{"d"}}, nil)
				d1.ExpectGone(t)
				dn.ExpectGone(t)
				x2 := dialClient(t, g2.url, "x2")
				xn := dialClient(t, nd.url, "xn")
				x2.Join(t, "x")
				xn.Join(t, "x")
				require.NoError(t, g1.io.In("x").DisconnectSockets(false))
				x2.ExpectGone(t)
				xn.ExpectGone(t)
				flushNode(t, all...)
			})

			t.Run("should emit to the other servers with and without acks", func(t *testing.T) {
				res, err := g1.io.ServerSideEmitWithAck(ctx, "ssping", "hi")
				require.NoError(t, err)
				assert.ElementsMatch(t, []any{
					map[string]any{"from": "go2", "arg": "hi"},
					map[string]any{"from": "node1", "arg": "hi"},
				}, res)
				var answers []map[string]any
				nodeDo(t, map[string]any{"op": "serverSideEmitWithAck", "event": "ssping", "args": []any{"yo"}}, &answers)
				assert.ElementsMatch(t, []map[string]any{{"from": "go1", "arg": "yo"}, {"from": "go2", "arg": "yo"}}, answers)

				require.NoError(t, g2.io.ServerSideEmit(ctx, "note", "from-go2", 2))
				assert.Equal(t, []any{"from-go2", 2.0}, waitNote(t, g1))
				testkit.Eventually(t, "the note at the Node server", func() bool {
					var notes [][]any
					nodeDo(t, map[string]any{"op": "notes"}, &notes)
					return len(notes) == 1 && assert.Equal(t, []any{"from-go2", 2.0}, notes[0])
				})
				nodeDo(t, map[string]any{"op": "serverSideEmit", "event": "note", "args": []any{"from-node"}}, nil)
				assert.Equal(t, []any{"from-node"}, waitNote(t, g1))
				assert.Equal(t, []any{"from-node"}, waitNote(t, g2))

				if fl.name == "sharded" { // the classic adapter sends these as JSON
					res, err := g1.io.ServerSideEmitWithAck(ctx, "ssbinary", []byte{7, 8})
					require.NoError(t, err)
					assert.ElementsMatch(t, []any{
						map[string]any{"from": "go2", "isBytes": true, "bytes": []any{7.0, 8.0}},
						map[string]any{"from": "node1", "isBuffer": true, "bytes": []any{7.0, 8.0}},
					}, res)
					answers = nil
					nodeDo(t, map[string]any{"op": "serverSideEmitWithAck", "event": "ssbinary", "binary": []int{9}}, &answers)
					assert.ElementsMatch(t, []map[string]any{
						{"from": "go1", "isBytes": true, "bytes": []any{9.0}},
						{"from": "go2", "isBytes": true, "bytes": []any{9.0}},
					}, answers)
				}
			})

			if fl.name != "classic" {
				return
			}
			t.Run("should deliver the Redis emitter's events to the Go servers' clients", func(t *testing.T) {
				nodeDo(t, map[string]any{"op": "emitter", "event": "from-emitter", "rooms": []string{"b"}, "args": []any{1}}, nil)
				b2.Expect(t, "from-emitter")
				n1.Expect(t, "from-emitter")
				nodeDo(t, map[string]any{"op": "emitter", "event": "emitter-all", "except": []string{"a"}, "binary": []int{6}}, nil)
				for _, c := range []*wsClient{b2, nc} {
					ev := c.Expect(t, "emitter-all")
					assert.Equal(t, [][]byte{{6}}, ev.Attachments)
				}
				flushNode(t, all...)
				nodeDo(t, map[string]any{"op": "emitterSocketsJoin", "rooms": []string{"b"}, "room": "from-emitter"}, nil)
				testkit.Eventually(t, "the emitter's joins", func() bool {
					s, err := g1.io.In("from-emitter").FetchSockets(ctx)
					return err == nil && slices.Equal(socketIDs(s), ids(b2, n1))
				})
				nodeDo(t, map[string]any{"op": "emitterServerSideEmit", "event": "note", "args": []any{"from-emitter"}}, nil)
				assert.Equal(t, []any{"from-emitter"}, waitNote(t, g1))
				assert.Equal(t, []any{"from-emitter"}, waitNote(t, g2))
				e1 := dialClient(t, g1.url, "e1")
				e1.Join(t, "bye")
				nodeDo(t, map[string]any{"op": "emitterDisconnectSockets", "rooms": []string{"bye"}}, nil)
				e1.ExpectGone(t)
			})
		})
	}
}

func waitNote(t *testing.T, n *goNode) []any {
	t.Helper()
	select {
	case args := <-n.notes:
		return args
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no server-side event", n.name)
		return nil
	}
}

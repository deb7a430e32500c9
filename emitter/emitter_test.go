package emitter_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/emitter"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/clustertest"
	"github.com/gosio/sio/internal/testkit/redistest"
)

// An op is an emitter operation as server.mjs's "do" takes it, which goDo
// runs with the Go emitter: op ("emit", "socketsJoin", "socketsLeave",
// "disconnectSockets", "serverSideEmit"), nsp, rooms, except, volatile,
// compress, event, args, binary (bytes of a []byte argument after args),
// nestedBinary (the same inside {"bin": ...}), join, leave, close.
type op = map[string]any

// goDo runs o with the Go emitter e.
func goDo(t testing.TB, e *emitter.Emitter, o op) {
	t.Helper()
	require.NoError(t, goRun(e, o), "%v", o)
}

func goRun(e *emitter.Emitter, o op) error {
	if nsp, ok := o["nsp"].(string); ok {
		e = e.Of(nsp)
	}
	tg := e.To(strs(o["rooms"])...).Except(strs(o["except"])...)
	if o["volatile"] == true {
		tg = tg.Volatile()
	}
	if c, ok := o["compress"].(bool); ok {
		tg = tg.Compress(c)
	}
	args, _ := o["args"].([]any)
	args = slices.Clone(args)
	if b, ok := o["binary"].([]byte); ok {
		args = append(args, b)
	}
	if b, ok := o["nestedBinary"].([]byte); ok {
		args = append(args, map[string]any{"bin": b})
	}
	event, _ := o["event"].(string)
	switch o["op"] {
	case "emit":
		return tg.Emit(event, args...)
	case "socketsJoin":
		return tg.SocketsJoin(o["join"].(string))
	case "socketsLeave":
		return tg.SocketsLeave(o["leave"].(string))
	case "disconnectSockets":
		return tg.DisconnectSockets(o["close"] == true)
	case "serverSideEmit":
		return e.ServerSideEmit(event, args...)
	}
	return fmt.Errorf("unknown op %v", o["op"])
}

func strs(v any) []string {
	s, _ := v.([]string)
	return s
}

// TestEmitter runs every operation of the Go emitter and of the official
// Node.js one (@socket.io/redis-emitter 5.1) against a cluster of a Go
// server (socketio on adapter/redis) and a Node.js one (socket.io 4.8 on
// @socket.io/redis-adapter 8.3), and checks what each server's clients
// get.
func TestEmitter(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	key := redistest.UniqueKey(t.Name())
	g := startGoServer(t, client, key)
	n := startNodeServer(t, r.URL(), key)
	for _, nsp := range []string{"/", "/admin"} {
		waitSubscribers(t, client, key+"-request#"+nsp+"#", 2)
	}

	ga := clustertest.Dial(t, g.url, "ga") // room a; and /admin
	gb := clustertest.Dial(t, g.url, "gb") // room b
	na := clustertest.Dial(t, n.url, "na") // room a
	nb := clustertest.Dial(t, n.url, "nb") // room b; and /admin
	nc := clustertest.Dial(t, n.url, "nc") // no room: drives the Node emitter
	ga.Join(t, "a")
	na.Join(t, "a")
	gb.Join(t, "b")
	nb.Join(t, "b")
	ga.MustConnect(t, "/admin", "")
	nb.MustConnect(t, "/admin", "")
	all := []*clustertest.Client{ga, gb, na, nb, nc}
	ctx := context.Background()

	em := emitter.New(client, &emitter.Options{Key: key})
	drivers := []struct {
		name string
		do   func(t *testing.T, o op)
	}{
		{"go emitter", func(t *testing.T, o op) { t.Helper(); goDo(t, em, o) }},
		{"node emitter", func(t *testing.T, o op) {
			t.Helper()
			// JSON has no bytes: server.mjs makes a Buffer of a list.
			o = maps(o)
			for _, k := range []string{"binary", "nestedBinary"} {
				if b, ok := o[k].([]byte); ok {
					o[k] = ints(b)
				}
			}
			nodeDo(t, nc, o, nil)
		}},
	}
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			// flush emits a marker to every client and waits for it: what
			// came before it to a client must have been read already.
			flush := func(t *testing.T) {
				t.Helper()
				d.do(t, op{"op": "emit", "event": "flush"})
				for _, c := range all {
					c.Expect(t, "flush")
				}
			}
			expect := func(t *testing.T, event string, clients ...*clustertest.Client) {
				t.Helper()
				for _, c := range clients {
					ev := c.Expect(t, event)
					assert.Equal(t, "/", ev.Nsp, c.Name)
				}
				flush(t)
			}

			t.Run("emit to all", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "hello", "args": []any{1, "two", map[string]any{"k": []any{true, nil}}}})
				for _, c := range all {
					ev := c.Expect(t, "hello")
					assert.Equal(t, []any{1.0, "two", map[string]any{"k": []any{true, nil}}}, []any{ev.Arg(0), ev.Arg(1), ev.Arg(2)}, c.Name)
					assert.Len(t, ev.Args, 3, c.Name)
				}
			})
			t.Run("emit to a room", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "to-a", "rooms": []string{"a"}})
				expect(t, "to-a", ga, na)
			})
			t.Run("emit to rooms except a room", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "not-a", "except": []string{"a"}})
				expect(t, "not-a", gb, nb, nc)
				d.do(t, op{"op": "emit", "event": "a-b-not-nb", "rooms": []string{"a", "b"}, "except": []string{nb.ID}})
				expect(t, "a-b-not-nb", ga, gb, na)
				d.do(t, op{"op": "emit", "event": "to-socket", "rooms": []string{gb.ID}})
				expect(t, "to-socket", gb)
			})
			t.Run("emit with flags", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "flagged", "volatile": true, "compress": false, "rooms": []string{"b"}})
				expect(t, "flagged", gb, nb)
			})
			t.Run("emit to a namespace", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "adm", "nsp": "admin", "args": []any{"x"}})
				for _, c := range []*clustertest.Client{ga, nb} {
					ev := c.Expect(t, "adm")
					assert.Equal(t, "/admin", ev.Nsp, c.Name)
					assert.Equal(t, "x", ev.Arg(0), c.Name)
				}
				flush(t) // nothing on "/"
			})
			t.Run("emit binary arguments", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "bin", "args": []any{"text"}, "binary": []byte{1, 2, 3}, "nestedBinary": []byte{0, 255}})
				for _, c := range all {
					ev := c.Expect(t, "bin")
					assert.Equal(t, [][]byte{{1, 2, 3}, {0, 255}}, ev.Attachments, c.Name)
					assert.Equal(t, "text", ev.Arg(0), c.Name)
					assert.Equal(t, map[string]any{"_placeholder": true, "num": 0.0}, ev.Arg(1), c.Name)
					assert.Equal(t, map[string]any{"bin": map[string]any{"_placeholder": true, "num": 1.0}}, ev.Arg(2), c.Name)
				}
			})
			t.Run("socketsJoin then socketsLeave", func(t *testing.T) {
				d.do(t, op{"op": "socketsJoin", "rooms": []string{"a"}, "join": "c"})
				want := []string{ga.ID, na.ID}
				sort.Strings(want)
				inC := func() []string {
					socks, err := g.io.In("c").FetchSockets(ctx) // both servers' sockets
					require.NoError(t, err)
					ids := make([]string, len(socks))
					for i, s := range socks {
						ids[i] = s.ID()
					}
					sort.Strings(ids)
					return ids
				}
				testkit.Eventually(t, "the joins", func() bool { return slices.Equal(inC(), want) })
				d.do(t, op{"op": "emit", "event": "to-c", "rooms": []string{"c"}})
				expect(t, "to-c", ga, na)

				d.do(t, op{"op": "socketsLeave", "except": []string{ga.ID}, "leave": "c"})
				testkit.Eventually(t, "the leaves", func() bool { return slices.Equal(inC(), []string{ga.ID}) })
				d.do(t, op{"op": "emit", "event": "to-c", "rooms": []string{"c"}})
				expect(t, "to-c", ga)
				d.do(t, op{"op": "socketsLeave", "leave": "c"})
				testkit.Eventually(t, "the last leave", func() bool { return len(inC()) == 0 })
			})
			t.Run("disconnectSockets", func(t *testing.T) {
				for _, closeConn := range []bool{false, true} {
					gd := clustertest.Dial(t, g.url, "gd")
					nd := clustertest.Dial(t, n.url, "nd")
					gd.Join(t, "bye")
					nd.Join(t, "bye")
					d.do(t, op{"op": "disconnectSockets", "rooms": []string{"bye"}, "close": closeConn})
					gd.ExpectGone(t)
					nd.ExpectGone(t)
					_ = gd.Close()
					_ = nd.Close()
				}
				flush(t) // the others are still there
			})
			t.Run("serverSideEmit", func(t *testing.T) {
				d.do(t, op{"op": "serverSideEmit", "event": "note", "args": []any{"hi", 2, map[string]any{"k": "v"}}})
				want := []any{"note", "hi", 2.0, map[string]any{"k": "v"}}
				assert.Equal(t, note{Nsp: "/", Args: want}, testkit.Receive(t, g.notes))
				assert.Equal(t, []note{{Nsp: "/", Args: want}}, nodeNotes(t, nc, 1))

				d.do(t, op{"op": "serverSideEmit", "nsp": "/admin", "event": "note", "args": []any{"adm"}})
				assert.Equal(t, note{Nsp: "/admin", Args: []any{"note", "adm"}}, testkit.Receive(t, g.notes))
				assert.Equal(t, []note{{Nsp: "/admin", Args: []any{"note", "adm"}}}, nodeNotes(t, nc, 1))
			})
		})
	}
}

// nodeNotes waits for n server-side events on the Node server and returns
// them.
func nodeNotes(t *testing.T, nc *clustertest.Client, n int) []note {
	t.Helper()
	var got []note
	testkit.Eventually(t, "the Node server's server-side events", func() bool {
		var more []note
		nodeDo(t, nc, op{"op": "notes"}, &more)
		got = append(got, more...)
		return len(got) >= n
	})
	return got
}

// waitSubscribers waits until n connections subscribe to channel.
func waitSubscribers(t testing.TB, client *redis.Client, channel string, n int64) {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("%d subscribers of %s", n, channel), func() bool {
		res, err := client.PubSubNumSub(context.Background(), channel).Result()
		return err == nil && res[channel] == n
	})
}

func maps(o op) op {
	out := make(op, len(o))
	for k, v := range o {
		out[k] = v
	}
	return out
}

func ints(b []byte) []int {
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

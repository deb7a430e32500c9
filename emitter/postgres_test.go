package emitter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter/postgres"
	"github.com/gosio/sio/emitter"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/clustertest"
	"github.com/gosio/sio/internal/testkit/pgtest"
	"github.com/gosio/sio/socketio"
)

// pgCluster starts a Go server (socketio on adapter/postgres) and a Node
// one (socket.io 4.8 on @socket.io/postgres-adapter 0.5, with the
// official @socket.io/postgres-emitter beside it) on the shared Postgres,
// with a channel prefix and attachments table of the test's own, and
// waits until the Go server has heard of the Node one on both
// namespaces.
func pgCluster(t *testing.T) (pool *pgxpool.Pool, key string, g *goServer, n *nodeServer) {
	t.Helper()
	s := pgtest.Shared(t)
	pool = s.NewPool(t)
	key = pgtest.UniqueName(t.Name())
	require.NoError(t, postgres.CreateTable(context.Background(), pool, key))
	g = startGoServerOn(t, postgres.NewAdapter(pool, &postgres.Options{
		ChannelPrefix: key, TableName: key, HeartbeatInterval: time.Second, HeartbeatTimeout: 4 * time.Second,
	}))
	n = startNodeScript(t, "pgserver.mjs", "PG_URL="+s.URL(), "KEY="+key)
	for _, nsp := range []*socketio.Namespace{g.io.Sockets(), g.io.Of("/admin")} {
		testkit.Eventually(t, "the servers to listen", func() bool {
			c, _ := nsp.Adapter().ServerCount(context.Background())
			return c == 2
		})
	}
	return pool, key, g, n
}

// TestPostgresEmitter runs every operation of the Go emitter on Postgres
// against a cluster of a Go server and a Node.js one, and of the official
// Node.js emitter (@socket.io/postgres-emitter 0.1.1) against the Go
// server, and checks what the clients get. The official emitter's
// messages have no nsp, so the Node server (0.5.0) ignores them: that is
// checked too.
func TestPostgresEmitter(t *testing.T) {
	pool, key, g, n := pgCluster(t)
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
	ctx := context.Background()

	em := emitter.NewPostgres(pool, &emitter.PostgresOptions{ChannelPrefix: key, TableName: key})
	goFlush := func(t *testing.T, clients ...*clustertest.Client) {
		t.Helper()
		goDo(t, em, op{"op": "emit", "event": "flush"})
		for _, c := range clients {
			c.Expect(t, "flush")
		}
	}
	drivers := []struct {
		name string
		do   func(t *testing.T, o op)
		// nodeToo: the Node server's clients get the driver's messages.
		nodeToo bool
	}{
		{"go emitter", func(t *testing.T, o op) { t.Helper(); goDo(t, em, o) }, true},
		{"node emitter", func(t *testing.T, o op) {
			t.Helper()
			o = maps(o)
			for _, k := range []string{"binary", "nestedBinary"} {
				if b, ok := o[k].([]byte); ok {
					o[k] = ints(b)
				}
			}
			nodeDo(t, nc, o, nil)
		}, false},
	}
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			// reach keeps the clients the driver's messages reach.
			reach := func(cs ...*clustertest.Client) []*clustertest.Client {
				var out []*clustertest.Client
				for _, c := range cs {
					if d.nodeToo || !strings.HasPrefix(c.Name, "n") {
						out = append(out, c)
					}
				}
				return out
			}
			all := []*clustertest.Client{ga, gb, na, nb, nc}
			// flush emits a marker with the Go emitter to every client and
			// waits for it: what came before it to a client must have been
			// read already, and nothing else.
			flush := func(t *testing.T) { t.Helper(); goFlush(t, all...) }
			expect := func(t *testing.T, event string, clients ...*clustertest.Client) {
				t.Helper()
				for _, c := range reach(clients...) {
					ev := c.Expect(t, event)
					assert.Equal(t, "/", ev.Nsp, c.Name)
				}
				flush(t)
			}

			t.Run("emit to all", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "hello", "args": []any{1, "two", map[string]any{"k": []any{true, nil}}}})
				for _, c := range reach(all...) {
					ev := c.Expect(t, "hello")
					assert.Equal(t, []any{1.0, "two", map[string]any{"k": []any{true, nil}}}, []any{ev.Arg(0), ev.Arg(1), ev.Arg(2)}, c.Name)
					assert.Len(t, ev.Args, 3, c.Name)
				}
				flush(t)
			})
			t.Run("emit to a room", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "to-a", "rooms": []string{"a"}})
				expect(t, "to-a", ga, na)
			})
			t.Run("emit except", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "not-a", "except": []string{"a"}})
				expect(t, "not-a", gb, nb, nc)
				d.do(t, op{"op": "emit", "event": "a-b-not-nb", "rooms": []string{"a", "b"}, "except": []string{nb.ID}})
				expect(t, "a-b-not-nb", ga, gb, na)
			})
			t.Run("emit with flags", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "flagged", "volatile": true, "compress": false, "rooms": []string{"b"}})
				expect(t, "flagged", gb, nb)
			})
			t.Run("emit to a namespace", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "adm", "nsp": "admin", "args": []any{"x"}})
				for _, c := range reach(ga, nb) {
					ev := c.Expect(t, "adm")
					assert.Equal(t, "/admin", ev.Nsp, c.Name)
					assert.Equal(t, "x", ev.Arg(0), c.Name)
				}
				flush(t) // nothing on "/"
			})
			t.Run("emit binary", func(t *testing.T) {
				d.do(t, op{"op": "emit", "event": "bin", "args": []any{"text"}, "binary": []byte{1, 2, 3}, "nestedBinary": []byte{0, 255}})
				for _, c := range reach(all...) {
					ev := c.Expect(t, "bin")
					assert.Equal(t, [][]byte{{1, 2, 3}, {0, 255}}, ev.Attachments, c.Name)
					assert.Equal(t, "text", ev.Arg(0), c.Name)
					assert.Equal(t, map[string]any{"bin": map[string]any{"_placeholder": true, "num": 1.0}}, ev.Arg(2), c.Name)
				}
				flush(t)
			})
			t.Run("emit over 8000 bytes", func(t *testing.T) {
				big := strings.Repeat("é", 6000) // 12,000 bytes
				d.do(t, op{"op": "emit", "event": "big", "rooms": []string{"b"}, "args": []any{big}})
				for _, c := range reach(gb, nb) {
					ev := c.Expect(t, "big")
					assert.Equal(t, big, ev.Arg(0), c.Name)
				}
				flush(t)
			})
			t.Run("socketsJoin then socketsLeave", func(t *testing.T) {
				d.do(t, op{"op": "socketsJoin", "rooms": []string{"a"}, "join": "c"})
				want := []string{ga.ID}
				if d.nodeToo {
					want = append(want, na.ID)
				}
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
				d.do(t, op{"op": "socketsLeave", "leave": "c"})
				testkit.Eventually(t, "the last leave", func() bool { return len(inC()) == 0 })
			})
			t.Run("disconnectSockets", func(t *testing.T) {
				for _, closeConn := range []bool{false, true} {
					gd := clustertest.Dial(t, g.url, "gd")
					gd.Join(t, "bye")
					if d.nodeToo {
						nd := clustertest.Dial(t, n.url, "nd")
						nd.Join(t, "bye")
						d.do(t, op{"op": "disconnectSockets", "rooms": []string{"bye"}, "close": closeConn})
						nd.ExpectGone(t)
						_ = nd.Close()
					} else {
						d.do(t, op{"op": "disconnectSockets", "rooms": []string{"bye"}, "close": closeConn})
					}
					gd.ExpectGone(t)
					_ = gd.Close()
				}
				flush(t) // the others are still there
			})
			t.Run("serverSideEmit", func(t *testing.T) {
				d.do(t, op{"op": "serverSideEmit", "event": "note", "args": []any{"hi", 2, map[string]any{"k": "v"}}})
				want := []any{"note", "hi", 2.0, map[string]any{"k": "v"}}
				assert.Equal(t, note{Nsp: "/", Args: want}, testkit.Receive(t, g.notes))
				d.do(t, op{"op": "serverSideEmit", "nsp": "/admin", "event": "note", "binary": []byte{0, 1, 255}})
				got := testkit.Receive(t, g.notes)
				assert.Equal(t, "/admin", got.Nsp)
				require.Len(t, got.Args, 2)
				assert.Equal(t, []byte{0, 1, 255}, got.Args[1])
				if d.nodeToo {
					assert.Equal(t, []note{
						{Nsp: "/", Args: want},
						{Nsp: "/admin", Args: []any{"note", map[string]any{"buffer": []any{0.0, 1.0, 255.0}}}},
					}, nodeNotes(t, nc, 2))
				} else {
					// The Node server ignored both.
					var more []note
					nodeDo(t, nc, op{"op": "notes"}, &more)
					assert.Empty(t, more)
				}
			})
		})
	}
}

// TestPostgresWireMatchesReference sends each operation with the official
// Node.js emitter (@socket.io/postgres-emitter 0.1.1) and with ours, and
// compares what Postgres carried, byte for byte: the same channel, and
// the same JSON notification, or the same msgpack in the attachments
// table under the same {uid, type, attachmentId} header, but for the
// "nsp" member ours adds at the end of the message.
func TestPostgresWireMatchesReference(t *testing.T) {
	s := pgtest.Shared(t)
	pool := s.NewPool(t)
	key := pgtest.UniqueName(t.Name())
	ctx := context.Background()
	require.NoError(t, postgres.CreateTable(ctx, pool, key))
	n := startNodeScript(t, "pgserver.mjs", "PG_URL="+s.URL(), "KEY="+key)
	nc := clustertest.Dial(t, n.url, "nc")
	nc.Join(t, "keep") // out of the disconnections below

	conn, err := pgx.Connect(ctx, s.URL())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	for _, nsp := range []string{"/", "/admin"} {
		_, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{key + "#" + nsp}.Sanitize())
		require.NoError(t, err)
	}
	// next returns the next notification of an emitter (the Node
	// server's adapter sends its heartbeats on the same channels), with
	// its attachment if it has one.
	next := func(t *testing.T) (channel, payload string, attachment []byte) {
		t.Helper()
		for {
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			nt, err := conn.WaitForNotification(wctx)
			cancel()
			require.NoError(t, err, "nothing notified")
			if !strings.Contains(nt.Payload, `"uid":"emitter"`) {
				continue
			}
			var h struct {
				AttachmentID string `json:"attachmentId"`
			}
			require.NoError(t, json.Unmarshal([]byte(nt.Payload), &h), nt.Payload)
			if h.AttachmentID != "" {
				require.NoError(t, pool.QueryRow(ctx, "SELECT payload FROM "+key+" WHERE id = $1", h.AttachmentID).Scan(&attachment))
			}
			return nt.Channel, nt.Payload, attachment
		}
	}

	long := strings.Repeat("x", 300)
	big := make([]byte, 300)
	for i := range big {
		big[i] = byte(i)
	}
	huge := strings.Repeat("é✓", 1500) // 7,500 bytes of UTF-8
	cases := []struct {
		name string
		op   op
	}{
		{"emit to all", op{"op": "emit", "event": "hello", "args": []any{1, "two", 1.5, -3, true, nil, map[string]any{"a": 1, "b": []any{"c"}}}}},
		{"emit without arguments", op{"op": "emit", "event": "ping"}},
		{"emit numbers and strings", op{"op": "emit", "event": "sizes", "args": []any{127, 128, 65536, 1 << 40, -33, -1 << 40, 1 << 53, 0.1, -2.5e-7, 1e21, long, "é✓😀\n\"'\\"}}},
		{"emit to one room", op{"op": "emit", "event": "e", "rooms": []string{"a"}}},
		{"emit to one room named twice", op{"op": "emit", "event": "e", "rooms": []string{"a", "a"}}},
		{"emit to rooms except rooms", op{"op": "emit", "event": "e", "rooms": []string{"a", "b"}, "except": []string{"c", "d", "c"}}},
		{"emit volatile uncompressed", op{"op": "emit", "event": "e", "volatile": true, "compress": false}},
		{"emit to a namespace", op{"op": "emit", "event": "e", "nsp": "admin", "rooms": []string{"r"}}},
		{"emit binary", op{"op": "emit", "event": "bin", "args": []any{"text", 1.5, 1 << 40, long}, "binary": big, "nestedBinary": []byte{1, 2}}},
		{"emit over the threshold", op{"op": "emit", "event": "big", "args": []any{huge, 1, 0.5, map[string]any{"k": nil}}}},
		{"socketsJoin", op{"op": "socketsJoin", "rooms": []string{"a"}, "except": []string{"b"}, "join": "c"}},
		{"socketsJoin everyone", op{"op": "socketsJoin", "join": "c"}},
		{"socketsLeave", op{"op": "socketsLeave", "nsp": "/admin", "rooms": []string{"a", "b"}, "leave": "c"}},
		{"disconnectSockets", op{"op": "disconnectSockets", "rooms": []string{"a"}, "except": []string{"keep"}}},
		{"disconnectSockets and close", op{"op": "disconnectSockets", "except": []string{"keep"}, "close": true}},
		{"serverSideEmit", op{"op": "serverSideEmit", "event": "note", "args": []any{1, 1.5, "é✓😀\n\"", map[string]any{"k": nil}}}},
		{"serverSideEmit binary", op{"op": "serverSideEmit", "nsp": "/admin", "event": "note", "binary": []byte{0, 1, 255}}},
		{"serverSideEmit over the threshold", op{"op": "serverSideEmit", "event": "note", "args": []any{huge, huge}}},
	}
	em := emitter.NewPostgres(pool, &emitter.PostgresOptions{ChannelPrefix: key, TableName: key})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := maps(c.op)
			for _, k := range []string{"binary", "nestedBinary"} {
				if b, ok := o[k].([]byte); ok {
					o[k] = ints(b)
				}
			}
			nodeDo(t, nc, o, nil)
			wantCh, wantPl, wantAtt := next(t)
			goDo(t, em, c.op)
			gotCh, gotPl, gotAtt := next(t)
			assert.Equal(t, wantCh, gotCh)
			nsp := strings.TrimPrefix(wantCh, key+"#")
			if wantAtt == nil {
				require.Nil(t, gotAtt, "ours went to the table: %s", gotPl)
				// {type, data, uid} and ours {type, data, uid, nsp}.
				want := strings.TrimSuffix(wantPl, "}") + `,"nsp":` + strconv.Quote(nsp) + "}"
				assert.Equal(t, want, gotPl)
				return
			}
			require.NotNil(t, gotAtt, "ours was notified: %s", gotPl)
			idRE := regexp.MustCompile(`"attachmentId":"\d+"`)
			assert.Equal(t, idRE.ReplaceAllString(wantPl, `"attachmentId":"N"`), idRE.ReplaceAllString(gotPl, `"attachmentId":"N"`))
			// A fixmap of three members, and ours of four ending with
			// "nsp": nsp (fixstr).
			require.Equal(t, byte(0x83), wantAtt[0])
			want := append([]byte{0x84}, wantAtt[1:]...)
			want = append(want, 0xa3, 'n', 's', 'p', 0xa0|byte(len(nsp)))
			want = append(want, nsp...)
			if !bytes.Equal(want, gotAtt) {
				t.Errorf("attachment differs:\nnode %x\ngo   %x", want, gotAtt)
			}
		})
	}
}

// TestPostgresErrors checks the errors of an emitter on Postgres.
func TestPostgresErrors(t *testing.T) {
	s := pgtest.Shared(t)
	pool := s.NewPool(t)
	bad := emitter.NewPostgres(pool, &emitter.PostgresOptions{TableName: "x; DROP TABLE y"})
	assert.NoError(t, bad.Emit("small")) // no table needed
	assert.ErrorIs(t, bad.Emit("bin", []byte{1}), emitter.ErrBadTableName)
	assert.ErrorIs(t, bad.Emit("e", func() {}), emitter.ErrEncoding)

	missing := emitter.NewPostgres(pool, &emitter.PostgresOptions{TableName: pgtest.UniqueName("missing")})
	var pe *pgconn.PgError
	require.ErrorAs(t, missing.ServerSideEmit("bin", []byte{1}), &pe)
	assert.Equal(t, "42P01", pe.Code) // undefined_table

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, emitter.NewPostgres(pool, nil).WithContext(ctx).Emit("e"), context.Canceled)
	assert.Equal(t, "/admin", emitter.NewPostgres(pool, nil).Of("admin").Namespace())
}

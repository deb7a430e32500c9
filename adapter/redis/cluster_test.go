package redis

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
	"github.com/gosio/sio/socketio"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// flavor is one of the two protocols.
type flavor struct {
	name    string
	factory func(redis.UniversalClient, *Options) adapter.Factory
}

var flavors = []flavor{{"classic", NewAdapter}, {"sharded", NewShardedAdapter}}

// flush broadcasts a marker from n and checks that it is the next event of
// every client: whatever a client was not meant to receive before it has
// not come, and nothing came twice.
func flush(t *testing.T, n *goNode, clients ...*wsClient) {
	t.Helper()
	require.NoError(t, n.io.Emit("flush"))
	for _, c := range clients {
		c.Expect(t, "flush")
	}
}

func socketIDs(socks []*socketio.RemoteSocket) []string {
	out := make([]string, len(socks))
	for i, s := range socks {
		out[i] = s.ID()
	}
	sort.Strings(out)
	return out
}

func ids(clients ...*wsClient) []string {
	out := make([]string, len(clients))
	for i, c := range clients {
		out[i] = c.ID
	}
	sort.Strings(out)
	return out
}

// TestGoCluster runs every cluster feature across two Go servers joined by
// Redis, with each protocol.
func TestGoCluster(t *testing.T) {
	for _, fl := range flavors {
		t.Run(fl.name, func(t *testing.T) {
			r := redistest.Shared(t)
			client := r.NewClient(t)
			key := redistest.UniqueKey(t.Name())
			g1, g2 := startGoPair(t, fl, client, &Options{Key: key})

			a1 := dialClient(t, g1.url, "a1") // rooms a
			a2 := dialClient(t, g2.url, "a2") // rooms a, b
			b2 := dialClient(t, g2.url, "b2") // rooms b
			a1.Join(t, "a")
			a2.Join(t, "a", "b")
			b2.Join(t, "b")
			waitRoomChannel(t, fl, client, key, "a", 2)
			waitRoomChannel(t, fl, client, key, "b", 1)
			all := []*wsClient{a1, a2, b2}
			ctx := context.Background()

			t.Run("should broadcast to every client of every server once", func(t *testing.T) {
				for _, n := range []*goNode{g1, g2} {
					require.NoError(t, n.io.Emit("hello", n.name))
					for _, c := range all {
						ev := c.Expect(t, "hello")
						assert.Equal(t, n.name, ev.Arg(0))
					}
					flush(t, n, all...)
				}
			})

			t.Run("should broadcast to rooms and except rooms across servers", func(t *testing.T) {
				require.NoError(t, g1.io.To("a").Except("b").Emit("ab"))
				a1.Expect(t, "ab")
				flush(t, g1, all...)
				require.NoError(t, g1.io.To("b").Emit("b"))
				a2.Expect(t, "b")
				b2.Expect(t, "b")
				flush(t, g1, all...)
				require.NoError(t, g2.io.To("a", "b").Except("a").Emit("b-only"))
				b2.Expect(t, "b-only")
				flush(t, g2, all...)
				// One room from a server with no member there: the room channel.
				require.NoError(t, g1.io.To(b2.ID).Emit("private"))
				b2.Expect(t, "private")
				flush(t, g1, all...)
			})

			t.Run("should keep Local broadcasts on their server", func(t *testing.T) {
				require.NoError(t, g1.io.Local().Emit("local"))
				a1.Expect(t, "local")
				require.NoError(t, g2.io.Local().To("b").Emit("local-b"))
				a2.Expect(t, "local-b")
				b2.Expect(t, "local-b")
				flush(t, g1, all...)
			})

			t.Run("should carry binary arguments", func(t *testing.T) {
				require.NoError(t, g1.io.Emit("bin", []byte{1, 2, 3}, map[string]any{"x": []byte{4}}))
				for _, c := range all {
					ev := c.Expect(t, "bin")
					assert.Equal(t, [][]byte{{1, 2, 3}, {4}}, ev.Attachments, c.Name)
					assert.JSONEq(t, `{"_placeholder":true,"num":0}`, string(ev.Args[0]))
				}
			})

			t.Run("should collect broadcast acks from every server's clients", func(t *testing.T) {
				res, err := g1.io.Timeout(3*time.Second).EmitWithAck(ctx, "ask")
				require.NoError(t, err)
				assert.ElementsMatch(t, []string{`"a1"`, `"a2"`, `"b2"`}, rawStrings(res))
				for _, c := range all {
					c.Expect(t, "ask")
				}
				res, err = g2.io.To("a").Timeout(3*time.Second).EmitWithAck(ctx, "ask-a")
				require.NoError(t, err)
				assert.ElementsMatch(t, []string{`"a1"`, `"a2"`}, rawStrings(res))
				a1.Expect(t, "ask-a")
				a2.Expect(t, "ask-a")
				flush(t, g1, all...)
			})

			t.Run("should time out a broadcast with acks that a remote client leaves unanswered", func(t *testing.T) {
				a2.SetAnswerWith(func(testkit.Event) any { return errNoAnswer })
				defer a2.SetAnswerWith(nil)
				start := time.Now()
				res, err := g1.io.Timeout(500*time.Millisecond).EmitWithAck(ctx, "ask")
				var te *socketio.AckTimeoutError
				require.ErrorAs(t, err, &te)
				assert.ElementsMatch(t, []string{`"a1"`, `"b2"`}, rawStrings(res))
				assert.Less(t, time.Since(start), 2*time.Second)
				for _, c := range all {
					c.Expect(t, "ask")
				}
			})

			t.Run("should fetch the sockets of every server", func(t *testing.T) {
				socks, err := g1.io.FetchSockets(ctx)
				require.NoError(t, err)
				assert.Equal(t, ids(all...), socketIDs(socks))
				for _, s := range socks {
					switch s.ID() {
					case a1.ID:
						assert.NotNil(t, s.Local())
					case b2.ID:
						assert.Nil(t, s.Local())
						assert.Equal(t, map[string]any{"name": "b2", "server": "go2"}, s.Data())
						assert.Equal(t, "b2", s.Handshake().Query.Get("name"))
						assert.ElementsMatch(t, []string{b2.ID, "b"}, s.Rooms())
						assert.Equal(t, "127.0.0.1", s.Handshake().Address)
						assert.False(t, s.Handshake().Time.IsZero())
					}
				}
				socks, err = g2.io.In("a").Except("b").FetchSockets(ctx)
				require.NoError(t, err)
				assert.Equal(t, ids(a1), socketIDs(socks))
				socks, err = g1.io.Local().FetchSockets(ctx)
				require.NoError(t, err)
				assert.Equal(t, ids(a1), socketIDs(socks))
			})

			t.Run("should act on remote sockets", func(t *testing.T) {
				socks, err := g1.io.In(b2.ID).FetchSockets(ctx)
				require.NoError(t, err)
				require.Len(t, socks, 1)
				rs := socks[0]
				require.NoError(t, rs.Emit("direct", 1))
				assert.Equal(t, float64(1), b2.Expect(t, "direct").Arg(0))
				require.NoError(t, rs.Join("j"))
				testkit.Eventually(t, "the remote join", func() bool {
					s, err := g1.io.In("j").FetchSockets(ctx)
					return err == nil && len(s) == 1
				})
				waitRoomChannel(t, fl, client, key, "j", 1)
				require.NoError(t, g1.io.To("j").Emit("in-j"))
				b2.Expect(t, "in-j")
				require.NoError(t, rs.Leave("j"))
				testkit.Eventually(t, "the remote leave", func() bool {
					s, err := g1.io.In("j").FetchSockets(ctx)
					return err == nil && len(s) == 0
				})
				flush(t, g1, all...)
			})

			t.Run("should make the sockets of every server join and leave rooms", func(t *testing.T) {
				require.NoError(t, g1.io.In("a").SocketsJoin("c"))
				testkit.Eventually(t, "the joins", func() bool {
					s, err := g2.io.In("c").FetchSockets(ctx)
					return err == nil && slices.Equal(socketIDs(s), ids(a1, a2))
				})
				waitRoomChannel(t, fl, client, key, "c", 2)
				require.NoError(t, g2.io.To("c").Emit("in-c"))
				a1.Expect(t, "in-c")
				a2.Expect(t, "in-c")
				flush(t, g2, all...)
				require.NoError(t, g2.io.SocketsLeave("c"))
				testkit.Eventually(t, "the leaves", func() bool {
					s, err := g1.io.In("c").FetchSockets(ctx)
					return err == nil && len(s) == 0
				})
			})

			t.Run("should disconnect the sockets of every server", func(t *testing.T) {
				d1 := dialClient(t, g1.url, "d1")
				d2 := dialClient(t, g2.url, "d2")
				d1.Join(t, "d")
				d2.Join(t, "d")
				require.NoError(t, g1.io.In("d").DisconnectSockets(false))
				d1.ExpectGone(t)
				d2.ExpectGone(t)
				flush(t, g1, all...)
			})

			t.Run("should emit to the other servers", func(t *testing.T) {
				require.NoError(t, g1.io.ServerSideEmit(ctx, "note", 1, "x"))
				select {
				case args := <-g2.notes:
					assert.Equal(t, []any{float64(1), "x"}, args)
				case <-time.After(5 * time.Second):
					t.Fatal("no server-side event")
				}
				res, err := g2.io.ServerSideEmitWithAck(ctx, "ssping", "hi")
				require.NoError(t, err)
				assert.Equal(t, []any{map[string]any{"from": "go1", "arg": "hi"}}, res)
				select {
				case args := <-g1.notes:
					t.Fatalf("the sender got its own event %v", args)
				default:
				}
				if fl.name == "sharded" {
					res, err = g1.io.ServerSideEmitWithAck(ctx, "ssbinary", []byte{7, 8})
					require.NoError(t, err)
					assert.Equal(t, []any{map[string]any{"from": "go2", "isBytes": true, "bytes": []any{7.0, 8.0}}}, res)
				}
			})

			t.Run("should count the servers", func(t *testing.T) {
				n, err := g1.io.Sockets().Adapter().ServerCount(ctx)
				require.NoError(t, err)
				assert.Equal(t, 2, n)
			})
		})
	}
}

// logRecorder is a slog.Handler that keeps the messages.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}

func (l *logRecorder) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

func rawStrings(rs []socketio.Raw) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// TestRequestTimeout checks that a server that never answers makes
// FetchSockets and ServerSideEmitWithAck fail with ErrTimeout, naming how
// many servers answered.
func TestRequestTimeout(t *testing.T) {
	for _, fl := range flavors {
		t.Run(fl.name, func(t *testing.T) {
			r := redistest.Shared(t)
			client := r.NewClient(t)
			key := redistest.UniqueKey(t.Name())
			opts := &Options{Key: key, RequestsTimeout: 300 * time.Millisecond}
			g1 := startGoNode(t, "go1", fl.factory(client, opts))
			g2 := startGoNode(t, "go2", fl.factory(client, opts))
			// A silent member: subscribed where servers are counted, never
			// answering.
			var ps *redis.PubSub
			if fl.name == "classic" {
				ps = client.Subscribe(context.Background(), key+"-request#/#")
			} else {
				ps = client.SSubscribe(context.Background(), key+"#/#")
			}
			defer ps.Close()
			waitServerCount(t, g1.io, 3)
			waitServerCount(t, g2.io, 3)

			start := time.Now()
			_, err := g1.io.FetchSockets(context.Background())
			require.ErrorIs(t, err, ErrTimeout)
			assert.Contains(t, err.Error(), "fetchSockets: 1 of 2 servers answered")
			assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)

			res, err := g1.io.ServerSideEmitWithAck(context.Background(), "ssping", 1)
			require.ErrorIs(t, err, ErrTimeout)
			assert.Contains(t, err.Error(), "serverSideEmit: 1 of 2 servers answered")
			assert.Equal(t, []any{map[string]any{"from": "go2", "arg": 1.0}}, res)

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err = g1.io.FetchSockets(ctx)
			require.ErrorIs(t, err, context.DeadlineExceeded)

			st := clusterStats(t, g1)
			fetch := st.Requests[adapter.RequestFetchSockets]
			assert.Equal(t, uint64(2), fetch.Latency.Count)
			assert.Equal(t, uint64(2), fetch.Errors)
			assert.GreaterOrEqual(t, fetch.Latency.Sum, 350*time.Millisecond) // the timeout, the deadline
			assert.Equal(t, uint64(2), fetch.Latency.Buckets[adapter.NumLatencyBuckets-1])
			sse := st.Requests[adapter.RequestServerSideEmit]
			assert.Equal(t, uint64(1), sse.Latency.Count)
			assert.Equal(t, uint64(1), sse.Errors)
		})
	}
}

// TestRedisRestart kills redis-server and starts it again on the same
// port: local broadcasts go on meanwhile, the adapters subscribe again by
// themselves, and broadcasts cross servers again.
func TestRedisRestart(t *testing.T) {
	for _, fl := range flavors {
		t.Run(fl.name, func(t *testing.T) {
			r := redistest.Start(t)
			client := r.NewClient(t)
			key := redistest.UniqueKey(t.Name())
			logs := &logRecorder{}
			opts := &Options{Key: key, Logger: slog.New(logs)}
			g1, g2 := startGoPair(t, fl, client, opts)
			c1 := dialClient(t, g1.url, "c1")
			c2 := dialClient(t, g2.url, "c2")
			c2.Join(t, "room")
			waitRoomChannel(t, fl, client, key, "room", 1)

			require.NoError(t, g1.io.To("room").Emit("before"))
			c2.Expect(t, "before")

			r.Stop()
			_ = g1.io.Emit("while-down") // local delivery goes on
			c1.Expect(t, "while-down")

			require.NoError(t, r.Start())
			waitServerCount(t, g1.io, 2)
			waitServerCount(t, g2.io, 2)
			// The room channel (sharded, dynamic mode) is subscribed again too.
			waitRoomChannel(t, fl, client, key, "room", 1)
			require.NoError(t, g1.io.To("room").Emit("after"))
			for {
				ev := c2.Next(t)
				if ev.Name == "after" {
					break
				}
				// A message queued while Redis was away may or may not
				// have been published once it came back: at most once.
				require.Equal(t, "while-down", ev.Name)
			}
			require.NoError(t, g2.io.Emit("back"))
			c1.Expect(t, "back")
			c2.Expect(t, "back")
			assert.GreaterOrEqual(t, logs.count("redis adapter: subscription connection lost"), 2)
			assert.GreaterOrEqual(t, logs.count("redis adapter: subscribed again"), 2)
		})
	}
}

// TestCloseStopsEverything checks that closing the servers ends every
// goroutine of their adapters, even with Redis away.
func TestCloseStopsEverything(t *testing.T) {
	r := redistest.Start(t)
	client := r.NewClient(t)
	for _, fl := range flavors {
		g := startGoNode(t, "go", fl.factory(client, &Options{Key: redistest.UniqueKey(t.Name())}))
		waitServerCount(t, g.io, 1)
		g.io.Of("/other") // a second namespace, a second subscription
		g.stop()
	}
	r.Stop()
	g := startGoNode(t, "go", NewAdapter(client, nil))
	_ = g.io.Emit("nobody") // queued for a Redis that is not there
	g.stop()
	_, err := g.io.Sockets().Adapter().ServerCount(context.Background())
	assert.True(t, errors.Is(err, adapter.ErrClosed), "%v", err)
}

// TestShardedRoomChannels checks the dynamic subscription mode: a public
// room has a channel while it has local members, a socket's own room has
// none (but has one in the dynamic-private mode).
func TestShardedRoomChannels(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	subscribers := func(t *testing.T, channel string) int64 {
		res, err := client.PubSubShardNumSub(context.Background(), channel).Result()
		require.NoError(t, err)
		return res[channel]
	}
	for _, mode := range []SubscriptionMode{DynamicSubscriptions, DynamicPrivateSubscriptions, StaticSubscriptions} {
		t.Run(mode.String(), func(t *testing.T) {
			key := redistest.UniqueKey(t.Name())
			g := startGoNode(t, "go", NewShardedAdapter(client, &Options{Key: key, SubscriptionMode: mode}))
			waitServerCount(t, g.io, 1)
			c := dialClient(t, g.url, "c")
			c.Join(t, "pub")
			own := key + "#/#" + c.ID + "#"
			pub := key + "#/#pub#"
			if mode == StaticSubscriptions {
				time.Sleep(100 * time.Millisecond)
				assert.Zero(t, subscribers(t, pub))
				return
			}
			testkit.Eventually(t, "the room's channel", func() bool { return subscribers(t, pub) == 1 })
			if mode == DynamicPrivateSubscriptions {
				testkit.Eventually(t, "the socket's channel", func() bool { return subscribers(t, own) == 1 })
			} else {
				assert.Zero(t, subscribers(t, own))
			}
			c.Close()
			testkit.Eventually(t, "the channels' end", func() bool { return subscribers(t, pub) == 0 && subscribers(t, own) == 0 })
		})
	}
}

// TestQueueBound checks that while Redis is away the messages waiting for
// it are bounded: a broadcast past the bound fails with ErrQueueFull and is
// still delivered to the local clients.
func TestQueueBound(t *testing.T) {
	r := redistest.Start(t)
	client := r.NewClient(t)
	g := startGoNode(t, "go", NewAdapter(client, &Options{Key: redistest.UniqueKey(t.Name()), MaxPendingBytes: 300}))
	waitServerCount(t, g.io, 1)
	c := dialClient(t, g.url, "c")
	r.Stop()
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = g.io.Emit("burst", i)
		c.Expect(t, "burst")
	}
	require.ErrorIs(t, err, ErrQueueFull)
	assert.Positive(t, clusterStats(t, g).PublishErrors)
}

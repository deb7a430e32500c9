package redisstreams

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/clustermsg"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
	"github.com/gosio/sio/socketio"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

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

func rawStrings(rs []socketio.Raw) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// testOptions returns the options of a test's cluster: a stream and
// channels of its own on the shared Redis.
func testOptions(t testing.TB) *Options {
	key := redistest.UniqueKey(t.Name())
	return &Options{StreamName: key, ChannelPrefix: key}
}

// startPair starts two Go servers on one Redis and waits until each reads
// the stream and counts the other.
func startPair(t *testing.T, client redis.UniversalClient, o *Options) (*goNode, *goNode) {
	t.Helper()
	g1 := startGoNode(t, "go1", NewAdapter(client, o))
	g2 := startGoNode(t, "go2", NewAdapter(client, o))
	for _, g := range []*goNode{g1, g2} {
		waitReady(t, g.io)
		waitServerCount(t, g.io, 2)
	}
	return g1, g2
}

// TestGoCluster runs every cluster feature across two Go servers joined by
// one Redis stream.
func TestGoCluster(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	g1, g2 := startPair(t, client, testOptions(t))

	a1 := dialClient(t, g1.url, "a1") // rooms a
	a2 := dialClient(t, g2.url, "a2") // rooms a, b
	b2 := dialClient(t, g2.url, "b2") // rooms b
	a1.Join(t, "a")
	a2.Join(t, "a", "b")
	b2.Join(t, "b")
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
		for _, n := range []*goNode{g1, g2} {
			require.NoError(t, n.io.Emit("bin", []byte{1, 2, 3}, map[string]any{"x": []byte{4}}))
			for _, c := range all {
				ev := c.Expect(t, "bin")
				assert.Equal(t, [][]byte{{1, 2, 3}, {4}}, ev.Attachments, c.Name)
				assert.JSONEq(t, `{"_placeholder":true,"num":0}`, string(ev.Args[0]))
			}
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
		assert.Equal(t, []any{float64(1), "x"}, testkit.Receive(t, g2.notes))
		res, err := g2.io.ServerSideEmitWithAck(ctx, "ssping", "hi")
		require.NoError(t, err)
		assert.Equal(t, []any{map[string]any{"from": "go1", "arg": "hi"}}, res)
		select {
		case args := <-g1.notes:
			t.Fatalf("the sender got its own event %v", args)
		default:
		}
		res, err = g1.io.ServerSideEmitWithAck(ctx, "ssbinary", []byte{7, 8})
		require.NoError(t, err)
		assert.Equal(t, []any{map[string]any{"from": "go2", "isBytes": true, "bytes": []any{7.0, 8.0}}}, res)
	})

	t.Run("should count the servers", func(t *testing.T) {
		for _, g := range []*goNode{g1, g2} {
			n, err := g.io.Sockets().Adapter().ServerCount(ctx)
			require.NoError(t, err)
			assert.Equal(t, 2, n)
		}
	})
}

// TestRequestTimeout checks that a server that never answers makes
// FetchSockets and ServerSideEmitWithAck fail with an error wrapping
// ErrTimeout that says how many servers answered.
func TestRequestTimeout(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	o := testOptions(t)
	o.RequestsTimeout = 300 * time.Millisecond
	g1, _ := startPair(t, client, o)
	// A silent member: subscribed where servers are counted, never
	// answering.
	ps := client.Subscribe(context.Background(), o.ChannelPrefix+"#/#")
	defer ps.Close()
	waitServerCount(t, g1.io, 3)
	_, err := g1.io.FetchSockets(context.Background())
	require.ErrorIs(t, err, ErrTimeout)
	assert.Contains(t, err.Error(), "fetchSockets: 1 of 2 servers answered within 300ms")
	res, err := g1.io.ServerSideEmitWithAck(context.Background(), "ssping", 1)
	require.ErrorIs(t, err, ErrTimeout)
	assert.Len(t, res, 1)
	assert.Contains(t, err.Error(), "serverSideEmit: 1 of 2 servers answered")

	st := clusterStats(t, g1.io)
	for _, k := range []adapter.RequestKind{adapter.RequestFetchSockets, adapter.RequestServerSideEmit} {
		assert.Equal(t, adapter.RequestStats{Latency: st.Requests[k].Latency, Errors: 1}, st.Requests[k], k.String())
		assert.Equal(t, uint64(1), st.Requests[k].Latency.Count, k.String())
		assert.GreaterOrEqual(t, st.Requests[k].Latency.Sum, 300*time.Millisecond, k.String())
	}
}

// clusterStats returns the counters of the adapter of io's main namespace.
func clusterStats(t *testing.T, io *socketio.Server) adapter.ClusterStats {
	t.Helper()
	r, ok := io.Sockets().Adapter().(adapter.StatsReporter)
	require.True(t, ok, "the adapter does not report stats")
	return r.ClusterStats()
}

// Each request is timed once, and every entry added and message
// published is counted with the round trip of its batch.
func TestClusterStats(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	g1, g2 := startPair(t, client, testOptions(t))
	ctx := context.Background()
	before := clusterStats(t, g1.io)
	_, err := g1.io.FetchSockets(ctx)
	require.NoError(t, err)
	_, err = g1.io.ServerSideEmitWithAck(ctx, "ssping", 1)
	require.NoError(t, err)
	require.NoError(t, g1.io.Emit("hello")) // an entry
	testkit.Eventually(t, "two requests and an entry written", func() bool {
		return clusterStats(t, g1.io).Published >= before.Published+3
	})
	after := clusterStats(t, g1.io)
	for _, k := range []adapter.RequestKind{adapter.RequestFetchSockets, adapter.RequestServerSideEmit} {
		assert.Equal(t, before.Requests[k].Latency.Count+1, after.Requests[k].Latency.Count, k.String())
		assert.Zero(t, after.Requests[k].Errors, k.String())
	}
	assert.GreaterOrEqual(t, after.Requests[adapter.RequestServerCount].Latency.Count, before.Requests[adapter.RequestServerCount].Latency.Count+2)
	assert.Zero(t, after.PublishErrors)
	assert.Greater(t, after.PublishLatency.Count, before.PublishLatency.Count)
	testkit.Eventually(t, "g2's answers counted", func() bool { return clusterStats(t, g2.io).Published >= 2 })
}

// TestStreamEntries checks what the adapter writes to the stream: the
// reference's fields, JSON data, base64 msgpack data with binary, and
// MAXLEN trimming.
func TestStreamEntries(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	o := testOptions(t)
	o.MaxLen = 5
	g1 := startGoNode(t, "go1", NewAdapter(client, o))
	waitReady(t, g1.io)
	uid := g1.io.Sockets().Adapter().(*Adapter).UID()
	ctx := context.Background()

	require.NoError(t, g1.io.To("r").Emit("text", "é"))
	require.NoError(t, g1.io.Emit("bin", []byte{1, 2}))
	var entries []redis.XMessage
	testkit.Eventually(t, "two entries", func() bool {
		entries, _ = client.XRange(ctx, o.StreamName, "-", "+").Result()
		return len(entries) == 2
	})
	assert.Equal(t, map[string]any{
		"uid": uid, "nsp": "/", "type": "3",
		"data": `{"packet":{"type":2,"data":["text","é"],"nsp":"/"},"opts":{"rooms":["r"],"except":[],"flags":{}}}`,
	}, entries[0].Values)
	data := entries[1].Values["data"].(string)
	assert.NotEqual(t, byte('{'), data[0], "binary data is base64 msgpack")
	m, err := decodeEntry(entries[1].Values)
	require.NoError(t, err)
	assert.Equal(t, typeBroadcast, m.typ)
	assert.Equal(t, []any{"bin", []byte{1, 2}}, m.data.Get("packet").(interface{ Get(string) any }).Get("data"))

	for i := range 300 {
		require.NoError(t, g1.io.Emit("n", i))
	}
	testkit.Eventually(t, "trimming", func() bool {
		n, err := client.XLen(ctx, o.StreamName).Result()
		return err == nil && n < 300
	})
}

// TestReaderReconnect checks that entries added while a server's reader
// is cut off from Redis (held away by the beforeReconnect hook until they
// are in the stream) reach its clients, once and in order, when it reads
// again: after its connection is killed, and after redis-server restarts
// with its data kept (AOF).
func TestReaderReconnect(t *testing.T) {
	r := redistest.Start(t)
	r.Extra = []string{"--appendonly", "yes", "--appendfsync", "always"}
	r.Stop()
	require.NoError(t, r.Start())
	client := r.NewClient(t)
	o := testOptions(t)
	logs := &logRecorder{}
	o.Logger = slog.New(logs)
	g := startGoNode(t, "go", NewAdapter(client, o))
	waitReady(t, g.io)
	c := dialClient(t, g.url, "c")
	ctx := context.Background()
	reader := g.io.Sockets().Adapter().(*Adapter).reader
	seq := 0
	// add writes n broadcast entries of another server straight away (one
	// round trip, well within the reader's reconnect backoff).
	add := func(n int) []int {
		t.Helper()
		var want []int
		_, err := client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for range n {
				seq++
				want = append(want, seq)
				values, err := entryValues(&message{uid: "other", nsp: "/", typ: typeBroadcast, data: clustermsg.Object{
					{"packet", clustermsg.Object{{"type", int64(2)}, {"data", []any{"n", int64(seq)}}, {"nsp", "/"}}},
					{"opts", clustermsg.Object{{"rooms", []any{}}, {"except", []any{}}, {"flags", clustermsg.Object{}}}},
				}})
				require.NoError(t, err)
				p.XAdd(ctx, &redis.XAddArgs{Stream: o.StreamName, Values: values})
			}
			return nil
		})
		require.NoError(t, err)
		return want
	}
	expect := func(want []int) {
		t.Helper()
		for _, w := range want {
			assert.Equal(t, float64(w), c.Expect(t, "n").Arg(0))
		}
		c.MustReadNothing(t, 100*time.Millisecond)
	}
	connID := func() int64 {
		reader.mu.Lock()
		defer reader.mu.Unlock()
		return reader.connID
	}

	expect(add(3))

	t.Run("should resume after its connection is killed", func(t *testing.T) {
		// The reader stays away until the entries are in the stream.
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
		defer release() // never leave the reader waiting
		defer reader.h.beforeReconnect.Store(nil)
		id := connID()
		require.NotZero(t, id)
		require.NoError(t, client.ClientKillByFilter(ctx, "ID", strconv.FormatInt(id, 10)).Err())
		testkit.Receive(t, away)
		want := add(20)
		release()
		expect(want)
		assert.Equal(t, 1, logs.count("redis streams adapter: stream connection lost"))
		assert.NotEqual(t, id, connID())
	})

	t.Run("should resume after redis-server restarts", func(t *testing.T) {
		before := logs.count("redis streams adapter: stream connection lost")
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
		defer release() // never leave the reader waiting
		defer reader.h.beforeReconnect.Store(nil)
		r.Stop()
		testkit.Receive(t, away)
		require.NoError(t, r.Start())
		testkit.Eventually(t, "redis back", func() bool { return client.Ping(ctx).Err() == nil })
		want := add(20)
		release()
		expect(want)
		assert.Equal(t, before+1, logs.count("redis streams adapter: stream connection lost"))
	})
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

// TestClose checks that Close stops the reader and the listener even
// while XREAD blocks, and quickly.
func TestClose(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	o := testOptions(t)
	o.BlockTime = time.Minute
	g1 := startGoNode(t, "go1", NewAdapter(client, o))
	waitReady(t, g1.io)
	start := time.Now()
	require.NoError(t, g1.io.Close())
	assert.Less(t, time.Since(start), 5*time.Second)
	_, err := g1.io.Sockets().Adapter().ServerCount(context.Background())
	assert.True(t, errors.Is(err, errClosed), "%v", err)
}

// TestSharedFactory checks two servers made with one factory: they share
// the stream's reader, and each still gets the other's broadcasts once.
func TestSharedFactory(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	f := NewAdapter(client, testOptions(t))
	g1 := startGoNode(t, "go1", f)
	g2 := startGoNode(t, "go2", f)
	for _, g := range []*goNode{g1, g2} {
		waitReady(t, g.io)
		waitServerCount(t, g.io, 2)
	}
	assert.Same(t, g1.io.Sockets().Adapter().(*Adapter).reader, g2.io.Sockets().Adapter().(*Adapter).reader)
	c1 := dialClient(t, g1.url, "c1")
	c2 := dialClient(t, g2.url, "c2")
	for _, g := range []*goNode{g1, g2} {
		require.NoError(t, g.io.Emit("hello", g.name))
		for _, c := range []*wsClient{c1, c2} {
			assert.Equal(t, g.name, c.Expect(t, "hello").Arg(0))
		}
		flush(t, g, c1, c2)
	}
}

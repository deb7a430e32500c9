package redisstreams

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
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

// recNode is a Go server with connection state recovery on. A new socket
// joins room "r" and gets data {"name": <query name>, "server": <node>};
// every socket, new or recovered, is then sent "hello" with whether it
// was recovered, and is reported on connected.
type recNode struct {
	*goNode
	connected chan *socketio.Socket
}

func startRecNode(t *testing.T, name string, factory adapter.Factory, window time.Duration) *recNode {
	t.Helper()
	n := &recNode{goNode: &goNode{name: name, notes: make(chan []any, 64)}, connected: make(chan *socketio.Socket, 16)}
	n.io = socketio.NewServer(&socketio.Options{
		Adapter:                 factory,
		ConnectionStateRecovery: &socketio.ConnectionStateRecovery{MaxDisconnectionDuration: window},
	})
	n.io.OnConnection(func(s *socketio.Socket) {
		if !s.Recovered() {
			_ = s.Join("r")
			s.SetData(map[string]any{"name": s.Handshake().Query.Get("name"), "server": name})
		}
		s.On("join", func(room string, ack socketio.Ack) {
			_ = s.Join(room)
			_ = ack()
		})
		_ = s.Emit("hello", s.Recovered())
		n.connected <- s
	})
	n.ts = httptest.NewServer(n.io)
	n.url = n.ts.URL
	t.Cleanup(n.stop)
	waitReady(t, n.io)
	return n
}

var offsetRe = regexp.MustCompile(`,"([0-9]+-[0-9]+)"\]$`)

// offsetOf returns the offset, the last argument, of an EVENT packet.
func offsetOf(t *testing.T, msg string) string {
	t.Helper()
	m := offsetRe.FindStringSubmatch(msg)
	require.NotNil(t, m, "no offset in %s", msg)
	return m[1]
}

// trimOffset returns an EVENT packet without its offset.
func trimOffset(msg string) string { return offsetRe.ReplaceAllString(msg, "]") }

// readConnect reads a CONNECT answer and returns its sid and pid.
func readConnect(t *testing.T, c *testkit.Client) (sid, pid string) {
	t.Helper()
	msg := c.MustRead(t)
	require.Regexp(t, `^40\{`, msg)
	var v struct{ Sid, Pid string }
	require.NoError(t, json.Unmarshal([]byte(msg[2:]), &v))
	return v.Sid, v.Pid
}

// rawClient is a client that reads the wire itself, as recovery needs:
// the missed events come before the CONNECT answer.
type rawClient struct {
	*testkit.Client
	sid, pid, offset string
}

// connectRaw connects a raw client named name to base with auth (raw
// JSON, "" for none) and reads the CONNECT answer; it does not read what
// follows.
func connectRaw(t *testing.T, base, name, auth string) *rawClient {
	t.Helper()
	c := &rawClient{Client: testkit.MustDial(t, base, &testkit.Options{Query: map[string][]string{"name": {name}}})}
	c.MustSend(t, "40"+auth)
	if auth == "" {
		c.sid, c.pid = readConnect(t, c.Client)
	}
	return c
}

// read reads an EVENT, remembers its offset and returns it without.
func (c *rawClient) read(t *testing.T) string {
	t.Helper()
	msg := c.MustRead(t)
	c.offset = offsetOf(t, msg)
	return trimOffset(msg)
}

// auth is the CONNECT auth of a client that comes back.
func (c *rawClient) auth() string { return fmt.Sprintf(`{"pid":%q,"offset":%q}`, c.pid, c.offset) }

// waitSession waits until the session of pid is stored in Redis.
func waitSession(t *testing.T, rdb redis.Cmdable, pid string) {
	t.Helper()
	testkit.Eventually(t, "session "+pid+" stored", func() bool {
		n, err := rdb.Exists(context.Background(), "sio:session:"+pid).Result()
		return err == nil && n == 1
	})
}

// checkStoredSession checks the session of pid as the reference stores
// it: base64 of the msgpack map {sid, pid, rooms, data}, expiring with the
// recovery window (PX).
func checkStoredSession(t *testing.T, rdb *redis.Client, sid, pid string, window time.Duration) {
	t.Helper()
	ctx := context.Background()
	key := "sio:session:" + pid
	ttl, err := rdb.PTTL(ctx, key).Result()
	require.NoError(t, err)
	assert.True(t, ttl > window-10*time.Second && ttl <= window, "PTTL %v", ttl)
	raw, err := rdb.Get(ctx, key).Result()
	require.NoError(t, err)
	b, err := base64.StdEncoding.DecodeString(raw)
	require.NoError(t, err)
	v, err := clustermsg.ParseMsgpack(b)
	require.NoError(t, err)
	obj, ok := v.(clustermsg.Object)
	require.True(t, ok, "%#v", v)
	var keys []string
	for _, m := range obj {
		keys = append(keys, m.Key)
	}
	assert.Equal(t, []string{"sid", "pid", "rooms", "data"}, keys)
	assert.Equal(t, sid, obj.Get("sid"))
	assert.Equal(t, pid, obj.Get("pid"))
	assert.ElementsMatch(t, []any{sid, "r"}, obj.Get("rooms"))
}

// emitSeen broadcasts from a Go server and waits until the observer has
// it, so that the broadcasts of several servers enter the stream in the
// test's order. It returns the event as the observer got it, offset
// included.
func emitSeen(t *testing.T, io *socketio.Server, obs *wsClient, event string, arg any) testkit.Event {
	t.Helper()
	require.NoError(t, io.To("r").Emit(event, arg))
	return obs.Expect(t, event)
}

// A client of server A whose transport drops comes back to server B: B
// restores its socket (same id, pid, rooms, data) and replays, before the
// CONNECT answer, every broadcast to its rooms sent meanwhile on A and on
// B, once, in stream order, with the offsets every other client got;
// the broadcasts not meant for it are not replayed. Then it is live on B.
func TestRecoveryGoToGo(t *testing.T) {
	t.Parallel()
	rs := redistest.Shared(t)
	opts := testOptions(t)
	rdb := rs.NewClient(t)
	a := startRecNode(t, "a", NewAdapter(rs.NewClient(t), opts), 0)
	b := startRecNode(t, "b", NewAdapter(rs.NewClient(t), opts), 0)
	waitServerCount(t, a.io, 2)
	obs := dialClient(t, b.url, "obs") // in "r" too
	obs.Expect(t, "hello")
	<-b.connected

	c := connectRaw(t, a.url, "c", "")
	require.NotEmpty(t, c.pid)
	assert.Equal(t, `42["hello",false]`, c.read(t), "a socket's own emit goes through the stream too")
	s := testkit.Receive(t, a.connected)
	emitSeen(t, a.io, obs, "before", 0)
	assert.Equal(t, `42["before",0]`, c.read(t))

	require.NoError(t, c.Close())
	waitSession(t, rdb, c.pid)
	assert.ErrorIs(t, s.Emit("dead"), socketio.ErrDisconnected)
	checkStoredSession(t, rdb, c.sid, c.pid, 2*time.Minute)

	var want []string
	var offsets []any
	for i, n := range []*recNode{a, b, b, a, b} {
		ev := emitSeen(t, n.io, obs, "m", i)
		want = append(want, fmt.Sprintf(`42["m",%d]`, i))
		offsets = append(offsets, ev.Arg(1))
	}
	require.NoError(t, a.io.To("other").Emit("not-mine"))
	require.NoError(t, b.io.Except("r").Emit("excluded"))
	require.NoError(t, a.io.Volatile().Emit("volatile"))
	obs.Expect(t, "volatile")                 // delivered, not replayed
	ev := emitSeen(t, b.io, obs, "last", "x") // the ones above are in the stream
	want = append(want, `42["last","x"]`)
	offsets = append(offsets, ev.Arg(1))

	c2 := connectRaw(t, b.url, "c", c.auth())
	for i, w := range want {
		assert.Equal(t, w, c2.read(t))
		assert.Equal(t, offsets[i], c2.offset, "the offset all recipients got: the entry ID")
	}
	sid, pid := readConnect(t, c2.Client)
	assert.Equal(t, c.sid, sid)
	assert.Equal(t, c.pid, pid)
	assert.Equal(t, `42["hello",true]`, c2.read(t))
	s2 := testkit.Receive(t, b.connected)
	assert.True(t, s2.Recovered())
	assert.Equal(t, c.sid, s2.ID())
	assert.ElementsMatch(t, []string{c.sid, "r"}, s2.Rooms())
	assert.Equal(t, map[string]any{"name": "c", "server": "a"}, s2.Data())

	// Live on B, once, from either server; the session is spent.
	emitSeen(t, a.io, obs, "after", 1)
	assert.Equal(t, `42["after",1]`, c2.read(t))
	c2.MustReadNothing(t, 50*time.Millisecond)
	c3 := connectRaw(t, a.url, "c", c.auth())
	sid3, _ := readConnect(t, c3.Client)
	assert.NotEqual(t, c.sid, sid3, "a pid restores once")

	// One session stored by A, restored by B; the spent pid on A is no
	// failure.
	persist := clusterStats(t, a.io).Requests[adapter.RequestPersistSession]
	assert.Equal(t, adapter.RequestStats{Latency: persist.Latency}, persist)
	assert.Equal(t, uint64(1), persist.Latency.Count)
	for _, n := range []*recNode{a, b} {
		restore := clusterStats(t, n.io).Requests[adapter.RequestRestoreSession]
		assert.Equal(t, uint64(1), restore.Latency.Count)
		assert.Zero(t, restore.Errors)
	}
}

// A pid or offset that is forged, foreign, expired or malformed gives a
// plain new session: a CONNECT answer with a new sid and pid, never an
// error nor another client's socket.
func TestRecoveryBadInput(t *testing.T) {
	t.Parallel()
	rs := redistest.Shared(t)
	opts := testOptions(t)
	rdb := rs.NewClient(t)
	a := startRecNode(t, "a", NewAdapter(rs.NewClient(t), opts), 400*time.Millisecond)

	// dropped returns a client that received an event and dropped.
	dropped := func() *rawClient {
		c := connectRaw(t, a.url, "c", "")
		c.read(t) // hello, with its offset
		<-a.connected
		require.NoError(t, c.Close())
		waitSession(t, rdb, c.pid)
		return c
	}
	fresh := func(name, auth string, not *rawClient) {
		t.Helper()
		c := connectRaw(t, a.url, name, auth)
		sid, pid := readConnect(t, c.Client)
		assert.NotEqual(t, not.sid, sid, name)
		assert.NotEqual(t, not.pid, pid, name)
		assert.Equal(t, `42["hello",false]`, c.read(t), name)
		<-a.connected
		require.NoError(t, c.Close())
	}
	c := dropped()
	fresh("forged pid", fmt.Sprintf(`{"pid":"forged","offset":%q}`, c.offset), c)
	fresh("pid of another key space", fmt.Sprintf(`{"pid":"../%s","offset":%q}`, c.pid, c.offset), c)
	for _, off := range []string{"", "abc", "1-2-3", "-1-0", "1-", "99999999999999999999999-0", " 1-0"} {
		fresh("malformed offset "+off, fmt.Sprintf(`{"pid":%q,"offset":%q}`, c.pid, off), c)
	}
	fresh("offset of another cluster", fmt.Sprintf(`{"pid":%q,"offset":"1-1"}`, c.pid), c)
	fresh("spent pid", c.auth(), c) // the foreign offset spent it, as in the reference
	fresh("offset not a string", fmt.Sprintf(`{"pid":%q,"offset":1}`, c.pid), c)

	c = dropped()
	testkit.Eventually(t, "the session key expires with the recovery window (PX)", func() bool {
		n, err := rdb.Exists(context.Background(), "sio:session:"+c.pid).Result()
		return err == nil && n == 0
	})
	fresh("expired", c.auth(), c)

	// A malformed session stored under a pid.
	require.NoError(t, rdb.Set(context.Background(), "sio:session:junk", "not base64 msgpack!", time.Minute).Err())
	fresh("malformed session", fmt.Sprintf(`{"pid":"junk","offset":%q}`, c.offset), c)
}

// When MAXLEN trimmed the entry of the client's offset, entries after it
// may be gone too: the client gets a new session, not a partial replay.
func TestRecoveryTrimmedStream(t *testing.T) {
	t.Parallel()
	rs := redistest.Shared(t)
	opts := testOptions(t)
	rdb := rs.NewClient(t)
	a := startRecNode(t, "a", NewAdapter(rs.NewClient(t), opts), 0)
	obs := dialClient(t, a.url, "obs")
	obs.Expect(t, "hello")
	<-a.connected

	c := connectRaw(t, a.url, "c", "")
	c.read(t)
	<-a.connected
	require.NoError(t, c.Close())
	waitSession(t, rdb, c.pid)
	for i := range 5 {
		emitSeen(t, a.io, obs, "m", i)
	}
	// What MAXLEN ~ does to a stream past its bound, exactly.
	require.NoError(t, rdb.XTrimMaxLen(context.Background(), opts.StreamName, 3).Err())

	c2 := connectRaw(t, a.url, "c", c.auth())
	sid, pid := readConnect(t, c2.Client)
	assert.NotEqual(t, c.sid, sid)
	assert.NotEqual(t, c.pid, pid)
	assert.Equal(t, `42["hello",false]`, c2.read(t))
}

// mixedRecovery starts a Go server and a Node.js server (socket.io 4.8,
// @socket.io/redis-streams-adapter 0.3.1, recovery on) on one stream,
// with an observer client on the Node server, in room "r", that also
// drives it.
func mixedRecovery(t *testing.T) (g *recNode, nd *nodeNode, obs *wsClient, rdb *redis.Client) {
	t.Helper()
	rs := redistest.Shared(t)
	opts := testOptions(t)
	rdb = rs.NewClient(t)
	g = startRecNode(t, "go", NewAdapter(rs.NewClient(t), opts), 0)
	nd = startNodeNode(t, rs.URL(), opts.StreamName, "node", "RECOVERY=1")
	waitServerCount(t, g.io, 2)
	// The reference reads from "$" until its first entry: wait until its
	// reader blocks in XREAD (the Go reader's is the other one).
	testkit.Eventually(t, "the Node reader in XREAD", func() bool {
		list, err := rdb.ClientList(context.Background()).Result()
		return err == nil && strings.Count(list, "cmd=xread") >= 2
	})
	obs = dialClient(t, nd.url, "obs")
	obs.Expect(t, "hello")
	return g, nd, obs, rdb
}

// nodeEmitSeen broadcasts to room "r" from the Node server and waits until
// the observer has it; it returns the event as the observer got it.
func nodeEmitSeen(t *testing.T, obs *wsClient, event string, arg any) testkit.Event {
	t.Helper()
	do(t, obs, map[string]any{"op": "emit", "rooms": []string{"r"}, "event": event, "args": []any{arg}}, nil)
	return obs.Expect(t, event)
}

// missedMixed broadcasts to "r" from both servers, alternately, and
// returns the packets a client in "r" must get, without offsets, and
// their offsets as the observer got them.
func missedMixed(t *testing.T, g *recNode, obs *wsClient) (want []string, offsets []any) {
	t.Helper()
	for i := range 6 {
		var ev testkit.Event
		if i%2 == 0 {
			ev = emitSeen(t, g.io, obs, "m", i)
		} else {
			ev = nodeEmitSeen(t, obs, "m", i)
		}
		want = append(want, fmt.Sprintf(`42["m",%d]`, i))
		offsets = append(offsets, ev.Arg(1))
	}
	require.NoError(t, g.io.To("other").Emit("not-mine"))
	do(t, obs, map[string]any{"op": "emit", "except": []string{"r"}, "event": "excluded"}, nil)
	ev := emitSeen(t, g.io, obs, "last", "x")
	return append(want, `42["last","x"]`), append(offsets, ev.Arg(1))
}

// A client of the Go server whose transport drops comes back to the Node
// server: the Node server restores the session the Go server stored and
// replays the Go and Node broadcasts it missed, in order, with their
// entry IDs as offsets.
func TestRecoveryGoToNode(t *testing.T) {
	g, nd, obs, rdb := mixedRecovery(t)
	c := connectRaw(t, g.url, "c", "")
	assert.Equal(t, `42["hello",false]`, c.read(t))
	<-g.connected
	nodeEmitSeen(t, obs, "before", 0)
	assert.Equal(t, `42["before",0]`, c.read(t))
	require.NoError(t, c.Close())
	waitSession(t, rdb, c.pid)

	want, offsets := missedMixed(t, g, obs)
	c2 := connectRaw(t, nd.url, "c", c.auth())
	for i, w := range want {
		assert.Equal(t, w, c2.read(t))
		assert.Equal(t, offsets[i], c2.offset)
	}
	sid, pid := readConnect(t, c2.Client)
	assert.Equal(t, c.sid, sid)
	assert.Equal(t, c.pid, pid)
	assert.Equal(t, `42["hello",true]`, c2.read(t))
	var got struct {
		ID        string         `json:"id"`
		Rooms     []string       `json:"rooms"`
		Data      map[string]any `json:"data"`
		Recovered bool           `json:"recovered"`
	}
	do(t, obs, map[string]any{"op": "socket", "id": c.sid}, &got)
	assert.True(t, got.Recovered)
	assert.ElementsMatch(t, []string{c.sid, "r"}, got.Rooms)
	assert.Equal(t, map[string]any{"name": "c", "server": "go"}, got.Data)

	emitSeen(t, g.io, obs, "after", 1)
	assert.Equal(t, `42["after",1]`, c2.read(t))
	c2.MustReadNothing(t, 50*time.Millisecond)
}

// A client of the Node server whose transport drops comes back to the Go
// server: the Go server restores the session the Node server stored and
// replays what it missed.
func TestRecoveryNodeToGo(t *testing.T) {
	g, nd, obs, rdb := mixedRecovery(t)
	c := connectRaw(t, nd.url, "c", "")
	require.NotEmpty(t, c.pid)
	assert.Equal(t, `42["hello",false]`, c.read(t))
	emitSeen(t, g.io, obs, "before", 0)
	assert.Equal(t, `42["before",0]`, c.read(t))
	require.NoError(t, c.Close())
	waitSession(t, rdb, c.pid)
	checkStoredSession(t, rdb, c.sid, c.pid, 2*time.Minute) // as the Go server stores it

	want, offsets := missedMixed(t, g, obs)
	c2 := connectRaw(t, g.url, "c", c.auth())
	for i, w := range want {
		assert.Equal(t, w, c2.read(t))
		assert.Equal(t, offsets[i], c2.offset)
	}
	sid, pid := readConnect(t, c2.Client)
	assert.Equal(t, c.sid, sid)
	assert.Equal(t, c.pid, pid)
	assert.Equal(t, `42["hello",true]`, c2.read(t))
	s := testkit.Receive(t, g.connected)
	assert.True(t, s.Recovered())
	assert.Equal(t, c.sid, s.ID())
	assert.ElementsMatch(t, []string{c.sid, "r"}, s.Rooms())
	assert.Equal(t, map[string]any{"name": "c", "server": "node"}, s.Data())

	nodeEmitSeen(t, obs, "after", 1)
	assert.Equal(t, `42["after",1]`, c2.read(t))
	c2.MustReadNothing(t, 50*time.Millisecond)
}

// A Redis restart between the drop and the reconnect (AOF on, fsync
// always) loses neither the session nor the entries in the stream: the
// client is recovered with every broadcast it missed.
func TestRecoveryRedisRestart(t *testing.T) {
	rs := &redistest.Server{Port: redistest.FreePort(t), Dir: t.TempDir(), Extra: []string{"--appendonly", "yes", "--appendfsync", "always"}}
	redistest.Binary(t)
	require.NoError(t, rs.Start())
	t.Cleanup(rs.Stop)
	opts := testOptions(t)
	rdb := rs.NewClient(t)
	a := startRecNode(t, "a", NewAdapter(rs.NewClient(t), opts), 0)
	b := startRecNode(t, "b", NewAdapter(rs.NewClient(t), opts), 0)
	waitServerCount(t, a.io, 2)
	obs := dialClient(t, b.url, "obs")
	obs.Expect(t, "hello")
	<-b.connected

	c := connectRaw(t, a.url, "c", "")
	c.read(t)
	<-a.connected
	require.NoError(t, c.Close())
	waitSession(t, rdb, c.pid)
	var want []string
	for i, n := range []*recNode{a, b, a} {
		emitSeen(t, n.io, obs, "m", i)
		want = append(want, fmt.Sprintf(`42["m",%d]`, i))
	}

	// Every XADD answered: one whose reply the restart cut off would be
	// retried by go-redis (MaxRetries) and added twice.
	for _, n := range []*recNode{a, b} {
		ad := n.io.Sockets().Adapter().(*Adapter)
		testkit.Eventually(t, "outbox idle", ad.out.Idle)
	}
	rs.Stop()
	require.NoError(t, rs.Start())

	c2 := connectRaw(t, b.url, "c", c.auth())
	for _, w := range want {
		assert.Equal(t, w, c2.read(t))
	}
	sid, _ := readConnect(t, c2.Client)
	assert.Equal(t, c.sid, sid)
	assert.Equal(t, `42["hello",true]`, c2.read(t))
	require.NoError(t, a.io.To("r").Emit("after"))
	assert.Equal(t, `42["after"]`, c2.read(t))
	c2.MustReadNothing(t, 50*time.Millisecond)
}

// Broadcasts that keep coming from two servers while a client is restored
// reach it exactly once and in order, whether the restore replays them or
// the reader delivers them: the socket joins its rooms in one step with
// the reader.
func TestRecoveryDuringBroadcasts(t *testing.T) {
	t.Parallel()
	rs := redistest.Shared(t)
	opts := testOptions(t)
	rdb := rs.NewClient(t)
	a := startRecNode(t, "a", NewAdapter(rs.NewClient(t), opts), 0)
	b := startRecNode(t, "b", NewAdapter(rs.NewClient(t), opts), 0)
	waitServerCount(t, a.io, 2)

	c := connectRaw(t, a.url, "c", "")
	c.read(t)
	<-a.connected
	require.NoError(t, c.Close())
	waitSession(t, rdb, c.pid)

	const n = 300
	done := make(chan error, 2)
	for _, s := range []*recNode{a, b} {
		go func() {
			for i := range n {
				if err := s.io.To("r").Emit(s.name, i); err != nil {
					done <- err
					return
				}
				if i%10 == 9 {
					time.Sleep(time.Millisecond) // some before the restore, some during, some after
				}
			}
			done <- nil
		}()
	}
	time.Sleep(10 * time.Millisecond)
	c2 := connectRaw(t, b.url, "c", c.auth())
	next := map[string]int{"a": 0, "b": 0}
	connected, hello, replayed := false, false, 0
	for next["a"] < n || next["b"] < n || !connected || !hello {
		msg := c2.MustRead(t)
		if !connected && strings.HasPrefix(msg, "40") {
			sid, _ := func() (string, string) {
				var v struct{ Sid, Pid string }
				require.NoError(t, json.Unmarshal([]byte(msg[2:]), &v))
				return v.Sid, v.Pid
			}()
			require.Equal(t, c.sid, sid, "recovered")
			connected = true
			continue
		}
		if trimOffset(msg) == `42["hello",true]` {
			hello = true
			continue
		}
		if !connected {
			replayed++
		}
		var ev []any
		require.NoError(t, json.Unmarshal([]byte(trimOffset(msg)[2:]), &ev), msg)
		name, _ := ev[0].(string)
		i, _ := ev[1].(float64)
		require.Equal(t, next[name], int(i), "%s: got %s", name, msg)
		next[name]++
	}
	t.Logf("%d of %d replayed, the rest live", replayed, 2*n)
	require.NoError(t, <-done)
	require.NoError(t, <-done)
	c2.MustReadNothing(t, 50*time.Millisecond)
}

// With recovery on, a Local broadcast (never in the stream) and a
// Volatile one reach the local sockets at once and without an offset, as
// in the reference; the others carry their entry ID, and one goroutine's
// broadcasts arrive in the order sent.
func TestRecoveryLocalAndVolatile(t *testing.T) {
	t.Parallel()
	rs := redistest.Shared(t)
	a := startRecNode(t, "a", NewAdapter(rs.NewClient(t), testOptions(t)), 0)
	c := connectRaw(t, a.url, "c", "")
	c.read(t)
	require.NoError(t, a.io.To("r").Local().Emit("local", 1))
	assert.Equal(t, `42["local",1]`, c.MustRead(t))
	require.NoError(t, a.io.To("r").Volatile().Emit("volatile", 2))
	assert.Equal(t, `42["volatile",2]`, c.MustRead(t))
	for i := range 50 {
		require.NoError(t, a.io.To("r").Emit("m", i))
	}
	for i := range 50 {
		assert.Equal(t, fmt.Sprintf(`42["m",%d]`, i), c.read(t))
	}
	c.MustReadNothing(t, 50*time.Millisecond)
}

// A broadcast whose entry Redis refuses still reaches the local sockets,
// without an offset, as in the reference. (Here the stream's key holds a
// string, so XADD answers WRONGTYPE; a connection that cannot be made is
// taken alike, a reply lost with its connection is not: the entry may be
// in the stream, and the reader delivers it.)
func TestRecoveryRefusedEntryDeliveredLocally(t *testing.T) {
	t.Parallel()
	rs := redistest.Shared(t)
	opts := testOptions(t)
	rdb := rs.NewClient(t)
	a := startRecNode(t, "a", NewAdapter(rs.NewClient(t), opts), 0)
	c := connectRaw(t, a.url, "c", "")
	c.read(t)
	ctx := context.Background()
	require.NoError(t, rdb.Del(ctx, opts.StreamName).Err())
	require.NoError(t, rdb.Set(ctx, opts.StreamName, "not a stream", 0).Err())
	require.NoError(t, a.io.To("r").Emit("refused", 1))
	assert.Equal(t, `42["refused",1]`, c.MustRead(t))
	require.NoError(t, rdb.Del(ctx, opts.StreamName).Err())
	require.NoError(t, a.io.To("r").Emit("back", 2))
	assert.Equal(t, `42["back",2]`, c.read(t))
	c.MustReadNothing(t, 50*time.Millisecond)
}

// The official client (socket.io-client 4.8 from npm), connected to Go
// server A, loses its transport and comes back to Go server B with the pid
// and last offset it kept: socket.recovered is true, same id, and its
// handlers get every event it missed, from A and from B, once, in order,
// each with its offset last, before "connect".
func TestRecoveryOfficialClient(t *testing.T) {
	rs := redistest.Shared(t)
	opts := testOptions(t)
	rdb := rs.NewClient(t)
	a := startRecNode(t, "a", NewAdapter(rs.NewClient(t), opts), 0)
	b := startRecNode(t, "b", NewAdapter(rs.NewClient(t), opts), 0)
	waitServerCount(t, a.io, 2)
	obs := dialClient(t, b.url, "obs")
	obs.Expect(t, "hello")
	<-b.connected

	c := startOfficialClient(t, a.url, "official")
	first := c.next(t, "connect")
	require.False(t, first.Recovered)
	require.NotEmpty(t, first.PID)
	assert.Equal(t, "false", c.event(t, "hello")[0])
	ev := emitSeen(t, a.io, obs, "before", 0)
	assert.Equal(t, []string{"0", fmt.Sprintf("%q", ev.Arg(1))}, c.event(t, "before"))

	c.send(t, "drop "+b.url)
	// "forced close" or "transport close", as the client's engine tells
	// it; the server sees a transport close, which keeps the session.
	assert.Contains(t, []string{"forced close", "transport close"}, c.next(t, "disconnect").Reason)
	waitSession(t, rdb, first.PID)
	var offsets []string
	for i, n := range []*recNode{a, b, b, a} {
		ev := emitSeen(t, n.io, obs, "m", i)
		offsets = append(offsets, fmt.Sprintf("%q", ev.Arg(1)))
	}
	c.send(t, "reconnect")
	for i, off := range offsets {
		assert.Equal(t, []string{strconv.Itoa(i), off}, c.event(t, "m"))
	}
	again := c.next(t, "connect")
	assert.True(t, again.Recovered)
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, "true", c.event(t, "hello")[0])
	s := testkit.Receive(t, b.connected)
	assert.True(t, s.Recovered())
	assert.Equal(t, map[string]any{"name": "official", "server": "a"}, s.Data())
}

// The official client moves between a Go and a Node server, both ways,
// and is recovered with every event it missed, from both servers.
func TestRecoveryOfficialClientMixed(t *testing.T) {
	for _, toNode := range []bool{true, false} {
		name := "Go to Node"
		if !toNode {
			name = "Node to Go"
		}
		t.Run(name, func(t *testing.T) {
			g, nd, obs, rdb := mixedRecovery(t)
			from, to := g.url, nd.url
			if !toNode {
				from, to = nd.url, g.url
			}
			c := startOfficialClient(t, from, "official")
			first := c.next(t, "connect")
			require.False(t, first.Recovered)
			assert.Equal(t, "false", c.event(t, "hello")[0])
			c.send(t, "drop "+to)
			c.next(t, "disconnect")
			waitSession(t, rdb, first.PID)
			want, offsets := missedMixed(t, g, obs)
			c.send(t, "reconnect")
			for i, w := range want {
				args := c.event(t, map[bool]string{true: "m", false: "last"}[i < len(want)-1])
				assert.Equal(t, fmt.Sprintf("%q", offsets[i]), args[len(args)-1], w)
			}
			again := c.next(t, "connect")
			assert.True(t, again.Recovered)
			assert.Equal(t, first.ID, again.ID)
			assert.Equal(t, "true", c.event(t, "hello")[0])
		})
	}
}

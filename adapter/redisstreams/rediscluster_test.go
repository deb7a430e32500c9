package redisstreams

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
	"github.com/gosio/sio/socketio"
)

// TestRedisCluster runs the adapter on a Redis Cluster of three masters,
// with the namespaces spread over three streams: each stream's reader
// reads from the master of its slot, the server count sums every
// master's subscribers, and Close interrupts a blocked XREAD there.
func TestRedisCluster(t *testing.T) {
	addrs := redistest.StartCluster(t)
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { _ = client.Close() })
	o := testOptions(t)
	o.StreamCount = 3
	o.BlockTime = time.Minute
	g1, g2 := startPair(t, client, o)
	ctx := context.Background()
	c1 := dialClient(t, g1.url, "c1")
	c2 := dialClient(t, g2.url, "c2")
	c2.Join(t, "r")
	for _, g := range []*goNode{g1, g2} {
		require.NoError(t, g.io.Emit("hello", g.name))
		for _, c := range []*wsClient{c1, c2} {
			assert.Equal(t, g.name, c.Expect(t, "hello").Arg(0))
		}
	}
	require.NoError(t, g1.io.To("r").Emit("in-r"))
	c2.Expect(t, "in-r")
	flush(t, g1, c1, c2)

	// Other namespaces, on the other streams (whose slots the masters share
	// out).
	streams := map[string]bool{g1.io.Sockets().Adapter().(*Adapter).Stream(): true}
	for _, name := range []string{"/chat", "/admin", "/y"} { // streams 1, 1 and 0; "/" is on 2
		n1, n2 := g1.io.Of(name), g2.io.Of(name)
		streams[n1.Adapter().(*Adapter).Stream()] = true
		for _, n := range []*socketio.Namespace{n1, n2} {
			a := n.Adapter().(*Adapter)
			select {
			case <-a.reader.ready:
			case <-time.After(10 * time.Second):
				t.Fatal("the stream reader did not start")
			}
		}
		c := testkit.MustDial(t, g2.url, nil)
		c.MustConnect(t, name, "")
		require.NoError(t, n1.Emit("in-nsp", name))
		ev := c.MustNextEvent(t)
		assert.Equal(t, name, ev.Arg(0))
	}
	assert.Len(t, streams, 3)

	socks, err := g1.io.FetchSockets(ctx)
	require.NoError(t, err)
	assert.Equal(t, ids(c1, c2), socketIDs(socks))
	res, err := g2.io.ServerSideEmitWithAck(ctx, "ssping", 1)
	require.NoError(t, err)
	assert.Equal(t, []any{map[string]any{"from": "go1", "arg": 1.0}}, res)

	start := time.Now()
	require.NoError(t, g1.io.Close())
	assert.Less(t, time.Since(start), 5*time.Second)
}

// Recovery on a Redis Cluster: the session key and the stream live in
// different slots (on different masters); a client of one server comes
// back to the other and gets what it missed.
func TestRedisClusterRecovery(t *testing.T) {
	addrs := redistest.StartCluster(t)
	newClient := func() *redis.ClusterClient {
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	o := testOptions(t)
	rdb := newClient()
	a := startRecNode(t, "a", NewAdapter(newClient(), o), 0)
	b := startRecNode(t, "b", NewAdapter(newClient(), o), 0)
	waitServerCount(t, a.io, 2)
	obs := dialClient(t, b.url, "obs")
	obs.Expect(t, "hello")

	c := connectRaw(t, a.url, "c", "")
	c.read(t)
	require.NoError(t, c.Close())
	waitSession(t, rdb, c.pid)
	var want []string
	for i, n := range []*recNode{a, b, a} {
		emitSeen(t, n.io, obs, "m", i)
		want = append(want, fmt.Sprintf(`42["m",%d]`, i))
	}
	c2 := connectRaw(t, b.url, "c", c.auth())
	for _, w := range want {
		assert.Equal(t, w, c2.read(t))
	}
	sid, _ := readConnect(t, c2.Client)
	assert.Equal(t, c.sid, sid)
	assert.Equal(t, `42["hello",true]`, c2.read(t))
}

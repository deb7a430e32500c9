package redis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
)

// startRedisCluster starts a Redis Cluster of three masters (no
// replicas), each owning a third of the slots.
func startRedisCluster(t *testing.T) []string {
	t.Helper()
	redistest.Binary(t)
	const n = 3
	addrs := make([]string, n)
	for i := range n {
		r := &redistest.Server{Port: redistest.FreePort(t), Dir: t.TempDir()}
		r.Extra = []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"}
		require.NoError(t, r.Start())
		t.Cleanup(r.Stop)
		addrs[i] = r.Addr()
	}
	ctx := context.Background()
	per := 16384 / n
	for i, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		lo, hi := i*per, (i+1)*per-1
		if i == n-1 {
			hi = 16383
		}
		require.NoError(t, c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err())
		if i > 0 {
			host, port, _ := strings.Cut(addrs[0], ":")
			p, _ := strconv.Atoi(port)
			require.NoError(t, c.ClusterMeet(ctx, host, strconv.Itoa(p)).Err())
		}
		_ = c.Close()
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n)) {
				break
			}
			if time.Now().After(deadline) {
				_ = c.Close()
				t.Fatalf("the Redis Cluster did not form: %s %v", info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		_ = c.Close()
	}
	return addrs
}

// TestRedisCluster runs the adapters on a Redis Cluster of three masters:
// the server count sums every master's subscribers, and with the sharded
// adapter the room channels, spread over the masters' slots, each get
// their listener on the right master.
func TestRedisCluster(t *testing.T) {
	addrs := startRedisCluster(t)
	for _, fl := range flavors {
		t.Run(fl.name, func(t *testing.T) {
			client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
			t.Cleanup(func() { _ = client.Close() })
			key := redistest.UniqueKey(t.Name())
			g1, g2 := startGoPair(t, fl, client, &Options{Key: key})
			c1 := dialClient(t, g1.url, "c1")
			c2 := dialClient(t, g2.url, "c2")
			rooms := make([]string, 12)
			for i := range rooms {
				rooms[i] = fmt.Sprintf("room-%d", i)
			}
			c2.join(t, rooms...)
			if fl.name == "sharded" {
				for _, r := range rooms {
					ch := key + "#/#" + r + "#"
					testkit.Eventually(t, "the subscription to "+ch, func() bool {
						n, err := numSub(context.Background(), client, true, ch)
						return err == nil && n == 1
					})
				}
			}
			for _, r := range rooms {
				require.NoError(t, g1.io.To(r).Emit("in", r))
				assert.Equal(t, r, c2.expect(t, "in").Arg(0))
			}
			flush(t, g1, c1, c2)
			socks, err := g1.io.FetchSockets(context.Background())
			require.NoError(t, err)
			assert.Equal(t, ids(c1, c2), socketIDs(socks))
			res, err := g2.io.ServerSideEmitWithAck(context.Background(), "ssping", 1)
			require.NoError(t, err)
			assert.Equal(t, []any{map[string]any{"from": "go1", "arg": 1.0}}, res)
		})
	}
}

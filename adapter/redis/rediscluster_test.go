package redis

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
)

// TestRedisCluster runs the adapters on a Redis Cluster of three masters:
// the server count sums every master's subscribers, and with the sharded
// adapter the room channels, spread over the masters' slots, each get
// their listener on the right master.
func TestRedisCluster(t *testing.T) {
	addrs := redistest.StartCluster(t)
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
			c2.Join(t, rooms...)
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
				assert.Equal(t, r, c2.Expect(t, "in").Arg(0))
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

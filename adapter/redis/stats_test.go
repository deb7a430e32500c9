package redis

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
)

// clusterStats returns the counters of the adapter of n's main namespace.
func clusterStats(t *testing.T, n *goNode) adapter.ClusterStats {
	t.Helper()
	r, ok := n.io.Sockets().Adapter().(adapter.StatsReporter)
	require.True(t, ok, "the adapter does not report stats")
	return r.ClusterStats()
}

// Each request is timed once, and every message published is counted
// with the round trip of its batch.
func TestClusterStats(t *testing.T) {
	for _, fl := range flavors {
		t.Run(fl.name, func(t *testing.T) {
			r := redistest.Shared(t)
			client := r.NewClient(t)
			key := redistest.UniqueKey(t.Name())
			g1, g2 := startGoPair(t, fl, client, &Options{Key: key})
			ctx := context.Background()
			before := clusterStats(t, g1)

			_, err := g1.io.FetchSockets(ctx)
			require.NoError(t, err)
			_, err = g1.io.ServerSideEmitWithAck(ctx, "ssping", 1)
			require.NoError(t, err)
			require.NoError(t, g1.io.Emit("hello"))
			// The fetch request, the server-side emit and the broadcast.
			testkit.Eventually(t, "three messages published", func() bool {
				return clusterStats(t, g1).Published >= before.Published+3
			})

			after := clusterStats(t, g1)
			for _, k := range []adapter.RequestKind{adapter.RequestFetchSockets, adapter.RequestServerSideEmit} {
				got, was := after.Requests[k], before.Requests[k]
				assert.Equal(t, was.Latency.Count+1, got.Latency.Count, k.String())
				assert.Equal(t, was.Errors, got.Errors, k.String())
				assert.Greater(t, got.Latency.Sum, was.Latency.Sum, k.String())
			}
			// Each of the two asked Redis for the number of servers.
			sc := after.Requests[adapter.RequestServerCount]
			assert.GreaterOrEqual(t, sc.Latency.Count, before.Requests[adapter.RequestServerCount].Latency.Count+2)
			assert.LessOrEqual(t, sc.Latency.Buckets[adapter.NumLatencyBuckets-1], sc.Latency.Count)
			assert.Zero(t, after.PublishErrors)
			assert.Greater(t, after.PublishLatency.Count, before.PublishLatency.Count)
			// The answers came from g2, whose factory counts them.
			testkit.Eventually(t, "g2's answers counted", func() bool { return clusterStats(t, g2).Published >= 2 })
		})
	}
}

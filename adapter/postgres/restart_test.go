package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit/pgtest"
)

// TestPostgresRestart restarts Postgres under two Go servers and a Node
// one: every server makes its listening connection again, and broadcasts
// and requests flow again in every direction.
func TestPostgresRestart(t *testing.T) {
	pg := pgtest.Start(t)
	pool := pg.NewPool(t)
	o := testOptions(t, pool)
	g1 := startGoNode(t, "go1", NewAdapter(pool, o))
	g2 := startGoNode(t, "go2", NewAdapter(pool, o))
	nd := startNodeNode(t, pg.URL(), o.ChannelPrefix, "node1")
	a1 := dialClient(t, g1.url, "a1")
	b1 := dialClient(t, g2.url, "b1")
	nc := dialClient(t, nd.url, "nc")
	all := []*wsClient{a1, b1, nc}
	waitServerCount(t, g1.io, 3)
	waitServerCount(t, g2.io, 3)
	waitNodeServerCount(t, nc, 3)
	require.NoError(t, g1.io.Emit("before"))
	for _, c := range all {
		c.Expect(t, "before")
	}

	start := time.Now()
	require.NoError(t, pg.Restart())
	t.Logf("postgres restarted in %v", time.Since(start))

	// Each server's broadcasts reach every client again: probes, each
	// with a token of its own, until one reaches all (those sent before
	// a server listens again are lost, as documented).
	emitters := map[string]func(token string){
		"go1": func(token string) { _ = g1.io.Emit("probe", token) },
		"go2": func(token string) { _ = g2.io.Emit("probe", token) },
		"node1": func(token string) {
			do(t, nc, map[string]any{"op": "emit", "event": "probe", "args": []any{token}}, nil)
		},
	}
	for _, name := range []string{"go1", "go2", "node1"} {
		deadline := time.Now().Add(20 * time.Second)
		for i := 0; ; i++ {
			if time.Now().After(deadline) {
				t.Fatalf("broadcasts of %s did not flow again within 20s of the restart", name)
			}
			token := fmt.Sprintf("%s-%d", name, i)
			emitters[name](token)
			if allGot(all, token, time.Second) {
				break
			}
		}
	}
	t.Logf("broadcasts flow again %v after the restart began", time.Since(start))
	waitServerCount(t, g1.io, 3)
	waitServerCount(t, g2.io, 3)
	waitNodeServerCount(t, nc, 3)

	ctx := context.Background()
	socks, err := g2.io.FetchSockets(ctx)
	require.NoError(t, err)
	assert.Equal(t, ids(all...), socketIDs(socks))
	var ns []nodeSocket
	do(t, nc, map[string]any{"op": "fetchSockets"}, &ns)
	assert.Equal(t, ids(all...), nodeSocketIDs(ns))
	// Exactly once again: after a flush, each client's next event is the
	// next broadcast.
	flush(t, g1, all...)
	require.NoError(t, g2.io.Emit("after"))
	for _, c := range all {
		c.Expect(t, "after")
	}
}

// allGot reports whether every client receives a "probe" with token
// within d, skipping the events before it.
func allGot(clients []*wsClient, token string, d time.Duration) bool {
	ok := true
	for _, c := range clients {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		got := false
		for !got {
			ev, err := c.NextEvent(ctx)
			if err != nil {
				break
			}
			got = ev.Name == "probe" && ev.Arg(0) == token
		}
		cancel()
		ok = ok && got
	}
	return ok
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/testkit/pgtest"
)

// TestSilentServer counts a server that only sends heartbeats (raw
// NOTIFYs here), times requests to it out with ErrTimeout, and forgets it
// after HeartbeatTimeout; an emitter's messages count no server.
func TestSilentServer(t *testing.T) {
	pg := pgtest.Shared(t)
	pool := pg.NewPool(t)
	o := testOptions(t, pool)
	o.RequestsTimeout = 300 * time.Millisecond
	o.HeartbeatTimeout = 1500 * time.Millisecond
	g := startGoNode(t, "go1", NewAdapter(pool, o))
	ctx := context.Background()
	channel := channelName(o.ChannelPrefix, "/")
	notify := func(payload string) {
		t.Helper()
		_, err := pool.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload)
		require.NoError(t, err)
	}
	notify(`{"type":2,"uid":"emitter","nsp":"/"}`)
	notify(`{"type":2,"uid":"ghost","nsp":"/"}`)
	waitServerCount(t, g.io, 2)

	_, err := g.io.FetchSockets(ctx)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrTimeout), "%v", err)
	assert.Contains(t, err.Error(), "1 of 1 servers did not answer")
	res, err := g.io.ServerSideEmitWithAck(ctx, "ssping")
	assert.ErrorIs(t, err, ErrTimeout)
	assert.Empty(t, res)
	st := pgAdapter(t, g.io).ClusterStats()
	assert.NotZero(t, st.Requests[adapter.RequestFetchSockets].Errors)

	// A request the ghost answers in time, through a raw NOTIFY.
	done := make(chan error, 1)
	var answers []any
	go func() {
		var err error
		answers, err = g.io.ServerSideEmitWithAck(ctx, "ssping")
		done <- err
	}()
	var id string
	deadline := time.Now().Add(2 * time.Second)
	for id == "" && time.Now().Before(deadline) {
		a := pgAdapter(t, g.io)
		a.mu.Lock()
		for k := range a.requests {
			id = k
		}
		a.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	require.NotEmpty(t, id)
	notify(`{"type":10,"data":{"requestId":"` + id + `","packet":"boo"},"uid":"ghost","nsp":"/"}`)
	require.NoError(t, <-done)
	assert.Equal(t, []any{"boo"}, answers)

	// Gone quiet, the ghost is forgotten; so is one that says it closes.
	waitServerCount(t, g.io, 1)
	notify(`{"type":2,"uid":"ghost2","nsp":"/"}`)
	waitServerCount(t, g.io, 2)
	notify(`{"type":13,"uid":"ghost2","nsp":"/"}`)
	waitServerCount(t, g.io, 1)
}

// FuzzDecodeNotification feeds notification payloads to the decoder,
// which must not panic.
func FuzzDecodeNotification(f *testing.F) {
	f.Add(`{"type":3,"data":{"packet":{"type":2,"data":["a",1],"nsp":"/"},"opts":{"rooms":[],"except":[],"flags":{}}},"uid":"u","nsp":"/"}`)
	f.Add(`{"uid":"abc","type":3,"attachmentId":"42"}`)
	f.Add(`{"type":1,"uid":"x","nsp":"/"}`)
	f.Fuzz(func(t *testing.T, payload string) {
		m, _, err := decodeNotification(payload)
		if err == nil && m == nil {
			t.Fatal("nil message without error")
		}
	})
}

// TestEmitterWithoutNsp applies the messages of @socket.io/postgres-emitter
// 0.1.x, which have no nsp, to the channel's namespace, and only theirs:
// a server's message without nsp is ignored.
func TestEmitterWithoutNsp(t *testing.T) {
	pg := pgtest.Shared(t)
	pool := pg.NewPool(t)
	o := testOptions(t, pool)
	g := startGoNode(t, "go1", NewAdapter(pool, o))
	waitListening(t, g.io)
	c := dialClient(t, g.url, "c")
	notify := func(payload string) {
		t.Helper()
		_, err := pool.Exec(context.Background(), "SELECT pg_notify($1, $2)", channelName(o.ChannelPrefix, "/"), payload)
		require.NoError(t, err)
	}
	const emit = `{"type":3,"data":{"packet":{"type":2,"data":["%s"],"nsp":"/"},"opts":{"rooms":[],"flags":{},"except":[]}},"uid":"%s"%s}`
	notify(fmt.Sprintf(emit, "ghost", "ghost", ""))
	notify(fmt.Sprintf(emit, "other nsp", "emitter", `,"nsp":"/admin"`))
	notify(fmt.Sprintf(emit, "official", "emitter", ""))
	c.Expect(t, "official")
	notify(fmt.Sprintf(emit, "ours", "emitter", `,"nsp":"/"`))
	c.Expect(t, "ours")
}

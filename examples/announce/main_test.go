package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosio/sio/adapter/postgres"
	redisadapter "github.com/gosio/sio/adapter/redis"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/clustertest"
	"github.com/gosio/sio/internal/testkit/pgtest"
	"github.com/gosio/sio/internal/testkit/redistest"
	"github.com/gosio/sio/socketio"
)

func TestMain(m *testing.M) {
	code := m.Run()
	redistest.StopShared()
	pgtest.StopShared()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak: goroutines left behind:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// TestAnnounce posts to a server that puts its sockets in room "general",
// as the chat does, on the classic Redis adapter.
func TestAnnounce(t *testing.T) {
	r := redistest.Shared(t)
	key := redistest.UniqueKey(t.Name())
	io := socketio.NewServer(&socketio.Options{Adapter: redisadapter.NewAdapter(r.NewClient(t), &redisadapter.Options{Key: key})})
	io.OnConnection(func(s *socketio.Socket) { _ = s.Join("general") })
	ts := httptest.NewServer(io)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		_ = io.Close()
		ts.Close()
	})
	probe := r.NewClient(t)
	testkit.Eventually(t, "the server's subscription", func() bool {
		res, err := probe.PubSubNumSub(t.Context(), key+"-request#/#").Result()
		return err == nil && res[key+"-request#/#"] == 1
	})
	c := clustertest.Dial(t, ts.URL, "page")

	m := chatMessage{ID: newID(), From: "ops", Text: "hello", Room: "general", TS: 1}
	require.NoError(t, announce(r.URL(), key, m))
	ev := c.Expect(t, "chat message")
	assert.Equal(t, map[string]any{"id": m.ID, "from": "ops", "text": "hello", "room": "general", "ts": 1.0}, ev.Arg(0))
}

// TestAnnouncePostgres posts through Postgres, with an announcement long
// enough (over 8,000 bytes of JSON) to go through the attachments table,
// to a server on the Postgres adapter.
func TestAnnouncePostgres(t *testing.T) {
	s := pgtest.Shared(t)
	pool := s.NewPool(t)
	key := pgtest.UniqueName(t.Name())
	require.NoError(t, postgres.CreateTable(context.Background(), pool, key))
	io := socketio.NewServer(&socketio.Options{Adapter: postgres.NewAdapter(pool, &postgres.Options{ChannelPrefix: key, TableName: key})})
	io.OnConnection(func(s *socketio.Socket) { _ = s.Join("general") })
	ts := httptest.NewServer(io)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		_ = io.Close()
		ts.Close()
	})
	c := clustertest.Dial(t, ts.URL, "page")

	text := strings.Repeat("a long announcement ", 500)
	m := chatMessage{ID: newID(), From: "ops", Text: text, Room: "general", TS: 1}
	select {
	case <-io.Sockets().Adapter().(*postgres.Adapter).Listening():
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not LISTEN within 10s")
	}
	require.NoError(t, announcePostgres(s.URL(), key, key, m))
	ev := c.Expect(t, "chat message")
	assert.Equal(t, "chat message", ev.Name)
	assert.Equal(t, map[string]any{"id": m.ID, "from": "ops", "text": text, "room": "general", "ts": 1.0}, ev.Arg(0))
}

package main

import (
	"net/http/httptest"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redisadapter "github.com/gosio/sio/adapter/redis"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/clustertest"
	"github.com/gosio/sio/internal/testkit/redistest"
	"github.com/gosio/sio/socketio"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

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

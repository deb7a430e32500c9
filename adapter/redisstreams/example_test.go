package redisstreams_test

import (
	"net/http"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosio/sio/adapter/redisstreams"
	"github.com/gosio/sio/socketio"
)

// A server that joins a cluster of Go and Node.js servers through a Redis
// stream: what one emits reaches the clients of all, and a server whose
// Redis connection drops catches up on the stream when it is back.
func ExampleNewAdapter() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	io := socketio.NewServer(&socketio.Options{
		// The same names on every server, Node's createAdapter(redisClient,
		// {streamName: "socket.io", channelPrefix: "socket.io"}) included.
		Adapter: redisstreams.NewAdapter(rdb, &redisstreams.Options{
			StreamName: "socket.io",
			MaxLen:     10_000,
		}),
	})
	defer io.Close()
	io.OnConnection(func(s *socketio.Socket) {
		s.On("chat message", func(text string) {
			_ = io.Emit("chat message", text) // to every client of every server
		})
	})
	http.Handle("/socket.io/", io)
	_ = http.ListenAndServe(":3000", nil)
}

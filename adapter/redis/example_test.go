package redis_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	goredis "github.com/redis/go-redis/v9"

	redisadapter "github.com/gosio/sio/adapter/redis"
	"github.com/gosio/sio/socketio"
)

// A server that joins a cluster of Go and Node.js servers through Redis:
// what one emits reaches the clients of all.
func ExampleNewAdapter() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	io := socketio.NewServer(&socketio.Options{
		// The same key on every server, Node's createAdapter(pub, sub,
		// {key: "socket.io"}) included.
		Adapter: redisadapter.NewAdapter(rdb, &redisadapter.Options{Key: "socket.io"}),
	})
	defer io.Close()
	io.OnConnection(func(s *socketio.Socket) {
		s.On("chat message", func(text string) {
			_ = io.Emit("chat message", text) // to every client of every server
		})
	})
	// Questions to the other servers wait at most RequestsTimeout.
	io.Sockets().OnServerSideEmit(func(event string, args []any, ack func(any)) {
		if event == "who" && ack != nil {
			ack(len(io.Sockets().Sockets()))
		}
	})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		counts, err := io.ServerSideEmitWithAck(ctx, "who")
		fmt.Println(counts, err)
	}()
	http.Handle("/socket.io/", io)
	_ = http.ListenAndServe(":3000", nil)
}

// The sharded variant, for Redis 7 sharded pub/sub, as Node's
// createShardedAdapter.
func ExampleNewShardedAdapter() {
	rdb := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: []string{"localhost:7000"}})
	defer rdb.Close()
	io := socketio.NewServer(&socketio.Options{
		Adapter: redisadapter.NewShardedAdapter(rdb, &redisadapter.Options{
			SubscriptionMode: redisadapter.DynamicSubscriptions,
		}),
	})
	defer io.Close()
	http.Handle("/socket.io/", io)
	_ = http.ListenAndServe(":3000", nil)
}

package postgres_test

import (
	"context"
	"log"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosio/sio/adapter/postgres"
	"github.com/gosio/sio/socketio"
)

// A server that joins a cluster of Go and Node.js servers through one
// Postgres database: what one emits reaches the clients of all.
func ExampleNewAdapter() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://postgres:changeit@localhost:5432/postgres")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	// The table for payloads over 8000 bytes or with binary data, as the
	// Node adapter's README makes it.
	if err := postgres.CreateTable(ctx, pool, "socket_io_attachments"); err != nil {
		log.Fatal(err)
	}
	io := socketio.NewServer(&socketio.Options{
		// The same names on every server, Node's createAdapter(pool,
		// {channelPrefix: "socket.io", tableName: "socket_io_attachments"})
		// included.
		Adapter: postgres.NewAdapter(pool, &postgres.Options{
			ChannelPrefix: "socket.io",
			TableName:     "socket_io_attachments",
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

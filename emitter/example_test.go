package emitter_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosio/sio/emitter"
)

// A worker that is not a Socket.IO server tells the clients of the whole
// cluster, Go and Node.js servers alike, that a job is done.
func Example() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	// The Key of the servers' adapters (adapter/redis, or Node's
	// @socket.io/redis-adapter); "socket.io" by default.
	e := emitter.New(rdb, &emitter.Options{Key: "socket.io"})

	// To every client of the main namespace.
	if err := e.Emit("job done", map[string]any{"id": 42}); err != nil {
		log.Print(err)
	}
	// To the clients in room "user:7" but not in "muted", with a binary
	// argument.
	if err := e.To("user:7").Except("muted").Emit("report", []byte{0x25, 0x50, 0x44, 0x46}); err != nil {
		log.Print(err)
	}
	// To the namespace "/admin", giving up if Redis does not take it
	// within a second.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := e.WithContext(ctx).Of("/admin").Volatile().Emit("load", 0.42); err != nil {
		log.Print(err)
	}
}

// The same, to a cluster on Postgres (adapter/postgres, or Node's
// @socket.io/postgres-adapter): the emitter sends with pg_notify, and
// puts what has binary data or is too large for a notification in the
// servers' attachments table.
func ExampleNewPostgres() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://postgres:changeit@localhost:5432/postgres")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	// The ChannelPrefix and TableName of the servers' adapters; these are
	// the defaults.
	e := emitter.NewPostgres(pool, &emitter.PostgresOptions{
		ChannelPrefix: "socket.io",
		TableName:     "socket_io_attachments",
	})
	if err := e.To("user:7").Emit("report", []byte{0x25, 0x50, 0x44, 0x46}); err != nil {
		log.Print(err)
	}
	if err := e.Of("/admin").In("game:1").DisconnectSockets(true); err != nil {
		log.Print(err)
	}
}

// Operators are immutable: a base target can be kept and narrowed.
func ExampleOperator() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	e := emitter.New(rdb, nil)

	staff := e.To("staff")
	_ = staff.Emit("shift", "starts at 9")              // room "staff"
	_ = staff.Except("on-leave").Emit("meeting", "3pm") // "staff" but not "on-leave"
	_ = staff.Emit("shift", "ends at 5")                // still room "staff"
}

// Socket-level operations run on every server: here the sockets of room
// "game:1" join room "finished", then are disconnected.
func ExampleOperator_SocketsJoin() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	game := emitter.New(rdb, nil).In("game:1")
	if err := game.SocketsJoin("finished"); err != nil {
		log.Print(err)
	}
	if err := game.DisconnectSockets(false); err != nil {
		log.Print(err)
	}
}

// The servers' own handlers get a server-side event, such as socketio's
// Namespace.OnServerSideEmit, or Node's io.on("config changed").
func ExampleEmitter_ServerSideEmit() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	if err := emitter.New(rdb, nil).ServerSideEmit("config changed", "v2"); err != nil {
		log.Print(err)
	}
}

// Socket.IO's reserved event names are refused before anything is sent.
func ExampleErrReservedEvent() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	err := emitter.New(rdb, nil).Emit("disconnect")
	fmt.Println(errors.Is(err, emitter.ErrReservedEvent))
	fmt.Println(err)
	// Output:
	// true
	// emitter: reserved event name: "disconnect"
}

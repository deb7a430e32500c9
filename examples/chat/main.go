// Command chat is a chat server built on the socketio package, with rooms
// and their history, nicknames, typing notices, delivery ticks, a second
// namespace (/news) multiplexed on the same connection, and connection
// state recovery, so that a page whose connection drops for a moment misses
// nothing. From the repository root:
//
//	make run
//
// then open http://localhost:3000 in two browser windows. The page loads
// the official Socket.IO client from /socket.io/socket.io.js, which the
// server serves from the npm package installed by `make run`. Prometheus
// metrics are on http://localhost:3000/metrics, and the probes of a load
// balancer on /readyz and /healthz.
//
// With ADMIN_PASSWORD set, the server is instrumented for the official
// Socket.IO admin UI, which it serves at /admin/ (log in with the page's
// origin as the server URL, user "admin" or ADMIN_USER, and the password;
// ADMIN_READONLY=1 for a UI that looks but does not act):
//
//	ADMIN_PASSWORD=changeit make run
//
// The server lets in Socket.IO v2 clients too (socketio.Options.AllowEIO3),
// which chat with the page's v4 clients in the same rooms.
//
// With PARSER=msgpack, the chat speaks socket.io-msgpack-parser's codec
// (parser/msgpack) instead of JSON, and every client must use it too, as
// with Node: the page then loads /socket.io/socket.io.msgpack.min.js in
// place of socket.io.js (the server rewrites that script tag), a client of
// the default parser cannot connect, and ADMIN_PASSWORD is refused, the
// admin UI's client speaking JSON. It combines with REDIS_URL: the
// adapters carry the JSON form whatever the clients' codec.
//
//	PARSER=msgpack make run
//
// With REDIS_URL, chat servers form one chat through Redis (see below);
// with POSTGRES_URL, through Postgres (adapter/postgres), with Node chat
// servers on @socket.io/postgres-adapter too.
package main

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosio/sio/adapter"
	pgadapter "github.com/gosio/sio/adapter/postgres"
	redisadapter "github.com/gosio/sio/adapter/redis"
	"github.com/gosio/sio/adapter/redisstreams"
	siometrics "github.com/gosio/sio/metrics/prometheus"
	"github.com/gosio/sio/socketio"
)

//go:embed static
var static embed.FS

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	dist := os.Getenv("CLIENT_DIST")
	if dist == "" {
		dist = "node_modules/socket.io-client/dist"
	}
	// RECOVERY_WINDOW (a Go duration) shortens the recovery window for
	// the tests; two minutes otherwise, the reference's default.
	window := 2 * time.Minute
	if w := os.Getenv("RECOVERY_WINDOW"); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil || d <= 0 {
			log.Fatalf("RECOVERY_WINDOW: %q is not a positive duration", w)
		}
		window = d
	}
	// PARSER=msgpack serves the chat with socket.io-msgpack-parser's
	// codec, to clients of that codec only (the page loads the msgpack
	// bundle).
	codec := os.Getenv("PARSER")
	parser, err := parserFor(codec)
	if err != nil {
		log.Fatal(err)
	}
	if parser != nil && os.Getenv("ADMIN_PASSWORD") != "" {
		log.Fatalf("ADMIN_PASSWORD: the admin UI's client speaks JSON, so it cannot connect with PARSER=%s; unset one of them", codec)
	}
	opts := &socketio.Options{
		Parser:      parser,
		ServeClient: os.DirFS(dist),
		// Socket.IO v2 clients (socket.io-client 2.x) chat with the page's
		// v4 ones: the protocol is chosen per connection.
		AllowEIO3: true,
		// A page whose connection drops for a moment gets its socket back
		// (nickname, room) with the messages it missed. The middleware is
		// skipped for a recovered socket (RunMiddlewares false), as in
		// Node; the chat has none anyway.
		ConnectionStateRecovery: &socketio.ConnectionStateRecovery{MaxDisconnectionDuration: window},
	}
	var hist history = newMemHistory()
	sessionsShared := false
	// With REDIS_URL (for example redis://127.0.0.1:6379), several chat
	// servers, Go or Node, form one chat through Redis, and keep the rooms'
	// history in Redis, where each of them reads it.
	if url := os.Getenv("REDIS_URL"); url != "" {
		ro, err := goredis.ParseURL(url)
		if err != nil {
			log.Fatalf("REDIS_URL: %v", err)
		}
		rdb := goredis.NewClient(ro)
		defer rdb.Close()
		switch kind := os.Getenv("REDIS_ADAPTER"); kind {
		case "", "streams":
			opts.Adapter = redisstreams.NewAdapter(rdb, nil)
			sessionsShared = true
			log.Printf("using the Redis Streams adapter at %s", ro.Addr)
		case "pubsub":
			opts.Adapter = redisadapter.NewAdapter(rdb, nil)
			log.Printf("using the classic Redis adapter (pub/sub) at %s: it cannot recover connection state (pub/sub keeps nothing), so a client that reconnects gets a new session", ro.Addr)
		default:
			log.Fatalf("REDIS_ADAPTER: %q is neither streams (the default) nor pubsub", kind)
		}
		hist = &redisHistory{rdb: rdb}
	}
	// With POSTGRES_URL (for example
	// postgres://postgres@127.0.0.1:5432/postgres), several chat servers,
	// Go or Node on @socket.io/postgres-adapter, form one chat through
	// Postgres LISTEN/NOTIFY, on the Node adapter's default channel
	// ("socket.io#/") and table ("socket_io_attachments", made here if
	// missing). The rooms' history stays per server.
	if url := os.Getenv("POSTGRES_URL"); url != "" {
		if os.Getenv("REDIS_URL") != "" {
			log.Fatal("POSTGRES_URL and REDIS_URL: one cluster uses one adapter; unset one of them")
		}
		pool, err := pgxpool.New(context.Background(), url)
		if err != nil {
			log.Fatalf("POSTGRES_URL: %v", err)
		}
		defer pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = pgadapter.CreateTable(ctx, pool, "")
		cancel()
		if err != nil {
			log.Fatalf("POSTGRES_URL: the attachments table: %v", err)
		}
		opts.Adapter = pgadapter.NewAdapter(pool, nil)
		log.Printf("using the Postgres adapter at %s:%d (the rooms' history stays per server)", pool.Config().ConnConfig.Host, pool.Config().ConnConfig.Port)
	}
	io := socketio.NewServer(opts)
	// Whether a dropped socket may come back: the adapter keeps sessions.
	// RestoreSession of no session asks it without changing anything.
	if _, _, err := io.Sockets().Adapter().RestoreSession("", ""); errors.Is(err, adapter.ErrNotSupported) {
		if os.Getenv("REDIS_ADAPTER") != "pubsub" {
			log.Printf("this adapter cannot recover connection state yet: a client that reconnects gets a new session")
		}
		window = 0
	}
	chat := newChat(io, hist, window, sessionsShared)
	defer chat.close()

	page, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	// Probes for a load balancer or Kubernetes: /readyz turns 503 as soon
	// as the shutdown starts, so that no new client is sent here while
	// this server drains; /healthz stays 200 until the process exits.
	mux.Handle("/readyz", io.ReadinessHandler())
	mux.Handle("/healthz", io.LivenessHandler())
	// Prometheus metrics, always on: the server counts anyway, and the
	// handler only reads the counters when scraped.
	mux.Handle("/metrics", siometrics.Handler(io))
	var files http.Handler = http.FileServerFS(page)
	if parser != nil {
		if files, err = msgpackPage(page, files); err != nil {
			log.Fatal(err)
		}
		log.Printf("using the %s parser: clients must use it too (the page loads /socket.io/socket.io.msgpack.min.js)", codec)
	}
	mux.Handle("/", files)
	// After newChat: the admin's connection listener runs after the
	// chat's, so the UI sees each socket with its nickname and room.
	adm := setupAdmin(io, mux, port)
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	news := make(chan struct{})
	go func() { // the /news ticker
		defer close(news)
		chat.pushHeadlines(ctx, 5*time.Second)
	}()
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Printf("listening on http://localhost:%s", port)

	select {
	case err := <-served:
		log.Fatal(err)
	case <-ctx.Done():
	}
	log.Printf("shutting down")
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Clients get an Engine.IO close and reconnect by themselves (to
	// another node, or to this one once it is back).
	if err := io.Shutdown(shut); err != nil {
		log.Printf("socket.io shutdown: %v", err)
	}
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Printf("http shutdown: %v", err)
	}
	// After the shutdown, which sent the admin UIs away to reconnect (to
	// another node), where Close would tell them to stay away.
	if adm != nil {
		_ = adm.Close()
	}
	<-news
}

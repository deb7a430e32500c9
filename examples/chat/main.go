// Command chat is a chat server built on the socketio package, with rooms
// and their history, nicknames, typing notices, delivery ticks and a second
// namespace (/news) multiplexed on the same connection. From the
// repository root:
//
//	make run
//
// then open http://localhost:3000 in two browser windows. The page loads
// the official Socket.IO client from /socket.io/socket.io.js, which the
// server serves from the npm package installed by `make run`.
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

	goredis "github.com/redis/go-redis/v9"

	redisadapter "github.com/gosio/sio/adapter/redis"
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
	opts := &socketio.Options{ServeClient: os.DirFS(dist)}
	var hist history = newMemHistory()
	// With REDIS_URL (for example redis://127.0.0.1:6379), several chat
	// servers, Go or Node, form one chat through the Redis adapter, and
	// keep the rooms' history in Redis, where each of them reads it.
	if url := os.Getenv("REDIS_URL"); url != "" {
		ro, err := goredis.ParseURL(url)
		if err != nil {
			log.Fatalf("REDIS_URL: %v", err)
		}
		rdb := goredis.NewClient(ro)
		defer rdb.Close()
		opts.Adapter = redisadapter.NewAdapter(rdb, nil)
		hist = &redisHistory{rdb: rdb}
		log.Printf("using the Redis adapter at %s", ro.Addr)
	}
	io := socketio.NewServer(opts)
	chat := newChat(io, hist)

	page, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	mux.Handle("/", http.FileServerFS(page))
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
	<-news
}

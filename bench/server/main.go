// Command server is the benchmark server of package socketio: the contract
// that bench/loadgen drives and that every reference server in
// bench/servers implements too.
//
//	broadcast (...args)      -> io.Emit("msg", ...args) to every socket, the sender included
//	echo      (...args, ack) -> ack(...args)
//
// The arguments are passed on as socketio.Raw values, so they are re-sent
// as the client wrote them, without decoding.
//
// Environment:
//
//	PORT   port to listen on, on 127.0.0.1 (HOST may name another loopback
//	       address); default 3000
//	PPROF  host:port (loopback) to serve net/http/pprof on, e.g. 127.0.0.1:6060
//	CPUPROFILE, MEMPROFILE  files to write a CPU profile (from start to exit)
//	       and a heap profile (at exit) to
//	REDIS_URL  redis://host:port (any URL go-redis's ParseURL takes): join a
//	       cluster through the Redis adapter (adapter/redis NewAdapter,
//	       default options, diagnostics to the log), so that io.Emit reaches the sockets of every
//	       server of the cluster, Node's @socket.io/redis-adapter included.
//	       The server pings Redis before it listens.
//	REDIS_ADAPTER  with REDIS_URL: "pubsub" (the default) for the classic
//	       adapter above, "streams" for the Redis Streams adapter
//	       (adapter/redisstreams NewAdapter, default options: stream
//	       "socket.io"), which Node's @socket.io/redis-streams-adapter joins.
//	POSTGRES_URL  postgres://user@host:port/db (any URL pgxpool.ParseConfig
//	       takes): join a cluster through the Postgres adapter
//	       (adapter/postgres NewAdapter, default options, diagnostics to the
//	       log, on a pgxpool with its defaults), which Node's
//	       @socket.io/postgres-adapter joins too. The server pings Postgres
//	       and makes the attachments table (postgres.CreateTable) before it
//	       listens. Not with REDIS_URL.
//	RECOVERY  "1": Options.ConnectionStateRecovery on, with default
//	       settings (2 minutes, middleware skipped); without an adapter
//	       from REDIS_URL that is the in-memory adapter.NewSessionAware,
//	       and every broadcast carries its offset as its last argument.
//	METRICS  "1": Prometheus metrics on: the collector of metrics/prometheus,
//	       with the Go runtime and process collectors, served on /metrics
//	       and scraped once a second by a goroutine of the server (what a
//	       Prometheus server scraping it would cost it, the HTTP exchange
//	       aside).
//	PARSER  "msgpack": the msgpack codec (Options.Parser = msgpack.Parser{},
//	       socket.io-msgpack-parser's wire format); default or "json": JSON.
//
// It exits on SIGTERM or SIGINT after io.Shutdown.
package main

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	rpprof "runtime/pprof"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	pgadapter "github.com/gosio/sio/adapter/postgres"
	redisadapter "github.com/gosio/sio/adapter/redis"
	"github.com/gosio/sio/adapter/redisstreams"
	siometrics "github.com/gosio/sio/metrics/prometheus"
	"github.com/gosio/sio/parser/msgpack"
	"github.com/gosio/sio/socketio"
)

func main() {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	port := envOr("PORT", "3000")
	host := envOr("HOST", "127.0.0.1")
	addr := net.JoinHostPort(host, port)
	if err := loopbackOnly(addr); err != nil {
		log.Fatal(err)
	}

	if path := os.Getenv("CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			log.Fatal(err)
		}
		if err := rpprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() { rpprof.StopCPUProfile(); f.Close() }()
	}
	if pa := os.Getenv("PPROF"); pa != "" {
		if err := loopbackOnly(pa); err != nil {
			log.Fatal(err)
		}
		go servePprof(pa)
	}

	opts := &socketio.Options{} // the Node.js server's defaults
	if url := os.Getenv("REDIS_URL"); url != "" {
		rdb := redisClient(url)
		defer rdb.Close()
		// Default options; the adapter's diagnostics (Redis lost, publish
		// errors) go to the log.
		switch kind := envOr("REDIS_ADAPTER", "pubsub"); kind {
		case "pubsub":
			opts.Adapter = redisadapter.NewAdapter(rdb, &redisadapter.Options{Logger: slog.Default()})
		case "streams":
			opts.Adapter = redisstreams.NewAdapter(rdb, &redisstreams.Options{Logger: slog.Default()})
		default:
			log.Fatalf("REDIS_ADAPTER=%q: want pubsub or streams", kind)
		}
		log.Printf("redis adapter: %s", envOr("REDIS_ADAPTER", "pubsub"))
	}
	if url := os.Getenv("POSTGRES_URL"); url != "" {
		if os.Getenv("REDIS_URL") != "" {
			log.Fatal("REDIS_URL and POSTGRES_URL: set one of them")
		}
		pool := postgresPool(url)
		defer pool.Close()
		// Default options; the adapter's diagnostics go to the log.
		opts.Adapter = pgadapter.NewAdapter(pool, &pgadapter.Options{Logger: slog.Default()})
	}
	switch v := os.Getenv("RECOVERY"); v {
	case "", "0":
	case "1":
		opts.ConnectionStateRecovery = &socketio.ConnectionStateRecovery{}
		log.Printf("connection state recovery on")
	default:
		log.Fatalf("RECOVERY=%q: want 1 or 0", v)
	}
	switch v := os.Getenv("PARSER"); v {
	case "", "json":
	case "msgpack":
		opts.Parser = msgpack.Parser{}
		log.Printf("parser: msgpack")
	default:
		log.Fatalf("PARSER=%q: want json or msgpack", v)
	}
	io := socketio.NewServer(opts)
	// The handlers are made once and shared by every socket, as an
	// application's would be when they need nothing of the socket.
	broadcast := func(args socketio.Args) {
		_ = io.Emit("msg", rawArgs(args)...)
	}
	echo := func(args socketio.Args, ack socketio.Ack) {
		if ack != nil {
			_ = ack(rawArgs(args)...)
		}
	}
	io.OnConnection(func(s *socketio.Socket) {
		s.On("broadcast", broadcast)
		s.On("echo", echo)
	})

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	switch v := os.Getenv("METRICS"); v {
	case "", "0":
	case "1":
		metrics := siometrics.Handler(io)
		mux.Handle("/metrics", metrics)
		stop := scrapeEverySecond(metrics)
		defer stop()
		log.Printf("metrics on, scraped once a second")
	default:
		log.Fatalf("METRICS=%q: want 1 or 0", v)
	}
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("bench server (github.com/gosio/sio) listening on %s", ln.Addr())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		log.Printf("%v: shutting down", s)
	case err := <-served:
		log.Printf("serve: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := io.Shutdown(ctx); err != nil {
		log.Printf("socket.io shutdown: %v", err)
	}
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Printf("http shutdown: %v", err)
	}
	if path := os.Getenv("MEMPROFILE"); path != "" {
		writeHeap(path)
	}
}

// scrapeEverySecond serves h a scrape once a second, as Prometheus would
// ask for it (gzip, the text format), writing the answer nowhere; stop
// ends it.
func scrapeEverySecond(h http.Handler) (stop func()) {
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				r.Header.Set("Accept", "text/plain;version=0.0.4")
				r.Header.Set("Accept-Encoding", "gzip")
				h.ServeHTTP(discardResponse{http.Header{}}, r)
			}
		}
	}()
	return func() { close(done); <-ended }
}

// discardResponse is an http.ResponseWriter that drops what is written.
type discardResponse struct{ h http.Header }

// Header implements http.ResponseWriter.
func (d discardResponse) Header() http.Header { return d.h }

// Write implements http.ResponseWriter: it drops b.
func (d discardResponse) Write(b []byte) (int, error) { return len(b), nil }

// WriteHeader implements http.ResponseWriter.
func (d discardResponse) WriteHeader(int) {}

// rawArgs passes received arguments on unchanged.
func rawArgs(args socketio.Args) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

// redisClient connects to the Redis server at url and checks that it
// answers; it exits if it does not within 5 s.
func redisClient(url string) *goredis.Client {
	o, err := goredis.ParseURL(url)
	if err != nil {
		log.Fatalf("REDIS_URL: %v", err)
	}
	rdb := goredis.NewClient(o)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		log.Fatalf("REDIS_URL %s: %v", url, err)
	}
	log.Printf("redis adapter on %s", o.Addr)
	return rdb
}

// postgresPool opens a pgxpool (its default settings) on url, checks that
// Postgres answers and makes the adapter's attachments table if missing;
// it exits if that fails within 5 s.
func postgresPool(url string) *pgxpool.Pool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		log.Fatalf("POSTGRES_URL: %v", err)
	}
	if err := pool.Ping(ctx); err != nil {
		log.Fatalf("POSTGRES_URL: %v", err)
	}
	if err := pgadapter.CreateTable(ctx, pool, ""); err != nil {
		log.Fatalf("POSTGRES_URL: attachments table: %v", err)
	}
	cfg := pool.Config().ConnConfig
	log.Printf("postgres adapter on %s:%d", cfg.Host, cfg.Port)
	return pool
}

func servePprof(addr string) {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Printf("pprof on http://%s/debug/pprof/", addr)
	log.Printf("pprof: %v", http.ListenAndServe(addr, m))
}

func writeHeap(path string) {
	f, err := os.Create(path)
	if err != nil {
		log.Printf("heap profile: %v", err)
		return
	}
	defer f.Close()
	runtime.GC()
	if err := rpprof.WriteHeapProfile(f); err != nil {
		log.Printf("heap profile: %v", err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// loopbackOnly refuses an address that is not on this machine's loopback.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errors.New("refusing to listen on non-loopback address " + addr)
	}
	return nil
}

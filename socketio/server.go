package socketio

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/internal/workers"
	"github.com/gosio/sio/namespace"
	sioparser "github.com/gosio/sio/parser"
)

// A Server is a Socket.IO server. It is an [http.Handler]: mount it on the
// path it serves (by default "/socket.io/") of any Go HTTP server, router
// or framework. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	codec   sioparser.Parser // nil: the built-in JSON parser
	path    string
	engine  *engine.Server
	nsps    namespace.Registry[*Namespace]
	main    *Namespace
	jobs    tracker       // running executor goroutines
	workers *workers.Pool // runs the executors

	hookMu sync.RWMutex
	onNew  []func(*Namespace)
	bundle *bundle

	stats     statGroups    // the namespaces' counters; see Stats
	clientSeq atomic.Uint32 // numbers the clients, for their stats slot

	adaptersClosed atomic.Bool
	// stopping is set first thing by Shutdown and Close, before any
	// client is told to go (ReadinessHandler answers 503 from then on).
	stopping atomic.Bool
	// closedBy counts the connections closed, by reason (EngineStats).
	closedBy [NumDisconnectReasons]atomic.Uint64
}

// NewServer returns a server configured by opts; nil means the defaults.
func NewServer(opts *Options) *Server {
	srv := &Server{}
	if opts != nil {
		srv.opts = *opts
	}
	if p := srv.opts.Parser; p != nil && !sioparser.IsJSON(p) {
		srv.codec = p
	}
	srv.path = srv.opts.Path
	if srv.path == "" {
		srv.path = DefaultPath
	}
	srv.path = strings.TrimSuffix(srv.path, "/") + "/"
	srv.workers = workers.New(64, 2*time.Second)
	cfg := srv.opts.engineConfig()
	cfg.OnConnection = srv.newClient
	srv.engine = engine.NewServer(cfg)
	srv.nsps.OnCreate = srv.newNamespaceCreated // outside the registry's lock
	srv.nsps.MaxDynamic = srv.maxDynamicNamespaces()
	srv.nsps.CleanupEmptyChildren = srv.opts.CleanupEmptyChildNamespaces
	srv.main = srv.Of("/")
	if srv.opts.ServeClient != nil {
		srv.bundle = &bundle{fsys: srv.opts.ServeClient}
	}
	return srv
}

// ServeHTTP answers the Engine.IO and Socket.IO requests under the
// server's path, and 404 to anything else.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, srv.path) {
		http.NotFound(w, r)
		return
	}
	if srv.bundle != nil && srv.bundle.serve(w, r, r.URL.Path[len(srv.path):]) {
		return
	}
	srv.engine.ServeHTTP(w, r)
}

// Of returns the namespace called name, creating it if needed (as a child
// of a [Server.OfRegexp] parent whose expression matches the name, if
// any). A name without a leading "/" gets one.
func (srv *Server) Of(name string) *Namespace {
	name = namespace.Normalize(name)
	return srv.nsps.Of(name, func() *Namespace { return newNamespace(srv, name, srv.stats.group(name, false)) })
}

// Namespaces returns the server's namespaces as they are now: "/", those
// created with [Server.Of], and the children of dynamic parents (the
// reference's io._nsps), in no particular order.
func (srv *Server) Namespaces() []*Namespace {
	var all []*Namespace
	srv.nsps.Range(func(_ string, n *Namespace) bool {
		all = append(all, n)
		return true
	})
	return all
}

// OnNewNamespace registers fn to run for each namespace created from now
// on, static or dynamic (the reference's "new_namespace" event).
func (srv *Server) OnNewNamespace(fn func(n *Namespace)) {
	srv.hookMu.Lock()
	defer srv.hookMu.Unlock()
	srv.onNew = append(srv.onNew, fn)
}

// newNamespaceCreated runs the OnNewNamespace hooks for a namespace just
// registered, on the goroutine that created it and under no lock, then
// lets its CONNECTs through.
func (srv *Server) newNamespaceCreated(n *Namespace) {
	defer close(n.ready)
	srv.hookMu.RLock()
	fns := srv.onNew
	srv.hookMu.RUnlock()
	for _, fn := range fns {
		fn(n)
	}
}

// Sockets returns the main namespace "/".
func (srv *Server) Sockets() *Namespace { return srv.main }

// OnConnection registers fn to run for each socket that connects to the
// main namespace; see [Namespace.OnConnection].
func (srv *Server) OnConnection(fn func(s *Socket)) { srv.main.OnConnection(fn) }

// Use adds a middleware to the main namespace; see [Namespace.Use].
func (srv *Server) Use(fn func(s *Socket) error) { srv.main.Use(fn) }

// Emit sends an event to every socket of the main namespace.
func (srv *Server) Emit(event string, args ...any) error { return srv.main.Emit(event, args...) }

// Send emits a "message" event to every socket of the main namespace.
func (srv *Server) Send(args ...any) error { return srv.main.Send(args...) }

// Write is an alias of [Server.Send].
func (srv *Server) Write(args ...any) error { return srv.main.Send(args...) }

// To returns an operator on the sockets of the main namespace in rooms.
func (srv *Server) To(rooms ...string) *BroadcastOperator { return srv.main.To(rooms...) }

// In is an alias of [Server.To].
func (srv *Server) In(rooms ...string) *BroadcastOperator { return srv.main.To(rooms...) }

// Except returns an operator on the sockets of the main namespace except
// those in rooms.
func (srv *Server) Except(rooms ...string) *BroadcastOperator { return srv.main.Except(rooms...) }

// Volatile returns a volatile operator on the main namespace.
func (srv *Server) Volatile() *BroadcastOperator { return srv.main.Volatile() }

// Local returns an operator on the main namespace's sockets of this server.
func (srv *Server) Local() *BroadcastOperator { return srv.main.Local() }

// Compress returns an operator on the main namespace with compression on
// or off.
func (srv *Server) Compress(on bool) *BroadcastOperator { return srv.main.Compress(on) }

// Timeout returns an operator on the main namespace whose EmitWithAck
// waits at most d.
func (srv *Server) Timeout(d time.Duration) *BroadcastOperator { return srv.main.Timeout(d) }

// FetchSockets returns every socket of the main namespace, on every server.
func (srv *Server) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return srv.main.FetchSockets(ctx)
}

// SocketsJoin makes every socket of the main namespace join rooms.
func (srv *Server) SocketsJoin(rooms ...string) error { return srv.main.SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the main namespace leave rooms.
func (srv *Server) SocketsLeave(rooms ...string) error { return srv.main.SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the main namespace.
func (srv *Server) DisconnectSockets(close bool) error { return srv.main.DisconnectSockets(close) }

// ServerSideEmit sends an event to the other servers of the cluster; see
// [Namespace.ServerSideEmit].
func (srv *Server) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	return srv.main.ServerSideEmit(ctx, event, args...)
}

// ServerSideEmitWithAck sends an event to the other servers of the cluster
// and waits for their answers; see [Namespace.ServerSideEmitWithAck].
func (srv *Server) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]any, error) {
	return srv.main.ServerSideEmitWithAck(ctx, event, args...)
}

// Shutdown stops the server gracefully: [Server.ReadinessHandler] turns
// unready first, then new connections are refused, every client gets an
// Engine.IO close (so the official clients reconnect, to another node in a
// cluster), every socket disconnects with "server shutting down" after
// what was queued for it is written, and Shutdown returns once every
// handler and goroutine of the server has ended, or ctx is done (then what
// is left is closed at once and ctx.Err() returned). It does not close the
// http.Server the handler is mounted on.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.stopping.Store(true)
	err := srv.engine.Shutdown(ctx)
	if werr := srv.jobs.wait(ctx); err == nil {
		err = werr
	}
	if cerr := srv.closeAdapters(); err == nil {
		err = cerr
	}
	srv.workers.Close()
	return err
}

// closeAdapters closes the adapter of every namespace, once.
func (srv *Server) closeAdapters() error {
	if !srv.adaptersClosed.CompareAndSwap(false, true) {
		return nil
	}
	var errs []error
	srv.nsps.Range(func(_ string, n *Namespace) bool {
		if err := n.adapter.Close(); err != nil {
			errs = append(errs, err)
		}
		return true
	})
	return errors.Join(errs...)
}

// Close closes every connection at once, with reason "server shutting
// down", and waits for the server's goroutines and handlers to end.
func (srv *Server) Close() error {
	srv.stopping.Store(true)
	_ = srv.engine.Close()
	err := srv.jobs.wait(context.Background())
	if cerr := srv.closeAdapters(); err == nil {
		err = cerr
	}
	srv.workers.Close()
	return err
}

// jobsRunning returns the number of running handler goroutines.
func (srv *Server) jobsRunning() int { return srv.jobs.count() }

// EngineCount returns the number of open Engine.IO connections.
func (srv *Server) EngineCount() int { return srv.engine.Count() }

// maxQueueBytes is the bound of one connection's send queue.
func (srv *Server) maxQueueBytes() int {
	if n := srv.opts.MaxQueueBytes; n > 0 {
		return n
	}
	return engine.DefaultMaxQueueBytes
}

// maxRoomsPerSocket is Options.MaxRoomsPerSocket, or its default.
func (srv *Server) maxRoomsPerSocket() int {
	if n := srv.opts.MaxRoomsPerSocket; n > 0 {
		return n
	}
	return DefaultMaxRoomsPerSocket
}

// maxDynamicNamespaces is Options.MaxDynamicNamespaces, or its default.
func (srv *Server) maxDynamicNamespaces() int {
	if n := srv.opts.MaxDynamicNamespaces; n > 0 {
		return n
	}
	return DefaultMaxDynamicNamespaces
}

// debugLogger returns the logger if it logs at Debug, nil otherwise:
// callers test it before they build their attributes, so that a disabled
// level costs no allocation.
func (srv *Server) debugLogger() *slog.Logger {
	if l := srv.logger(); l.Enabled(context.Background(), slog.LevelDebug) {
		return l
	}
	return nil
}

// logger is Options.Logger, or slog.Default() as it is at the time of the
// call.
func (srv *Server) logger() *slog.Logger {
	if l := srv.opts.Logger; l != nil {
		return l
	}
	return slog.Default()
}

package admin

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gosio/sio/namespace"
	"github.com/gosio/sio/socketio"
)

// The features the UI enables from the config event (the reference's
// Feature enum).
const (
	featEmit        = "EMIT"
	featJoin        = "JOIN"
	featLeave       = "LEAVE"
	featDisconnect  = "DISCONNECT"
	featMJoin       = "MJOIN"
	featMLeave      = "MLEAVE"
	featMDisconnect = "MDISCONNECT"
	featAggregated  = "AGGREGATED_EVENTS"
	featAllEvents   = "ALL_EVENTS"
)

// processStart stands for the process's start time in the stats' uptime.
var processStart = time.Now()

// An Instrumentation is a server instrumented for the admin UI; see
// [Instrument]. Its methods are safe for concurrent use.
//
// Goroutines: one sends the stats every StatsInterval; one per admin
// connection lists the sockets (development mode), since that waits for
// the other servers of a cluster. [Instrumentation.Close] stops them and
// waits. The listeners it adds to the server (connection, disconnect and
// room listeners, any-listeners in development mode) run where the server
// runs them (see the socketio package's Concurrency section); they only
// queue broadcasts to the admin namespace and never block.
type Instrumentation struct {
	io       *socketio.Server
	nsp      *socketio.Namespace
	opts     Options
	hash     []byte // nil without auth
	store    SessionStore
	features []string
	log      *slog.Logger
	base     statsBase

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	closed atomic.Bool
	wg     sync.WaitGroup // the stats loop and the socket listings

	mu        sync.Mutex
	done      bool                                // Close was called; no goroutine starts
	nsps      map[*socketio.Namespace]struct{}    // instrumented
	watched   map[*socketio.Socket]*watchedSocket // development mode: local sockets
	lastStats socketio.EngineStats                // counters at the last stats
}

// Instrument makes io answer the official Socket.IO admin UI
// (@socket.io/admin-ui 0.5, https://admin.socket.io or its ui/dist files
// served by the application): it creates the admin namespace, with a
// login unless Options.NoAuth, sends the UI the server's stats every
// StatsInterval and, in development mode, the list of sockets and their
// changes, and carries out the UI's actions unless ReadOnly. In a cluster
// every server is instrumented with the same Namespace; a UI connected to
// any of them sees the stats of all, and lists and acts on the sockets of
// all through the adapter.
//
// It returns [ErrNoAuth] unless exactly one of Options.Auth and
// Options.NoAuth is set, and [ErrBadHash] for a password hash that is not
// bcrypt. Call [Instrumentation.Close] when done, after
// [socketio.Server.Shutdown]: Shutdown sends the UIs connected to this
// server away to reconnect (to another server), where Close disconnects
// them for good.
func Instrument(io *socketio.Server, opts Options) (*Instrumentation, error) {
	if (opts.Auth == nil) == !opts.NoAuth {
		return nil, ErrNoAuth
	}
	in := &Instrumentation{
		io:      io,
		opts:    opts,
		store:   opts.Sessions,
		log:     opts.Logger,
		nsps:    make(map[*socketio.Namespace]struct{}),
		watched: make(map[*socketio.Socket]*watchedSocket),
	}
	if a := opts.Auth; a != nil {
		in.hash = []byte(a.PasswordHash)
		if _, err := bcrypt.Cost(in.hash); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadHash, err)
		}
	}
	if in.opts.Namespace == "" {
		in.opts.Namespace = DefaultNamespace
	}
	in.opts.Namespace = namespace.Normalize(in.opts.Namespace)
	if in.opts.Namespaces != nil {
		in.opts.Namespaces = make([]string, len(opts.Namespaces))
		for i, n := range opts.Namespaces {
			in.opts.Namespaces[i] = namespace.Normalize(n)
		}
	}
	if in.opts.StatsInterval <= 0 {
		in.opts.StatsInterval = DefaultStatsInterval
	}
	if in.store == nil {
		in.store = NewMemoryStore(DefaultSessionTTL)
	}
	if in.log == nil {
		in.log = slog.Default()
	}
	in.base = newStatsBase(in.opts.ServerID)
	// As the reference computes them for a Socket.IO v4 server, which
	// this one matches: every action, none when read-only.
	if !opts.ReadOnly {
		in.features = []string{featEmit, featJoin, featLeave, featDisconnect, featMJoin, featMLeave, featMDisconnect}
	}
	in.features = append(in.features, featAggregated)
	if opts.Mode == Development {
		in.features = append(in.features, featAllEvents)
	}
	in.ctx, in.cancel = context.WithCancel(context.Background())

	in.nsp = io.Of(in.opts.Namespace)
	in.nsp.Use(in.authenticate)
	in.nsp.OnConnection(in.onAdmin)
	in.nsp.OnServerSideEmit(in.onServerSideEmit)
	// Registered before the present namespaces are listed, so that none
	// created meanwhile is missed; instrument ignores a second sighting.
	io.OnNewNamespace(in.instrument)
	for _, n := range io.Namespaces() {
		in.instrument(n)
	}

	in.lastStats = io.EngineStats()
	in.wg.Add(1)
	go in.statsLoop()
	return in, nil
}

// Namespace returns the admin namespace.
func (in *Instrumentation) Namespace() *socketio.Namespace { return in.nsp }

// Close stops the instrumentation: the stats stop, the UIs connected to
// this server are disconnected and new ones refused with [ErrClosed], and
// the listeners it added go quiet (those a socket allows to be removed are
// removed). It waits for its goroutines to end. It is idempotent.
func (in *Instrumentation) Close() error {
	in.mu.Lock()
	if in.done {
		in.mu.Unlock()
		return nil
	}
	in.done = true
	in.closed.Store(true)
	watched := in.watched
	in.watched = make(map[*socketio.Socket]*watchedSocket)
	in.mu.Unlock()
	in.cancel()
	for _, w := range watched {
		for _, off := range w.off {
			off()
		}
	}
	in.wg.Wait()
	return in.nsp.Local().DisconnectSockets(false)
}

// goWork runs fn on a goroutine that Close waits for, unless Close was
// called.
func (in *Instrumentation) goWork(fn func()) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.done {
		return
	}
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		fn()
	}()
}

// wants reports whether the namespace called name is instrumented.
func (in *Instrumentation) wants(name string) bool {
	return in.opts.Namespaces == nil || slices.Contains(in.opts.Namespaces, name)
}

// instrument adds the listeners of development mode to n, once, and
// remembers it as instrumented.
func (in *Instrumentation) instrument(n *socketio.Namespace) {
	if in.closed.Load() || !in.wants(n.Name()) {
		return
	}
	in.mu.Lock()
	_, seen := in.nsps[n]
	in.nsps[n] = struct{}{}
	in.mu.Unlock()
	if seen || in.opts.Mode != Development {
		return
	}
	n.OnConnection(func(s *socketio.Socket) { in.watch(n, s, true) })
	n.OnRoomEvent(in.roomListener(n))
	// The sockets already there when the server was instrumented (the
	// reference sees only those that connect later).
	for _, s := range n.Sockets() {
		in.watch(n, s, false)
	}
}

// namespaces returns the instrumented namespaces that still exist,
// sorted by name, and forgets those that do not (a dynamic child removed
// when its last socket left).
func (in *Instrumentation) namespaces() []*socketio.Namespace {
	live := in.io.Namespaces()
	in.mu.Lock()
	out := make([]*socketio.Namespace, 0, len(in.nsps))
	present := make(map[*socketio.Namespace]bool, len(live))
	for _, n := range live {
		present[n] = true
		if _, ok := in.nsps[n]; ok {
			out = append(out, n)
		}
	}
	for n := range in.nsps {
		if !present[n] {
			delete(in.nsps, n)
		}
	}
	in.mu.Unlock()
	slices.SortFunc(out, func(a, b *socketio.Namespace) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// target returns the instrumented namespace called name, or nil: the UI
// acts only on what it is shown, and never creates a namespace.
func (in *Instrumentation) target(name string) *socketio.Namespace {
	for _, n := range in.namespaces() {
		if n.Name() == name {
			return n
		}
	}
	return nil
}

// emit broadcasts an event to the UIs, on every server, unless closed.
func (in *Instrumentation) emit(event string, args ...any) {
	if in.closed.Load() {
		return
	}
	_ = in.nsp.Emit(event, args...)
}

// now is the time of an event as the reference sends a Date: its ISO
// string.
func now() string { return isoTime(time.Now()) }

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// hostname is os.Hostname, or "" if it fails.
func hostname() string {
	h, _ := os.Hostname()
	return h
}

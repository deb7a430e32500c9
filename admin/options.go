package admin

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults of the reference (@socket.io/admin-ui 0.5).
const (
	// DefaultNamespace is the admin namespace's name, which the UI's
	// form proposes.
	DefaultNamespace = "/admin"
	// DefaultStatsInterval is how often each server sends its stats.
	DefaultStatsInterval = 2 * time.Second
	// DefaultSessionTTL is how long the in-memory store keeps a session:
	// the reference's Redis store's sessionDuration (its in-memory store
	// keeps them for the life of the process).
	DefaultSessionTTL = 24 * time.Hour
)

// Mode says how much the instrumentation tells the UI.
type Mode int

const (
	// Development, the reference's default, sends every detail: the list
	// of sockets when an admin connects, and an event to the UI for each
	// socket that connects, changes (data, transport) or disconnects, each
	// room joined or left and each event received or sent. That is one
	// broadcast on the admin namespace per event of every client, and
	// through a cluster adapter one message per broadcast.
	Development Mode = iota
	// Production sends the periodic server stats (with the aggregated
	// connection and traffic counts) and nothing per socket or per event,
	// as the reference's "production" mode.
	Production
)

// String returns the reference's name of m: "development" or "production".
func (m Mode) String() string {
	if m == Production {
		return "production"
	}
	return "development"
}

// Options configures [Instrument]. One of Auth and NoAuth must be set, as
// the reference requires its auth option; every other zero value means the
// reference's default.
type Options struct {
	// Namespace is the name of the admin namespace, which the UI connects
	// to (its "Admin namespace" field). Zero means "/admin".
	Namespace string
	// Auth, if set, requires the UI to log in with a username and
	// password (the reference's auth: {type: "basic"}). A UI that has
	// logged in gets a session ID, which it sends instead when the page is
	// reloaded.
	Auth *BasicAuth
	// NoAuth lets anyone who can reach the server use the admin namespace:
	// see every socket's handshake (headers, cookies included) and data,
	// and disconnect them unless ReadOnly. It is the reference's
	// auth: false, for a server reachable only from a trusted network.
	NoAuth bool
	// ReadOnly refuses the UI's actions (emit, join, leave, disconnect):
	// the UI is told that none is supported, and the events that ask for
	// them are ignored.
	ReadOnly bool
	// ServerID names this server in the UI's list of servers. Zero means
	// the host name, as in the reference: give each server of one machine
	// an ID of its own.
	ServerID string
	// Namespaces lists the namespaces to instrument: only these are
	// listed, counted and acted on. Nil means every namespace, present and
	// future, the admin namespace included, as in the reference.
	Namespaces []string
	// Mode says how much the UI is told. Zero means Development, the
	// reference's default.
	Mode Mode
	// Sessions keeps the session IDs of the UIs that logged in. Nil means
	// [NewMemoryStore] with [DefaultSessionTTL]. Behind a load balancer,
	// give the servers a shared store, or a reloaded page may have to log
	// in again.
	Sessions SessionStore
	// StatsInterval is how often the server's stats are sent to the UI.
	// Zero means 2s, as in the reference.
	StatsInterval time.Duration
	// Logger receives what goes wrong (a session store or FetchSockets
	// error). Nil means [slog.Default].
	Logger *slog.Logger
}

// BasicAuth is the login the UI must give: its "Username" and "Password"
// fields.
type BasicAuth struct {
	// Username is compared in constant time.
	Username string
	// PasswordHash is a bcrypt hash of the password ($2a$, $2b$ or $2y$),
	// such as golang.org/x/crypto/bcrypt.GenerateFromPassword or
	// `htpasswd -nbBC 10 "" password` makes; the password itself need not
	// be kept anywhere.
	PasswordHash string
}

// A SessionStore keeps the session IDs given to the UIs that logged in,
// so that a reloaded page connects with its session ID instead of the
// password (the reference's store option). Implementations must be safe
// for concurrent use; they are called from the admin namespace's
// middleware.
type SessionStore interface {
	// Save stores a new session ID.
	Save(ctx context.Context, id string) error
	// Exists reports whether id was saved and has not expired.
	Exists(ctx context.Context, id string) (bool, error)
}

// NewMemoryStore returns a SessionStore that keeps session IDs in memory
// for ttl after they were saved (zero means [DefaultSessionTTL]). Sessions
// are saved only after a successful login, so it grows with logins, and
// expired ones are dropped as new ones are saved.
func NewMemoryStore(ttl time.Duration) SessionStore {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	return &memoryStore{ttl: ttl, expiry: make(map[string]time.Time)}
}

type memoryStore struct {
	ttl    time.Duration
	mu     sync.Mutex
	expiry map[string]time.Time
}

func (m *memoryStore) Save(_ context.Context, id string) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, t := range m.expiry {
		if now.After(t) {
			delete(m.expiry, k)
		}
	}
	m.expiry[id] = now.Add(m.ttl)
	return nil
}

func (m *memoryStore) Exists(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.expiry[id]
	return ok && time.Now().Before(t), nil
}

package socketio

import (
	"encoding/json"
	"regexp"
	"sync"

	"github.com/gosio/sio/namespace"
)

// A ParentNamespace creates namespaces on demand: when a client connects to
// a namespace that does not exist and the parent's matcher accepts the
// name, a child namespace is created with a copy of the parent's
// middleware and connection handlers as they are at that moment. Create
// one with [Server.OfFunc] or [Server.OfRegexp]. Its methods are safe for
// concurrent use.
type ParentNamespace struct {
	srv *Server
	// reg is the parent in the server's namespace registry, which keeps
	// its children.
	reg *namespace.Parent[*Namespace]
	// stats are the counters every child shares, under the parent's name.
	stats *nsStats

	mu         sync.RWMutex
	middleware []func(*Socket) error
	onConnect  []func(*Socket)
}

// OfFunc registers a dynamic namespace matcher: on a CONNECT to an unknown
// namespace, match decides from the name and the client's JSON auth
// payload whether to create it. Matchers are tried in the order they were
// registered; the first that accepts creates the namespace. An error from
// match refuses the connection like a rejection.
func (srv *Server) OfFunc(match func(name string, auth json.RawMessage) (bool, error)) *ParentNamespace {
	p := &ParentNamespace{srv: srv}
	p.reg = srv.nsps.AddMatcher(func(name string, auth []byte) (bool, error) {
		return match(name, json.RawMessage(auth))
	}, p.createChild)
	p.stats = srv.stats.group(p.reg.Name(), true)
	return p
}

// OfRegexp registers a dynamic namespace matcher that accepts the names
// re matches; see [Server.OfFunc].
//
// A later [Server.Of] with a name that re matches returns a child of this
// parent, as in the reference.
func (srv *Server) OfRegexp(re *regexp.Regexp) *ParentNamespace {
	p := &ParentNamespace{srv: srv}
	p.reg = srv.nsps.AddRegexp(re, p.createChild)
	p.stats = srv.stats.group(p.reg.Name(), true)
	return p
}

// Name returns the parent's internal name, "/_N" as in the reference.
func (p *ParentNamespace) Name() string { return p.reg.Name() }

// OnConnection registers fn for the sockets of the children created from
// now on.
func (p *ParentNamespace) OnConnection(fn func(s *Socket)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onConnect = append(p.onConnect[:len(p.onConnect):len(p.onConnect)], fn)
}

// Use adds a middleware to the children created from now on.
func (p *ParentNamespace) Use(fn func(s *Socket) error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.middleware = append(p.middleware[:len(p.middleware):len(p.middleware)], fn)
}

// Children returns the namespaces created by this parent.
func (p *ParentNamespace) Children() []*Namespace { return p.reg.Children() }

// Emit sends an event to every socket of every child namespace.
func (p *ParentNamespace) Emit(event string, args ...any) error {
	for _, n := range p.Children() {
		if err := n.Emit(event, args...); err != nil {
			return err
		}
	}
	return nil
}

// createChild makes a child namespace, with the parent's middleware and
// connection handlers as they are now; the registry registers it.
func (p *ParentNamespace) createChild(name string) *Namespace {
	n := newNamespace(p.srv, name, p.stats)
	p.mu.RLock()
	n.middleware = p.middleware
	n.onConnect = p.onConnect
	p.mu.RUnlock()
	return n
}

package socketio

import (
	"encoding/json"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
)

var parentIDs atomic.Uint64

// A ParentNamespace creates namespaces on demand: when a client connects to
// a namespace that does not exist and the parent's matcher accepts the
// name, a child namespace is created with a copy of the parent's
// middleware and connection handlers as they are at that moment. Create
// one with [Server.OfFunc] or [Server.OfRegexp]. Its methods are safe for
// concurrent use.
type ParentNamespace struct {
	srv  *Server
	name string

	mu         sync.RWMutex
	middleware []func(*Socket) error
	onConnect  []func(*Socket)
	children   map[string]*Namespace
}

// OfFunc registers a dynamic namespace matcher: on a CONNECT to an unknown
// namespace, match decides from the name and the client's JSON auth
// payload whether to create it. Matchers are tried in the order they were
// registered; the first that accepts creates the namespace. An error from
// match refuses the connection like a rejection.
func (srv *Server) OfFunc(match func(name string, auth json.RawMessage) (bool, error)) *ParentNamespace {
	p := &ParentNamespace{
		srv:      srv,
		name:     "/_" + strconv.FormatUint(parentIDs.Add(1)-1, 10),
		children: make(map[string]*Namespace),
	}
	srv.nsps.AddMatcher(func(name string, auth []byte) (bool, error) {
		if srv.dynamic.Load() >= int64(srv.maxDynamicNamespaces()) {
			return false, nil
		}
		return match(name, json.RawMessage(auth))
	}, p.createChild)
	return p
}

// OfRegexp registers a dynamic namespace matcher that accepts the names
// re matches; see [Server.OfFunc].
//
// A later [Server.Of] with a name that re matches returns a child of this
// parent, as in the reference.
func (srv *Server) OfRegexp(re *regexp.Regexp) *ParentNamespace {
	p := srv.OfFunc(func(name string, _ json.RawMessage) (bool, error) {
		return re.MatchString(name), nil
	})
	srv.hookMu.Lock()
	srv.regexpParents = append(srv.regexpParents, regexpParent{re, p})
	srv.hookMu.Unlock()
	return p
}

type regexpParent struct {
	re *regexp.Regexp
	p  *ParentNamespace
}

// Name returns the parent's internal name, "/_N" as in the reference.
func (p *ParentNamespace) Name() string { return p.name }

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
func (p *ParentNamespace) Children() []*Namespace {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*Namespace, 0, len(p.children))
	for _, n := range p.children {
		out = append(out, n)
	}
	return out
}

// Emit sends an event to every socket of every child namespace.
func (p *ParentNamespace) Emit(event string, args ...any) error {
	for _, n := range p.Children() {
		if err := n.Emit(event, args...); err != nil {
			return err
		}
	}
	return nil
}

func (p *ParentNamespace) createChild(name string) *Namespace {
	n := newNamespace(p.srv, name)
	n.parent = p
	p.mu.Lock()
	n.middleware = append([]func(*Socket) error(nil), p.middleware...)
	n.onConnect = append([](func(*Socket))(nil), p.onConnect...)
	p.children[name] = n
	p.mu.Unlock()
	p.srv.dynamic.Add(1)
	return n
}

// cleanup removes an empty child namespace.
func (p *ParentNamespace) cleanup(n *Namespace) {
	p.mu.Lock()
	if p.children[n.name] != n {
		p.mu.Unlock()
		return
	}
	delete(p.children, n.name)
	p.mu.Unlock()
	p.srv.dynamic.Add(-1)
	p.srv.nsps.Remove(n.name)
	_ = n.adapter.Close()
}

package socketio

import (
	"sync"
	"sync/atomic"
)

// A Namespace is a communication channel multiplexed over the clients'
// connections: a client joins it with a CONNECT packet, and then has one
// [Socket] in it. Handlers, middleware and sockets of one namespace are
// independent of every other namespace. Its methods are safe for
// concurrent use.
type Namespace struct {
	srv  *Server
	name string

	ackIDs atomic.Uint64

	mu          sync.RWMutex
	middleware  []func(*Socket) error
	onConnect   []func(*Socket)
	sockets     map[string]*Socket
}

func newNamespace(srv *Server, name string) *Namespace {
	return &Namespace{srv: srv, name: name, sockets: make(map[string]*Socket)}
}

// Name returns the namespace's name, such as "/" or "/chat".
func (n *Namespace) Name() string { return n.name }

// Server returns the server the namespace belongs to.
func (n *Namespace) Server() *Server { return n.srv }

// OnConnection registers fn to run for each socket that connects, after
// the middleware accepted it and the client was told so. Handlers run in
// the order they were registered, on the connection's handler goroutine
// (see [Socket]).
func (n *Namespace) OnConnection(fn func(s *Socket)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.onConnect = append(n.onConnect[:len(n.onConnect):len(n.onConnect)], fn)
}

// Use adds a middleware, run for each connecting socket in the order added,
// before the connection handlers. A middleware that returns an error
// refuses the connection: the client gets a CONNECT_ERROR with the error's
// message (and data, for a [*ConnectError]) and no socket is created.
func (n *Namespace) Use(fn func(s *Socket) error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.middleware = append(n.middleware[:len(n.middleware):len(n.middleware)], fn)
}

// Sockets returns the sockets connected to the namespace on this server.
func (n *Namespace) Sockets() []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for _, s := range n.sockets {
		out = append(out, s)
	}
	return out
}

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error {
	if reservedEvents[event] {
		return ErrReservedEvent
	}
	enc, err := encode(2, n.name, 0, false, event, args)
	if err != nil {
		return err
	}
	pkts := enc.packets()
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, s := range n.sockets {
		_ = s.client.sess.Send(pkts...)
	}
	return nil
}

func (n *Namespace) handlers() ([]func(*Socket) error, []func(*Socket)) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.middleware, n.onConnect
}

func (n *Namespace) add(s *Socket) {
	n.mu.Lock()
	n.sockets[s.id] = s
	n.mu.Unlock()
}

func (n *Namespace) remove(s *Socket) {
	n.mu.Lock()
	delete(n.sockets, s.id)
	n.mu.Unlock()
}

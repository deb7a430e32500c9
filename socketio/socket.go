package socketio

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/room"
)

// A Socket is one client's membership of one namespace.
//
// Concurrency: every method is safe to call from any goroutine. The
// handlers of one client connection (its event handlers in every
// namespace, connection handlers, middleware, disconnect handlers and ack
// callbacks) run one at a time, in the order the packets arrived, on a
// goroutine the server starts while there is work and ends when there is
// none. A handler that blocks delays that client's later events, and
// nothing else: other clients are not held up, and neither are acks from
// the same client, so a handler may wait in [Socket.EmitWithAck]. A client
// that keeps sending while its handlers are blocked is slowed down once 256
// events are waiting.
type Socket struct {
	// A server holds many idle sockets, so each should cost little: the
	// handshake is built from the connection's request on first use, the
	// done channel and the ack map are made when first needed, the
	// handlers are one short list rather than a map, and the rarely used
	// hooks live apart (socketHooks).
	id     string
	nsp    *Namespace
	client *client
	// handshake is built on the first call to Handshake, from the
	// connection's request, created and auth.
	handshake atomic.Pointer[Handshake]
	created   time.Time // when the socket was created: Handshake.Time
	auth      []byte    // the CONNECT packet's auth payload: Handshake.Auth
	// pid is the private session ID of connection-state recovery (empty
	// when it is off); recovered is set when the socket was restored.
	// Both are set before the socket is shared.
	pid       string
	recovered bool

	mu sync.Mutex
	// done is made by Done and closed by disconnect.
	done chan struct{}
	// handlers holds every handler, in the order registered; it is
	// replaced, never changed in place, so that a copy taken under mu can
	// be read without it.
	handlers     []handlerEntry
	onDisconnect []func(DisconnectReason)
	hooks        *socketHooks       // nil until a hook is registered
	acks         map[uint64]ackFunc // nil until an ack is awaited
	data         any
	warned       map[string]*warnState // nil until an error is logged; see warn

	// live reports whether the socket is connected and hasOut whether
	// anyOut is non-empty; they change under mu, and are read without it
	// (the broadcast path among others).
	live   atomic.Bool
	hasOut atomic.Bool
	// indexed is set once the socket is in the adapter's room index (its
	// own-ID room): from then on, with recovery, its emits go through the
	// adapter (see Emitter.Emit).
	indexed atomic.Bool

	// held, until the socket's connection handlers have returned, keeps
	// what is sent to the client behind the CONNECT answer; nil after.
	// It is read without mu and changed under it; see hold and release.
	held atomic.Pointer[heldPackets]
}

var (
	_ adapter.Member = (*Socket)(nil)
)

func newSocket(nsp *Namespace, c *client, auth []byte) *Socket {
	s := &Socket{
		id:      engine.NewID(),
		nsp:     nsp,
		client:  c,
		created: time.Now(), // like the reference: when the socket is created
		auth:    auth,
	}
	s.live.Store(true)
	s.held.Store(&heldPackets{})
	return s
}

// Recovered reports whether the socket is a recovered session: its
// client reconnected in time after its connection dropped, and the socket
// has its former ID, rooms and data (see
// [Options.ConnectionStateRecovery]). The missed events are sent to the
// client before its CONNECT answer.
func (s *Socket) Recovered() bool { return s.recovered }

// ID returns the socket's ID, distinct from the connection's Engine.IO ID.
// The socket is always in the room of that name.
func (s *Socket) ID() string { return s.id }

// Namespace returns the namespace the socket belongs to.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Transport returns the name of the connection's current transport:
// "polling" or "websocket".
func (s *Socket) Transport() string { return s.client.sess.Transport() }

// RemoteAddr returns the client's network address.
func (s *Socket) RemoteAddr() string { return s.client.sess.RemoteAddr() }

// ConnID returns the ID of the underlying Engine.IO connection, which all
// the client's sockets (one per namespace) share.
func (s *Socket) ConnID() string { return s.client.sess.ID() }

// Connected reports whether the socket is still connected.
func (s *Socket) Connected() bool {
	return s.live.Load()
}

// Context returns a context that is canceled when the socket disconnects,
// for what its handlers start on its behalf (a query, a request to another
// service). It costs nothing until used.
func (s *Socket) Context() context.Context { return socketContext{s} }

// socketContext is a socket's Context: done when the socket is.
type socketContext struct{ s *Socket }

func (c socketContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c socketContext) Done() <-chan struct{}       { return c.s.Done() }
func (c socketContext) Value(any) any               { return nil }
func (c socketContext) Err() error {
	select {
	case <-c.s.Done():
		return context.Canceled
	default:
		return nil
	}
}

// Done returns a channel that is closed when the socket disconnects.
func (s *Socket) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		if !s.live.Load() {
			return closedChan
		}
		s.done = make(chan struct{})
	}
	return s.done
}

// Data returns the value stored with [Socket.SetData].
func (s *Socket) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// SetData stores an application value with the socket. FetchSockets
// reports it, so with a cluster adapter it should encode to JSON.
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// Details implements [adapter.Member].
func (s *Socket) Details() adapter.SocketDetails {
	return adapter.SocketDetails{
		ID:        room.SocketID(s.id),
		Handshake: s.Handshake(),
		Rooms:     s.nsp.adapter.SocketRooms(room.SocketID(s.id)),
		Data:      s.Data(),
		Member:    s,
	}
}

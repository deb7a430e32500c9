package socketio

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/internal/parser"
)

// Handshake describes the request that opened a client's connection and
// the auth payload it sent with its CONNECT, as the reference's
// socket.handshake.
type Handshake struct {
	// Headers are the headers of the first HTTP request.
	Headers http.Header
	// Time is when the connection was opened.
	Time time.Time
	// Address is the client's network address.
	Address string
	// XDomain reports whether the request had an Origin header.
	XDomain bool
	// Secure reports whether the connection uses TLS.
	Secure bool
	// URL is the request URL (path and query).
	URL string
	// Query holds the request's query parameters.
	Query url.Values
	// Auth is the JSON auth payload of the CONNECT packet; {} when absent.
	Auth json.RawMessage
}

// Issued returns Time in milliseconds since the Unix epoch.
func (h *Handshake) Issued() int64 { return h.Time.UnixMilli() }

// A Socket is one client's membership of one namespace.
//
// Concurrency: every method is safe to call from any goroutine. The
// handlers of one client connection (its event handlers in every
// namespace, connection handlers, middleware and disconnect handlers) run
// one at a time, in the order the packets arrived, on a goroutine the
// server starts while there is work and ends when there is none. A handler
// that blocks delays that client's later events, and nothing else: other
// clients, acks from the same client (so a handler may wait in
// [Socket.EmitWithAck]) and emits to it are not held up. A client that
// keeps sending while its handlers are blocked is slowed down once 256
// events are waiting.
type Socket struct {
	id        string
	nsp       *Namespace
	client    *client
	handshake *Handshake
	done      chan struct{}

	mu           sync.Mutex
	connected    bool
	handlers     map[string][]*eventHandler
	onDisconnect []func(DisconnectReason)
	acks         map[uint64]chan Args
	data         any
}

func newSocket(nsp *Namespace, c *client, auth []byte) *Socket {
	r := c.sess.Request()
	return &Socket{
		id:     engine.NewID(),
		nsp:    nsp,
		client: c,
		handshake: &Handshake{
			Headers: r.Header,
			Time:    c.sess.Issued(),
			Address: c.sess.RemoteAddr(),
			XDomain: r.Header.Get("Origin") != "",
			Secure:  r.TLS != nil,
			URL:     r.URL.RequestURI(),
			Query:   r.URL.Query(),
			Auth:    json.RawMessage(auth),
		},
		done:      make(chan struct{}),
		connected: true,
		handlers:  make(map[string][]*eventHandler),
		acks:      make(map[uint64]chan Args),
	}
}

// ID returns the socket's ID, distinct from the connection's Engine.IO ID.
func (s *Socket) ID() string { return s.id }

// Namespace returns the namespace the socket belongs to.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns the details of the connection's handshake.
func (s *Socket) Handshake() *Handshake { return s.handshake }

// Transport returns the name of the connection's current transport:
// "polling" or "websocket".
func (s *Socket) Transport() string { return s.client.sess.Transport() }

// RemoteAddr returns the client's network address.
func (s *Socket) RemoteAddr() string { return s.client.sess.RemoteAddr() }

// Connected reports whether the socket is still connected.
func (s *Socket) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

// Done returns a channel that is closed when the socket disconnects.
func (s *Socket) Done() <-chan struct{} { return s.done }

// Data returns the value stored with [Socket.SetData].
func (s *Socket) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// SetData stores an application value with the socket.
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// On registers a handler for event. handler is a function whose
// parameters receive the event's arguments decoded into their types, for
// example:
//
//	s.On("chat message", func(text string, ack socketio.Ack) { ... })
//	s.On("move", func(p Point) { ... })
//	s.On("upload", func(name string, data []byte) { ... })
//	s.On("anything", func(args ...any) { ... })
//
// An [Ack] parameter, anywhere in the list, receives the callback that
// answers the client's ack request. []byte receives binary data; any
// receives the value as encoding/json decodes it into an interface; [Raw]
// and [Args] receive arguments undecoded; other types are decoded with
// encoding/json. A final variadic parameter receives the remaining
// arguments. Several handlers for one event all run, in order. On panics
// if handler is not a function or has an unsupported signature.
func (s *Socket) On(event string, handler any) {
	h := newHandler(handler)
	s.mu.Lock()
	defer s.mu.Unlock()
	hs := s.handlers[event]
	s.handlers[event] = append(hs[:len(hs):len(hs)], h)
}

// OnDisconnect registers fn to run when the socket disconnects, with the
// reason.
func (s *Socket) OnDisconnect(fn func(reason DisconnectReason)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDisconnect = append(s.onDisconnect, fn)
}

// Emit sends an event to the client. Arguments are encoded with
// encoding/json, except []byte (also inside []any and map[string]any),
// which travels as binary, and [Raw], written as received. Emit does not
// wait for the write.
func (s *Socket) Emit(event string, args ...any) error {
	if reservedEvents[event] {
		return ErrReservedEvent
	}
	enc, err := encode(parser.Event, s.nsp.name, 0, false, event, args)
	if err != nil {
		return err
	}
	if !s.Connected() {
		return ErrDisconnected
	}
	return s.client.send(enc.packets()...)
}

// Send emits a "message" event, like the reference's socket.send.
func (s *Socket) Send(args ...any) error { return s.Emit("message", args...) }

// EmitWithAck sends an event to the client with an ack request and waits
// for the client's ack, returning its arguments. It returns ctx.Err() if
// ctx ends first, and [ErrDisconnected] if the socket disconnects first.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	if reservedEvents[event] {
		return nil, ErrReservedEvent
	}
	id := s.nsp.ackIDs.Add(1) - 1
	enc, err := encode(parser.Event, s.nsp.name, id, true, event, args)
	if err != nil {
		return nil, err
	}
	ch := make(chan Args, 1)
	s.mu.Lock()
	if !s.connected {
		s.mu.Unlock()
		return nil, ErrDisconnected
	}
	s.acks[id] = ch
	s.mu.Unlock()
	if err := s.client.send(enc.packets()...); err != nil {
		s.dropAck(id)
		return nil, err
	}
	select {
	case a := <-ch:
		return a, nil
	case <-ctx.Done():
		s.dropAck(id)
		return nil, ctx.Err()
	case <-s.done:
		return nil, ErrDisconnected
	}
}

func (s *Socket) dropAck(id uint64) {
	s.mu.Lock()
	delete(s.acks, id)
	s.mu.Unlock()
}

// Disconnect disconnects the socket from its namespace: the client gets a
// DISCONNECT packet (and does not reconnect by itself) and the socket's
// disconnect handlers run with "server namespace disconnect". With close,
// every socket of the client is disconnected and the connection closed.
func (s *Socket) Disconnect(close bool) {
	if close {
		s.client.closeAll()
		return
	}
	s.disconnect(ReasonServerNamespaceDisconnect, true)
}

// disconnect marks the socket disconnected, optionally sending a
// DISCONNECT packet, and runs its disconnect handlers on the executor.
func (s *Socket) disconnect(reason DisconnectReason, notify bool) {
	s.mu.Lock()
	if !s.connected {
		s.mu.Unlock()
		return
	}
	s.connected = false
	s.acks = nil
	handlers := s.onDisconnect
	s.mu.Unlock()
	close(s.done)
	if notify {
		_ = s.client.send(encodeControl(parser.Disconnect, s.nsp.name, nil))
	}
	s.nsp.remove(s)
	s.client.removeSocket(s)
	if len(handlers) > 0 {
		s.client.exec.run(func() {
			for _, fn := range handlers {
				fn(reason)
			}
		})
	}
}

// onPacket handles a packet for this socket, on the executor.
func (s *Socket) onPacket(p *parser.Packet) {
	switch p.Type {
	case parser.Event, parser.BinaryEvent:
		s.onEvent(p)
	case parser.Ack, parser.BinaryAck:
		s.onAck(p)
	case parser.Disconnect:
		s.disconnect(ReasonClientNamespaceDisconnect, false)
	}
}

func (s *Socket) onEvent(p *parser.Packet) {
	elems, err := parser.SplitArray(p.Data)
	if err != nil || len(elems) == 0 {
		return // the decoder has validated the payload
	}
	event, err := parser.EventName(elems[0])
	if err != nil {
		return
	}
	s.mu.Lock()
	hs := s.handlers[event]
	connected := s.connected
	s.mu.Unlock()
	if !connected || len(hs) == 0 {
		return
	}
	args := newArgs(elems[1:], p.Attachments)
	ack := s.ackFunc(p)
	for _, h := range hs {
		if err := h.call(event, args, ack); err != nil {
			s.nsp.srv.log.Warn("socketio: event handler", "event", event, "socket", s.id, "err", err)
		}
	}
}

// ackFunc returns the Ack that answers p.
func (s *Socket) ackFunc(p *parser.Packet) Ack {
	if !p.HasID {
		return func(...any) error { return ErrNoAck }
	}
	var sent atomic.Bool
	id := p.ID
	return func(args ...any) error {
		if !sent.CompareAndSwap(false, true) {
			return ErrAckAlreadySent
		}
		enc, err := encode(parser.Ack, s.nsp.name, id, true, "", args)
		if err != nil {
			return err
		}
		return s.client.send(enc.packets()...)
	}
}

// onAck delivers the client's ack to the waiting EmitWithAck. An ack with
// an unknown ID is ignored, as in the reference.
func (s *Socket) onAck(p *parser.Packet) {
	s.mu.Lock()
	ch := s.acks[p.ID]
	delete(s.acks, p.ID)
	s.mu.Unlock()
	if ch == nil {
		return
	}
	elems, err := parser.SplitArray(p.Data)
	if err != nil {
		return
	}
	ch <- newArgs(elems, p.Attachments)
}

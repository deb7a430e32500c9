package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/internal/parser"
	"github.com/gosio/sio/room"
)

// Handshake describes the request that opened a client's connection and
// the auth payload it sent with its CONNECT, as the reference's
// socket.handshake.
type Handshake struct {
	// Headers are the headers of the first HTTP request.
	Headers http.Header `json:"headers"`
	// Time is when the connection was opened.
	Time time.Time `json:"-"`
	// Address is the client's IP address (without port).
	Address string `json:"address"`
	// XDomain reports whether the request had an Origin header.
	XDomain bool `json:"xdomain"`
	// Secure reports whether the connection uses TLS.
	Secure bool `json:"secure"`
	// URL is the request URL (path and query).
	URL string `json:"url"`
	// Query holds the request's query parameters.
	Query url.Values `json:"query"`
	// Auth is the JSON auth payload of the CONNECT packet; {} when absent.
	Auth json.RawMessage `json:"auth"`
}

// Issued returns Time in milliseconds since the Unix epoch.
func (h *Handshake) Issued() int64 { return h.Time.UnixMilli() }

// AnyListener receives every event of a socket with its name and
// arguments; see [Socket.OnAny] and [Socket.OnAnyOutgoing].
type AnyListener func(event string, args Args)

// PacketMiddleware vets an incoming event before its handlers run; an
// error drops the event and is passed to the socket's error handlers. See
// [Socket.Use].
type PacketMiddleware func(event string, args Args) error

// ackFunc receives a client's ack: the JSON array of its arguments.
type ackFunc func(data []byte, atts [][]byte)

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

	// held, until the socket's connection handlers have returned, keeps
	// what is sent to the client behind the CONNECT answer; nil after.
	// It is read without mu and changed under it; see hold and release.
	held atomic.Pointer[heldPackets]
}

// heldPackets are the packets for a socket's client queued while its
// CONNECT is answered only once its connection handlers have run, so that
// a client that sees "connect" is in every room they joined, and gets what
// they emitted after the CONNECT, in order. connect is the answer, set once
// the middleware accepted the socket; until then nothing is released.
type heldPackets struct {
	connect *engine.Packet
	pkts    []*engine.Packet
	bytes   int
}

// socketHooks are the seldom used callbacks of a socket, allocated when
// the first is registered.
type socketHooks struct {
	onDisconnecting []func(DisconnectReason)
	onError         []func(error)
	middleware      []PacketMiddleware
	anyIn           []*AnyListener
	anyOut          []*AnyListener
}

// handlerEntry is one handler registered with [Socket.On]: fn is a
// func(Args, Ack), func(Args) or func(), called as is, or an
// *eventHandler.
type handlerEntry struct {
	event string
	fn    any
}

// call runs the handler.
func (e handlerEntry) call(event string, args Args, ack Ack) error {
	switch f := e.fn.(type) {
	case func(Args, Ack):
		f(args, ack)
	case func(Args):
		f(args)
	case func():
		f()
	case *eventHandler:
		return f.call(event, args, ack)
	}
	return nil
}

// closedChan is the Done channel of a socket that disconnected before
// anyone asked for it.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

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

// hold keeps pkts back if the socket's CONNECT answer is held, and reports
// whether it did. Past the connection's queue bound (MaxQueueBytes) the
// answer and what is held go out at once, where the bound applies.
func (s *Socket) hold(pkts []*engine.Packet) bool {
	s.mu.Lock()
	h := s.held.Load()
	if h == nil {
		s.mu.Unlock()
		return false
	}
	h.pkts = append(h.pkts, pkts...)
	for _, p := range pkts {
		h.bytes += len(p.Payload())
	}
	over := h.bytes > s.client.srv.maxQueueBytes()
	s.mu.Unlock()
	if over {
		s.release()
	}
	return true
}

// release sends the CONNECT answer and what was held behind it, and stops
// holding; nothing sent meanwhile can pass them. Before the middleware
// has accepted the socket it does nothing.
func (s *Socket) release() {
	if s.held.Load() == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.held.Load()
	if h == nil || h.connect == nil {
		return
	}
	pkts := append([]*engine.Packet{h.connect}, h.pkts...)
	// Under mu: a sender that finds held set waits for it, and one that
	// finds it nil comes after these. The engine calls back into nothing
	// of the socket's from here.
	_ = s.client.sendNow(pkts...)
	s.held.Store(nil)
}

// accepted makes connect the answer that release sends first.
func (s *Socket) accepted(connect *engine.Packet) {
	s.mu.Lock()
	if h := s.held.Load(); h != nil {
		h.connect = connect
	}
	s.mu.Unlock()
}

// refused drops what was held for a socket its namespace did not accept,
// and ends it for whoever kept it (a middleware may have asked for Done or
// Context).
func (s *Socket) refused() {
	s.mu.Lock()
	s.live.Store(false)
	s.held.Store(nil)
	done := s.done
	s.mu.Unlock()
	if done != nil {
		close(done)
	}
}

// buildHandshake describes the connection's request, as Handshake returns
// it.
func (s *Socket) buildHandshake() *Handshake {
	sess := s.client.sess
	return &Handshake{
		Headers: sess.Header(),
		Time:    s.created,
		Address: remoteIP(sess.RemoteAddr()),
		XDomain: sess.Header().Get("Origin") != "",
		Secure:  sess.Secure(),
		URL:     sess.URL().RequestURI(),
		Query:   sess.URL().Query(),
		Auth:    json.RawMessage(s.auth),
	}
}

// hooksLocked returns the socket's hooks, allocating them if needed. The
// caller holds s.mu.
func (s *Socket) hooksLocked() *socketHooks {
	if s.hooks == nil {
		s.hooks = new(socketHooks)
	}
	return s.hooks
}

// ID returns the socket's ID, distinct from the connection's Engine.IO ID.
// The socket is always in the room of that name.
func (s *Socket) ID() string { return s.id }

// Namespace returns the namespace the socket belongs to.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns the details of the connection's handshake; every call
// returns the same value.
func (s *Socket) Handshake() *Handshake {
	if h := s.handshake.Load(); h != nil {
		return h
	}
	h := s.buildHandshake()
	if !s.handshake.CompareAndSwap(nil, h) {
		h = s.handshake.Load() // built meanwhile by another caller
	}
	return h
}

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
// arguments. A handler may return an error, which goes to the socket's
// error handlers ([Socket.OnError]), or is logged (Options.Logger) if it
// has none. An argument that does not decode into its parameter's type is
// reported the same way, as a [*DecodeError], and the handler is not
// called: the client gets nothing, and one that asked for an ack waits
// until its own timeout. A handler that must see every call, whatever the
// types, takes [Args] or ...any and checks them itself. Several handlers
// for one event all run, in order. On panics if handler is not a function
// or has an unsupported signature.
func (s *Socket) On(event string, handler any) {
	e := handlerEntry{event: event}
	switch f := handler.(type) {
	case func(Args, Ack), func(Args), func():
		e.fn = f
	default:
		e.fn = newHandler(handler)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	hs := s.handlers
	s.handlers = append(hs[:len(hs):len(hs)], e)
}

// Off removes every handler of event.
func (s *Socket) Off(event string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keep []handlerEntry
	for _, e := range s.handlers {
		if e.event != event {
			keep = append(keep, e)
		}
	}
	s.handlers = keep
}

// OnDisconnecting registers fn to run when the socket is disconnecting,
// while it is still in its rooms.
func (s *Socket) OnDisconnecting(fn func(reason DisconnectReason)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooksLocked()
	h.onDisconnecting = append(h.onDisconnecting, fn)
}

// OnDisconnect registers fn to run when the socket has disconnected and
// left its rooms.
func (s *Socket) OnDisconnect(fn func(reason DisconnectReason)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDisconnect = append(s.onDisconnect, fn)
}

// OnError registers fn to receive the errors of the socket's handlers and
// packet middleware.
func (s *Socket) OnError(fn func(err error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooksLocked()
	h.onError = append(h.onError, fn)
}

// Use adds a packet middleware, run for each incoming event, in the order
// added, after the any-listeners and before the handlers. An error drops the event
// and goes to the socket's error handlers.
func (s *Socket) Use(fn PacketMiddleware) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooksLocked()
	h.middleware = append(h.middleware[:len(h.middleware):len(h.middleware)], fn)
}

// OnAny registers fn to receive every incoming event, before the packet
// middleware and the handlers.
// It returns a function that removes fn.
func (s *Socket) OnAny(fn AnyListener) (off func()) { return s.addAny(false, fn, false) }

// PrependAny is [Socket.OnAny] with fn placed before the listeners already
// registered.
func (s *Socket) PrependAny(fn AnyListener) (off func()) { return s.addAny(false, fn, true) }

// OffAny removes every listener registered with OnAny and PrependAny.
func (s *Socket) OffAny() {
	s.mu.Lock()
	if s.hooks != nil {
		s.hooks.anyIn = nil
	}
	s.mu.Unlock()
}

// OnAnyOutgoing registers fn to receive every event sent to the client,
// broadcasts included. It returns a function that removes fn.
func (s *Socket) OnAnyOutgoing(fn AnyListener) (off func()) {
	return s.addAny(true, fn, false)
}

// PrependAnyOutgoing is [Socket.OnAnyOutgoing] with fn placed first.
func (s *Socket) PrependAnyOutgoing(fn AnyListener) (off func()) {
	return s.addAny(true, fn, true)
}

// OffAnyOutgoing removes every outgoing listener.
func (s *Socket) OffAnyOutgoing() {
	s.mu.Lock()
	if s.hooks != nil {
		s.hooks.anyOut = nil
	}
	s.hasOut.Store(false)
	s.mu.Unlock()
}

// addAny registers an incoming, or with out an outgoing, any-listener.
func (s *Socket) addAny(out bool, fn AnyListener, prepend bool) func() {
	p := &fn
	s.mu.Lock()
	h := s.hooksLocked()
	list := &h.anyIn
	if out {
		list = &h.anyOut
	}
	old := *list
	if prepend {
		*list = append([]*AnyListener{p}, old...)
	} else {
		*list = append(old[:len(old):len(old)], p)
	}
	s.hasOut.Store(len(h.anyOut) > 0)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		cur := *list
		for i, q := range cur {
			if q == p {
				*list = append(cur[:i:i], cur[i+1:]...)
				break
			}
		}
		s.hasOut.Store(len(h.anyOut) > 0)
	}
}

// Join adds the socket to rooms. It returns [ErrDisconnected] for a
// disconnected socket, and [ErrTooManyRooms] (joining none of rooms) if the
// socket would be in more than Options.MaxRoomsPerSocket rooms.
func (s *Socket) Join(rooms ...string) error {
	if !s.Connected() {
		return ErrDisconnected
	}
	id := room.SocketID(s.id)
	if limit := orDefault(s.nsp.srv.opts.MaxRoomsPerSocket, DefaultMaxRoomsPerSocket); len(s.nsp.adapter.SocketRooms(id))+len(rooms) > limit {
		current := s.nsp.adapter.SocketRooms(id)
		in := make(map[room.Room]bool, len(current))
		for _, r := range current {
			in[r] = true
		}
		n := len(current)
		for _, r := range rooms {
			if !in[room.Room(r)] {
				in[room.Room(r)] = true
				n++
			}
		}
		if n > limit {
			return ErrTooManyRooms
		}
	}
	s.nsp.adapter.AddAll(id, s, toRooms(rooms)...)
	if !s.live.Load() {
		// Disconnected meanwhile: its rooms may already have been left.
		s.nsp.adapter.DelAll(id)
		return ErrDisconnected
	}
	return nil
}

// Leave removes the socket from rooms. It returns [ErrDisconnected] for a
// disconnected socket, which is in no room.
func (s *Socket) Leave(rooms ...string) error {
	if !s.Connected() {
		return ErrDisconnected
	}
	for _, r := range rooms {
		s.nsp.adapter.Del(room.SocketID(s.id), room.Room(r))
	}
	return nil
}

// Rooms returns the rooms the socket is in, its own-ID room included.
func (s *Socket) Rooms() []string {
	return fromRooms(s.nsp.adapter.SocketRooms(room.SocketID(s.id)))
}

// InRoom reports whether the socket is in room r.
func (s *Socket) InRoom(r string) bool {
	for _, x := range s.nsp.adapter.SocketRooms(room.SocketID(s.id)) {
		if string(x) == r {
			return true
		}
	}
	return false
}

// To returns an operator that broadcasts to the sockets in rooms, except
// this one.
func (s *Socket) To(rooms ...string) *BroadcastOperator {
	return s.Broadcast().To(rooms...)
}

// In is an alias of [Socket.To], as in the reference (socket.in(room));
// [Socket.InRoom] tests membership.
func (s *Socket) In(rooms ...string) *BroadcastOperator { return s.To(rooms...) }

// Except returns an operator that broadcasts to every socket of the
// namespace except this one and those in rooms.
func (s *Socket) Except(rooms ...string) *BroadcastOperator {
	return s.Broadcast().Except(rooms...)
}

// Broadcast returns an operator that broadcasts to every socket of the
// namespace except this one.
func (s *Socket) Broadcast() *BroadcastOperator {
	return newOperator(s.nsp).Except(s.id)
}

// Emit sends an event to the client. Arguments are encoded with
// encoding/json, except []byte (also inside []any and map[string]any),
// which travels as binary, and [Raw], written as received. Emit does not
// wait for the write.
//
// As in the reference, a function as the last argument asks the client
// for an ack: it is called with the ack's arguments decoded into its
// parameters, as an event handler's (see [Socket.On]), on the
// connection's handler goroutine. If its first parameter is an error, it
// is also called with [ErrAckTimeout] when a timeout set with
// [Socket.Timeout] passes first:
//
//	s.Timeout(5*time.Second).Emit("question", "ready?", func(err error, answer string) { ... })
func (s *Socket) Emit(event string, args ...any) error { return s.emitter().Emit(event, args...) }

// Send emits a "message" event, like the reference's socket.send.
func (s *Socket) Send(args ...any) error { return s.Emit("message", args...) }

// Write is an alias of [Socket.Send].
func (s *Socket) Write(args ...any) error { return s.Send(args...) }

// EmitWithAck sends an event with an ack request and waits for the
// client's ack, returning its arguments. It returns ctx.Err() if ctx ends
// first, and [ErrDisconnected] if the socket disconnects first.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	return s.emitter().EmitWithAck(ctx, event, args...)
}

// Timeout returns an emitter whose EmitWithAck fails with an
// [*AckTimeoutError] after d, like the reference's socket.timeout(d).
func (s *Socket) Timeout(d time.Duration) Emitter { return s.emitter().Timeout(d) }

// Volatile returns an emitter whose events are dropped when the client
// cannot take them at once.
func (s *Socket) Volatile() Emitter { return s.emitter().Volatile() }

// Compress returns an emitter with compression set to on (it only matters
// with permessage-deflate).
func (s *Socket) Compress(on bool) Emitter { return s.emitter().Compress(on) }

func (s *Socket) emitter() Emitter { return Emitter{s: s} }

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
// DISCONNECT packet; its disconnecting handlers, the leaving of its rooms
// and its disconnect handlers then run in order on the executor.
func (s *Socket) disconnect(reason DisconnectReason, notify bool) {
	s.mu.Lock()
	if !s.live.Load() {
		s.mu.Unlock()
		return
	}
	s.live.Store(false)
	s.acks = nil
	done := s.done
	s.mu.Unlock()
	if done != nil {
		close(done)
	}
	if notify {
		s.release() // the CONNECT first
		_ = s.client.send(encodeControl(parser.Disconnect, s.nsp.name, nil))
	}
	s.client.removeSocket(s)
	s.client.exec.run(func() {
		s.mu.Lock()
		var disconnecting []func(DisconnectReason)
		if s.hooks != nil {
			disconnecting = s.hooks.onDisconnecting
		}
		s.mu.Unlock()
		for _, fn := range disconnecting {
			fn(reason)
		}
		s.nsp.adapter.DelAll(room.SocketID(s.id))
		s.nsp.remove(s)
		s.mu.Lock()
		disconnected := s.onDisconnect
		s.mu.Unlock()
		for _, fn := range disconnected {
			fn(reason)
		}
	})
}

// send queues an encoded packet, telling the outgoing listeners.
func (s *Socket) send(enc *encoded, volatile bool) error {
	if !s.live.Load() {
		return ErrDisconnected
	}
	if s.hasOut.Load() && enc.event != "" {
		s.mu.Lock()
		out := s.hooks.anyOut // hasOut: hooks is set
		s.mu.Unlock()
		args := enc.args()
		for _, fn := range out {
			(*fn)(enc.event, args)
		}
	}
	if s.held.Load() != nil && s.hold(enc.pkts) {
		return nil
	}
	if volatile {
		s.client.sess.SendVolatile(enc.pkts...)
		return nil
	}
	return s.client.send(enc.pkts...)
}

// Deliver implements [adapter.Member].
func (s *Socket) Deliver(p *adapter.Packet, flags adapter.Flags) {
	_ = s.send(broadcastEncoded(p, flags), flags.Volatile)
}

// broadcastEncoded returns a broadcast's encoded packets, marked
// uncompressed if the broadcast asked for it.
func broadcastEncoded(p *adapter.Packet, flags adapter.Flags) *encoded {
	enc := p.Encoded.(*encoded)
	if !flags.Compress {
		enc.uncompressed()
	}
	return enc
}

// DeliverWithAck implements [adapter.Member].
func (s *Socket) DeliverWithAck(p *adapter.Packet, flags adapter.Flags, id uint64, onAck func(adapter.AckArgs)) bool {
	s.mu.Lock()
	if !s.live.Load() {
		s.mu.Unlock()
		return false
	}
	if s.acks == nil {
		s.acks = make(map[uint64]ackFunc)
	}
	s.acks[id] = func(data []byte, atts [][]byte) { onAck(adapter.AckArgs{Data: data, Attachments: atts}) }
	s.mu.Unlock()
	// Someone waits for this client's answer, maybe its own connection
	// handler: the CONNECT must be out.
	s.release()
	if err := s.send(broadcastEncoded(p, flags), flags.Volatile); err != nil {
		s.CancelAck(id)
		return false
	}
	return true
}

// CancelAck implements [adapter.Member].
func (s *Socket) CancelAck(id uint64) {
	s.mu.Lock()
	delete(s.acks, id)
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
	connected := s.live.Load()
	hs := s.handlers
	var mws []PacketMiddleware
	var anyIn []*AnyListener
	if s.hooks != nil {
		mws, anyIn = s.hooks.middleware, s.hooks.anyIn
	}
	s.mu.Unlock()
	if !connected {
		return
	}
	args := newArgs(elems[1:], p.Attachments)
	// As in the reference, any-listeners see the event before the packet
	// middleware.
	for _, fn := range anyIn {
		(*fn)(event, args)
	}
	for _, mw := range mws {
		if err := mw(event, args); err != nil {
			s.reportError(err)
			return
		}
	}
	var ack Ack
	for _, h := range hs {
		if h.event != event {
			continue
		}
		if ack == nil {
			ack = s.ackFor(p)
		}
		if err := h.call(event, args, ack); err != nil {
			s.reportError(err)
		}
	}
}

func (s *Socket) reportError(err error) {
	s.mu.Lock()
	var fns []func(error)
	if s.hooks != nil {
		fns = s.hooks.onError
	}
	s.mu.Unlock()
	if len(fns) == 0 {
		s.warn(err)
	}
	for _, fn := range fns {
		fn(err)
	}
}

// warnEvery is the least time between two log lines about one socket's
// unhandled errors for one event.
const warnEvery = 10 * time.Second

// maxWarnKeys bounds the events a socket keeps warning state for; past
// it, the others share one.
const maxWarnKeys = 32

// warnState is when a socket last logged an unhandled error for an event,
// and how many it left out since.
type warnState struct {
	at      time.Time
	dropped int
}

// warn logs an unhandled error, at most once per event every warnEvery.
func (s *Socket) warn(err error) {
	key := ""
	var de *DecodeError
	if errors.As(err, &de) {
		key = de.Event
	}
	now := time.Now()
	s.mu.Lock()
	if s.warned == nil {
		s.warned = make(map[string]*warnState)
	}
	w := s.warned[key]
	if w == nil {
		if len(s.warned) >= maxWarnKeys {
			key = "\x00others"
			w = s.warned[key]
		}
		if w == nil {
			w = &warnState{}
			s.warned[key] = w
		}
	}
	if !w.at.IsZero() && now.Sub(w.at) < warnEvery {
		w.dropped++
		s.mu.Unlock()
		return
	}
	dropped := w.dropped
	w.at, w.dropped = now, 0
	s.mu.Unlock()
	args := []any{"socket", s.id, "nsp", s.nsp.name, "err", err}
	if dropped > 0 {
		args = append(args, "alike_since_last", dropped)
	}
	s.nsp.srv.logger().Warn("socketio: unhandled socket error (register Socket.OnError to handle it)", args...)
}

// ackFor returns the Ack that answers p.
func (s *Socket) ackFor(p *parser.Packet) Ack {
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
		if !s.Connected() {
			return ErrDisconnected
		}
		return s.client.sendNow(enc.pkts...)
	}
}

// onAck delivers a client's ack to whoever waits for it. An ack with an
// unknown ID is ignored, as in the reference.
func (s *Socket) onAck(p *parser.Packet) {
	s.mu.Lock()
	fn := s.acks[p.ID]
	delete(s.acks, p.ID)
	s.mu.Unlock()
	if fn != nil {
		fn(p.Data, p.Attachments)
	}
}

// addAck registers fn for ack id; it reports false if the socket is
// disconnected.
func (s *Socket) addAck(id uint64, fn ackFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.live.Load() {
		return false
	}
	if s.acks == nil {
		s.acks = make(map[uint64]ackFunc)
	}
	s.acks[id] = fn
	return true
}

// remoteIP returns the host part of a network address.
func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func toRooms(rs []string) []room.Room {
	out := make([]room.Room, len(rs))
	for i, r := range rs {
		out[i] = room.Room(r)
	}
	return out
}

func fromRooms(rs []room.Room) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

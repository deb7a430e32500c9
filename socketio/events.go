package socketio

import (
	"github.com/gosio/sio/internal/parser"
)

// AnyListener receives every event of a socket with its name and
// arguments; see [Socket.OnAny] and [Socket.OnAnyOutgoing].
type AnyListener func(event string, args Args)

// PacketMiddleware vets an incoming event before its handlers run; an
// error drops the event and is passed to the socket's error handlers. See
// [Socket.Use].
type PacketMiddleware func(event string, args Args) error

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

// hooksLocked returns the socket's hooks, allocating them if needed. The
// caller holds s.mu.
func (s *Socket) hooksLocked() *socketHooks {
	if s.hooks == nil {
		s.hooks = new(socketHooks)
	}
	return s.hooks
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
	s.nsp.stats.slots[s.client.shard].in.Add(1)
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

var reservedEvents = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true,
	"disconnecting": true, "newListener": true, "removeListener": true,
}

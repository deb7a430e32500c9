package socketio

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/parser"
	"github.com/gosio/sio/room"
)

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

// send queues an encoded packet, telling the outgoing listeners; without
// compress it is written uncompressed.
func (s *Socket) send(enc *encoded, compress, volatile bool) error {
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
	pkts := enc.Frames(compress)
	sent := &s.nsp.stats.slots[s.client.shard].out
	if s.held.Load() != nil && s.hold(pkts) {
		sent.Add(1)
		return nil
	}
	if volatile {
		if s.client.sess.SendVolatile(pkts...) {
			sent.Add(1)
		}
		return nil
	}
	err := s.client.send(pkts...)
	if err == nil {
		sent.Add(1)
	}
	return err
}

// Deliver implements [adapter.Member].
func (s *Socket) Deliver(p *adapter.Packet, flags adapter.Flags) {
	_ = s.send(s.delivered(p, 0, false), flags.Compress, flags.Volatile)
}

// delivered returns the encoding of a broadcast, built once for every
// recipient. A packet without one (its adapter did not call
// [adapter.Namespace.Prepare]) is encoded for this socket alone, with ack
// ID id if hasID.
func (s *Socket) delivered(p *adapter.Packet, id uint64, hasID bool) *encoded {
	if enc, ok := p.Encoded.(*encoded); ok {
		return enc
	}
	return encodeRaw(s.nsp.srv.codec, s.nsp.name, id, hasID, p.Data, p.Attachments)
}

// An Emitter sends events to one socket with modifiers (timeout, volatile,
// compression). It is a value: each modifier returns a new Emitter and
// never changes the one it is called on, so emitters can be shared
// between goroutines.
type Emitter struct {
	s        *Socket
	timeout  time.Duration
	volatile bool
	noComp   bool
}

// Timeout returns a copy whose EmitWithAck fails with an
// [*AckTimeoutError] after d.
func (e Emitter) Timeout(d time.Duration) Emitter { e.timeout = d; return e }

// Volatile returns a copy whose events are dropped when the client cannot
// take them at once.
func (e Emitter) Volatile() Emitter { e.volatile = true; return e }

// Compress returns a copy with compression on or off.
func (e Emitter) Compress(on bool) Emitter { e.noComp = !on; return e }

// Emit sends an event; see [Socket.Emit].
func (e Emitter) Emit(event string, args ...any) error {
	if reservedEvents[event] {
		return ErrReservedEvent
	}
	if n := len(args); n > 0 && reflect.TypeOf(args[n-1]) != nil && reflect.TypeOf(args[n-1]).Kind() == reflect.Func {
		return e.emitWithCallback(event, args[:n-1], args[n-1])
	}
	if e.s.nsp.logsOffsets && !e.volatile && e.s.indexed.Load() {
		// As the reference with recovery on: through the adapter, to the
		// socket's own room, so that the event is logged with an offset
		// and replayed if the client misses it.
		if !e.s.live.Load() {
			return ErrDisconnected
		}
		return e.s.nsp.broadcastLogged(event, args, adapter.BroadcastOptions{
			Rooms: []room.Room{room.Room(e.s.id)},
			Flags: adapter.Flags{Compress: !e.noComp},
		}, false)
	}
	_, enc, err := e.encode(event, args, false)
	if err != nil {
		return err
	}
	return e.s.send(enc, !e.noComp, e.volatile)
}

// encode encodes an event for the socket; with ack, it asks for an ack
// under a new ack ID of the namespace, which it returns.
func (e Emitter) encode(event string, args []any, ack bool) (id uint64, enc *encoded, err error) {
	if ack {
		id = e.s.nsp.ackIDs.Add(1) - 1
	}
	if enc, err = encode(e.s.nsp.srv.codec, parser.Event, e.s.nsp.name, id, ack, event, args); err != nil {
		return 0, nil, err
	}
	return id, enc, nil
}

// ackArgs turns an ack's JSON array into its arguments.
func ackArgs(data []byte, atts [][]byte) Args {
	elems, _ := parser.SplitArray(data)
	return newArgs(elems, atts)
}

// emitWithCallback sends an event with an ack request; cb runs with the
// client's ack arguments decoded into its parameters, like an event
// handler (see [Socket.On]), on the connection's handler goroutine. If
// cb's first parameter is an error, it receives nil, or [ErrAckTimeout]
// (an [*AckTimeoutError]) when the timeout set with Timeout passes first,
// or [ErrDisconnected]; without an error parameter cb is then not called.
func (e Emitter) emitWithCallback(event string, args []any, cb any) error {
	h := newHandler(cb)
	withErr := h.fn.IsValid() && len(h.in) > 0 && h.in[0] == errorType
	s := e.s
	id, enc, err := e.encode(event, args, true)
	if err != nil {
		return err
	}
	var once sync.Once
	// timer is set after it is started, and read by finish, which its
	// own callback or the client's ack may run first.
	var timer atomic.Pointer[time.Timer]
	finish := func(ackArgs Args, failure error) {
		once.Do(func() {
			if t := timer.Load(); t != nil {
				t.Stop()
			}
			if _, ok := failure.(*AckTimeoutError); ok {
				s.nsp.stats.ackTimeouts.Add(1)
			}
			if failure != nil && !withErr {
				return
			}
			s.client.exec.run(func() {
				if withErr {
					h.callWithError(event, failure, ackArgs)
					return
				}
				if err := h.call(event, ackArgs, nil); err != nil {
					s.reportError(err)
				}
			})
		})
	}
	if !s.addAck(id, func(data []byte, atts [][]byte) { finish(ackArgs(data, atts), nil) }) {
		return ErrDisconnected
	}
	if e.timeout > 0 {
		timer.Store(time.AfterFunc(e.timeout, func() {
			s.CancelAck(id)
			finish(nil, &AckTimeoutError{})
		}))
	}
	if err := s.send(enc, !e.noComp, e.volatile); err != nil {
		s.CancelAck(id)
		if t := timer.Load(); t != nil {
			t.Stop()
		}
		return err
	}
	return nil
}

// EmitWithAck sends an event with an ack request and waits for the ack;
// see [Socket.EmitWithAck].
func (e Emitter) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	if reservedEvents[event] {
		return nil, ErrReservedEvent
	}
	s := e.s
	id, enc, err := e.encode(event, args, true)
	if err != nil {
		return nil, err
	}
	ch := make(chan Args, 1)
	if !s.addAck(id, func(data []byte, atts [][]byte) { ch <- ackArgs(data, atts) }) {
		return nil, ErrDisconnected
	}
	// The client answers only once it has its CONNECT, which a
	// connection handler calling this would otherwise hold back.
	s.release()
	if err := s.send(enc, !e.noComp, e.volatile); err != nil {
		s.CancelAck(id)
		return nil, err
	}
	var timeout <-chan time.Time
	if e.timeout > 0 {
		t := time.NewTimer(e.timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case a := <-ch:
		return a, nil
	case <-timeout:
		s.CancelAck(id)
		s.nsp.stats.ackTimeouts.Add(1)
		return nil, &AckTimeoutError{}
	case <-ctx.Done():
		s.CancelAck(id)
		return nil, ctx.Err()
	case <-s.Done():
		return nil, ErrDisconnected
	case <-s.client.goneChan():
		s.CancelAck(id)
		return nil, ErrDisconnected
	}
}

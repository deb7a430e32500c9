package socketio

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/gosio/sio/internal/parser"
)

// ErrAckTimeout is matched (with errors.Is) by the error of an
// EmitWithAck whose timeout passed: an [*AckTimeoutError].
var ErrAckTimeout = errors.New("socketio: operation has timed out")

// AckTimeoutError is returned by EmitWithAck when the timeout set with
// Timeout passed before every expected ack arrived. For a broadcast,
// Responses holds the acks that did arrive.
type AckTimeoutError struct {
	Responses []Raw
}

// Error implements error with the reference's message.
func (e *AckTimeoutError) Error() string { return "operation has timed out" }

// Is makes errors.Is(err, ErrAckTimeout) true.
func (e *AckTimeoutError) Is(target error) bool { return target == ErrAckTimeout }

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
	enc, err := encode(parser.Event, e.s.nsp.name, 0, false, event, args)
	if err != nil {
		return err
	}
	if e.noComp {
		enc.uncompressed()
	}
	return e.s.send(enc, e.volatile)
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
	id := s.nsp.ackIDs.Add(1) - 1
	enc, err := encode(parser.Event, s.nsp.name, id, true, event, args)
	if err != nil {
		return err
	}
	if e.noComp {
		enc.uncompressed()
	}
	var once sync.Once
	var timer *time.Timer
	finish := func(ackArgs Args, failure error) {
		once.Do(func() {
			if timer != nil {
				timer.Stop()
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
	if !s.addAck(id, func(data []byte, atts [][]byte) {
		elems, _ := parser.SplitArray(data)
		finish(newArgs(elems, atts), nil)
	}) {
		return ErrDisconnected
	}
	if e.timeout > 0 {
		timer = time.AfterFunc(e.timeout, func() {
			s.CancelAck(id)
			finish(nil, &AckTimeoutError{})
		})
	}
	if err := s.send(enc, e.volatile); err != nil {
		s.CancelAck(id)
		if timer != nil {
			timer.Stop()
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
	id := s.nsp.ackIDs.Add(1) - 1
	enc, err := encode(parser.Event, s.nsp.name, id, true, event, args)
	if err != nil {
		return nil, err
	}
	if e.noComp {
		enc.uncompressed()
	}
	ch := make(chan Args, 1)
	if !s.addAck(id, func(data []byte, atts [][]byte) {
		elems, _ := parser.SplitArray(data)
		ch <- newArgs(elems, atts)
	}) {
		return nil, ErrDisconnected
	}
	// The client answers only once it has its CONNECT, which a
	// connection handler calling this would otherwise hold back.
	s.release()
	if err := s.send(enc, e.volatile); err != nil {
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

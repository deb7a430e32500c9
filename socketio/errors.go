package socketio

import (
	"errors"
	"fmt"
)

// Sentinel errors of the socketio package.
var (
	// ErrReservedEvent is returned when emitting an event whose name the
	// protocol reserves: connect, connect_error, disconnect, disconnecting,
	// newListener, removeListener.
	ErrReservedEvent = errors.New("socketio: reserved event name")
	// ErrDisconnected is returned when emitting on, or waiting for an ack
	// from, a socket that is disconnected.
	ErrDisconnected = errors.New("socketio: socket disconnected")
	// ErrAckAlreadySent is returned by an [Ack] called a second time.
	ErrAckAlreadySent = errors.New("socketio: ack already sent")
	// ErrNoAck is returned by the [Ack] given to a handler of an event that
	// the client sent without asking for an acknowledgement.
	ErrNoAck = errors.New("socketio: the client did not ask for an ack")
	// ErrTooManyRooms is returned by [Socket.Join] when the socket would be
	// in more rooms than Options.MaxRoomsPerSocket.
	ErrTooManyRooms = errors.New("socketio: too many rooms for one socket")
)

// ConnectError refuses a connection to a namespace from a middleware (see
// [Namespace.Use]). The client receives a CONNECT_ERROR packet
// {"message": Message, "data": Data}; the JS client's connect_error event
// gets an Error with err.message and err.data. Any other error returned by
// a middleware is sent with its Error() as the message and no data.
type ConnectError struct {
	Message string
	Data    any
}

// Error implements error.
func (e *ConnectError) Error() string { return e.Message }

// DecodeError reports an event argument that could not be decoded into the
// type a handler asked for.
type DecodeError struct {
	Event string
	Index int // the argument's position, from 0
	Err   error
}

// Error implements error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("socketio: event %q: argument %d: %v", e.Event, e.Index, e.Err)
}

// Unwrap returns the decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }

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

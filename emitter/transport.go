package emitter

import (
	"context"

	"github.com/gosio/sio/internal/clustermsg"
	"github.com/gosio/sio/internal/parser"
)

// transport carries the emitter's operations to the servers in one
// adapter's protocol. Each backend (Redis pub/sub in redis.go, Postgres
// LISTEN/NOTIFY in postgres.go) encodes the same two messages its own
// way; the Emitter and Operator API above it stays the
// same.
type transport interface {
	// broadcast publishes an event for the servers to send to their
	// matching sockets.
	broadcast(ctx context.Context, b *broadcast) error
	// request publishes a request the servers apply without answering.
	request(ctx context.Context, r *request) error
}

// broadcast is an emit to the sockets of a namespace.
type broadcast struct {
	nsp string
	// data is the packet's data, [event, args...], as a clustermsg tree
	// whose binary values are []byte.
	data   []any
	rooms  []string
	except []string
	flags  flags
}

// requestType is the type of a request in the reference's protocol
// (RequestType in socket.io-redis-adapter).
type requestType int

const (
	reqJoin           requestType = 2 // REMOTE_JOIN
	reqLeave          requestType = 3 // REMOTE_LEAVE
	reqDisconnect     requestType = 4 // REMOTE_DISCONNECT
	reqServerSideEmit requestType = 6 // SERVER_SIDE_EMIT
)

// request is an operation the servers apply to their sockets, or a
// server-side event.
type request struct {
	typ requestType
	nsp string
	// targetRooms and targetExcept select the sockets of a join, leave or
	// disconnect.
	targetRooms  []string
	targetExcept []string
	// rooms are the rooms to join or leave.
	rooms []string
	// close is a disconnect's close argument.
	close bool
	// data is a server-side event's [event, args...].
	data []any
}

// uid is the sender ID the reference's emitter puts in its messages; no
// server has it, so none takes a message for its own.
const uid = "emitter"

// eventTree returns [event, args...] as a clustermsg tree, the arguments
// encoded as the socketio package encodes them (parser.AppendValue), with
// their []byte values kept as binary.
func eventTree(event string, args []any) ([]any, error) {
	data := parser.AppendString([]byte{'['}, event)
	var atts [][]byte
	for _, a := range args {
		data = append(data, ',')
		var err error
		if data, atts, err = parser.AppendValue(data, a, atts); err != nil {
			return nil, wrapEncoding(err)
		}
	}
	data = append(data, ']')
	if atts == nil {
		atts = [][]byte{}
	}
	t, err := clustermsg.ParseJSON(data, atts)
	if err != nil {
		return nil, wrapEncoding(err)
	}
	return t.([]any), nil
}

func wrapEncoding(err error) error {
	return &encodingError{err}
}

// encodingError is an argument's encoding error, which Is ErrEncoding.
type encodingError struct{ err error }

func (e *encodingError) Error() string   { return ErrEncoding.Error() + ": " + e.err.Error() }
func (e *encodingError) Unwrap() []error { return []error{ErrEncoding, e.err} }

// stringsTree returns rooms as a list, never nil.
func stringsTree(rooms []string) []any {
	out := make([]any, len(rooms))
	for i, r := range rooms {
		out[i] = r
	}
	return out
}

package emitter

import "errors"

// Errors returned by the emitter's operations, to test with [errors.Is].
// Errors from Redis or Postgres are returned wrapped, with the operation
// named.
var (
	// ErrReservedEvent is returned by Emit and ServerSideEmit for an
	// event name that Socket.IO reserves for itself ("connect",
	// "connect_error", "disconnect", "disconnecting", "newListener",
	// "removeListener"); nothing is published.
	ErrReservedEvent = errors.New("emitter: reserved event name")
	// ErrNoRooms is returned by SocketsJoin and SocketsLeave when called
	// without a room; nothing is published.
	ErrNoRooms = errors.New("emitter: no room given")
	// ErrEncoding is wrapped by the error of an operation whose arguments
	// cannot be encoded (a channel or function argument, a NaN, a cycle);
	// nothing is published.
	ErrEncoding = errors.New("emitter: argument not encodable")
	// ErrBadTableName is wrapped by the error of a Postgres emitter's
	// operation that needs the attachments table when
	// PostgresOptions.TableName is not a plain identifier (optionally
	// schema-qualified); nothing is sent.
	ErrBadTableName = errors.New("emitter: bad attachments table name")
)

// reservedEvents are the names an emitter refuses, as the reference does.
var reservedEvents = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true,
	"disconnecting": true, "newListener": true, "removeListener": true,
}

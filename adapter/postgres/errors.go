package postgres

import "errors"

// Errors returned by the adapter. After Close, operations return
// [adapter.ErrClosed].
var (
	// ErrTimeout is wrapped by the error of a request to the other
	// servers (FetchSockets, ServerSideEmitWithAck) that not every server
	// answered in time; the error's text says how many did not, such as
	// "postgres adapter: timeout reached: fetchSockets: 1 of 2 servers
	// did not answer within 5s".
	ErrTimeout = errors.New("postgres adapter: timeout reached")
	// ErrQueueFull is returned when Options.MaxPendingBytes of messages
	// already wait to be sent to Postgres; the new message is dropped.
	ErrQueueFull = errors.New("postgres adapter: too many messages waiting for Postgres")
	// ErrBadTableName is returned by CreateTable for a table name that is
	// not one or two plain SQL identifiers (letters, digits, _ and $,
	// optionally schema-qualified).
	ErrBadTableName = errors.New("postgres adapter: bad table name")
)

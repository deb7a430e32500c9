package redisstreams

import "errors"

// Errors returned by the adapter. After Close, operations return
// [adapter.ErrClosed].
var (
	// ErrTimeout is wrapped by the error of a request to the other
	// servers (FetchSockets, ServerSideEmitWithAck) that not every server
	// answered in time; the error's text says how many did, such as
	// "redis streams adapter: timeout reached: fetchSockets: 1 of 2
	// servers answered within 5s".
	ErrTimeout = errors.New("redis streams adapter: timeout reached")
	// ErrQueueFull is returned when Options.MaxPendingBytes of messages
	// already wait to be written to Redis; the new message is dropped.
	ErrQueueFull = errors.New("redis streams adapter: too many messages waiting for Redis")
)

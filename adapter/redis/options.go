package redis

import (
	"log/slog"
	"time"
)

// Options configure the adapter. The zero value (or a nil *Options) gives
// the reference's defaults.
type Options struct {
	// Key is the prefix of every channel name: the key option of the
	// reference's createAdapter and the channelPrefix option of its
	// createShardedAdapter. Every server of a cluster must use the same.
	// Zero value means "socket.io".
	Key string
	// RequestsTimeout bounds the wait for the other servers' answers to
	// FetchSockets and ServerSideEmitWithAck (a FetchSockets with a
	// Timeout flag uses that instead), and how long the answers to a
	// broadcast with acks are taken when the broadcast has no timeout.
	// Zero value means 5 s, as the reference's requestsTimeout.
	RequestsTimeout time.Duration
	// PublishOnSpecificResponseChannel makes this server answer requests
	// on the requester's own response channel
	// (socket.io-response#<nsp>#<uid>#) instead of the shared one, as the
	// reference's option of the same name. It applies to [NewAdapter]
	// only; every server reads both channels either way. Zero value means
	// the shared channel, the reference's default.
	PublishOnSpecificResponseChannel bool
	// SubscriptionMode chooses the channels of [NewShardedAdapter]. Every
	// server of a cluster must use the same. Zero value means
	// [DynamicSubscriptions], the reference's default.
	SubscriptionMode SubscriptionMode
	// MaxPendingBytes bounds the size of the messages of one namespace
	// waiting to be published, such as while Redis is away or during a
	// burst; beyond it an operation fails with [ErrQueueFull] (a broadcast
	// is still delivered locally). Zero value means 64 MiB.
	MaxPendingBytes int
	// Logger receives the adapter's diagnostics: Redis connection loss and
	// recovery, publish errors, malformed messages. Nil discards them.
	Logger *slog.Logger
}

// SubscriptionMode is the subscriptionMode option of the reference's
// sharded adapter: which shard channels a namespace uses.
type SubscriptionMode int

const (
	// DynamicSubscriptions ("dynamic") adds a channel for each public
	// room (a room that is not a socket's own ID) while the room has
	// local members; a broadcast to exactly one such room goes to the
	// room's channel only, so only the servers with members receive it.
	DynamicSubscriptions SubscriptionMode = iota
	// StaticSubscriptions ("static") uses two channels per namespace:
	// one for every message and one for the answers to this server.
	StaticSubscriptions
	// DynamicPrivateSubscriptions ("dynamic-private") is
	// DynamicSubscriptions with a channel for each socket's own room too.
	DynamicPrivateSubscriptions
)

// String returns the mode's name in the reference.
func (m SubscriptionMode) String() string {
	switch m {
	case DynamicSubscriptions:
		return "dynamic"
	case StaticSubscriptions:
		return "static"
	case DynamicPrivateSubscriptions:
		return "dynamic-private"
	}
	return "unknown"
}

const (
	defaultKey             = "socket.io"
	defaultRequestsTimeout = 5 * time.Second
	defaultMaxPendingBytes = 64 << 20
)

// withDefaults returns a copy of o with zero values replaced.
func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.Key == "" {
		out.Key = defaultKey
	}
	if out.RequestsTimeout <= 0 {
		out.RequestsTimeout = defaultRequestsTimeout
	}
	if out.MaxPendingBytes <= 0 {
		out.MaxPendingBytes = defaultMaxPendingBytes
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	return out
}

package redisstreams

import (
	"log/slog"
	"time"
)

// Options configure the adapter. The zero value (or a nil *Options) gives
// the reference's defaults. Every server of a cluster must use the same
// StreamName, StreamCount and ChannelPrefix.
type Options struct {
	// StreamName is the name of the Redis stream, or the prefix of the
	// streams' names when StreamCount is more than 1: the reference's
	// streamName. Zero value means "socket.io".
	StreamName string
	// StreamCount is the number of streams the namespaces are spread
	// over (each namespace's messages stay on one stream, in order): the
	// reference's streamCount. Zero value means 1.
	StreamCount int
	// ChannelPrefix is the prefix of the pub/sub channels that carry the
	// requests that need no history (broadcasts with acks, FetchSockets,
	// ServerSideEmit) and the answers: the reference's channelPrefix.
	// Zero value means "socket.io".
	ChannelPrefix string
	// MaxLen bounds the stream's length: entries are added with XADD
	// MAXLEN ~ MaxLen, as the reference's maxLen. Zero value means 10000.
	MaxLen int64
	// ReadCount is the number of entries one XREAD asks for: the
	// reference's readCount. Zero value means 100.
	ReadCount int64
	// BlockTime is how long one XREAD BLOCK waits for new entries: the
	// reference's blockTimeInMs. Zero value means 5 s.
	BlockTime time.Duration
	// RequestsTimeout bounds the wait for the other servers' answers to
	// FetchSockets (a FetchSockets with a Timeout flag uses that instead)
	// and ServerSideEmitWithAck, and how long the answers to a broadcast
	// with acks are taken when the broadcast has no timeout. Zero value
	// means 5 s, the reference's fixed timeout.
	RequestsTimeout time.Duration
	// MaxPendingBytes bounds the size of the messages of one namespace
	// waiting to be written to Redis, such as while Redis is away; beyond
	// it an operation fails with [ErrQueueFull] (a broadcast is still
	// delivered locally). Zero value means 64 MiB.
	MaxPendingBytes int
	// SessionKeyPrefix starts the Redis key of a session kept for
	// connection state recovery (<prefix><pid>): the reference's
	// sessionKeyPrefix. Zero value means "sio:session:".
	SessionKeyPrefix string
	// Logger receives the adapter's diagnostics: Redis connection loss and
	// recovery, write errors, malformed entries, peers of another adapter
	// kind. Nil discards them.
	Logger *slog.Logger
}

const (
	defaultStreamName      = "socket.io"
	defaultChannelPrefix   = "socket.io"
	defaultMaxLen          = 10_000
	defaultReadCount       = 100
	defaultBlockTime       = 5 * time.Second
	defaultRequestsTimeout = 5 * time.Second
	defaultMaxPendingBytes = 64 << 20
	defaultSessionPrefix   = "sio:session:"
)

// withDefaults returns a copy of o with zero values replaced.
func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.StreamName == "" {
		out.StreamName = defaultStreamName
	}
	if out.StreamCount <= 0 {
		out.StreamCount = 1
	}
	if out.ChannelPrefix == "" {
		out.ChannelPrefix = defaultChannelPrefix
	}
	if out.MaxLen <= 0 {
		out.MaxLen = defaultMaxLen
	}
	if out.ReadCount <= 0 {
		out.ReadCount = defaultReadCount
	}
	if out.BlockTime <= 0 {
		out.BlockTime = defaultBlockTime
	}
	if out.RequestsTimeout <= 0 {
		out.RequestsTimeout = defaultRequestsTimeout
	}
	if out.MaxPendingBytes <= 0 {
		out.MaxPendingBytes = defaultMaxPendingBytes
	}
	if out.SessionKeyPrefix == "" {
		out.SessionKeyPrefix = defaultSessionPrefix
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	return out
}

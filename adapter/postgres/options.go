package postgres

import (
	"log/slog"
	"time"
)

// Options configure the adapter. The zero value (or a nil *Options) gives
// the reference's defaults. Every server of a cluster must use the same
// ChannelPrefix and TableName.
type Options struct {
	// ChannelPrefix starts the name of each namespace's notification
	// channel, <ChannelPrefix>#<namespace>: the reference's channelPrefix.
	// Zero value means "socket.io".
	ChannelPrefix string
	// TableName is the table that holds the messages too large for a
	// notification or holding binary data: the reference's tableName,
	// written into the SQL as it is (it may be schema-qualified). It must
	// exist, with the reference's columns ([CreateTable] makes it). Zero
	// value means "socket_io_attachments".
	TableName string
	// PayloadThreshold is the size in bytes from which a message's JSON
	// goes to the table instead of the notification: the reference's
	// payloadThreshold. Postgres refuses a NOTIFY payload of 8000 bytes or
	// more. Zero value means 8000.
	PayloadThreshold int
	// CleanupInterval is the time between two deletions of the table's
	// rows older than CleanupInterval: the reference's cleanupInterval.
	// Zero value means 30 s.
	CleanupInterval time.Duration
	// HeartbeatInterval is the time without a message from this server
	// after which it sends a heartbeat: the reference's
	// heartbeatInterval. Zero value means 5 s.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is the time without a message from a server after
	// which it is taken for gone: the reference's heartbeatTimeout. Zero
	// value means 10 s.
	HeartbeatTimeout time.Duration
	// RequestsTimeout bounds the wait for the other servers' answers to
	// FetchSockets (a FetchSockets with a Timeout flag uses that instead)
	// and ServerSideEmitWithAck, and how long the answers to a broadcast
	// with acks are taken when the broadcast has no timeout. Zero value
	// means 5 s, the reference's fixed timeout.
	RequestsTimeout time.Duration
	// MaxPendingBytes bounds the size of the messages of one namespace
	// waiting to be sent to Postgres, such as while Postgres is away;
	// beyond it an operation fails with [ErrQueueFull] (a broadcast is
	// still delivered locally). Zero value means 64 MiB.
	MaxPendingBytes int
	// ReconnectDelay is the mean delay before the listening connection is
	// made again after it was lost (each wait is between half of it and
	// one and a half times it, as the reference's). Zero value means 2 s.
	ReconnectDelay time.Duration
	// Logger receives the adapter's diagnostics: loss and recovery of the
	// listening connection, failed writes, malformed messages. Nil
	// discards them.
	Logger *slog.Logger
}

const (
	defaultChannelPrefix     = "socket.io"
	defaultTableName         = "socket_io_attachments"
	defaultPayloadThreshold  = 8000
	defaultCleanupInterval   = 30 * time.Second
	defaultHeartbeatInterval = 5 * time.Second
	defaultHeartbeatTimeout  = 10 * time.Second
	defaultRequestsTimeout   = 5 * time.Second
	defaultMaxPendingBytes   = 64 << 20
	defaultReconnectDelay    = 2 * time.Second
)

// withDefaults returns a copy of o with zero values replaced.
func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.ChannelPrefix == "" {
		out.ChannelPrefix = defaultChannelPrefix
	}
	if out.TableName == "" {
		out.TableName = defaultTableName
	}
	if out.PayloadThreshold <= 0 {
		out.PayloadThreshold = defaultPayloadThreshold
	}
	if out.CleanupInterval <= 0 {
		out.CleanupInterval = defaultCleanupInterval
	}
	if out.HeartbeatInterval <= 0 {
		out.HeartbeatInterval = defaultHeartbeatInterval
	}
	if out.HeartbeatTimeout <= 0 {
		out.HeartbeatTimeout = defaultHeartbeatTimeout
	}
	if out.RequestsTimeout <= 0 {
		out.RequestsTimeout = defaultRequestsTimeout
	}
	if out.MaxPendingBytes <= 0 {
		out.MaxPendingBytes = defaultMaxPendingBytes
	}
	if out.ReconnectDelay <= 0 {
		out.ReconnectDelay = defaultReconnectDelay
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	return out
}

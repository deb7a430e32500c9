package engine

import (
	"log/slog"
	"net/http"
	"time"
)

// Transport names as they appear in the "transport" query parameter.
const (
	TransportPolling   = "polling"
	TransportWebSocket = "websocket"
)

// Defaults of the reference server, used where a [Config] field is zero.
const (
	DefaultPingInterval      = 25 * time.Second
	DefaultPingTimeout       = 20 * time.Second
	DefaultUpgradeTimeout    = 10 * time.Second
	DefaultMaxHTTPBufferSize = 1_000_000
	// DefaultMaxQueueBytes bounds what may wait in one session's send
	// queue.
	DefaultMaxQueueBytes = 1 << 20
	// DefaultWriteTimeout bounds one write that waits for the peer.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultCompressionThreshold is the smallest long-polling response that
	// is compressed.
	DefaultCompressionThreshold = 1024
)

// Config configures a [Server]. The zero value of each field means the
// reference server's default.
type Config struct {
	// OnConnection is called for every new session, before any of its
	// messages is read, and returns the handler of the session's messages.
	// It runs on the goroutine of the handshake request.
	OnConnection func(s *Session) Handler

	// PingInterval is how often the server pings. Zero means 25s.
	PingInterval time.Duration
	// PingTimeout is how long the server waits for a pong before closing the
	// session with "ping timeout". Zero means 20s.
	PingTimeout time.Duration
	// UpgradeTimeout is how long an upgrade from long-polling to websocket
	// may take. Zero means 10s.
	UpgradeTimeout time.Duration
	// MaxHTTPBufferSize is the largest message a client may send in one
	// websocket message or one polling POST, in bytes; it is advertised to
	// the client as maxPayload. Zero means 1e6.
	MaxHTTPBufferSize int64
	// MaxQueueBytes bounds the bytes waiting in one session's send queue,
	// beyond what the kernel's socket buffers hold. A session whose client
	// does not read fast enough to stay under it is closed with "transport
	// error" ([ErrQueueFull]). Zero means 1 MiB. Independently, a websocket
	// client that takes none of the bytes sent to it for half of
	// WriteTimeout while more keep coming is closed with [ErrStalled] (on
	// Linux).
	MaxQueueBytes int
	// WriteTimeout bounds one write that waits for the peer; a peer that
	// does not read for that long is closed with "transport error". It
	// applies only while a write waits: an idle connection never times out
	// on it. Zero means 10s.
	WriteTimeout time.Duration

	// Transports lists the allowed transports, of "polling" and "websocket".
	// Nil means both.
	Transports []string
	// DisallowUpgrades stops long-polling sessions from upgrading to
	// websocket (the reference's allowUpgrades: false).
	DisallowUpgrades bool
	// AllowEIO3 accepts Engine.IO v3 clients (EIO=3 in the query: the
	// Socket.IO v2 clients), as the reference's allowEIO3: their payload
	// framing, their binary frames and their heartbeat, in which the
	// client pings and the server answers, closing a session that has not
	// pinged for PingInterval+PingTimeout. The protocol is per session: v4
	// sessions on the same server are unchanged. False, the zero value,
	// refuses them (code 5, "Unsupported protocol version"), as the
	// reference does by default. Unlike the reference, a request without
	// EIO, or with a value other than 3 or 4, is refused either way.
	AllowEIO3 bool
	// AllowRequest, if set, decides whether a handshake request may open a
	// session. A non-nil error refuses it with HTTP 403 and the error's text
	// as the message (code 4, "Forbidden", when the text is empty).
	AllowRequest func(r *http.Request) error
	// InitialHeaders, if set, may add headers to the response of a handshake
	// request (the reference's "initial_headers" event).
	InitialHeaders func(h http.Header, r *http.Request)
	// Headers, if set, may add headers to every response, the websocket
	// upgrade included (the reference's "headers" event).
	Headers func(h http.Header, r *http.Request)
	// OnConnectionError, if set, is called for every refused request.
	OnConnectionError func(r *http.Request, err *RequestError)
	// CORS, if set, answers preflight requests and adds CORS headers to every
	// response. Nil means no CORS headers, as in the reference.
	CORS *CORS
	// Cookie, if set, sets a cookie holding the session ID on the response to
	// a long-polling handshake, for sticky load balancing. Nil means none.
	Cookie *Cookie
	// PerMessageDeflate enables websocket compression. Off by default: it
	// costs memory and CPU per connection.
	PerMessageDeflate bool
	// DisableHTTPCompression turns off gzip/deflate of long-polling responses.
	DisableHTTPCompression bool
	// CompressionThreshold is the smallest long-polling response that is
	// compressed. Zero means 1024 bytes.
	CompressionThreshold int
	// InitialPacket, if set, is sent as a message right after the open packet.
	InitialPacket []byte
	// Logger receives what the engine reports (log.go says what, at which
	// level). Nil means slog.Default() as it is when something is logged.
	Logger *slog.Logger
}

// Cookie configures the session cookie. Zero values mean the reference
// defaults: name "io", path "/", HttpOnly, SameSite=Lax.
type Cookie struct {
	Name     string
	Path     string
	Domain   string
	MaxAge   int
	Secure   bool
	NoHTTP   bool // leave out HttpOnly
	SameSite http.SameSite
}

func (c *Config) pingInterval() time.Duration {
	return orDefault(c.PingInterval, DefaultPingInterval)
}

func (c *Config) pingTimeout() time.Duration {
	return orDefault(c.PingTimeout, DefaultPingTimeout)
}

func (c *Config) upgradeTimeout() time.Duration {
	return orDefault(c.UpgradeTimeout, DefaultUpgradeTimeout)
}

func (c *Config) maxBuffer() int64 {
	return orDefault(c.MaxHTTPBufferSize, DefaultMaxHTTPBufferSize)
}

func (c *Config) maxQueue() int { return orDefault(c.MaxQueueBytes, DefaultMaxQueueBytes) }

func (c *Config) writeTimeout() time.Duration {
	return orDefault(c.WriteTimeout, DefaultWriteTimeout)
}

func (c *Config) compressionThreshold() int {
	return orDefault(c.CompressionThreshold, DefaultCompressionThreshold)
}

func (c *Config) allows(transport string) bool {
	if transport != TransportPolling && transport != TransportWebSocket {
		return false
	}
	if c.Transports == nil {
		return true
	}
	for _, t := range c.Transports {
		if t == transport {
			return true
		}
	}
	return false
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

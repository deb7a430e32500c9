package socketio

import (
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/engine"
	sioparser "github.com/gosio/sio/parser"
)

// CORS configures Cross-Origin Resource Sharing; see [Options.CORS].
type CORS = engine.CORS

// Cookie configures the session cookie; see [Options.Cookie].
type Cookie = engine.Cookie

// Defaults of the reference server, and of the limits this server adds.
const (
	DefaultPath                 = "/socket.io/"
	DefaultConnectTimeout       = 45 * time.Second
	DefaultMaxRoomsPerSocket    = 10_000
	DefaultMaxDynamicNamespaces = 10_000
)

// Options configures a [Server]. A nil *Options, or the zero value of any
// field, means the default of the Node.js reference server.
type Options struct {
	// Path is where the server answers. Zero means "/socket.io/".
	Path string
	// ConnectTimeout is how long a connection may stay without joining any
	// namespace before it is closed. Zero means 45s.
	ConnectTimeout time.Duration
	// PingInterval is how often the server pings each client. Zero means 25s.
	PingInterval time.Duration
	// PingTimeout is how long the server waits for a pong before closing
	// the connection with "ping timeout". Zero means 20s.
	PingTimeout time.Duration
	// UpgradeTimeout bounds the upgrade from long-polling to websocket. Zero
	// means 10s.
	UpgradeTimeout time.Duration
	// MaxHTTPBufferSize is the largest message a client may send (one
	// websocket message, one polling POST), in bytes. A websocket client
	// that sends more is disconnected (close code 1009, "transport error");
	// a larger POST is refused with 413. Zero means 1e6.
	MaxHTTPBufferSize int64
	// MaxQueueBytes bounds the bytes waiting to be written to one client,
	// beyond what the kernel's socket buffers hold. A client that falls
	// further behind is disconnected with "transport error" as soon as it
	// crosses the bound. Zero means 1 MiB. Independently, a websocket
	// client that takes none of the bytes sent to it for half of
	// WriteTimeout (5 seconds by default) while more keep coming is
	// disconnected with "transport error" (on Linux).
	MaxQueueBytes int
	// WriteTimeout is how long the server waits for a client that does not
	// take what it is sent: a write that cannot finish within it
	// disconnects the client with "transport error". It never closes a
	// connection that is merely idle. Zero means 10s.
	WriteTimeout time.Duration
	// Transports lists the allowed transports, of "polling" and
	// "websocket". Nil means both.
	Transports []string
	// DisallowUpgrades keeps long-polling clients from upgrading to
	// websocket (the reference's allowUpgrades: false).
	DisallowUpgrades bool
	// AllowEIO3 lets in Socket.IO v2 clients (socket.io-client 2.x, which
	// speak Engine.IO v3), as the reference's allowEIO3: each such client
	// is connected to "/" at its handshake without sending CONNECT, its
	// sockets' IDs are the connection's (prefixed with "<namespace>#" outside
	// "/"), the query of its CONNECT to another namespace is that socket's
	// auth, and a connect error reaches it as a plain string (the
	// ConnectError's Data if set, else its message). Everything else, v4
	// clients included, is unchanged. False, the zero value, refuses them,
	// as the reference does by default.
	AllowEIO3 bool
	// AllowRequest, if set, vets each handshake request; an error refuses
	// it with HTTP 403 and the error's text.
	AllowRequest func(r *http.Request) error
	// InitialHeaders, if set, may add headers to the handshake response.
	InitialHeaders func(h http.Header, r *http.Request)
	// OnConnectionError, if set, is called for every HTTP request the
	// server refuses before a connection exists (the reference's
	// io.engine.on("connection_error")), on the request's goroutine.
	OnConnectionError func(r *http.Request, err *ConnectionError)
	// Headers, if set, may add headers to every response.
	Headers func(h http.Header, r *http.Request)
	// CORS, if set, enables CORS for browsers on other origins. Nil means
	// no CORS headers (browsers then allow same-origin pages only).
	CORS *CORS
	// Cookie, if set, sends a cookie with the session ID for sticky load
	// balancing. Nil means none.
	Cookie *Cookie
	// PerMessageDeflate enables websocket compression. Off by default.
	PerMessageDeflate bool
	// DisableHTTPCompression turns off gzip/deflate of polling responses.
	DisableHTTPCompression bool
	// MaxRoomsPerSocket bounds the rooms one socket may be in, its own-ID
	// room included: [Socket.Join] past it returns [ErrTooManyRooms]. Zero
	// means 10,000.
	MaxRoomsPerSocket int
	// MaxDynamicNamespaces bounds the namespaces that dynamic matchers
	// ([Server.OfFunc], [Server.OfRegexp]) may create on this server: past
	// it, a CONNECT to a new name is refused with "Invalid namespace".
	// Removed children (see CleanupEmptyChildNamespaces) free their place.
	// Zero means 10,000.
	MaxDynamicNamespaces int
	// Adapter creates the adapter of each namespace. Nil means
	// [adapter.NewInMemory], for a server on its own.
	Adapter adapter.Factory
	// CleanupEmptyChildNamespaces removes a namespace created by a dynamic
	// matcher (see [Server.OfFunc]) when its last socket leaves, and closes
	// its adapter.
	CleanupEmptyChildNamespaces bool
	// ServeClient, if set, is a file system holding the official client's
	// dist folder (socket.io.js, socket.io.min.js, their .map files, ...),
	// such as os.DirFS("node_modules/socket.io-client/dist"); those files
	// are then served under Path with caching headers (ETag, 304), brotli
	// or gzip.
	// Nil means no client files are served.
	ServeClient fs.FS
	// ConnectionStateRecovery, if set, turns on connection-state recovery,
	// as the reference's connectionStateRecovery option: a client whose
	// connection dropped gets its socket back (same ID, rooms and data)
	// with the broadcasts it missed. Nil means off, as in the reference.
	ConnectionStateRecovery *ConnectionStateRecovery
	// Parser encodes packets into Engine.IO messages and decodes them, as
	// the reference's parser option; every client must use the same one.
	// Nil means [sioparser.JSON], the format of socket.io-parser (the
	// client's default). github.com/gosio/sio/parser/msgpack speaks
	// socket.io-msgpack-parser's. Handlers, adapters and recovery work
	// the same with any parser: a broadcast is still encoded once for all
	// its recipients.
	Parser sioparser.Parser
	// Logger receives the server's diagnostics, the engine's included; the
	// package documentation ("Logging") lists what is logged at which
	// level. Nil means [slog.Default] at the time of each message, which
	// shows Info and above: quiet about clients that come and go, not
	// silent about what an operator must know. slog.New(slog.DiscardHandler)
	// discards them.
	Logger *slog.Logger
}

// ConnectionStateRecovery configures connection-state recovery; see
// [Options.ConnectionStateRecovery].
//
// With it on, the CONNECT answer carries a private session ID ("pid"), and
// every event sent through the adapter without an ack and not volatile
// (every broadcast, and every [Socket.Emit] without an ack, as in the
// reference) carries an offset as its last argument, which the official
// clients keep and send back with the pid when they reconnect. When a
// socket disconnects for a reason that allows it (transport error,
// transport close, forced close, ping timeout, server shutting down,
// forced server close; not a namespace disconnect by either side, nor a
// parse error), its session is kept for MaxDisconnectionDuration; a
// client that comes back in time with its pid and last offset gets the
// same socket ID, rooms and data, [Socket.Recovered] reports true, and the
// events it missed are sent before the CONNECT answer, as the reference
// does (the client hands them to its handlers before "connect").
//
// The default adapter then keeps the sessions and a log of the packets in
// memory ([adapter.NewSessionAware]); another adapter recovers only if it
// implements PersistSession and RestoreSession (adapter/redisstreams does,
// in Redis; the pub/sub adapter/redis cannot). A pid or offset that is unknown, expired, forged, from
// another server or malformed gives a plain new session.
type ConnectionStateRecovery struct {
	// MaxDisconnectionDuration is how long a session and the packets it
	// may miss are kept. Zero means 2 minutes.
	MaxDisconnectionDuration time.Duration
	// RunMiddlewares runs the namespace middleware ([Namespace.Use]) for a
	// recovered socket too. The zero value skips it, as the reference's
	// default (skipMiddlewares: true). A recovered socket that a
	// middleware refuses gets a CONNECT_ERROR and none of the missed
	// events (the reference sends them before its middleware runs), and
	// its session is spent.
	RunMiddlewares bool
	// MaxLogBytes bounds the packet log of each namespace of the default
	// adapter; past it the oldest packets go, and a client whose offset is
	// older than what is left gets a new session. Zero means 32 MiB
	// ([adapter.DefaultMaxLogBytes]).
	MaxLogBytes int
}

// ConnectionError describes a request the server refused before a
// connection existed; see [Options.OnConnectionError].
type ConnectionError struct {
	// Code is the Engine.IO error code the client got: 0 unknown
	// transport, 1 unknown session ID, 2 bad handshake method, 3 bad
	// request, 4 forbidden, 5 unsupported protocol version.
	Code int
	// Message is the message sent with it, such as "Session ID unknown".
	Message string
	// Context says more where the reference does, such as
	// "TRANSPORT_MISMATCH"; empty otherwise.
	Context string
}

// Error implements error.
func (e *ConnectionError) Error() string {
	if e.Context != "" {
		return "socketio: connection refused: " + e.Message + " (" + e.Context + ")"
	}
	return "socketio: connection refused: " + e.Message
}

func (o *Options) engineConfig() engine.Config {
	var onConnErr func(*http.Request, *engine.RequestError)
	if fn := o.OnConnectionError; fn != nil {
		onConnErr = func(r *http.Request, e *engine.RequestError) {
			fn(r, &ConnectionError{Code: int(e.Code), Message: e.Message, Context: e.Context})
		}
	}
	return engine.Config{
		OnConnectionError:      onConnErr,
		PingInterval:           o.PingInterval,
		PingTimeout:            o.PingTimeout,
		UpgradeTimeout:         o.UpgradeTimeout,
		MaxHTTPBufferSize:      o.MaxHTTPBufferSize,
		MaxQueueBytes:          o.MaxQueueBytes,
		WriteTimeout:           o.WriteTimeout,
		Transports:             o.Transports,
		DisallowUpgrades:       o.DisallowUpgrades,
		AllowEIO3:              o.AllowEIO3,
		AllowRequest:           o.AllowRequest,
		InitialHeaders:         o.InitialHeaders,
		Headers:                o.Headers,
		CORS:                   o.CORS,
		Cookie:                 o.Cookie,
		PerMessageDeflate:      o.PerMessageDeflate,
		DisableHTTPCompression: o.DisableHTTPCompression,
		Logger:                 o.Logger,
	}
}

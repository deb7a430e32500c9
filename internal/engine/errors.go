package engine

import (
	"errors"
	"fmt"
)

// Sentinel errors of the engine. They are returned by send methods and passed
// to [Handler.OnClose] as the description of a close.
var (
	// ErrSessionClosed is returned when sending on a closed or closing session.
	ErrSessionClosed = errors.New("engine: session closed")
	// ErrQueueFull is the description of a close caused by a client that does
	// not read fast enough: its send queue passed Config.MaxQueueBytes.
	ErrQueueFull = errors.New("engine: send queue full")
	// ErrStalled is the description of a close caused by a websocket
	// client that took none of the bytes written to it for 5 seconds
	// while more kept coming.
	ErrStalled = errors.New("engine: client stopped reading")
	// ErrPayloadTooLarge is the description of a close caused by a websocket
	// message larger than Config.MaxHTTPBufferSize.
	ErrPayloadTooLarge = errors.New("engine: max payload size exceeded")
	// ErrPollOverlap is the description of a close caused by a second
	// long-polling GET (or POST) while one is still pending.
	ErrPollOverlap = errors.New("engine: overlap from client")
	// ErrPollAborted is the description of a close caused by a client that
	// cancelled its pending long-polling GET.
	ErrPollAborted = errors.New("engine: poll connection closed prematurely")
	// ErrInvalidContent is the description of a close caused by a POST with
	// Content-Type application/octet-stream, which Engine.IO v4 never sends.
	ErrInvalidContent = errors.New("engine: invalid content")
	// ErrHeartbeatDirection is the description of a close caused by a client
	// ping, which protocol v4 does not allow (the server pings).
	ErrHeartbeatDirection = errors.New("engine: invalid heartbeat direction")
	// ErrParse is the description of a close caused by a packet that does not
	// decode.
	ErrParse = errors.New("engine: invalid packet")
	// ErrServerClosed is returned by [Server.ServeHTTP] and the send methods
	// after [Server.Shutdown] or [Server.Close].
	ErrServerClosed = errors.New("engine: server closed")
)

// ErrorCode is an Engine.IO handshake error code, sent to the client as
// {"code":N,"message":"..."}.
type ErrorCode int

// The Engine.IO error codes, with the reference server's messages.
const (
	CodeUnknownTransport   ErrorCode = 0
	CodeUnknownSID         ErrorCode = 1
	CodeBadHandshakeMethod ErrorCode = 2
	CodeBadRequest         ErrorCode = 3
	CodeForbidden          ErrorCode = 4
	CodeUnsupportedVersion ErrorCode = 5
)

var codeMessages = [...]string{
	CodeUnknownTransport:   "Transport unknown",
	CodeUnknownSID:         "Session ID unknown",
	CodeBadHandshakeMethod: "Bad handshake method",
	CodeBadRequest:         "Bad request",
	CodeForbidden:          "Forbidden",
	CodeUnsupportedVersion: "Unsupported protocol version",
}

// String returns the reference server's message for c.
func (c ErrorCode) String() string {
	if c >= 0 && int(c) < len(codeMessages) {
		return codeMessages[c]
	}
	return fmt.Sprintf("code %d", int(c))
}

// RequestError is a request refused by the engine, as reported to
// [Config.OnConnectionError]: the code and message sent to the client and the
// reason in Context (for example "TRANSPORT_MISMATCH").
type RequestError struct {
	Code    ErrorCode
	Message string
	Context string
}

// Error implements error.
func (e *RequestError) Error() string {
	if e.Context != "" {
		return fmt.Sprintf("engine: %s (%s)", e.Message, e.Context)
	}
	return "engine: " + e.Message
}

// CloseReason says why a session closed. Its String is the reason text of the
// reference server.
type CloseReason int

// The reasons a session closes.
const (
	// ReasonTransportError: the transport failed (a read or write error, an
	// oversized message, a full send queue, a protocol violation).
	ReasonTransportError CloseReason = iota
	// ReasonTransportClose: the client closed the connection or sent a close packet.
	ReasonTransportClose
	// ReasonForcedClose: the server closed the session with [Session.Close].
	ReasonForcedClose
	// ReasonPingTimeout: the client did not answer a ping within PingTimeout.
	ReasonPingTimeout
	// ReasonParseError: the client sent a packet that does not decode.
	ReasonParseError
	// ReasonServerShuttingDown: the server is shutting down.
	ReasonServerShuttingDown
)

var reasonText = [...]string{
	ReasonTransportError:     "transport error",
	ReasonTransportClose:     "transport close",
	ReasonForcedClose:        "forced close",
	ReasonPingTimeout:        "ping timeout",
	ReasonParseError:         "parse error",
	ReasonServerShuttingDown: "server shutting down",
}

// String returns the reference server's text for r.
func (r CloseReason) String() string {
	if r >= 0 && int(r) < len(reasonText) {
		return reasonText[r]
	}
	return fmt.Sprintf("close reason %d", int(r))
}

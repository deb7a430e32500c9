package socketio

import (
	"fmt"

	"github.com/gosio/sio/internal/engine"
)

// DisconnectReason says why a socket disconnected. Its String is the reason
// text of the reference server, which clients and logs match on.
type DisconnectReason int

// The reasons a socket disconnects.
const (
	// ReasonTransportError: the connection failed (a network error, an
	// oversized message, a client that does not keep up with its queue).
	ReasonTransportError DisconnectReason = iota
	// ReasonTransportClose: the client closed the connection.
	ReasonTransportClose
	// ReasonForcedClose: the server closed the connection.
	ReasonForcedClose
	// ReasonPingTimeout: the client did not answer a ping in time.
	ReasonPingTimeout
	// ReasonParseError: the client sent a packet that does not decode.
	ReasonParseError
	// ReasonServerShuttingDown: the server is shutting down.
	ReasonServerShuttingDown
	// ReasonForcedServerClose: the server closed the whole connection, for
	// example with Disconnect(true) on another socket of the same client.
	ReasonForcedServerClose
	// ReasonClientNamespaceDisconnect: the client left the namespace.
	ReasonClientNamespaceDisconnect
	// ReasonServerNamespaceDisconnect: the server disconnected the socket
	// with [Socket.Disconnect].
	ReasonServerNamespaceDisconnect
)

var reasonText = [...]string{
	ReasonTransportError:            "transport error",
	ReasonTransportClose:            "transport close",
	ReasonForcedClose:               "forced close",
	ReasonPingTimeout:               "ping timeout",
	ReasonParseError:                "parse error",
	ReasonServerShuttingDown:        "server shutting down",
	ReasonForcedServerClose:         "forced server close",
	ReasonClientNamespaceDisconnect: "client namespace disconnect",
	ReasonServerNamespaceDisconnect: "server namespace disconnect",
}

// String returns the reference server's text for r.
func (r DisconnectReason) String() string {
	if r >= 0 && int(r) < len(reasonText) {
		return reasonText[r]
	}
	return fmt.Sprintf("disconnect reason %d", int(r))
}

func fromEngineReason(r engine.CloseReason) DisconnectReason {
	switch r {
	case engine.ReasonTransportClose:
		return ReasonTransportClose
	case engine.ReasonForcedClose:
		return ReasonForcedClose
	case engine.ReasonPingTimeout:
		return ReasonPingTimeout
	case engine.ReasonParseError:
		return ReasonParseError
	case engine.ReasonServerShuttingDown:
		return ReasonServerShuttingDown
	}
	return ReasonTransportError
}

// recoverable reports whether a socket that disconnected for r keeps its
// session for connection-state recovery: the reference's list, which
// leaves out a namespace disconnect by either side and a parse error.
func (r DisconnectReason) recoverable() bool {
	switch r {
	case ReasonTransportError, ReasonTransportClose, ReasonForcedClose,
		ReasonPingTimeout, ReasonServerShuttingDown, ReasonForcedServerClose:
		return true
	}
	return false
}

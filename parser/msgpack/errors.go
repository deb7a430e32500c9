package msgpack

import "errors"

// Errors of the decoder (and ErrInvalidJSON of the encoder). The decoder
// also returns the errors of package parser's checks
// ([parser.CheckPayload]).
var (
	// ErrTextMessage is returned for a text message: msgpack packets are
	// binary messages.
	ErrTextMessage = errors.New("msgpack: text message")
	// ErrInvalidPacket is returned when a message is not a msgpack map.
	ErrInvalidPacket = errors.New("msgpack: packet is not a map")
	// ErrInvalidType is returned when "type" is missing or not an integer
	// from 0 to 4 (socket.io-msgpack-parser: "invalid packet type").
	ErrInvalidType = errors.New("msgpack: invalid packet type")
	// ErrInvalidNamespace is returned when "nsp" is missing, not a string
	// or does not start with "/".
	ErrInvalidNamespace = errors.New("msgpack: invalid namespace")
	// ErrTrailingBytes is returned when bytes follow the packet's map.
	ErrTrailingBytes = errors.New("msgpack: trailing bytes")
	// ErrTruncated is returned when a value runs past the message's end.
	ErrTruncated = errors.New("msgpack: truncated value")
	// ErrInvalidValue is returned for the never-used byte 0xc1.
	ErrInvalidValue = errors.New("msgpack: invalid value")
	// ErrInvalidKey is returned for a map key that is not a string, an
	// integer, a boolean or nil.
	ErrInvalidKey = errors.New("msgpack: invalid map key")
	// ErrTooManyBinaries is returned when a packet holds more bin values
	// than Parser.MaxBinaries.
	ErrTooManyBinaries = errors.New("msgpack: too many binary values")
	// ErrInvalidJSON is returned by the encoder for a payload that is not
	// valid JSON.
	ErrInvalidJSON = errors.New("msgpack: invalid JSON payload")
)

package parser

import "errors"

// Errors returned by the package. They are sentinel values: compare them
// with errors.Is.
var (
	// ErrEmptyMessage is returned by Decoder.Add for an empty text message.
	ErrEmptyMessage = errors.New("parser: empty message")

	// ErrUnknownType is returned when the packet type is not 0-6.
	ErrUnknownType = errors.New("parser: unknown packet type")

	// ErrInvalidAttachments is returned when the attachment count of a
	// binary packet is missing, is not a decimal integer or is not
	// followed by "-".
	ErrInvalidAttachments = errors.New("parser: invalid attachment count")

	// ErrTooManyAttachments is returned when a binary packet declares more
	// attachments than Decoder.MaxAttachments allows.
	ErrTooManyAttachments = errors.New("parser: too many attachments")

	// ErrIllegalAttachments is returned when a placeholder refers to an
	// attachment that does not exist (its "num" is not an integer in
	// [0, number of attachments)).
	ErrIllegalAttachments = errors.New("parser: illegal attachments")

	// ErrInvalidAckID is returned when an ack id exceeds 2^53-1, the
	// largest integer JavaScript represents exactly.
	ErrInvalidAckID = errors.New("parser: invalid ack id")

	// ErrInvalidJSON is returned when a payload is not valid JSON, including
	// when valid JSON is followed by anything but white space.
	ErrInvalidJSON = errors.New("parser: invalid JSON")

	// ErrMaxDepth is returned when JSON nests arrays and objects deeper than
	// allowed (Decoder.MaxDepth when decoding packets).
	ErrMaxDepth = errors.New("parser: JSON nesting too deep")

	// ErrInvalidPayload is returned when a payload is valid JSON but has the
	// wrong shape for the packet type (for example an EVENT whose payload is
	// not a non-empty array starting with a string or a number).
	ErrInvalidPayload = errors.New("parser: invalid payload")

	// ErrReservedEvent is returned for an EVENT or BINARY_EVENT whose name is
	// reserved by Socket.IO: connect, connect_error, disconnect,
	// disconnecting, newListener or removeListener.
	ErrReservedEvent = errors.New("parser: reserved event name")

	// ErrUnexpectedBinary is returned by Decoder.Add for a binary message
	// when no packet awaits attachments.
	ErrUnexpectedBinary = errors.New("parser: unexpected binary message")

	// ErrUnexpectedText is returned by Decoder.Add for a text message while
	// a binary packet still awaits attachments.
	ErrUnexpectedText = errors.New("parser: unexpected text message while awaiting attachments")

	// ErrNotArray is returned by SplitArray when its input is not a JSON
	// array.
	ErrNotArray = errors.New("parser: not a JSON array")

	// ErrInvalidEventName is returned by EventName when its input is neither
	// a JSON string nor a JSON number.
	ErrInvalidEventName = errors.New("parser: invalid event name")

	// ErrNumberRange is returned by DecodeAny (as encoding/json would fail)
	// when a JSON number does not fit in a float64, such as 1e400.
	ErrNumberRange = errors.New("parser: number out of range")
)

package parser

import (
	iparser "github.com/gosio/sio/internal/parser"
)

// Type is a Socket.IO packet type.
type Type = iparser.Type

// Packet types of Socket.IO protocol version 5. A Parser whose format has
// no binary packet types (such as msgpack) still reports a packet holding
// binary as BinaryEvent or BinaryAck, and accepts both when encoding.
const (
	Connect      = iparser.Connect
	Disconnect   = iparser.Disconnect
	Event        = iparser.Event
	Ack          = iparser.Ack
	ConnectError = iparser.ConnectError
	BinaryEvent  = iparser.BinaryEvent
	BinaryAck    = iparser.BinaryAck
)

// Packet is a Socket.IO packet in the server's form: Data is the JSON
// payload (nil when the packet has none) in which binary values are
// placeholders {"_placeholder":true,"num":N} referring to Attachments[N].
// Namespace is "/" or starts with "/"; ID is meaningful only if HasID.
type Packet = iparser.Packet

// Message is one Engine.IO message: text, or binary when Binary is set.
type Message struct {
	Data   []byte
	Binary bool
}

// A Parser encodes packets into Engine.IO messages and makes the decoders
// that read them back. A Server calls Encode from any goroutine, so it
// must be safe for concurrent use; it encodes a broadcast once and sends
// the same messages to every recipient.
type Parser interface {
	// Encode appends the messages of p to msgs. p.Data is valid JSON,
	// made by the server or accepted by a Decoder. The messages must not
	// alias p.Data, which the server may reuse once Encode returns; they
	// may alias p.Attachments.
	Encode(msgs []Message, p *Packet) ([]Message, error)
	// NewDecoder returns the decoder of one connection.
	NewDecoder() Decoder
}

// A BinaryAppender is a Parser that encodes every packet as one binary
// message. A Server given one has it write each message straight into the
// buffer the message is sent from, which saves a copy and an allocation
// per packet; what it writes must be what Encode returns.
type BinaryAppender interface {
	Parser
	// AppendBinary appends the binary message of p to dst, under the
	// rules of Encode.
	AppendBinary(dst []byte, p *Packet) ([]byte, error)
}

// A Decoder reads the packets of one connection from its messages. It is
// used by one goroutine at a time.
type Decoder interface {
	// Add feeds one message. It returns a complete packet, or (nil, nil)
	// while a packet awaits more messages; an error closes the connection.
	// The packet may alias msg, which the server does not reuse.
	//
	// A Decoder must accept only what the server can handle: a packet
	// type 0-6, a payload of the shape its type requires (CONNECT an
	// object or none, DISCONNECT none, CONNECT_ERROR an object or a
	// string, EVENT a non-empty array starting with a string or a number,
	// ACK an array) and placeholders that each refer to an attachment.
	// [CheckPayload] checks all that.
	Add(msg []byte, binary bool) (*Packet, error)
}

// CheckPayload reports whether data (JSON) is a valid payload for a packet
// of type t with n attachments, nesting at most maxDepth levels (0 means
// 32): the checks the JSON parser applies to what it decodes, for a
// Decoder of another format to apply to what it produces.
func CheckPayload(t Type, data []byte, n, maxDepth int) error {
	d := iparser.Decoder{MaxDepth: maxDepth}
	return d.Check(t, data, n)
}

// JSON is the default Parser: the text format of socket.io-parser 4.x,
// binary values travelling as attachments in binary messages after the
// text one. A Server given JSON (or nil) uses its own built-in copy of it.
var JSON Parser = jsonParser{}

type jsonParser struct{}

// IsJSON reports whether p is [JSON].
func IsJSON(p Parser) bool {
	_, ok := p.(jsonParser)
	return ok
}

func (jsonParser) Encode(msgs []Message, p *Packet) ([]Message, error) {
	q := *p
	if len(q.Attachments) > 0 {
		switch q.Type {
		case Event:
			q.Type = BinaryEvent
		case Ack:
			q.Type = BinaryAck
		}
	}
	msgs = append(msgs, Message{Data: iparser.AppendPacket(nil, &q)})
	for _, a := range q.Attachments {
		msgs = append(msgs, Message{Data: a, Binary: true})
	}
	return msgs, nil
}

func (jsonParser) NewDecoder() Decoder { return new(iparser.Decoder) }

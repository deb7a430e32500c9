package parser

import "strconv"

// Type is a Socket.IO packet type.
type Type byte

// Packet types of Socket.IO protocol version 5.
const (
	Connect      Type = 0 // CONNECT: join a namespace; the payload is the auth object, or the session id in a reply.
	Disconnect   Type = 1 // DISCONNECT: leave a namespace; no payload.
	Event        Type = 2 // EVENT: an event; the payload is ["name", args...].
	Ack          Type = 3 // ACK: the reply to an event that carried an ack id; the payload is [args...].
	ConnectError Type = 4 // CONNECT_ERROR: a refused CONNECT; the payload is an object or a string.
	BinaryEvent  Type = 5 // BINARY_EVENT: an EVENT with binary attachments.
	BinaryAck    Type = 6 // BINARY_ACK: an ACK with binary attachments.
)

var typeNames = [...]string{
	Connect:      "CONNECT",
	Disconnect:   "DISCONNECT",
	Event:        "EVENT",
	Ack:          "ACK",
	ConnectError: "CONNECT_ERROR",
	BinaryEvent:  "BINARY_EVENT",
	BinaryAck:    "BINARY_ACK",
}

// String returns the protocol name of t, such as "BINARY_EVENT", or
// "Type(n)" for a value that is not a packet type.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// isBinary reports whether packets of type t carry attachments.
func (t Type) isBinary() bool { return t == BinaryEvent || t == BinaryAck }

// Packet is a Socket.IO packet.
//
// A packet returned by Decoder.Add aliases the messages it was decoded from:
// Data is a sub-slice of the text message and Attachments are the binary
// messages themselves.
type Packet struct {
	// Type is the packet type.
	Type Type
	// Namespace is the namespace, such as "/" or "/admin". Decoded packets
	// always have it set, to "/" when the wire form has none. When
	// encoding, "" is treated like "/"; other values should start with "/"
	// and must not contain ",".
	Namespace string
	// ID is the ack id; it is meaningful only when HasID is true.
	ID uint64
	// HasID reports whether the packet carries an ack id.
	HasID bool
	// Data is the raw JSON payload exactly as received (nil when the packet
	// has none). Placeholders of binary packets are left in place; resolve
	// them with DecodeAny or DecodeInto.
	Data []byte
	// Attachments are the binary attachments of a BINARY_EVENT or
	// BINARY_ACK. After decoding, len(Attachments) is the count declared
	// in the header; when encoding, AppendPacket writes len(Attachments)
	// as the count.
	Attachments [][]byte
}

// AppendPacket appends the text form of p (header + p.Data) to dst and
// returns the extended buffer. It writes the attachment count from
// len(p.Attachments) for binary types. It does not write attachments (the
// caller sends them as separate binary messages, in order, after the text
// message). p.Data is appended as is; it is the caller's job to make it
// valid for the packet type. p.Type must be one of the packet types.
func AppendPacket(dst []byte, p *Packet) []byte {
	dst = append(dst, '0'+byte(p.Type))
	if p.Type.isBinary() {
		dst = strconv.AppendUint(dst, uint64(len(p.Attachments)), 10)
		dst = append(dst, '-')
	}
	if p.Namespace != "" && p.Namespace != "/" {
		dst = append(dst, p.Namespace...)
		dst = append(dst, ',')
	}
	if p.HasID {
		dst = strconv.AppendUint(dst, p.ID, 10)
	}
	return append(dst, p.Data...)
}

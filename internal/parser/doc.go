// Package parser implements the Socket.IO protocol version 5 packet codec:
// it turns Socket.IO packets into the text form carried by Engine.IO
// messages and back, reassembles binary packets from their text header and
// the binary Engine.IO messages that follow it, and converts JSON payloads
// that contain binary placeholders to and from Go values. Its behaviour
// follows the Node reference implementation, socket.io-parser 4.2.x, and it
// is hardened for hostile input: decoding never panics, JSON nesting depth
// and the number of attachments are bounded, and ack ids are limited to the
// JavaScript safe-integer range. The package is a leaf and depends only on
// the standard library.
//
// # Wire format
//
// A packet is encoded as
//
//	<type>[<#attachments>-][<namespace>,][<ack id>][<JSON payload>]
//
// where the namespace is written only when it is not "/", and the
// attachment count only for BINARY_EVENT and BINARY_ACK. Binary attachments
// are not part of the text form: each one travels as a separate binary
// Engine.IO message right after the text message, and the payload refers to
// it with a placeholder object {"_placeholder":true,"num":<index>}.
//
// # Placeholders
//
// A JSON object is a placeholder when its (last) "_placeholder" member is
// the literal true; its (last) "num" member must then be an integral number
// i with 0 <= i < N, N being the number of attachments of the packet.
// Like socket.io-parser, which resolves placeholders top-down in the value
// JSON.parse built, only placeholders that survive in that value count:
// not those inside another placeholder, nor those in a member overwritten
// by a later member with the same key. [Decoder] checks placeholders for
// every packet type (N is 0 for non-binary types), so that [DecodeAny] and
// [DecodeInto] can always resolve the placeholders of a packet the decoder
// accepted.
//
// # Aliasing
//
// For speed the decoder does not copy: [Packet.Data] is a sub-slice of the
// text message given to [Decoder.Add] and [Packet.Attachments] holds the
// binary messages themselves. Callers must not modify or reuse those
// buffers while the packet is in use. Likewise [SplitArray] returns
// sub-slices of its input and [DecodeAny] and [DecodeInto] hand out the
// attachment slices themselves, not copies.
package parser

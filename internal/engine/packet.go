package engine

import (
	"encoding/base64"
	"errors"
	"sync/atomic"
)

// PacketType is an Engine.IO packet type.
type PacketType byte

// The Engine.IO packet types. On the wire a text packet starts with the
// type's decimal digit.
const (
	PacketOpen    PacketType = 0
	PacketClose   PacketType = 1
	PacketPing    PacketType = 2
	PacketPong    PacketType = 3
	PacketMessage PacketType = 4
	PacketUpgrade PacketType = 5
	PacketNoop    PacketType = 6
)

// websocket opcodes used by the raw frame writer.
const (
	opText   = 1
	opBinary = 2
	opClose  = 8
	opPong   = 10
)

// maxFrameHeader is the largest header of an unmasked server websocket frame.
const maxFrameHeader = 10

// recordSeparator joins packets in a long-polling payload.
const recordSeparator = 0x1e

// A Packet is one encoded Engine.IO packet, ready for either transport: it
// holds the websocket frame (header and payload in one buffer) and the
// payload is also what a long-polling response carries. A Packet is
// immutable once built and may be queued to many sessions at once.
type Packet struct {
	frame  []byte // the websocket frame; frame[hdr:] is the payload
	hdr    int
	binary bool // a binary message: the payload is the raw bytes
	ctrl   bool // a websocket control frame, never sent over polling
	msg    bool // a message packet, text or binary (counted in Stats)
	// noCompress: sent uncompressed (per-message deflate, HTTP compression
	// of a polling response made of such packets only).
	noCompress bool
	// v3form: an Engine.IO v3 binary message, whose payload starts with
	// the type byte (see v3Binary).
	v3form bool
	// v3 caches the packet's v3 form, for a binary message sent to v3
	// sessions.
	v3 atomic.Pointer[Packet]
}

// DisableCompression marks p to be sent uncompressed: over a websocket
// with permessage-deflate it goes out as a plain frame, and a long-polling
// response made only of such packets is not compressed (the reference's
// compress: false). Call it before p is sent; it returns p.
func (p *Packet) DisableCompression() *Packet {
	p.noCompress = true
	return p
}

// NewPacket returns a text packet of type t carrying data.
func NewPacket(t PacketType, data []byte) *Packet {
	buf := make([]byte, maxFrameHeader+1, maxFrameHeader+1+len(data))
	buf[maxFrameHeader] = '0' + byte(t)
	buf = append(buf, data...)
	return finish(buf, opText)
}

// NewMessageBuffer returns a buffer in which to build the data of a text
// message packet: append the data to it, then pass it to [NewMessageFromBuffer].
// Building in this buffer avoids copying the data again.
func NewMessageBuffer(sizeHint int) []byte {
	buf := make([]byte, maxFrameHeader+1, maxFrameHeader+1+sizeHint)
	buf[maxFrameHeader] = '0' + byte(PacketMessage)
	return buf
}

// NewMessageFromBuffer returns the text message packet built in buf, a buffer
// from [NewMessageBuffer]. buf must not be used afterwards.
func NewMessageFromBuffer(buf []byte) *Packet {
	if len(buf) <= maxFrameHeader || buf[maxFrameHeader] != '4' {
		panic("engine: NewMessageFromBuffer: buffer not from NewMessageBuffer")
	}
	return finish(buf, opText)
}

// NewBinaryMessageBuffer returns a buffer in which to build the data of a
// binary message packet: append the data to it, then pass it to
// [NewBinaryMessageFromBuffer]. Building in this buffer avoids copying
// the data again.
func NewBinaryMessageBuffer(sizeHint int) []byte {
	return make([]byte, maxFrameHeader, maxFrameHeader+sizeHint)
}

// NewBinaryMessageFromBuffer returns the binary message packet built in
// buf, a buffer from [NewBinaryMessageBuffer]. buf must not be used
// afterwards.
func NewBinaryMessageFromBuffer(buf []byte) *Packet {
	if len(buf) < maxFrameHeader {
		panic("engine: NewBinaryMessageFromBuffer: buffer not from NewBinaryMessageBuffer")
	}
	p := finish(buf, opBinary)
	p.binary = true
	return p
}

// NewBinaryMessage returns a binary message packet carrying data. data is
// copied.
func NewBinaryMessage(data []byte) *Packet {
	buf := make([]byte, maxFrameHeader, maxFrameHeader+len(data))
	buf = append(buf, data...)
	p := finish(buf, opBinary)
	p.binary = true
	return p
}

// newControl returns a websocket control frame (close or pong).
func newControl(op byte, data []byte) *Packet {
	buf := make([]byte, maxFrameHeader, maxFrameHeader+len(data))
	buf = append(buf, data...)
	p := finish(buf, op)
	p.ctrl = true
	return p
}

// finish writes the websocket frame header just before the payload, which
// starts at buf[maxFrameHeader].
func finish(buf []byte, op byte) *Packet {
	n := len(buf) - maxFrameHeader
	var hdr int
	switch {
	case n < 126:
		hdr = 2
		buf[maxFrameHeader-1] = byte(n)
	case n < 1<<16:
		hdr = 4
		buf[maxFrameHeader-3] = 126
		buf[maxFrameHeader-2] = byte(n >> 8)
		buf[maxFrameHeader-1] = byte(n)
	default:
		hdr = 10
		buf[maxFrameHeader-9] = 127
		for i := 0; i < 8; i++ {
			buf[maxFrameHeader-1-i] = byte(uint64(n) >> (8 * i))
		}
	}
	buf[maxFrameHeader-hdr] = 0x80 | op // FIN
	msg := op == opBinary || (op == opText && buf[maxFrameHeader] == '0'+byte(PacketMessage))
	return &Packet{frame: buf[maxFrameHeader-hdr:], hdr: hdr, msg: msg}
}

// Payload returns the packet as a long-polling payload element and a
// websocket message carry it: the type digit and data for a text packet, the
// raw bytes for a binary message. It must not be modified.
func (p *Packet) Payload() []byte { return p.frame[p.hdr:] }

// Binary reports whether p is a binary message.
func (p *Packet) Binary() bool { return p.binary }

// Type returns the packet's type.
func (p *Packet) Type() PacketType {
	if p.binary {
		return PacketMessage
	}
	return PacketType(p.frame[p.hdr] - '0')
}

// size is what the packet counts against a session's queue bound.
func (p *Packet) size() int { return len(p.frame) }

// appendPolling appends p to a long-polling payload.
func (p *Packet) appendPolling(dst []byte) []byte {
	if !p.binary {
		return append(dst, p.Payload()...)
	}
	data := p.Payload()
	dst = append(dst, 'b')
	return base64.StdEncoding.AppendEncode(dst, data)
}

// encodePayload joins packets into one long-polling payload.
func encodePayload(dst []byte, pkts []*Packet) []byte {
	first := true
	for _, p := range pkts {
		if p.ctrl {
			continue
		}
		if !first {
			dst = append(dst, recordSeparator)
		}
		first = false
		dst = p.appendPolling(dst)
	}
	return dst
}

// errBadPacket is returned by the packet decoders for malformed input.
var errBadPacket = errors.New("engine: malformed packet")

// decodeText decodes a text packet: a type digit followed by its data.
func decodeText(b []byte) (PacketType, []byte, error) {
	if len(b) == 0 || b[0] < '0' || b[0] > '6' {
		return 0, nil, errBadPacket
	}
	return PacketType(b[0] - '0'), b[1:], nil
}

// decodePayload calls fn for each packet of a long-polling payload, in order,
// and stops at the first malformed packet (returning errBadPacket) or when fn
// returns false. Text data passed to fn aliases payload.
func decodePayload(payload []byte, fn func(t PacketType, data []byte, binary bool) bool) error {
	for start := 0; start <= len(payload); {
		end := start
		for end < len(payload) && payload[end] != recordSeparator {
			end++
		}
		el := payload[start:end]
		start = end + 1
		if len(el) > 0 && el[0] == 'b' {
			data, err := base64.StdEncoding.AppendDecode(nil, el[1:])
			if err != nil {
				return errBadPacket
			}
			if !fn(PacketMessage, data, true) {
				return nil
			}
			continue
		}
		t, data, err := decodeText(el)
		if err != nil {
			return err
		}
		if !fn(t, data, false) {
			return nil
		}
	}
	return nil
}

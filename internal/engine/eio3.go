package engine

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// Engine.IO v3 (Config.AllowEIO3), what differs from v4 on the wire, as
// engine.io-parser 2.x encodes it:
//
//   - a long-polling text payload is a run of "<length>:<packet>", the
//     length counting the packet's UTF-16 code units as a JavaScript string
//     does; a binary message in it is "b4" and its base64;
//   - a client that did not ask for base64 (no "b64" in the handshake's
//     query) gets a response with a binary message in it as an XHR2 binary
//     payload: each packet is a 0 (text) or 1 (binary) byte, its length as
//     one byte per decimal digit, 255, then the packet's bytes (the type
//     digit and the UTF-8 text, or the type byte 4 and the data); such a
//     client may POST one the same way, as application/octet-stream;
//   - a binary websocket frame starts with the packet type's byte (4);
//   - the client pings and the server answers (heartbeat.go).

// v3Binary returns the Engine.IO v3 form of a binary message packet p: its
// payload is the type byte 4 followed by the data, as v3 frames a binary
// websocket message, and the v3 payload encoders read it so. It is built
// once per packet, so that a broadcast is framed once for every v3
// recipient too.
func (p *Packet) v3Binary() *Packet {
	if v := p.v3.Load(); v != nil {
		return v
	}
	data := p.Payload()
	buf := make([]byte, maxFrameHeader+1, maxFrameHeader+1+len(data))
	buf[maxFrameHeader] = byte(PacketMessage)
	buf = append(buf, data...)
	v := finish(buf, opBinary)
	v.binary, v.v3form, v.noCompress = true, true, p.noCompress
	p.v3.Store(v)
	return v
}

// binaryData returns the data of a binary message packet, in either form.
func (p *Packet) binaryData() []byte {
	if p.v3form {
		return p.Payload()[1:]
	}
	return p.Payload()
}

// utf16Len returns how many UTF-16 code units the JavaScript string decoded
// from the UTF-8 text b has: two for a character beyond the BMP, one for
// any other, and one for each byte of an invalid sequence, which a decoder
// replaces with U+FFFD.
func utf16Len(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// utf16Prefix returns how many bytes of the UTF-8 text b make its first
// units UTF-16 code units, and false if b is shorter or the units end
// inside a character.
func utf16Prefix(b []byte, units int) (int, bool) {
	i := 0
	for units > 0 {
		if i >= len(b) {
			return 0, false
		}
		if b[i] < utf8.RuneSelf {
			units--
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		u := 1
		if r >= 0x10000 {
			u = 2
		}
		if u > units {
			return 0, false
		}
		units -= u
		i += size
	}
	return i, true
}

// hasBinary reports whether a batch holds a binary message.
func hasBinary(pkts []*Packet) bool {
	for _, p := range pkts {
		if p.binary && !p.ctrl {
			return true
		}
	}
	return false
}

// encodePayloadV3 joins packets into one v3 long-polling payload: XHR2
// binary if the batch holds a binary message and the client takes binary
// (supportsBinary), text otherwise. It reports whether it is binary.
func encodePayloadV3(dst []byte, pkts []*Packet, supportsBinary bool) ([]byte, bool) {
	if supportsBinary && hasBinary(pkts) {
		for _, p := range pkts {
			if p.ctrl {
				continue
			}
			if p.binary {
				data := p.binaryData()
				dst = append(dst, 1)
				dst = appendDigitBytes(dst, 1+len(data))
				dst = append(dst, 255, byte(PacketMessage))
				dst = append(dst, data...)
				continue
			}
			dst = append(dst, 0)
			dst = appendDigitBytes(dst, len(p.Payload()))
			dst = append(dst, 255)
			dst = append(dst, p.Payload()...)
		}
		return dst, true
	}
	empty := true
	for _, p := range pkts {
		if p.ctrl {
			continue
		}
		empty = false
		if p.binary {
			data := p.binaryData()
			dst = strconv.AppendInt(dst, int64(2+base64.StdEncoding.EncodedLen(len(data))), 10)
			dst = append(dst, ":b4"...)
			dst = base64.StdEncoding.AppendEncode(dst, data)
			continue
		}
		dst = strconv.AppendInt(dst, int64(utf16Len(p.Payload())), 10)
		dst = append(dst, ':')
		dst = append(dst, p.Payload()...)
	}
	if empty {
		dst = append(dst, "0:"...)
	}
	return dst, false
}

// appendDigitBytes appends n's decimal digits, each as a byte of its value.
func appendDigitBytes(dst []byte, n int) []byte {
	start := len(dst)
	dst = strconv.AppendInt(dst, int64(n), 10)
	for i := start; i < len(dst); i++ {
		dst[i] -= '0'
	}
	return dst
}

// maxLengthDigits bounds the digits of a length in a v3 payload: more than
// any payload within MaxHTTPBufferSize needs, few enough not to overflow.
const maxLengthDigits = 12

// decodePayloadV3 calls fn for each packet of a v3 text long-polling
// payload, in order, and stops at the first malformed packet (returning
// errBadPacket) or when fn returns false. An empty payload is malformed,
// an empty packet ("0:") is skipped, as engine.io-parser does. Text data
// passed to fn aliases payload.
func decodePayloadV3(payload []byte, fn func(t PacketType, data []byte, binary bool) bool) error {
	if len(payload) == 0 {
		return errBadPacket
	}
	for i := 0; i < len(payload); {
		j := i
		for j < len(payload) && payload[j] >= '0' && payload[j] <= '9' {
			j++
		}
		if j == i || j-i > maxLengthDigits || j == len(payload) || payload[j] != ':' {
			return errBadPacket
		}
		units, _ := strconv.Atoi(string(payload[i:j]))
		n, ok := utf16Prefix(payload[j+1:], units)
		if !ok {
			return errBadPacket
		}
		el := payload[j+1 : j+1+n]
		i = j + 1 + n
		if len(el) == 0 {
			continue
		}
		t, data, binary, err := decodePacketV3(el)
		if err != nil {
			return err
		}
		if !fn(t, data, binary) {
			return nil
		}
	}
	return nil
}

// decodePacketV3 decodes one packet of a v3 text payload: a type digit and
// its data, or "b", a type digit and base64 data.
func decodePacketV3(el []byte) (PacketType, []byte, bool, error) {
	if el[0] != 'b' {
		t, data, err := decodeText(el)
		return t, data, false, err
	}
	if len(el) < 2 || el[1] < '0' || el[1] > '6' {
		return 0, nil, false, errBadPacket
	}
	data, err := base64.StdEncoding.AppendDecode(nil, el[2:])
	if err != nil {
		return 0, nil, false, errBadPacket
	}
	return PacketType(el[1] - '0'), data, PacketType(el[1]-'0') == PacketMessage, nil
}

// decodeBinaryPayloadV3 calls fn for each packet of a v3 XHR2 binary
// payload (see encodePayloadV3), in order, and stops at the first malformed
// packet (returning errBadPacket) or when fn returns false. Data passed to
// fn aliases payload.
func decodeBinaryPayloadV3(payload []byte, fn func(t PacketType, data []byte, binary bool) bool) error {
	for i := 0; i < len(payload); {
		isText := payload[i] == 0
		if !isText && payload[i] != 1 {
			return errBadPacket
		}
		j := i + 1
		n := 0
		for ; j < len(payload) && payload[j] != 255; j++ {
			if payload[j] > 9 || j-i > maxLengthDigits {
				return errBadPacket
			}
			n = n*10 + int(payload[j])
		}
		if j == i+1 || j == len(payload) || n == 0 || len(payload)-(j+1) < n {
			return errBadPacket
		}
		el := payload[j+1 : j+1+n]
		i = j + 1 + n
		if isText {
			t, data, err := decodeText(el)
			if err != nil {
				return err
			}
			if !fn(t, data, false) {
				return nil
			}
			continue
		}
		if el[0] > byte(PacketNoop) {
			return errBadPacket
		}
		t := PacketType(el[0])
		if !fn(t, el[1:], t == PacketMessage) {
			return nil
		}
	}
	return nil
}

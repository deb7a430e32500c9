package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// wireMsgpack is set by -msgpack: Socket.IO packets travel as binary
// websocket messages in socket.io-msgpack-parser's format instead of text.
// Engine.IO's own packets (open, ping, pong, close) stay text either way.
var wireMsgpack bool

// toMsgpack appends to dst the msgpack form of pkt, a Socket.IO packet on
// the main namespace in its text form without the Engine.IO '4':
// <type>[<ack id>][<JSON data>], as the scenarios build them. Like
// fromMsgpack, it translates only what the scenarios send (arrays and
// objects of fewer than 16 elements, strings, integers, booleans, null),
// with socket.io-msgpack-parser's key order, and leaves the library under
// test out of the load generator.
func toMsgpack(dst, pkt []byte) ([]byte, error) {
	if len(pkt) == 0 || pkt[0] < '0' || pkt[0] > '6' {
		return dst, fmt.Errorf("not a Socket.IO packet: %q", trunc(pkt))
	}
	typ := pkt[0] - '0'
	i := 1
	for i < len(pkt) && '0' <= pkt[i] && pkt[i] <= '9' {
		i++
	}
	var id uint64
	hasID := i > 1
	if hasID {
		var err error
		if id, err = strconv.ParseUint(string(pkt[1:i]), 10, 64); err != nil {
			return dst, err
		}
	}
	data := pkt[i:]
	n := 2
	if len(data) > 0 {
		n++
	}
	if hasID {
		n++
	}
	n0 := len(dst)
	dst = append(dst, 0x80|byte(n))
	if typ == 3 && hasID { // an ack: {id, type, data, nsp}
		dst = appendMsgpackUint(append(dst, 0xa2, 'i', 'd'), id)
	}
	dst = append(dst, 0xa4, 't', 'y', 'p', 'e', typ)
	if len(data) > 0 {
		dst = append(dst, 0xa4, 'd', 'a', 't', 'a')
		var j int
		var ok bool
		if dst, j, ok = jsonToMsgpack(dst, data, 0, 0); !ok || j != len(data) {
			return dst[:n0], fmt.Errorf("cannot translate %q to msgpack", trunc(data))
		}
	}
	if typ != 3 && hasID { // an event: {type, data, id, nsp}
		dst = appendMsgpackUint(append(dst, 0xa2, 'i', 'd'), id)
	}
	return append(dst, 0xa3, 'n', 's', 'p', 0xa1, '/'), nil
}

// jsonToMsgpack translates the JSON value at data[i] (no white space) and
// returns the offset just past it.
func jsonToMsgpack(dst, data []byte, i, depth int) ([]byte, int, bool) {
	if i >= len(data) || depth > 16 {
		return dst, i, false
	}
	switch c := data[i]; {
	case c == '[' || c == '{':
		hdr := len(dst)
		dst = append(dst, 0)
		closing := byte(']')
		if c == '{' {
			closing = '}'
		}
		i++
		n := 0
		for i < len(data) && data[i] != closing {
			if n > 0 {
				if data[i] != ',' {
					return dst, i, false
				}
				i++
			}
			var ok bool
			if c == '{' {
				if dst, i, ok = jsonToMsgpack(dst, data, i, depth+1); !ok || i >= len(data) || data[i] != ':' {
					return dst, i, false
				}
				i++
			}
			if dst, i, ok = jsonToMsgpack(dst, data, i, depth+1); !ok {
				return dst, i, false
			}
			n++
		}
		if i >= len(data) || n >= 16 {
			return dst, i, false
		}
		dst[hdr] = 0x90 | byte(n)
		if c == '{' {
			dst[hdr] = 0x80 | byte(n)
		}
		return dst, i + 1, true
	case c == '"':
		j := i + 1
		for j < len(data) && data[j] != '"' {
			if data[j] == '\\' || data[j] < 0x20 {
				return dst, j, false // no escapes in what the scenarios send
			}
			j++
		}
		if j >= len(data) {
			return dst, j, false
		}
		s := data[i+1 : j]
		switch n := len(s); {
		case n < 32:
			dst = append(dst, 0xa0|byte(n))
		case n < 256:
			dst = append(dst, 0xd9, byte(n))
		case n < 65536:
			dst = append(dst, 0xda, byte(n>>8), byte(n))
		default:
			dst = binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
		}
		return append(dst, s...), j + 1, true
	case c >= '0' && c <= '9':
		j := i
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
		v, err := strconv.ParseUint(string(data[i:j]), 10, 64)
		return appendMsgpackUint(dst, v), j, err == nil
	}
	for lit, code := range map[string]byte{"true": 0xc3, "false": 0xc2, "null": 0xc0} {
		if bytes.HasPrefix(data[i:], []byte(lit)) {
			return append(dst, code), i + len(lit), true
		}
	}
	return dst, i, false
}

func appendMsgpackUint(dst []byte, v uint64) []byte {
	switch {
	case v < 0x80:
		return append(dst, byte(v))
	case v < 0x100:
		return append(dst, 0xcc, byte(v))
	case v < 0x10000:
		return binary.BigEndian.AppendUint16(append(dst, 0xcd), uint16(v))
	case v < 0x100000000:
		return binary.BigEndian.AppendUint32(append(dst, 0xce), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xcf), v)
}

// fromMsgpack appends to dst[:0] the text form of msg, one binary message
// of a msgpack server: <type>[<ack id>][<JSON data>], as toMsgpack reads
// it, so that the scenarios check it as they check a JSON server's
// packets. Like their checks of a JSON server's text, it does no more
// than the scenarios need: it translates the values their packets hold
// (maps, arrays, strings, integers, booleans, nil) without allocating,
// where the server's decoder would check and copy everything; anything
// else is an error. TestMsgpackPackets holds it to the server's decoder.
func fromMsgpack(dst, msg []byte) ([]byte, error) {
	dst = dst[:0]
	r := mpReader{b: msg}
	n, ok := r.header(0x80, 0xde)
	if !ok {
		return dst, errMsgpack
	}
	typ, id, hasID, nspOK := -1, uint64(0), false, false
	dataStart, dataEnd := -1, -1
	for range n {
		key, ok := r.str()
		if !ok {
			return dst, errMsgpack
		}
		switch string(key) {
		case "type":
			v, ok := r.uint()
			if !ok || v > 6 {
				return dst, errMsgpack
			}
			typ = int(v)
		case "nsp":
			s, ok := r.str()
			if !ok || string(s) != "/" {
				return dst, errMsgpack
			}
			nspOK = true
		case "id":
			if r.undefined() {
				continue
			}
			if id, ok = r.uint(); !ok {
				return dst, errMsgpack
			}
			hasID = true
		case "data":
			if r.undefined() {
				continue
			}
			dataStart = r.i
			if !r.skip(0) {
				return dst, errMsgpack
			}
			dataEnd = r.i
		default:
			return dst, fmt.Errorf("unexpected key %q in a msgpack packet", key)
		}
	}
	if typ < 0 || !nspOK || r.i != len(msg) {
		return dst, errMsgpack
	}
	dst = append(dst, '0'+byte(typ))
	if hasID {
		dst = strconv.AppendUint(dst, id, 10)
	}
	if dataStart >= 0 {
		d := mpReader{b: msg[:dataEnd], i: dataStart}
		var ok bool
		if dst, ok = d.json(dst); !ok {
			return dst[:0], errMsgpack
		}
	}
	return dst, nil
}

var errMsgpack = errors.New("malformed or unexpected msgpack packet")

// mpReader reads the msgpack values of the scenarios' packets.
type mpReader struct {
	b []byte
	i int
}

// header reads the header of a map (fix 0x80, code16 0xde) or an array
// (0x90, 0xdc).
func (r *mpReader) header(fix, code16 byte) (int, bool) {
	if r.i >= len(r.b) {
		return 0, false
	}
	c := r.b[r.i]
	r.i++
	switch {
	case c&0xf0 == fix:
		return int(c & 0x0f), true
	case c == code16 && r.i+2 <= len(r.b):
		r.i += 2
		return int(r.b[r.i-2])<<8 | int(r.b[r.i-1]), true
	case c == code16+1 && r.i+4 <= len(r.b):
		r.i += 4
		return int(binary.BigEndian.Uint32(r.b[r.i-4:])), true
	}
	return 0, false
}

func (r *mpReader) str() ([]byte, bool) {
	if r.i >= len(r.b) {
		return nil, false
	}
	c := r.b[r.i]
	r.i++
	var n int
	switch {
	case c&0xe0 == 0xa0:
		n = int(c & 0x1f)
	case c == 0xd9 && r.i+1 <= len(r.b):
		n = int(r.b[r.i])
		r.i++
	case c == 0xda && r.i+2 <= len(r.b):
		n = int(binary.BigEndian.Uint16(r.b[r.i:]))
		r.i += 2
	case c == 0xdb && r.i+4 <= len(r.b):
		n = int(binary.BigEndian.Uint32(r.b[r.i:]))
		r.i += 4
	default:
		return nil, false
	}
	if n > len(r.b)-r.i {
		return nil, false
	}
	r.i += n
	return r.b[r.i-n : r.i], true
}

// undefined reads notepack's undefined (fixext 1 of type 0, what
// socket.io-msgpack-parser writes for a member whose value is undefined,
// such as a CONNECT answer's pid without recovery) if it is next.
func (r *mpReader) undefined() bool {
	if r.i+3 <= len(r.b) && r.b[r.i] == 0xd4 && r.b[r.i+1] == 0 {
		r.i += 3
		return true
	}
	return false
}

// uint reads a non-negative integer.
func (r *mpReader) uint() (uint64, bool) {
	if r.i >= len(r.b) {
		return 0, false
	}
	c := r.b[r.i]
	r.i++
	if c < 0x80 {
		return uint64(c), true
	}
	size := 0
	switch c {
	case 0xcc:
		size = 1
	case 0xcd:
		size = 2
	case 0xce:
		size = 4
	case 0xcf:
		size = 8
	}
	if size == 0 || r.i+size > len(r.b) {
		return 0, false
	}
	var v uint64
	for _, b := range r.b[r.i : r.i+size] {
		v = v<<8 | uint64(b)
	}
	r.i += size
	return v, true
}

// skip passes over one value, of the kinds json writes.
func (r *mpReader) skip(depth int) bool {
	_, ok := r.value(nil, depth, false)
	return ok
}

// json appends the value at r as JSON.
func (r *mpReader) json(dst []byte) ([]byte, bool) { return r.value(dst, 0, true) }

func (r *mpReader) value(dst []byte, depth int, write bool) ([]byte, bool) {
	if r.i >= len(r.b) || depth > 16 {
		return dst, false
	}
	c := r.b[r.i]
	switch {
	case c < 0x80 || c >= 0xcc && c <= 0xcf:
		v, ok := r.uint()
		if write {
			dst = strconv.AppendUint(dst, v, 10)
		}
		return dst, ok
	case c >= 0xe0:
		r.i++
		if write {
			dst = strconv.AppendInt(dst, int64(int8(c)), 10)
		}
		return dst, true
	case c >= 0xd0 && c <= 0xd3:
		size := 1 << (c - 0xd0)
		if r.i+1+size > len(r.b) {
			return dst, false
		}
		var v uint64
		for _, b := range r.b[r.i+1 : r.i+1+size] {
			v = v<<8 | uint64(b)
		}
		r.i += 1 + size
		if write {
			shift := 64 - 8*size
			dst = strconv.AppendInt(dst, int64(v<<shift)>>shift, 10)
		}
		return dst, true
	case c&0xe0 == 0xa0 || c >= 0xd9 && c <= 0xdb:
		s, ok := r.str()
		if write && ok {
			dst = appendJSONString(dst, s)
		}
		return dst, ok
	case c&0xf0 == 0x90 || c == 0xdc || c == 0xdd:
		n, ok := r.header(0x90, 0xdc)
		if write {
			dst = append(dst, '[')
		}
		for k := 0; ok && k < n; k++ {
			if write && k > 0 {
				dst = append(dst, ',')
			}
			dst, ok = r.value(dst, depth+1, write)
		}
		if write {
			dst = append(dst, ']')
		}
		return dst, ok
	case c&0xf0 == 0x80 || c == 0xde || c == 0xdf:
		n, ok := r.header(0x80, 0xde)
		if write {
			dst = append(dst, '{')
		}
		members := 0
		for k := 0; ok && k < n; k++ {
			var key []byte
			if key, ok = r.str(); !ok || r.undefined() {
				continue // a member whose value is undefined: left out, as JSON.stringify does
			}
			if write {
				if members > 0 {
					dst = append(dst, ',')
				}
				dst = append(appendJSONString(dst, key), ':')
			}
			members++
			dst, ok = r.value(dst, depth+1, write)
		}
		if write {
			dst = append(dst, '}')
		}
		return dst, ok
	}
	if r.undefined() { // in an array: null, as JSON.stringify writes it
		if write {
			dst = append(dst, "null"...)
		}
		return dst, true
	}
	r.i++
	var lit string
	switch c {
	case 0xc0:
		lit = "null"
	case 0xc2:
		lit = "false"
	case 0xc3:
		lit = "true"
	}
	if write {
		dst = append(dst, lit...)
	}
	return dst, lit != ""
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i, c := range s {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		start = i + 1
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, `\u00`...)
			dst = append(dst, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

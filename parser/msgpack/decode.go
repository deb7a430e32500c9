package msgpack

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	iparser "github.com/gosio/sio/internal/parser"
	"github.com/gosio/sio/parser"
)

// maxAckID is 2^53-1, the largest integer JavaScript represents exactly.
const maxAckID = 1<<53 - 1

// Default limits of a decoder.
const (
	defaultMaxDepth    = 32
	defaultMaxBinaries = 1000
)

type decoder struct {
	maxDepth    int
	maxBinaries int
	nsp         string // last namespace seen, reused to avoid allocations
}

// Add implements [parser.Decoder]: msg is one msgpack-encoded packet.
func (d *decoder) Add(msg []byte, binary bool) (*parser.Packet, error) {
	if !binary {
		return nil, ErrTextMessage
	}
	// The JSON form is about as long as the msgpack (placeholders and
	// escapes make it longer, small integers shorter). It is the packet's
	// Data, handed over with it: a new buffer for every packet.
	r := reader{msg: msg, maxDepth: d.maxDepth, maxBins: d.maxBinaries, out: make([]byte, 0, len(msg)+len(msg)/4+16)}
	n, ok := r.mapHeader()
	if !ok {
		return nil, ErrInvalidPacket
	}
	var (
		typ           = -1
		nsp           []byte
		hasNsp, hasID bool
		id            uint64
		data          []byte
		hasData       bool
		bins          [][]byte
	)
	for range n {
		key, isStr, err := r.key()
		if err != nil {
			return nil, err
		}
		switch {
		case isStr && string(key) == "type":
			v, ok := r.integer()
			if !ok || v < int64(parser.Connect) || v > int64(parser.ConnectError) {
				return nil, ErrInvalidType
			}
			typ = int(v)
		case isStr && string(key) == "nsp":
			s, ok := r.str()
			if !ok {
				return nil, ErrInvalidNamespace
			}
			nsp, hasNsp = s, true
		case isStr && string(key) == "id" && r.undefined():
			hasID = false
		case isStr && string(key) == "data" && r.undefined():
			data, bins, hasData = nil, nil, false
		case isStr && string(key) == "id":
			v, ok := r.integer()
			if !ok || v < 0 || v > maxAckID {
				return nil, iparser.ErrInvalidAckID
			}
			id, hasID = uint64(v), true
		case isStr && string(key) == "data":
			r.out, r.bins = r.out[:0], nil
			if err := r.value(0); err != nil {
				return nil, err
			}
			data, bins, hasData = r.out, r.bins, true
		default: // the client's "options", or anything else: ignored
			mark := len(r.out)
			if err := r.value(0); err != nil {
				return nil, err
			}
			r.out = r.out[:mark]
		}
	}
	if r.i != len(msg) {
		return nil, ErrTrailingBytes
	}
	if typ < 0 {
		return nil, ErrInvalidType
	}
	if !hasNsp || len(nsp) == 0 || nsp[0] != '/' {
		return nil, ErrInvalidNamespace
	}
	p := &parser.Packet{Type: parser.Type(typ), ID: id, HasID: hasID, Attachments: bins}
	if string(nsp) != d.nsp {
		d.nsp = string(nsp)
	}
	p.Namespace = d.nsp
	if hasData {
		p.Data = data
	}
	if len(bins) > 0 {
		switch p.Type {
		case parser.Event:
			p.Type = parser.BinaryEvent
		case parser.Ack:
			p.Type = parser.BinaryAck
		}
	}
	// The JSON written here is valid, and its placeholders refer to the
	// bins, unless the client sent a map with a "_placeholder" key: only
	// then, or near the depth limit (a placeholder is one level deeper
	// than its bin), does the whole payload need the JSON parser's check.
	check := iparser.CheckShape(p.Type, p.Data)
	if r.literalPH || r.deep {
		check = parser.CheckPayload(p.Type, p.Data, len(bins), d.maxDepth)
	}
	if check != nil {
		return nil, check
	}
	return p, nil
}

// reader reads msgpack values from msg and writes them out as JSON.
type reader struct {
	msg      []byte
	i        int
	out      []byte   // the JSON being written
	bins     [][]byte // the bin values met, which placeholders refer to
	maxDepth int
	maxBins  int

	deep      bool // a value nested within 3 levels of maxDepth
	literalPH bool // a map has a "_placeholder" key
}

// undefined reads notepack's undefined (fixext 1 of type 0) if it is next.
// notepack.io 2.2, the encoder of socket.io-msgpack-parser 3.0.x, writes
// it for a member whose value is undefined: the client's CONNECT without
// auth has "data" undefined.
func (r *reader) undefined() bool {
	if r.need(3) && r.msg[r.i] == 0xd4 && r.msg[r.i+1] == 0 {
		r.i += 3
		return true
	}
	return false
}

// need reports whether n more bytes are there.
func (r *reader) need(n uint64) bool { return uint64(len(r.msg)-r.i) >= n }

func (r *reader) u8() byte { b := r.msg[r.i]; r.i++; return b }

func (r *reader) u16() uint64 {
	v := binary.BigEndian.Uint16(r.msg[r.i:])
	r.i += 2
	return uint64(v)
}

func (r *reader) u32() uint64 {
	v := binary.BigEndian.Uint32(r.msg[r.i:])
	r.i += 4
	return uint64(v)
}

func (r *reader) u64() uint64 {
	v := binary.BigEndian.Uint64(r.msg[r.i:])
	r.i += 8
	return v
}

// length reads a big-endian length of size bytes (1, 2 or 4).
func (r *reader) length(size int) (uint64, bool) {
	if !r.need(uint64(size)) {
		return 0, false
	}
	switch size {
	case 1:
		return uint64(r.u8()), true
	case 2:
		return r.u16(), true
	}
	return r.u32(), true
}

func (r *reader) mapHeader() (uint64, bool) {
	if !r.need(1) {
		return 0, false
	}
	c := r.u8()
	var n uint64
	var ok bool
	switch {
	case c&0xf0 == 0x80:
		n, ok = uint64(c&0x0f), true
	case c == 0xde:
		n, ok = r.length(2)
	case c == 0xdf:
		n, ok = r.length(4)
	}
	// Each pair takes at least two bytes.
	return n, ok && r.need(2*n)
}

// key reads a map key of the packet: a string, or any other value (which
// cannot name one of the packet's fields), skipped.
func (r *reader) key() (key []byte, isStr bool, err error) {
	if s, ok := r.strAt(); ok {
		return s, true, nil
	}
	mark := len(r.out)
	err = r.value(0)
	r.out = r.out[:mark]
	return nil, false, err
}

// strAt reads a str if one is next, and leaves the reader alone otherwise.
func (r *reader) strAt() ([]byte, bool) {
	i := r.i
	s, ok := r.str()
	if !ok {
		r.i = i
	}
	return s, ok
}

// str reads a str value.
func (r *reader) str() ([]byte, bool) {
	if !r.need(1) {
		return nil, false
	}
	c := r.u8()
	var n uint64
	var ok bool
	switch {
	case c&0xe0 == 0xa0:
		n, ok = uint64(c&0x1f), true
	case c == 0xd9:
		n, ok = r.length(1)
	case c == 0xda:
		n, ok = r.length(2)
	case c == 0xdb:
		n, ok = r.length(4)
	}
	if !ok || !r.need(n) {
		return nil, false
	}
	s := r.msg[r.i : r.i+int(n)]
	r.i += int(n)
	return s, true
}

// integer reads a number that JavaScript's Number.isInteger accepts,
// within ±2^63.
func (r *reader) integer() (int64, bool) {
	if !r.need(1) {
		return 0, false
	}
	c := r.u8()
	switch {
	case c < 0x80:
		return int64(c), true
	case c >= 0xe0:
		return int64(int8(c)), true
	}
	var size uint64
	switch c {
	case 0xcc, 0xd0:
		size = 1
	case 0xcd, 0xd1:
		size = 2
	case 0xce, 0xd2, 0xca:
		size = 4
	case 0xcf, 0xd3, 0xcb:
		size = 8
	default:
		return 0, false
	}
	if !r.need(size) {
		return 0, false
	}
	switch c {
	case 0xcc:
		return int64(r.u8()), true
	case 0xcd:
		return int64(r.u16()), true
	case 0xce:
		return int64(r.u32()), true
	case 0xcf:
		v := r.u64()
		return int64(v), v <= math.MaxInt64
	case 0xd0:
		return int64(int8(r.u8())), true
	case 0xd1:
		return int64(int16(r.u16())), true
	case 0xd2:
		return int64(int32(r.u32())), true
	case 0xd3:
		return int64(r.u64()), true
	}
	var f float64
	if c == 0xca {
		f = float64(math.Float32frombits(uint32(r.u32())))
	} else {
		f = math.Float64frombits(r.u64())
	}
	if f != math.Trunc(f) || math.IsInf(f, 0) || f >= 1<<63 || f < -1<<63 {
		return 0, false
	}
	return int64(f), true
}

// value reads one msgpack value and writes it to r.out as JSON, as
// JSON.stringify writes the value notepack decodes, with these
// exceptions: a bin (or a notepack ArrayBuffer) becomes a placeholder
// that refers to it; NaN and infinities become null; a timestamp becomes
// the string Date.toJSON gives; another extension becomes [type,
// <bin>], as notepack decodes it.
func (r *reader) value(depth int) error {
	if !r.need(1) {
		return ErrTruncated
	}
	if depth+3 >= r.maxDepth {
		r.deep = true
	}
	c := r.u8()
	switch {
	case c < 0x80:
		r.out = strconv.AppendUint(r.out, uint64(c), 10)
		return nil
	case c >= 0xe0:
		r.out = strconv.AppendInt(r.out, int64(int8(c)), 10)
		return nil
	case c&0xf0 == 0x80:
		return r.object(uint64(c&0x0f), depth)
	case c&0xf0 == 0x90:
		return r.array(uint64(c&0x0f), depth)
	case c&0xe0 == 0xa0:
		r.i--
		return r.string()
	}
	switch c {
	case 0xc0:
		r.out = append(r.out, "null"...)
	case 0xc2:
		r.out = append(r.out, "false"...)
	case 0xc3:
		r.out = append(r.out, "true"...)
	case 0xc4, 0xc5, 0xc6:
		n, ok := r.length(1 << (c - 0xc4))
		if !ok || !r.need(n) {
			return ErrTruncated
		}
		return r.bin(int(n))
	case 0xc7, 0xc8, 0xc9:
		n, ok := r.length(1 << (c - 0xc7))
		if !ok || !r.need(n+1) {
			return ErrTruncated
		}
		return r.ext(int(n), int8(r.u8()))
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		n := uint64(1) << (c - 0xd4)
		if !r.need(n + 1) {
			return ErrTruncated
		}
		typ := int8(r.u8())
		if c == 0xd4 && typ == 0 { // notepack's undefined
			r.i++
			r.out = append(r.out, "null"...)
			return nil
		}
		if c == 0xd7 && typ == 0 { // notepack's old Date: milliseconds
			return r.date(int64(r.u64()), 0)
		}
		return r.ext(int(n), typ)
	case 0xca, 0xcb:
		var f float64
		if c == 0xca {
			if !r.need(4) {
				return ErrTruncated
			}
			f = float64(math.Float32frombits(uint32(r.u32())))
		} else {
			if !r.need(8) {
				return ErrTruncated
			}
			f = math.Float64frombits(r.u64())
		}
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			r.out = append(r.out, "null"...)
		case f == 0:
			r.out = append(r.out, '0') // -0 too, as JSON.stringify writes it
		default:
			r.out = iparser.AppendFloat(r.out, f)
		}
	case 0xcc, 0xcd, 0xce, 0xcf:
		n := uint64(1) << (c - 0xcc)
		if !r.need(n) {
			return ErrTruncated
		}
		var v uint64
		switch c {
		case 0xcc:
			v = uint64(r.u8())
		case 0xcd:
			v = r.u16()
		case 0xce:
			v = r.u32()
		default:
			v = r.u64()
		}
		r.out = strconv.AppendUint(r.out, v, 10)
	case 0xd0, 0xd1, 0xd2, 0xd3:
		n := uint64(1) << (c - 0xd0)
		if !r.need(n) {
			return ErrTruncated
		}
		var v int64
		switch c {
		case 0xd0:
			v = int64(int8(r.u8()))
		case 0xd1:
			v = int64(int16(r.u16()))
		case 0xd2:
			v = int64(int32(r.u32()))
		default:
			v = int64(r.u64())
		}
		r.out = strconv.AppendInt(r.out, v, 10)
	case 0xd9, 0xda, 0xdb:
		r.i--
		return r.string()
	case 0xdc, 0xdd:
		n, ok := r.length(2 << (c - 0xdc))
		if !ok {
			return ErrTruncated
		}
		return r.array(n, depth)
	case 0xde, 0xdf:
		n, ok := r.length(2 << (c - 0xde))
		if !ok {
			return ErrTruncated
		}
		return r.object(n, depth)
	default: // 0xc1, never used
		return ErrInvalidValue
	}
	return nil
}

func (r *reader) string() error {
	s, ok := r.str()
	if !ok {
		return ErrTruncated
	}
	r.appendString(s)
	return nil
}

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD
// itself, not its escape, so that the JSON form of a packet is the same
// after it is encoded and decoded again.
func (r *reader) appendString(s []byte) {
	if iparser.SafeASCII(s) == len(s) {
		r.out = append(r.out, '"')
		r.out = append(r.out, s...)
		r.out = append(r.out, '"')
		return
	}
	if !utf8.Valid(s) {
		s = []byte(string([]rune(string(s))))
	}
	r.out = iparser.AppendString(r.out, string(s))
}

func (r *reader) bin(n int) error {
	if len(r.bins) >= r.maxBins {
		return ErrTooManyBinaries
	}
	r.out = append(r.out, `{"_placeholder":true,"num":`...)
	r.out = strconv.AppendInt(r.out, int64(len(r.bins)), 10)
	r.out = append(r.out, '}')
	r.bins = append(r.bins, r.msg[r.i:r.i+n:r.i+n])
	r.i += n
	return nil
}

// ext writes the extension value of n bytes (already checked to be there)
// of type typ.
func (r *reader) ext(n int, typ int8) error {
	switch {
	case typ == 0: // notepack's ArrayBuffer
		return r.bin(n)
	case typ == -1 && n == 4:
		return r.date(int64(r.u32())*1e3, 0)
	case typ == -1 && n == 8:
		v := r.u64()
		return r.date(int64(v&(1<<34-1))*1e3, int64(v>>34))
	case typ == -1 && n == 12:
		ns := r.u32()
		s := int64(r.u64())
		return r.date(s*1e3, int64(ns))
	}
	r.out = append(r.out, '[')
	r.out = strconv.AppendInt(r.out, int64(typ), 10)
	r.out = append(r.out, ',')
	if err := r.bin(n); err != nil {
		return err
	}
	r.out = append(r.out, ']')
	return nil
}

// date writes the time ms milliseconds plus ns nanoseconds after the epoch
// as Date.toJSON does (millisecond precision, UTC).
func (r *reader) date(ms, ns int64) error {
	t := time.UnixMilli(ms).Add(time.Duration(ns/1e6) * time.Millisecond).UTC()
	r.out = append(r.out, '"')
	r.out = t.AppendFormat(r.out, "2006-01-02T15:04:05.000Z")
	r.out = append(r.out, '"')
	return nil
}

func (r *reader) array(n uint64, depth int) error {
	if depth >= r.maxDepth {
		return iparser.ErrMaxDepth
	}
	if !r.need(n) { // each element takes at least one byte
		return ErrTruncated
	}
	r.out = append(r.out, '[')
	for k := range n {
		if k > 0 {
			r.out = append(r.out, ',')
		}
		if err := r.value(depth + 1); err != nil {
			return err
		}
	}
	r.out = append(r.out, ']')
	return nil
}

func (r *reader) object(n uint64, depth int) error {
	if depth >= r.maxDepth {
		return iparser.ErrMaxDepth
	}
	if !r.need(2 * n) {
		return ErrTruncated
	}
	r.out = append(r.out, '{')
	first := true
	for range n {
		mark := len(r.out)
		if !first {
			r.out = append(r.out, ',')
		}
		if err := r.objectKey(); err != nil {
			return err
		}
		if r.undefined() {
			r.out = r.out[:mark] // dropped, as JSON.stringify drops it
			continue
		}
		first = false
		r.out = append(r.out, ':')
		if err := r.value(depth + 1); err != nil {
			return err
		}
	}
	r.out = append(r.out, '}')
	return nil
}

// objectKey writes a map key as the property name JavaScript makes of it:
// a string as is, an integer, boolean or nil as its String() text. Other
// keys (floats, containers, bin, extensions) are refused.
func (r *reader) objectKey() error {
	if s, ok := r.strAt(); ok {
		if string(s) == "_placeholder" {
			r.literalPH = true
		}
		r.appendString(s)
		return nil
	}
	if !r.need(1) {
		return ErrTruncated
	}
	switch c := r.msg[r.i]; {
	case c < 0x80 || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3 || c >= 0xcc && c <= 0xd3:
	default:
		return ErrInvalidKey
	}
	r.out = append(r.out, '"')
	if err := r.value(0); err != nil {
		return err
	}
	r.out = append(r.out, '"')
	return nil
}

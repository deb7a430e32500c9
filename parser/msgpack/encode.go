package msgpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"

	iparser "github.com/gosio/sio/internal/parser"
	"github.com/gosio/sio/parser"
)

// maxEncodeDepth bounds the nesting of the JSON the encoder translates (the
// server's own encoder stops at 1000 levels).
const maxEncodeDepth = 10_000

// AppendPacket appends the msgpack form of p to dst: one map with the keys
// "type", "nsp", "data" (when p.Data is not nil) and "id" (when p.HasID),
// in the order the Node server's objects have them, the payload translated
// from JSON with its placeholders replaced by the attachments as bin
// values. BINARY_EVENT and BINARY_ACK are written as EVENT and ACK. On
// error (p.Data is not valid JSON, or a placeholder refers to no
// attachment) it returns dst unchanged.
func AppendPacket(dst []byte, p *parser.Packet) ([]byte, error) {
	n0 := len(dst)
	typ := p.Type
	switch typ {
	case parser.BinaryEvent:
		typ = parser.Event
	case parser.BinaryAck:
		typ = parser.Ack
	}
	nsp := p.Namespace
	if nsp == "" {
		nsp = "/"
	}
	n := 2
	if p.Data != nil {
		n++
	}
	if p.HasID {
		n++
	}
	dst = append(dst, 0x80|byte(n))
	var err error
	// Node builds {id, type, data} for an ack, {type, data} then id for an
	// event, and sets nsp last, just before encoding.
	if typ == parser.Ack && p.HasID {
		dst = appendID(dst, p.ID)
	}
	dst = append(dst, 0xa4, 't', 'y', 'p', 'e', byte(typ))
	if p.Data != nil {
		dst = append(dst, 0xa4, 'd', 'a', 't', 'a')
		if dst, err = AppendJSON(dst, p.Data, p.Attachments); err != nil {
			return dst[:n0], err
		}
	}
	if typ != parser.Ack && p.HasID {
		dst = appendID(dst, p.ID)
	}
	dst = append(dst, 0xa3, 'n', 's', 'p')
	return appendStr(dst, nsp), nil
}

func appendID(dst []byte, id uint64) []byte {
	return appendUint(append(dst, 0xa2, 'i', 'd'), id)
}

// AppendJSON appends the JSON value data to dst in msgpack, encoded as
// notepack.io (the encoder of socket.io-msgpack-parser) encodes the value
// JSON.parse would make of it: object keys in their order, integral
// numbers in the smallest integer type (unsigned when not negative), other
// numbers as float64, strings as str and each placeholder
// {"_placeholder":true,"num":N} as the bin value atts[N]. On error it
// returns dst unchanged.
func AppendJSON(dst, data []byte, atts [][]byte) ([]byte, error) {
	n0 := len(dst)
	e := encoder{data: data, atts: atts, hasPH: bytes.Contains(data, []byte(`"_placeholder"`))}
	out, i, err := e.value(dst, skipSpace(data, 0), 0)
	if err == errDeep {
		// Nested too deep for the single pass: count first.
		e = encoder{data: data, atts: atts, hasPH: e.hasPH, counted: true}
		if err = e.count(); err == nil {
			out, i, err = e.value(dst[:n0], skipSpace(data, 0), 0)
		}
	}
	if err == nil && skipSpace(data, i) != len(data) {
		err = ErrInvalidJSON
	}
	if err != nil {
		return dst[:n0], err
	}
	return out, nil
}

// singlePassDepth is the nesting below which the encoder translates in one
// pass, writing each array and map header as if it had fewer than 16
// elements and moving the elements when it has more. Each level may move
// what it holds once, so deeper payloads are counted first instead.
const singlePassDepth = 64

// errDeep stops the single pass at singlePassDepth.
var errDeep = errors.New("msgpack: nested deeper than the single pass goes")

// encoder translates one JSON value: in one pass, or (counted) in two, a
// first that counts the elements of every array and object, in the order
// they open, since msgpack writes the count before the elements.
type encoder struct {
	data    []byte
	atts    [][]byte
	counted bool
	counts  []int
	next    int // index in counts of the next container to open
	buf     []byte
	hasPH   bool // data holds "_placeholder": objects must be looked at
}

func (e *encoder) count() error {
	type open struct {
		idx      int  // index in counts
		nonEmpty bool // an element has started
	}
	var local [8]open
	stack := local[:0]
	data := e.data
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case ' ', '\t', '\n', '\r', ':':
			continue
		case ',':
			if len(stack) == 0 {
				return ErrInvalidJSON
			}
			e.counts[stack[len(stack)-1].idx]++
			continue
		case ']', '}':
			if len(stack) == 0 {
				return ErrInvalidJSON
			}
			if top := stack[len(stack)-1]; top.nonEmpty {
				e.counts[top.idx]++ // the last element, which no comma follows
			}
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) > 0 {
			stack[len(stack)-1].nonEmpty = true
		}
		switch c {
		case '"':
			end, _, ok := iparser.ScanString(data, i)
			if !ok {
				return ErrInvalidJSON
			}
			i = end - 1
		case '[', '{':
			if len(stack) >= maxEncodeDepth {
				return iparser.ErrMaxDepth
			}
			stack = append(stack, open{idx: len(e.counts)})
			e.counts = append(e.counts, 0)
		}
	}
	if len(stack) != 0 {
		return ErrInvalidJSON
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// value translates the JSON value at data[i:] (white space skipped) and
// returns the offset just past it.
func (e *encoder) value(dst []byte, i, depth int) ([]byte, int, error) {
	data := e.data
	if i >= len(data) {
		return dst, i, ErrInvalidJSON
	}
	switch c := data[i]; {
	case c == '"':
		end, esc, ok := iparser.ScanString(data, i)
		if !ok {
			return dst, i, ErrInvalidJSON
		}
		return e.appendString(dst, data[i:end], esc), end, nil
	case c == '[':
		return e.array(dst, i, depth)
	case c == '{':
		if e.hasPH {
			if end, num, ok := placeholderAt(data, i); ok {
				if num >= len(e.atts) {
					return dst, i, iparser.ErrIllegalAttachments
				}
				if e.counted {
					e.next++ // the placeholder object was counted
				}
				return appendBin(dst, e.atts[num]), end, nil
			}
		}
		return e.object(dst, i, depth)
	case c == 't':
		if hasLiteral(data, i, "true") {
			return append(dst, 0xc3), i + 4, nil
		}
	case c == 'f':
		if hasLiteral(data, i, "false") {
			return append(dst, 0xc2), i + 5, nil
		}
	case c == 'n':
		if hasLiteral(data, i, "null") {
			return append(dst, 0xc0), i + 4, nil
		}
	case c == '-' || c >= '0' && c <= '9':
		end, ok := iparser.ScanNumber(data, i)
		if !ok {
			return dst, i, ErrInvalidJSON
		}
		return appendNumber(dst, data[i:end]), end, nil
	}
	return dst, i, ErrInvalidJSON
}

// placeholderAt is iparser.PlaceholderAt with a fast path for the form the
// server (and socket.io-parser) writes, {"_placeholder":true,"num":N}.
func placeholderAt(data []byte, i int) (end, num int, ok bool) {
	const prefix = `{"_placeholder":true,"num":`
	if bytes.HasPrefix(data[i:], []byte(prefix)) {
		j := i + len(prefix)
		k := j
		for k < len(data) && k-j < 9 && data[k] >= '0' && data[k] <= '9' {
			num = num*10 + int(data[k]-'0')
			k++
		}
		if k > j && k < len(data) && data[k] == '}' && (k-j == 1 || data[j] != '0') {
			return k + 1, num, true
		}
	}
	return iparser.PlaceholderAt(data, i)
}

func hasLiteral(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

// open takes the count of the container that opens next, in a counted
// pass.
func (e *encoder) open(depth int) (int, error) {
	if e.next >= len(e.counts) || depth >= maxEncodeDepth {
		return 0, ErrInvalidJSON
	}
	n := e.counts[e.next]
	e.next++
	return n, nil
}

// begin starts an array (or map) at data[i] of which the counted pass
// knows the element count n; the single pass writes a one-byte header
// that end fixes.
func (e *encoder) begin(dst []byte, depth int, isMap bool) ([]byte, int, error) {
	if e.counted {
		n, err := e.open(depth)
		if err != nil {
			return dst, 0, err
		}
		if isMap {
			return appendMapHeader(dst, n), n, nil
		}
		return appendArrayHeader(dst, n), n, nil
	}
	if depth >= singlePassDepth {
		return dst, 0, errDeep
	}
	return append(dst, 0), 0, nil
}

// end writes, in the single pass, the header of the container of n
// elements whose one-byte header is at dst[hdr], moving its elements
// when the header takes more bytes.
func (e *encoder) end(dst []byte, hdr, n int, isMap bool) []byte {
	if e.counted {
		return dst
	}
	fix, code := byte(0x90), byte(0xdc)
	if isMap {
		fix, code = 0x80, 0xde
	}
	if n < 0x10 {
		dst[hdr] = fix | byte(n)
		return dst
	}
	extra := 2
	if n >= 0x10000 {
		extra = 4
	}
	body := len(dst) - hdr - 1
	dst = append(dst, 0, 0, 0, 0)[:len(dst)+extra]
	copy(dst[hdr+1+extra:], dst[hdr+1:hdr+1+body])
	if extra == 2 {
		dst[hdr] = code
		binary.BigEndian.PutUint16(dst[hdr+1:], uint16(n))
	} else {
		dst[hdr] = code + 1
		binary.BigEndian.PutUint32(dst[hdr+1:], uint32(n))
	}
	return dst
}

func (e *encoder) array(dst []byte, i, depth int) ([]byte, int, error) {
	return e.container(dst, i, depth, false)
}

func (e *encoder) object(dst []byte, i, depth int) ([]byte, int, error) {
	return e.container(dst, i, depth, true)
}

// container translates the array (or, with isMap, the object) at data[i].
func (e *encoder) container(dst []byte, i, depth int, isMap bool) ([]byte, int, error) {
	hdr := len(dst)
	dst, want, err := e.begin(dst, depth, isMap)
	if err != nil {
		return dst, i, err
	}
	closing := byte(']')
	if isMap {
		closing = '}'
	}
	data := e.data
	i = skipSpace(data, i+1)
	n := 0
	if i < len(data) && data[i] == closing {
		i++
	} else {
		for {
			if isMap {
				if dst, i, err = e.key(dst, i); err != nil {
					return dst, i, err
				}
			}
			if dst, i, err = e.value(dst, i, depth+1); err != nil {
				return dst, i, err
			}
			n++
			i = skipSpace(data, i)
			if i >= len(data) {
				return dst, i, ErrInvalidJSON
			}
			if data[i] == closing {
				i++
				break
			}
			if data[i] != ',' {
				return dst, i, ErrInvalidJSON
			}
			i = skipSpace(data, i+1)
		}
	}
	if e.counted && n != want {
		return dst, i, ErrInvalidJSON
	}
	return e.end(dst, hdr, n, isMap), i, nil
}

// key translates the member name at data[i] and passes the colon after
// it: it returns the offset of the member's value.
func (e *encoder) key(dst []byte, i int) ([]byte, int, error) {
	data := e.data
	if i >= len(data) || data[i] != '"' {
		return dst, i, ErrInvalidJSON
	}
	end, esc, ok := iparser.ScanString(data, i)
	if !ok {
		return dst, i, ErrInvalidJSON
	}
	dst = e.appendString(dst, data[i:end], esc)
	i = skipSpace(data, end)
	if i >= len(data) || data[i] != ':' {
		return dst, i, ErrInvalidJSON
	}
	return dst, skipSpace(data, i+1), nil
}

// appendString writes the JSON string s (quotes included) as a str.
func (e *encoder) appendString(dst, s []byte, esc bool) []byte {
	body := s[1 : len(s)-1]
	if esc || !isASCII(body) && !utf8.Valid(body) {
		e.buf, _ = iparser.AppendUnquote(e.buf[:0], s)
		body = e.buf
	}
	dst = appendStrHeader(dst, len(body))
	return append(dst, body...)
}

// isASCII reports whether b holds only ASCII bytes.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendNumber writes a JSON number as notepack writes the JavaScript
// number JSON.parse makes of it, except that integers beyond 2^53 keep
// all their digits.
func appendNumber(dst, num []byte) []byte {
	if len(num) <= 18 { // fits an int64 whatever its digits
		neg := num[0] == '-'
		digits := num
		if neg {
			digits = num[1:]
		}
		var v int64
		ok := len(digits) > 0
		for _, c := range digits {
			if c < '0' || c > '9' {
				ok = false
				break
			}
			v = v*10 + int64(c-'0')
		}
		if ok {
			if neg {
				if v == 0 {
					return append(dst, 0) // -0, as notepack writes it
				}
				return appendInt(dst, -v)
			}
			return appendUint(dst, uint64(v))
		}
	}
	integral := true
	for _, c := range num {
		if c == '.' || c == 'e' || c == 'E' {
			integral = false
			break
		}
	}
	if integral {
		if num[0] == '-' {
			if v, err := strconv.ParseInt(string(num), 10, 64); err == nil {
				return appendInt(dst, v)
			}
		} else if v, err := strconv.ParseUint(string(num), 10, 64); err == nil {
			return appendUint(dst, v)
		}
	}
	f, _ := strconv.ParseFloat(string(num), 64) // out of range: ±Inf, as in JavaScript
	return appendFloat(dst, f)
}

// appendFloat writes f as an integer when it is integral, as notepack
// does, and as a float64 otherwise (notepack never writes float32).
func appendFloat(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && !math.IsInf(f, 0) {
		if f >= 0 && f < 1<<64 {
			return appendUint(dst, uint64(f)) // -0 too, as 0
		}
		if f < 0 && f >= -1<<63 {
			return appendInt(dst, int64(f))
		}
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(f))
}

func appendUint(dst []byte, v uint64) []byte {
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

func appendInt(dst []byte, v int64) []byte {
	switch {
	case v >= 0:
		return appendUint(dst, uint64(v))
	case v >= -0x20:
		return append(dst, byte(v))
	case v >= -0x80:
		return append(dst, 0xd0, byte(v))
	case v >= -0x8000:
		return binary.BigEndian.AppendUint16(append(dst, 0xd1), uint16(v))
	case v >= -0x80000000:
		return binary.BigEndian.AppendUint32(append(dst, 0xd2), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(v))
}

func appendStrHeader(dst []byte, n int) []byte {
	switch {
	case n < 0x20:
		return append(dst, 0xa0|byte(n))
	case n < 0x100:
		return append(dst, 0xd9, byte(n))
	case n < 0x10000:
		return binary.BigEndian.AppendUint16(append(dst, 0xda), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
}

func appendStr(dst []byte, s string) []byte {
	return append(appendStrHeader(dst, len(s)), s...)
}

func appendBin(dst, b []byte) []byte {
	n := len(b)
	switch {
	case n < 0x100:
		dst = append(dst, 0xc4, byte(n))
	case n < 0x10000:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xc5), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xc6), uint32(n))
	}
	return append(dst, b...)
}

func appendArrayHeader(dst []byte, n int) []byte {
	switch {
	case n < 0x10:
		return append(dst, 0x90|byte(n))
	case n < 0x10000:
		return binary.BigEndian.AppendUint16(append(dst, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdd), uint32(n))
}

func appendMapHeader(dst []byte, n int) []byte {
	switch {
	case n < 0x10:
		return append(dst, 0x80|byte(n))
	case n < 0x10000:
		return binary.BigEndian.AppendUint16(append(dst, 0xde), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdf), uint32(n))
}

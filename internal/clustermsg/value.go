package clustermsg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/gosio/sio/internal/parser"
)

// The adapter handles every message as a small value tree, the same one
// whether the message came as JSON or as msgpack, so that the two codecs of
// the reference meet in one place. A tree node is one of:
//
//	nil, bool, string, int64, float64, []byte, time.Time,
//	[]any (an array), Object (a map with its keys in order),
//	RawJSON (JSON kept as it is, written verbatim to JSON output).
//
// Numbers that JavaScript would see as integers are int64; []byte is
// msgpack's bin, which the reference's notepack.io decodes as a Buffer.

// Object is a JSON object or msgpack map with its keys in order.
type Object []Member

// Member is a key and its value. It is an unnamed struct type so that
// packages of the module write members as {"key", value}.
type Member = struct {
	Key string
	Val any
}

// Get returns the value of key, or nil.
func (o Object) Get(key string) any {
	for _, m := range o {
		if m.Key == key {
			return m.Val
		}
	}
	return nil
}

// Has reports whether key is present (even with a nil value).
func (o Object) Has(key string) bool {
	for _, m := range o {
		if m.Key == key {
			return true
		}
	}
	return false
}

// RawJSON is a JSON value kept undecoded.
type RawJSON []byte

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed message")

// maxDepth bounds the nesting of decoded values, as a guard against
// hostile input on a shared Redis.
const maxDepth = 512

// --- JSON -> tree ---------------------------------------------------------

// ParseJSON decodes one JSON value into a tree. Objects of the form
// {"_placeholder":true,"num":N} become atts[N] when atts is not nil.
func ParseJSON(data []byte, atts [][]byte) (any, error) {
	p := jsonParser{data: data, atts: atts}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, fmt.Errorf("%w: trailing data after JSON value", ErrMalformed)
	}
	return v, nil
}

type jsonParser struct {
	data []byte
	pos  int
	atts [][]byte
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) fail(what string) error {
	return fmt.Errorf("%w: JSON %s at offset %d", ErrMalformed, what, p.pos)
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.fail("nested too deeply")
	}
	if p.pos >= len(p.data) {
		return nil, p.fail("unexpected end")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.Object(depth)
	case c == '[':
		p.pos++
		arr := []any{}
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return arr, nil
		}
		for {
			p.skipSpace()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			p.skipSpace()
			if p.pos >= len(p.data) {
				return nil, p.fail("unterminated array")
			}
			if p.data[p.pos] == ']' {
				p.pos++
				return arr, nil
			}
			if p.data[p.pos] != ',' {
				return nil, p.fail("expected , or ]")
			}
			p.pos++
		}
	case c == '"':
		return p.string()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, p.fail("unexpected character")
}

func (p *jsonParser) literal(word string, v any) (any, error) {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return nil, p.fail("invalid literal")
	}
	p.pos += len(word)
	return v, nil
}

func (p *jsonParser) Object(depth int) (any, error) {
	p.pos++ // {
	obj := Object{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return obj, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.fail("expected Object key")
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.fail("expected :")
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj = append(obj, Member{k.(string), v})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.fail("unterminated Object")
		}
		if p.data[p.pos] == '}' {
			p.pos++
			break
		}
		if p.data[p.pos] != ',' {
			return nil, p.fail("expected , or }")
		}
		p.pos++
	}
	if p.atts != nil {
		if b, ok := placeholder(obj, p.atts); ok {
			return b, nil
		}
	}
	return obj, nil
}

// placeholder returns the attachment a {"_placeholder":true,"num":N}
// object stands for.
func placeholder(obj Object, atts [][]byte) ([]byte, bool) {
	if len(obj) != 2 || obj.Get("_placeholder") != true {
		return nil, false
	}
	n, ok := obj.Get("num").(int64)
	if !ok || n < 0 || n >= int64(len(atts)) {
		return nil, false
	}
	b := atts[n]
	if b == nil {
		b = []byte{}
	}
	return b, true
}

func (p *jsonParser) string() (any, error) {
	start := p.pos
	p.pos++
	// Fast path: no escapes.
	for i := p.pos; i < len(p.data); i++ {
		c := p.data[i]
		if c == '"' {
			s := p.data[p.pos:i]
			if utf8.Valid(s) {
				p.pos = i + 1
				return string(s), nil
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	// Slow path: find the end, then let encoding/json unescape.
	i := p.pos
	for ; i < len(p.data); i++ {
		c := p.data[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '"' {
			break
		}
	}
	if i >= len(p.data) {
		p.pos = start
		return nil, p.fail("unterminated string")
	}
	var s string
	if err := json.Unmarshal(p.data[start:i+1], &s); err != nil {
		p.pos = start
		return nil, p.fail("invalid string")
	}
	p.pos = i + 1
	return s, nil
}

func (p *jsonParser) number() (any, error) {
	start := p.pos
	isFloat := false
	if p.data[p.pos] == '-' {
		p.pos++
	}
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-':
			isFloat = true
		default:
			goto done
		}
		p.pos++
	}
done:
	s := string(p.data[start:p.pos])
	if !isFloat {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			p.pos = start
			return nil, p.fail("invalid number")
		}
	}
	return number(f), nil
}

// number returns f as JavaScript holds it: an integer when it has no
// fraction and fits in the safe range.
func number(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		return int64(f)
	}
	return f
}

// --- msgpack -> tree ------------------------------------------------------

// ParseMsgpack decodes one msgpack value into a tree.
func ParseMsgpack(data []byte) (any, error) {
	dec := msgpack.NewDecoder(bytes.NewReader(data))
	v, err := decodeMsgpack(dec, len(data), 0)
	if err != nil {
		if errors.Is(err, ErrMalformed) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: msgpack: %v", ErrMalformed, err)
	}
	if _, err := dec.PeekCode(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after msgpack value", ErrMalformed)
	}
	return v, nil
}

// decodeMsgpack decodes a value of a payload of size bytes.
func decodeMsgpack(dec *msgpack.Decoder, size, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: msgpack nested too deeply", ErrMalformed)
	}
	c, err := dec.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case c == msgpcode.Nil:
		return nil, dec.DecodeNil()
	case c == msgpcode.False || c == msgpcode.True:
		return dec.DecodeBool()
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := dec.DecodeFloat64()
		if err != nil {
			return nil, err
		}
		return number(f), nil
	case c == msgpcode.Uint64:
		n, err := dec.DecodeUint64()
		if err != nil {
			return nil, err
		}
		if n > math.MaxInt64 {
			return float64(n), nil
		}
		return int64(n), nil
	case msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64):
		return dec.DecodeInt64()
	case msgpcode.IsString(c):
		return dec.DecodeString()
	case msgpcode.IsBin(c):
		// Not DecodeBytes: it allocates the announced length up front.
		n, err := dec.DecodeBytesLen()
		if err != nil {
			return nil, err
		}
		if n < 0 || n > size {
			return nil, fmt.Errorf("%w: msgpack bin length %d", ErrMalformed, n)
		}
		b := make([]byte, n)
		return b, dec.ReadFull(b)
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := dec.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		arr := make([]any, 0, min(n, 1024))
		for range n {
			v, err := decodeMsgpack(dec, size, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, nil
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := dec.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		obj := make(Object, 0, min(n, 1024))
		for range n {
			k, err := decodeMsgpack(dec, size, depth+1)
			if err != nil {
				return nil, err
			}
			v, err := decodeMsgpack(dec, size, depth+1)
			if err != nil {
				return nil, err
			}
			obj = append(obj, Member{keyString(k), v})
		}
		return obj, nil
	case msgpcode.IsFixedExt(c) || msgpcode.IsExt(c):
		return decodeExt(dec, size)
	}
	return nil, fmt.Errorf("%w: msgpack code 0x%02x", ErrMalformed, c)
}

// decodeExt decodes the extension types the reference's codecs write: -1
// (a timestamp, for a Date) and 0 (undefined or an ArrayBuffer, from
// notepack.io 2). Others decode as nil.
func decodeExt(dec *msgpack.Decoder, size int) (any, error) {
	id, n, err := dec.DecodeExtHeader()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > size {
		return nil, fmt.Errorf("%w: msgpack ext length %d", ErrMalformed, n)
	}
	buf := make([]byte, n)
	if err := dec.ReadFull(buf); err != nil {
		return nil, err
	}
	switch id {
	case -1:
		switch n {
		case 4:
			return time.Unix(int64(be32(buf)), 0).UTC(), nil
		case 8:
			v := uint64(be32(buf))<<32 | uint64(be32(buf[4:]))
			return time.Unix(int64(v&(1<<34-1)), int64(v>>34)).UTC(), nil
		case 12:
			return time.Unix(int64(uint64(be32(buf[4:]))<<32|uint64(be32(buf[8:]))), int64(be32(buf))).UTC(), nil
		}
		return nil, fmt.Errorf("%w: msgpack timestamp of %d bytes", ErrMalformed, n)
	case 0:
		if n == 1 && buf[0] == 0 {
			return nil, nil // notepack.io 2's undefined
		}
		return buf, nil
	}
	return nil, nil
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// keyString turns a map key into the string JavaScript would use.
func keyString(k any) string {
	switch k := k.(type) {
	case string:
		return k
	case nil:
		return "null"
	}
	return string(AppendJSON(nil, k, JSONPlain, nil))
}

// --- tree -> JSON ---------------------------------------------------------

// JSONMode says how []byte is written to JSON.
type JSONMode int

const (
	// JSONPlain writes []byte as JSON.stringify writes a Node.js Buffer:
	// {"type":"Buffer","data":[...]}.
	JSONPlain JSONMode = iota
	// JSONPlaceholders writes []byte as a Socket.IO placeholder and
	// appends it to the attachments.
	JSONPlaceholders
)

// AppendJSON appends the JSON encoding of v. In JSONPlaceholders mode the
// binary values are moved to *atts.
func AppendJSON(b []byte, v any, mode JSONMode, atts *[][]byte) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		if v {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case string:
		return parser.AppendString(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		return AppendJSONFloat(b, v)
	case []byte:
		if mode == JSONPlaceholders {
			b = append(b, `{"_placeholder":true,"num":`...)
			b = strconv.AppendInt(b, int64(len(*atts)), 10)
			*atts = append(*atts, v)
			return append(b, '}')
		}
		b = append(b, `{"type":"Buffer","data":[`...)
		for i, c := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(c), 10)
		}
		return append(b, "]}"...)
	case time.Time:
		return parser.AppendString(b, jsDate(v))
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSON(b, e, mode, atts)
		}
		return append(b, ']')
	case Object:
		b = append(b, '{')
		for i, m := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = parser.AppendString(b, m.Key)
			b = append(b, ':')
			b = AppendJSON(b, m.Val, mode, atts)
		}
		return append(b, '}')
	case RawJSON:
		return append(b, v...)
	}
	return append(b, "null"...)
}

// jsDate formats t as Date.prototype.toJSON does.
func jsDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// AppendJSONFloat writes f as JavaScript's Number.prototype.toString
// would, within JSON (NaN and infinities become null, as in
// JSON.stringify).
func AppendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-07 -> e-7, as JavaScript writes it.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// --- tree -> msgpack ------------------------------------------------------

// EncodeMsgpack returns the msgpack encoding of v, as notepack.io writes
// it: the smallest integer format, float64 for other numbers, str for
// strings and bin for binary.
func EncodeMsgpack(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	if err := writeMsgpack(enc, v, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeMsgpack(enc *msgpack.Encoder, v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: value nested too deeply", ErrMalformed)
	}
	switch v := v.(type) {
	case nil:
		return enc.EncodeNil()
	case bool:
		return enc.EncodeBool(v)
	case string:
		return enc.EncodeString(v)
	case int64:
		return enc.EncodeInt(v)
	case float64:
		return enc.EncodeFloat64(v)
	case []byte:
		if v == nil {
			v = []byte{}
		}
		return enc.EncodeBytes(v)
	case time.Time:
		return enc.EncodeTime(v)
	case []any:
		if err := enc.EncodeArrayLen(len(v)); err != nil {
			return err
		}
		for _, e := range v {
			if err := writeMsgpack(enc, e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case Object:
		if err := enc.EncodeMapLen(len(v)); err != nil {
			return err
		}
		for _, m := range v {
			if err := enc.EncodeString(m.Key); err != nil {
				return err
			}
			if err := writeMsgpack(enc, m.Val, depth+1); err != nil {
				return err
			}
		}
		return nil
	case RawJSON:
		t, err := ParseJSON(v, nil)
		if err != nil {
			return err
		}
		return writeMsgpack(enc, t, depth)
	}
	return fmt.Errorf("redis adapter: cannot encode %T", v)
}

// --- tree <-> Go values ---------------------------------------------------

// ToGo turns a tree into the values encoding/json gives for an
// interface: map[string]any, []any, float64, string, bool and nil, plus
// []byte for binary.
func ToGo(v any) any {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case time.Time:
		return jsDate(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = ToGo(e)
		}
		return out
	case Object:
		out := make(map[string]any, len(v))
		for _, m := range v {
			out[m.Key] = ToGo(m.Val)
		}
		return out
	case RawJSON:
		t, err := ParseJSON(v, nil)
		if err != nil {
			return nil
		}
		return ToGo(t)
	}
	return v
}

// FromGo turns a Go value into a tree: []byte stays binary, []any and
// map[string]any are walked, anything else goes through encoding/json.
func FromGo(v any) (any, error) {
	switch v := v.(type) {
	case nil, bool, string, []byte, int64:
		return v, nil
	case int:
		return int64(v), nil
	case float64:
		return number(v), nil
	case json.RawMessage:
		return ParseJSON(v, nil)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			t, err := FromGo(e)
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		return out, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(Object, 0, len(v))
		for _, k := range keys {
			t, err := FromGo(v[k])
			if err != nil {
				return nil, err
			}
			out = append(out, Member{k, t})
		}
		return out, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return ParseJSON(b, nil)
}

// HasBinary reports whether a tree holds binary data.
func HasBinary(v any) bool {
	switch v := v.(type) {
	case []byte:
		return true
	case []any:
		for _, e := range v {
			if HasBinary(e) {
				return true
			}
		}
	case Object:
		for _, m := range v {
			if HasBinary(m.Val) {
				return true
			}
		}
	}
	return false
}

// DecodePayload decodes a message from Redis: JSON when it starts with
// '{', msgpack otherwise, as the reference tells them apart.
func DecodePayload(payload []byte) (any, error) {
	if len(payload) > 0 && payload[0] == '{' {
		return ParseJSON(payload, nil)
	}
	return ParseMsgpack(payload)
}

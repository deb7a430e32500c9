package parser

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxEncodeDepth bounds the nesting AppendValue follows in []any and
// map[string]any, which stops reference cycles.
const maxEncodeDepth = 1000

// AppendValue appends v as JSON to dst. []byte values (at any depth inside
// []any, map[string]any and [][]byte) are replaced by placeholders
// {"_placeholder":true,"num":K} and appended to atts, K being the index in
// atts (so numbering continues after attachments already in atts). The
// attachments are not copied. It returns the extended dst and atts.
//
// nil, bool, string, the integer and float types, []any, map[string]any
// (keys sorted, like encoding/json), []byte, [][]byte and json.RawMessage
// are encoded directly; json.RawMessage is written as is, without
// validation (a nil one as null). Strings are escaped like encoding/json
// but without its HTML escaping of <, > and &. Any other value goes through
// encoding/json (with HTML escaping off), so placeholders are not made
// for []byte inside structs, typed slices or maps, or behind pointers:
// there encoding/json writes them as base64 strings, which DecodeInto
// turns back into []byte fields.
//
// Reference cycles through []any and map[string]any are reported as
// ErrMaxDepth once nesting exceeds 1000 levels. On error AppendValue
// returns dst and atts at their original lengths along with the error
// (NaN and infinite floats fail as they do in encoding/json).
func AppendValue(dst []byte, v any, atts [][]byte) ([]byte, [][]byte, error) {
	return AppendValueFunc(dst, v, atts, nil)
}

// A CustomAppender appends the values of types it knows, at any depth in
// []any and map[string]any, and reports whether it did; AppendValueFunc
// asks it about every value before handing it to encoding/json.
type CustomAppender func(dst []byte, v any, atts [][]byte) ([]byte, [][]byte, bool, error)

// AppendValueFunc is AppendValue with custom encoding for the values that
// custom (which may be nil) handles.
func AppendValueFunc(dst []byte, v any, atts [][]byte, custom CustomAppender) ([]byte, [][]byte, error) {
	n0, a0 := len(dst), len(atts)
	dst, atts, err := appendValue(dst, v, atts, 0, custom)
	if err != nil {
		return dst[:n0], atts[:a0], err
	}
	return dst, atts, nil
}

func appendValue(dst []byte, v any, atts [][]byte, depth int, custom CustomAppender) ([]byte, [][]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), atts, nil
	case bool:
		return strconv.AppendBool(dst, x), atts, nil
	case string:
		return AppendString(dst, x), atts, nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), atts, nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), atts, nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), atts, nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), atts, nil
	case int64:
		return strconv.AppendInt(dst, x, 10), atts, nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), atts, nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), atts, nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), atts, nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), atts, nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), atts, nil
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return appendFloat(dst, x, 64), atts, nil
		}
	case float32:
		if f := float64(x); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return appendFloat(dst, f, 32), atts, nil
		}
	case []byte:
		return appendPlaceholder(dst, len(atts)), append(atts, x), nil
	case json.RawMessage:
		if x == nil {
			return append(dst, "null"...), atts, nil
		}
		return append(dst, x...), atts, nil
	case [][]byte:
		if x == nil {
			return append(dst, "null"...), atts, nil
		}
		dst = append(dst, '[')
		for i, b := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendPlaceholder(dst, len(atts))
			atts = append(atts, b)
		}
		return append(dst, ']'), atts, nil
	case []any:
		if x == nil {
			return append(dst, "null"...), atts, nil
		}
		if depth >= maxEncodeDepth {
			return dst, atts, ErrMaxDepth
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, atts, err = appendValue(dst, e, atts, depth+1, custom); err != nil {
				return dst, atts, err
			}
		}
		return append(dst, ']'), atts, nil
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), atts, nil
		}
		if depth >= maxEncodeDepth {
			return dst, atts, ErrMaxDepth
		}
		var buf [8]string
		keys := buf[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, atts, err = appendValue(dst, x[k], atts, depth+1, custom); err != nil {
				return dst, atts, err
			}
		}
		return append(dst, '}'), atts, nil
	}
	if custom != nil {
		if d, a, ok, err := custom(dst, v, atts); ok || err != nil {
			return d, a, err
		}
	}
	// Anything else, including NaN and infinities (for the error).
	dst, err := appendJSON(dst, v)
	return dst, atts, err
}

// appendJSON appends v encoded by encoding/json, without HTML escaping.
func appendJSON(dst []byte, v any) ([]byte, error) {
	w := appendWriter(dst)
	enc := json.NewEncoder(&w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return bytes.TrimSuffix(w, []byte{'\n'}), nil
}

// appendWriter is an io.Writer appending to a byte slice.
type appendWriter []byte

// Write implements io.Writer.
func (w *appendWriter) Write(p []byte) (int, error) {
	*w = append(*w, p...)
	return len(p), nil
}

func appendPlaceholder(dst []byte, num int) []byte {
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(num), 10)
	return append(dst, '}')
}

// appendFloat formats f like encoding/json (and JavaScript): the shortest
// representation, in exponent form only for very small or large values.
func appendFloat(dst []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// AppendString appends s to dst as a JSON string, escaped like
// encoding/json without HTML escaping: invalid UTF-8 becomes U+FFFD and
// U+2028 and U+2029 are escaped.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i = safeRun(s, i, true); i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if strSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
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
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// vframe is an array or object being built by DecodeAny.
type vframe struct {
	arr     []any
	obj     map[string]any
	key     string
	bad     int            // invalid placeholders in the values kept so far
	badKeys map[string]int // for objects, the members holding them
}

// keep stores v, which holds bad invalid placeholders, in f (see
// frame.keep).
func (f *vframe) keep(v any, bad int) {
	if f.obj == nil {
		f.arr = append(f.arr, v)
		f.bad += bad
		return
	}
	f.obj[f.key] = v
	if bad == 0 && f.badKeys == nil {
		return
	}
	if old, ok := f.badKeys[f.key]; ok {
		f.bad -= old
		delete(f.badKeys, f.key)
	}
	if bad > 0 {
		if f.badKeys == nil {
			f.badKeys = make(map[string]int)
		}
		f.badKeys[f.key] = bad
		f.bad += bad
	}
}

// DecodeAny decodes raw JSON into Go values like encoding/json into an
// `any` (objects as map[string]any, arrays as []any, numbers as float64),
// except placeholders, which become the []byte attachment they reference
// (the slice itself, not a copy). A placeholder referring to no attachment
// gives ErrIllegalAttachments (see the package documentation for which
// placeholders count). Invalid JSON gives ErrInvalidJSON, nesting
// beyond 10,000 levels ErrMaxDepth, and a number beyond the float64 range
// ErrNumberRange (where JavaScript would produce Infinity). It does not
// recurse on the Go stack.
func DecodeAny(raw []byte, atts [][]byte) (any, error) {
	var local [8]vframe
	stack := local[:0]
	// Errors found in valid JSON are reported only once the whole input
	// is known to be valid, so that syntax errors take precedence.
	var deferred error
	n := len(raw)
	i := skipSpace(raw, 0)
	for {
		if i >= n {
			return nil, ErrInvalidJSON
		}
		var v any
		bad := 0 // invalid placeholders in v
		switch c := raw[i]; c {
		case '[', '{':
			if len(stack) >= unboundedDepth {
				return nil, ErrMaxDepth
			}
			i = skipSpace(raw, i+1)
			if i >= n {
				return nil, ErrInvalidJSON
			}
			if c == '[' {
				if raw[i] != ']' {
					stack = append(stack, vframe{arr: []any{}})
					continue
				}
				v = []any{}
			} else {
				if raw[i] != '}' {
					stack = append(stack, vframe{obj: map[string]any{}})
					var err error
					if i, err = decodeKey(raw, i, &stack[len(stack)-1]); err != nil {
						return nil, err
					}
					continue
				}
				v = map[string]any{}
			}
			i++
		case '"':
			end, esc, ok := scanString(raw, i)
			if !ok {
				return nil, ErrInvalidJSON
			}
			v = stringValue(raw[i:end], esc)
			i = end
		case 't':
			if !hasLiteral(raw, i, "true") {
				return nil, ErrInvalidJSON
			}
			i += 4
			v = true
		case 'f':
			if !hasLiteral(raw, i, "false") {
				return nil, ErrInvalidJSON
			}
			i += 5
			v = false
		case 'n':
			if !hasLiteral(raw, i, "null") {
				return nil, ErrInvalidJSON
			}
			i += 4
		default:
			if c != '-' && !isDigit(c) {
				return nil, ErrInvalidJSON
			}
			end, ok := scanNumber(raw, i)
			if !ok {
				return nil, ErrInvalidJSON
			}
			f, err := strconv.ParseFloat(string(raw[i:end]), 64)
			if err != nil && deferred == nil {
				deferred = ErrNumberRange
			}
			v = f
			i = end
		}

		// v is complete: store it in its container and read what follows.
		for {
			if len(stack) == 0 {
				if skipSpace(raw, i) != n {
					return nil, ErrInvalidJSON
				}
				if deferred != nil {
					return nil, deferred
				}
				if bad > 0 {
					return nil, ErrIllegalAttachments
				}
				return v, nil
			}
			f := &stack[len(stack)-1]
			f.keep(v, bad)
			i = skipSpace(raw, i)
			if i >= n {
				return nil, ErrInvalidJSON
			}
			c := raw[i]
			if c == ',' {
				i = skipSpace(raw, i+1)
				if f.obj != nil {
					var err error
					if i, err = decodeKey(raw, i, f); err != nil {
						return nil, err
					}
				}
				break
			}
			if f.obj != nil {
				if c != '}' {
					return nil, ErrInvalidJSON
				}
				v, bad = f.obj, f.bad
				if ph, valid, att := placeholder(f.obj, atts); ph {
					// What a placeholder contains does not matter.
					v, bad = nil, 1
					if valid {
						v, bad = att, 0
					}
				}
			} else {
				if c != ']' {
					return nil, ErrInvalidJSON
				}
				v, bad = f.arr, f.bad
			}
			i++
			*f = vframe{}
			stack = stack[:len(stack)-1]
		}
	}
}

// decodeKey parses the member key at raw[i] and the colon after it into
// f.key, returning the offset of the value.
func decodeKey(raw []byte, i int, f *vframe) (int, error) {
	if i >= len(raw) || raw[i] != '"' {
		return 0, ErrInvalidJSON
	}
	end, esc, ok := scanString(raw, i)
	if !ok {
		return 0, ErrInvalidJSON
	}
	f.key = stringValue(raw[i:end], esc)
	i = skipSpace(raw, end)
	if i >= len(raw) || raw[i] != ':' {
		return 0, ErrInvalidJSON
	}
	return skipSpace(raw, i+1), nil
}

// placeholder reports whether m is a placeholder and, if so, whether it
// is valid and the attachment it refers to.
func placeholder(m map[string]any, atts [][]byte) (ph, valid bool, att []byte) {
	if ph, _ := m["_placeholder"].(bool); !ph {
		return false, false, nil
	}
	num, ok := m["num"].(float64)
	if !ok || num < 0 || num >= float64(len(atts)) || num != math.Trunc(num) {
		return true, false, nil
	}
	return true, true, atts[int(num)]
}

// DecodeInto decodes raw JSON into v. If v is *[]byte and raw is a
// placeholder, it gets the attachment (the slice itself, not a copy). If
// raw contains placeholders elsewhere, they are replaced by the base64
// string of the attachment before json.Unmarshal, so []byte struct fields
// receive the bytes (and string fields the base64 text). As a convenience,
// if v is *any, *[]any or *map[string]any, placeholders become []byte
// values as with DecodeAny. Otherwise it is plain json.Unmarshal, whose
// errors are returned as they are. A placeholder referring to no
// attachment gives ErrIllegalAttachments.
func DecodeInto(raw []byte, atts [][]byte, v any) error {
	switch p := v.(type) {
	case *any:
		x, err := DecodeAny(raw, atts)
		if err == nil {
			*p = x
		}
		return err
	case *[]any:
		x, err := DecodeAny(raw, atts)
		if err != nil {
			return err
		}
		switch y := x.(type) {
		case nil:
			// null leaves v unchanged, as in encoding/json.
			return nil
		case []any:
			*p = y
			return nil
		}
		return json.Unmarshal(raw, v) // reports the type mismatch
	case *map[string]any:
		x, err := DecodeAny(raw, atts)
		if err != nil {
			return err
		}
		switch y := x.(type) {
		case nil:
			return nil
		case map[string]any:
			*p = y
			return nil
		}
		return json.Unmarshal(raw, v)
	}

	s := scanner{maxDepth: unboundedDepth, checkPH: true, nAtts: len(atts), record: true}
	if err := s.scan(raw); err != nil {
		if err == ErrIllegalAttachments {
			return err
		}
		return json.Unmarshal(raw, v) // reports the syntax error
	}
	if len(s.spans) == 0 {
		return json.Unmarshal(raw, v)
	}
	if p, ok := v.(*[]byte); ok && len(s.spans) == 1 {
		sp := s.spans[0]
		if sp.start == skipSpace(raw, 0) && skipSpace(raw, sp.end) == len(raw) {
			*p = atts[sp.num]
			return nil
		}
	}
	size := len(raw)
	for _, sp := range s.spans {
		size += base64.StdEncoding.EncodedLen(len(atts[sp.num])) + 2 - (sp.end - sp.start)
	}
	buf := make([]byte, 0, size)
	prev := 0
	for _, sp := range s.spans {
		buf = append(buf, raw[prev:sp.start]...)
		buf = append(buf, '"')
		buf = base64.StdEncoding.AppendEncode(buf, atts[sp.num])
		buf = append(buf, '"')
		prev = sp.end
	}
	buf = append(buf, raw[prev:]...)
	return json.Unmarshal(buf, v)
}

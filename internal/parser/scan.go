package parser

import (
	"math"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds a single-pass, non-recursive JSON validator. It checks the
// RFC 8259 grammar exactly like json.Valid, bounds the nesting depth with an
// explicit stack (so hostile nesting costs neither Go stack nor more than
// maxDepth frames), finds the first element of a top-level array (for the
// event name) and validates placeholders.

// Kinds of JSON values.
const (
	kindNone byte = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindTrue
	kindFalse
	kindNull
)

// unboundedDepth is the nesting limit of the helpers that take no limit; it
// is the one encoding/json enforces.
const unboundedDepth = 10000

// Object member keys the placeholder check cares about.
const (
	keyOther uint8 = iota
	keyPlaceholder
	keyNum
)

// frame is an open array or object.
type frame struct {
	start    int // offset of the opening bracket
	numStart int // span of the last "num" member value
	numEnd   int
	keyStart int // span of the key of the member being parsed (quotes included)
	keyEnd   int
	bad      int            // invalid placeholders in the values kept so far
	badKeys  map[string]int // for objects, the members holding them
	array    bool
	key      uint8 // key of the member being parsed
	keyEsc   bool  // the key contains escapes
	ph       bool  // the last "_placeholder" member is true
	numKind  byte  // kind of the last "num" member value
}

// Placeholder validation follows socket.io-parser, which resolves
// placeholders top-down in the value JSON.parse built: a member overwritten
// by a later one with the same key is gone, and the inside of a placeholder
// is never looked at. So the scanner counts the invalid placeholders of
// each container's surviving values and decides only at the end.

// keep records in the container f that its current element or member holds
// bad invalid placeholders, replacing the count of an earlier member with
// the same key.
func (f *frame) keep(data []byte, bad int) {
	if f.array {
		f.bad += bad
		return
	}
	if bad == 0 && f.badKeys == nil {
		return
	}
	var key string
	if f.keyEsc {
		b, _ := appendUnquote(nil, data[f.keyStart:f.keyEnd])
		key = string(b)
	} else {
		key = string(data[f.keyStart+1 : f.keyEnd-1])
	}
	if old, ok := f.badKeys[key]; ok {
		f.bad -= old
		delete(f.badKeys, key)
	}
	if bad > 0 {
		if f.badKeys == nil {
			f.badKeys = make(map[string]int)
		}
		f.badKeys[key] = bad
		f.bad += bad
	}
}

// phSpan is a placeholder object found in the input.
type phSpan struct {
	start, end int // the object is data[start:end]
	num        int // attachment index
}

// scanner validates one JSON text. Configure it, call scan, then read the
// results.
type scanner struct {
	maxDepth int
	checkPH  bool // validate placeholders against nAtts
	nAtts    int
	record   bool // record outermost placeholders in spans
	collect  bool // collect the top-level array's elements in elems

	// Results.
	topKind   byte     // kind of the top-level value
	first     []byte   // first element of a top-level array, if any
	firstKind byte     // its kind
	firstEsc  bool     // first is a string containing escapes
	spans     []phSpan // placeholders, when record is set
	elems     [][]byte // top-level array elements, when collect is set
}

// safeRun returns an offset j >= i such that data[i:j] holds only bytes
// that strSafe accepts (and, with ascii, are below 0x80), looking at
// eight bytes at a time: the caller goes on byte by byte from j.
func safeRun[S ~string | ~[]byte](data S, i int, ascii bool) int {
	const (
		lsb = 0x0101010101010101
		msb = 0x8080808080808080
	)
	var high uint64
	if ascii {
		high = msb
	}
	for i+8 <= len(data) {
		w := uint64(data[i]) | uint64(data[i+1])<<8 | uint64(data[i+2])<<16 | uint64(data[i+3])<<24 |
			uint64(data[i+4])<<32 | uint64(data[i+5])<<40 | uint64(data[i+6])<<48 | uint64(data[i+7])<<56
		q := w ^ (lsb * '"')
		b := w ^ (lsb * '\\')
		// A byte below 0x20, a quote or a backslash (a zero byte in q or
		// b) sets its top bit here; with ascii, so does a byte >= 0x80.
		if ((w-lsb*0x20)&^w|(q-lsb)&^q|(b-lsb)&^b)&msb|w&high != 0 {
			break
		}
		i += 8
	}
	return i
}

// strSafe[c] is true for bytes that may appear unescaped in a JSON string
// and need no attention from the scanner.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanString scans the string starting with the quote at data[i]. It returns
// the offset just past the closing quote and whether the string contains
// escapes; ok is false if the string is malformed.
func scanString(data []byte, i int) (end int, esc, ok bool) {
	i++
	for {
		i = safeRun(data, i, false)
		for i < len(data) && strSafe[data[i]] {
			i++
		}
		if i >= len(data) {
			return 0, false, false
		}
		switch data[i] {
		case '"':
			return i + 1, esc, true
		case '\\':
			esc = true
			if i+1 >= len(data) {
				return 0, false, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return 0, false, false
				}
				i += 6
			default:
				return 0, false, false
			}
		default: // control character
			return 0, false, false
		}
	}
}

// scanNumber scans the number starting at data[i] and returns the offset
// just past it.
func scanNumber(data []byte, i int) (end int, ok bool) {
	n := len(data)
	if data[i] == '-' {
		i++
		if i >= n {
			return 0, false
		}
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i++
		for i < n && isDigit(data[i]) {
			i++
		}
	default:
		return 0, false
	}
	if i < n && data[i] == '.' {
		i++
		if i >= n || !isDigit(data[i]) {
			return 0, false
		}
		for i < n && isDigit(data[i]) {
			i++
		}
	}
	if i < n && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < n && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= n || !isDigit(data[i]) {
			return 0, false
		}
		for i < n && isDigit(data[i]) {
			i++
		}
	}
	return i, true
}

// hasLiteral reports whether data[i:] starts with lit.
func hasLiteral(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

// scan validates data.
func (s *scanner) scan(data []byte) error {
	// Most payloads nest only a few levels: keep their stack in this
	// frame (it is zeroed on every call, so it is kept small); deeper
	// ones grow it on the heap, up to maxDepth frames whatever the input.
	var local [8]frame
	stack := local[:0]
	n := len(data)
	i := skipSpace(data, 0)
	for {
		// Parse the value starting at i: a scalar, or the opening of a
		// container, after which the loop continues with its first value.
		if i >= n {
			return ErrInvalidJSON
		}
		start := i
		var kind byte
		bad := 0 // invalid placeholders in the value
		switch c := data[i]; c {
		case '[', '{':
			if len(stack) >= s.maxDepth {
				return ErrMaxDepth
			}
			stack = append(stack, frame{start: i, array: c == '['})
			i = skipSpace(data, i+1)
			if i >= n {
				return ErrInvalidJSON
			}
			if c == '[' {
				if data[i] != ']' {
					continue
				}
				kind = kindArray
			} else {
				if data[i] != '}' {
					var err error
					if i, err = s.key(data, i, &stack[len(stack)-1]); err != nil {
						return err
					}
					continue
				}
				kind = kindObject
			}
			// Empty container.
			i++
			stack = stack[:len(stack)-1]
		case '"':
			end, esc, ok := scanString(data, i)
			if !ok {
				return ErrInvalidJSON
			}
			i = end
			kind = kindString
			if len(stack) == 1 && stack[0].array && s.firstKind == kindNone {
				s.firstEsc = esc
			}
		case 't':
			if !hasLiteral(data, i, "true") {
				return ErrInvalidJSON
			}
			i += 4
			kind = kindTrue
		case 'f':
			if !hasLiteral(data, i, "false") {
				return ErrInvalidJSON
			}
			i += 5
			kind = kindFalse
		case 'n':
			if !hasLiteral(data, i, "null") {
				return ErrInvalidJSON
			}
			i += 4
			kind = kindNull
		default:
			if c != '-' && !isDigit(c) {
				return ErrInvalidJSON
			}
			end, ok := scanNumber(data, i)
			if !ok {
				return ErrInvalidJSON
			}
			i = end
			kind = kindNumber
		}

		// The value data[start:i] of the given kind is complete. Hand it
		// to its container, then read what follows; closing a container
		// completes another value.
		for {
			if len(stack) == 0 {
				if skipSpace(data, i) != n {
					return ErrInvalidJSON
				}
				s.topKind = kind
				if bad > 0 {
					return ErrIllegalAttachments
				}
				return nil
			}
			f := &stack[len(stack)-1]
			if f.array {
				if len(stack) == 1 {
					if s.firstKind == kindNone {
						s.first = data[start:i]
						s.firstKind = kind
					}
					if s.collect {
						s.elems = append(s.elems, data[start:i])
					}
				}
			} else {
				switch f.key {
				case keyPlaceholder:
					f.ph = kind == kindTrue
				case keyNum:
					f.numKind = kind
					f.numStart, f.numEnd = start, i
				}
			}
			if s.checkPH {
				f.keep(data, bad)
			}
			i = skipSpace(data, i)
			if i >= n {
				return ErrInvalidJSON
			}
			c := data[i]
			if c == ',' {
				i = skipSpace(data, i+1)
				if !f.array {
					var err error
					if i, err = s.key(data, i, f); err != nil {
						return err
					}
				}
				break
			}
			if f.array && c != ']' || !f.array && c != '}' {
				return ErrInvalidJSON
			}
			i++
			start = f.start
			bad = f.bad
			if f.array {
				kind = kindArray
			} else {
				kind = kindObject
				if f.ph && s.checkPH {
					// A placeholder stands for its attachment:
					// what it contains does not matter.
					bad = 0
					if !s.placeholder(data, f, i) {
						bad = 1
					}
				}
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// key parses an object member key starting at data[i] and the colon after
// it, recording in f which key it is. It returns the offset of the value.
func (s *scanner) key(data []byte, i int, f *frame) (int, error) {
	if i >= len(data) || data[i] != '"' {
		return 0, ErrInvalidJSON
	}
	end, esc, ok := scanString(data, i)
	if !ok {
		return 0, ErrInvalidJSON
	}
	f.key = keyOther
	f.keyStart, f.keyEnd, f.keyEsc = i, end, esc
	if s.checkPH {
		k := data[i+1 : end-1]
		if esc {
			k, _ = appendUnquote(nil, data[i:end])
		}
		switch string(k) {
		case "_placeholder":
			f.key = keyPlaceholder
		case "num":
			f.key = keyNum
		}
	}
	i = skipSpace(data, end)
	if i >= len(data) || data[i] != ':' {
		return 0, ErrInvalidJSON
	}
	return skipSpace(data, i+1), nil
}

// placeholder reports whether the placeholder object f, which closed just
// before data[end], is valid, and records it if asked to.
func (s *scanner) placeholder(data []byte, f *frame, end int) bool {
	if f.numKind != kindNumber {
		return false
	}
	num, ok := attachmentIndex(data[f.numStart:f.numEnd], s.nAtts)
	if !ok {
		return false
	}
	if s.record {
		// Placeholders nested in this one closed before it; only the
		// outermost is replaced.
		k := len(s.spans)
		for k > 0 && s.spans[k-1].start > f.start {
			k--
		}
		s.spans = append(s.spans[:k], phSpan{start: f.start, end: end, num: num})
	}
	return true
}

// attachmentIndex converts the JSON number b to an attachment index, which
// must be an integer in [0, n). Like JavaScript it accepts any spelling of
// such an integer (1.0, 1e0, -0).
func attachmentIndex(b []byte, n int) (int, bool) {
	if len(b) <= 15 {
		v, digits := 0, true
		for _, c := range b {
			if !isDigit(c) {
				digits = false
				break
			}
			v = v*10 + int(c-'0')
		}
		if digits {
			return v, v < n
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f >= float64(n) || f != math.Trunc(f) {
		return 0, false
	}
	return int(f), true
}

// appendUnquote appends the contents of the JSON string s (quotes included)
// to dst, decoding escapes exactly like encoding/json: invalid UTF-8 and
// unpaired surrogates become U+FFFD. ok is false if s is malformed.
func appendUnquote(dst, s []byte) (_ []byte, ok bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return dst, false
	}
	s = s[1 : len(s)-1]
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			r++
			if r >= len(s) {
				return dst, false
			}
			switch s[r] {
			case '"', '\\', '/':
				dst = append(dst, s[r])
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := getu4(s[r-1:])
				if rr < 0 {
					return dst, false
				}
				r += 4
				if utf16.IsSurrogate(rr) {
					if rr1 := getu4(s[r+1:]); rr1 >= 0 {
						if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
							dst = utf8.AppendRune(dst, dec)
							r += 7
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
			default:
				return dst, false
			}
			r++
		case c == '"' || c < ' ':
			return dst, false
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			dst = utf8.AppendRune(dst, rr)
		}
	}
	return dst, true
}

// getu4 decodes \uXXXX from the start of s, returning -1 if there is none.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c = c - '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// stringValue returns the Go string for the JSON string s (quotes
// included), which must be well formed. It copies s only once when it holds
// no escapes and is valid UTF-8.
func stringValue(s []byte, esc bool) string {
	body := s[1 : len(s)-1]
	if !esc && utf8.Valid(body) {
		return string(body)
	}
	b, _ := appendUnquote(make([]byte, 0, len(body)), s)
	return string(b)
}

// SplitArray splits a JSON array into its raw top-level elements:
// sub-slices of data (no copying of element bytes), without surrounding
// white space. It validates the whole input; it returns ErrNotArray when
// data is valid JSON but not an array, and ErrInvalidJSON or ErrMaxDepth
// (beyond 10,000 levels, like encoding/json) when it is not valid JSON.
func SplitArray(data []byte) ([][]byte, error) {
	s := scanner{maxDepth: unboundedDepth, collect: true}
	if err := s.scan(data); err != nil {
		return nil, err
	}
	if s.topKind != kindArray {
		return nil, ErrNotArray
	}
	if s.elems == nil {
		s.elems = [][]byte{}
	}
	return s.elems, nil
}

// EventName returns the event name of an EVENT payload's first element: a
// JSON string decoded, or a number's literal text (so the first element 12
// gives "12"). Surrounding white space is ignored. Any other input gives
// ErrInvalidEventName. The name is not checked against the reserved names.
func EventName(first []byte) (string, error) {
	i := skipSpace(first, 0)
	j := len(first)
	for j > i && isSpace(first[j-1]) {
		j--
	}
	b := first[i:j]
	if len(b) == 0 {
		return "", ErrInvalidEventName
	}
	switch c := b[0]; {
	case c == '"':
		end, esc, ok := scanString(b, 0)
		if !ok || end != len(b) {
			return "", ErrInvalidEventName
		}
		return stringValue(b, esc), nil
	case c == '-' || isDigit(c):
		end, ok := scanNumber(b, 0)
		if !ok || end != len(b) {
			return "", ErrInvalidEventName
		}
		return string(b), nil
	}
	return "", ErrInvalidEventName
}

// LeadingString returns the first element of the JSON array data, decoded,
// when it is a string, without scanning the rest of the array.
func LeadingString(data []byte) (string, bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return "", false
	}
	i = skipSpace(data, i+1)
	if i >= len(data) || data[i] != '"' {
		return "", false
	}
	end, esc, ok := scanString(data, i)
	if !ok {
		return "", false
	}
	return stringValue(data[i:end], esc), true
}

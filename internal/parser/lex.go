package parser

import "unicode/utf8"

// The functions of this file lend the JSON lexer to the public codecs of
// this module (github.com/gosio/sio/parser/...), which carry packets in
// another wire format and translate them to and from the JSON form.

// ScanString scans the JSON string whose opening quote is data[i]: it
// returns the offset just past the closing quote and whether the string
// holds escapes; ok is false if the string is malformed.
func ScanString(data []byte, i int) (end int, esc, ok bool) { return scanString(data, i) }

// ScanNumber scans the JSON number starting at data[i] and returns the
// offset just past it; ok is false if it is malformed.
func ScanNumber(data []byte, i int) (end int, ok bool) {
	if i >= len(data) {
		return 0, false
	}
	return scanNumber(data, i)
}

// AppendUnquote appends the contents of the JSON string s (quotes
// included) to dst, decoding escapes like encoding/json. ok is false if s
// is malformed.
func AppendUnquote(dst, s []byte) ([]byte, bool) { return appendUnquote(dst, s) }

// PlaceholderAt reports whether the JSON object starting at raw[i] is a
// binary placeholder {"_placeholder":true,"num":N}, and returns the offset
// just past it and N.
func PlaceholderAt(raw []byte, i int) (end, num int, ok bool) { return placeholderAt(raw, i) }

// AppendFloat appends f formatted like encoding/json and JavaScript.
func AppendFloat(dst []byte, f float64) []byte { return appendFloat(dst, f, 64) }

// Check reports whether data is a valid payload for a packet of type t
// with n attachments, as Add checks the packets it decodes (shape,
// nesting depth, placeholders, reserved event names). It lets a decoder
// of another wire format that produces the JSON form apply the same rules.
func (d *Decoder) Check(t Type, data []byte, n int) error { return d.validate(t, data, n) }

// CheckShape is Check for a payload that a decoder wrote itself: valid
// JSON, nested within its limit, whose placeholders each refer to an
// attachment. It checks only what the type t requires of the outermost
// value and, for an event, the event's name, without scanning the rest.
func CheckShape(t Type, data []byte) error {
	if err := checkTop(t, data); err != nil || data == nil {
		return err
	}
	if t != Event && t != BinaryEvent {
		return nil
	}
	i := skipSpace(data, skipSpace(data, 0)+1)
	if i >= len(data) {
		return ErrInvalidJSON
	}
	switch c := data[i]; {
	case c == '"':
		end, esc, ok := scanString(data, i)
		if !ok {
			return ErrInvalidJSON
		}
		if isReserved(data[i:end], esc) {
			return ErrReservedEvent
		}
		return nil
	case c == '-' || isDigit(c):
		return nil
	}
	return ErrInvalidPayload
}

// SafeASCII returns the length of the longest prefix of s made of ASCII
// bytes that a JSON string holds as they are (no quote, backslash or
// control character).
func SafeASCII(s []byte) int {
	i := safeRun(s, 0, true)
	for i < len(s) && s[i] < utf8.RuneSelf && strSafe[s[i]] {
		i++
	}
	return i
}

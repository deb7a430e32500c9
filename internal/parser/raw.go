package parser

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// AppendRaw appends raw, a JSON value received with the attachments
// srcAtts, to dst for sending again: the JSON text is kept byte for byte
// (key order included), except that its placeholders are renumbered to
// follow atts, and the attachments they reference are appended to atts.
func AppendRaw(dst, raw []byte, srcAtts, atts [][]byte) ([]byte, [][]byte, error) {
	return appendRaw(dst, raw, srcAtts, atts, false)
}

// AppendRawInline appends raw, a JSON value received with the attachments
// srcAtts, with each placeholder replaced by its attachment as a base64
// string: plain JSON, as encoding/json writes a []byte.
func AppendRawInline(dst, raw []byte, srcAtts [][]byte) ([]byte, error) {
	dst, _, err := appendRaw(dst, raw, srcAtts, nil, true)
	return dst, err
}

func appendRaw(dst, raw []byte, srcAtts, atts [][]byte, inline bool) ([]byte, [][]byte, error) {
	if len(srcAtts) == 0 || !bytes.Contains(raw, []byte(`"_placeholder"`)) {
		return append(dst, raw...), atts, nil
	}
	start := 0
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{':
			end, num, ok := placeholderAt(raw, i)
			if !ok {
				continue
			}
			if num >= len(srcAtts) {
				return dst, atts, ErrIllegalAttachments
			}
			dst = append(dst, raw[start:i]...)
			if inline {
				dst = append(dst, '"')
				dst = base64.StdEncoding.AppendEncode(dst, srcAtts[num])
				dst = append(dst, '"')
			} else {
				dst = appendPlaceholderNum(dst, len(atts))
				atts = append(atts, srcAtts[num])
			}
			start = end
			i = end - 1
		}
	}
	return append(dst, raw[start:]...), atts, nil
}

// placeholderAt reports whether the object starting at raw[i] is a binary
// placeholder {"_placeholder":true,"num":N}, and returns the index just
// after it and N.
func placeholderAt(raw []byte, i int) (end, num int, ok bool) {
	// A placeholder is a short flat object: find its closing brace.
	j := i + 1
	inString := false
	for ; j < len(raw) && j-i < 128; j++ {
		c := raw[j]
		if inString {
			switch c {
			case '\\':
				j++
			case '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
		} else if c == '{' || c == '[' {
			return 0, 0, false
		} else if c == '}' {
			break
		}
	}
	if j >= len(raw) || raw[j] != '}' {
		return 0, 0, false
	}
	var ph struct {
		Placeholder *bool `json:"_placeholder"`
		Num         *int  `json:"num"`
	}
	if json.Unmarshal(raw[i:j+1], &ph) != nil || ph.Placeholder == nil || !*ph.Placeholder || ph.Num == nil || *ph.Num < 0 {
		return 0, 0, false
	}
	return j + 1, *ph.Num, true
}

func appendPlaceholderNum(dst []byte, n int) []byte {
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '}')
}

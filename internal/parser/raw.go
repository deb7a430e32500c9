package parser

// AppendRaw appends raw, a JSON value received with the attachments
// srcAtts, to dst for sending: if it has no attachments it is written as
// is; otherwise its placeholders are renumbered to follow atts and the
// attachments they reference are appended to atts.
func AppendRaw(dst, raw []byte, srcAtts, atts [][]byte) ([]byte, [][]byte, error) {
	if len(srcAtts) == 0 {
		return append(dst, raw...), atts, nil
	}
	v, err := DecodeAny(raw, srcAtts)
	if err != nil {
		return dst, atts, err
	}
	return AppendValue(dst, v, atts)
}

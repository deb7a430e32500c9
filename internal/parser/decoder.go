package parser

import "bytes"

// Default limits of a Decoder.
const (
	defaultMaxAttachments = 10
	defaultMaxDepth       = 32
)

// maxAckID is 2^53-1, the largest integer JavaScript represents exactly.
const maxAckID = 1<<53 - 1

// reservedEvents are the event names a client may not emit.
var reservedEvents = [...]string{
	"connect",
	"connect_error",
	"disconnect",
	"disconnecting",
	"newListener",
	"removeListener",
}

// Decoder decodes Socket.IO packets from a sequence of Engine.IO messages,
// reassembling binary packets from their text header and the binary
// messages that follow. A Decoder holds the state of one connection and is
// not safe for concurrent use. The zero value is ready to use.
type Decoder struct {
	// MaxAttachments is the largest attachment count a binary packet may
	// declare. 0 means 10 (the socket.io-parser default); a negative value
	// allows no attachments at all.
	MaxAttachments int

	// MaxDepth bounds the nesting of arrays and objects in a payload: a
	// payload nesting deeper is rejected with ErrMaxDepth before any of it
	// is converted, at a cost linear in its length and without recursion.
	// The top-level array of an EVENT counts as one level, so ["a",[1]]
	// has depth 2. 0 (or a negative value) means 32. Node's
	// socket.io-parser has no such limit; real payloads rarely nest beyond
	// a handful of levels.
	MaxDepth int

	pending *Packet // binary packet awaiting attachments
	want    int     // number of attachments it declared
	nsp     string  // last namespace seen, reused to avoid allocations
}

// Reset drops a partially received packet.
func (d *Decoder) Reset() {
	d.pending = nil
	d.want = 0
}

// Add feeds one Engine.IO message (binary==true for a binary message). It
// returns a complete packet, or (nil, nil) while a binary packet awaits
// attachments. After an error the decoder is reset.
//
// The packet aliases its messages: Data is a sub-slice of the text message
// and Attachments are the binary messages themselves, so the caller must
// not reuse those buffers while the packet is in use.
//
// A text message is rejected when its type is unknown, its attachment
// count or ack id is malformed or out of range, its payload is not valid
// JSON (or is followed by anything but white space), nests deeper than
// MaxDepth, contains a placeholder that does not refer to one of its
// attachments, or does not have the shape its type requires: CONNECT an
// object or nothing, DISCONNECT nothing, CONNECT_ERROR an object or a
// string, EVENT and BINARY_EVENT a non-empty array whose first element is
// a number or a string other than a reserved event name, ACK and
// BINARY_ACK an array.
func (d *Decoder) Add(msg []byte, binary bool) (*Packet, error) {
	if binary {
		p := d.pending
		if p == nil {
			return nil, ErrUnexpectedBinary
		}
		p.Attachments = append(p.Attachments, msg)
		if len(p.Attachments) < d.want {
			return nil, nil
		}
		d.Reset()
		return p, nil
	}
	if d.pending != nil {
		d.Reset()
		return nil, ErrUnexpectedText
	}
	p, n, err := d.decode(msg)
	if err != nil {
		return nil, err
	}
	if !p.Type.isBinary() {
		return p, nil
	}
	p.Attachments = make([][]byte, 0, min(n, 16))
	if n == 0 {
		return p, nil
	}
	d.pending, d.want = p, n
	return nil, nil
}

// decode decodes a text message, returning the packet and the number of
// attachments it declares.
func (d *Decoder) decode(msg []byte) (*Packet, int, error) {
	if len(msg) == 0 {
		return nil, 0, ErrEmptyMessage
	}
	c := msg[0]
	if c < '0' || c > '6' {
		return nil, 0, ErrUnknownType
	}
	t := Type(c - '0')
	i := 1

	// Attachment count.
	n := 0
	if t.isBinary() {
		limit := d.MaxAttachments
		if limit == 0 {
			limit = defaultMaxAttachments
		} else if limit < 0 {
			limit = 0
		}
		start := i
		for ; i < len(msg) && isDigit(msg[i]); i++ {
			n = n*10 + int(msg[i]-'0')
			if n > limit {
				return nil, 0, ErrTooManyAttachments
			}
		}
		if i == start || i >= len(msg) || msg[i] != '-' {
			return nil, 0, ErrInvalidAttachments
		}
		i++
	}

	// Namespace: from "/" to "," or to the end of the message.
	nsp := "/"
	if i < len(msg) && msg[i] == '/' {
		start := i
		end := len(msg)
		if k := bytes.IndexByte(msg[i:], ','); k >= 0 {
			end = i + k
			i = end + 1
		} else {
			i = end
		}
		nsp = d.namespace(msg[start:end])
	}

	// Ack id.
	var id uint64
	hasID := false
	if i < len(msg) && isDigit(msg[i]) {
		hasID = true
		for ; i < len(msg) && isDigit(msg[i]); i++ {
			id = id*10 + uint64(msg[i]-'0')
			if id > maxAckID {
				return nil, 0, ErrInvalidAckID
			}
		}
	}

	var data []byte
	if i < len(msg) {
		data = msg[i:]
	}
	if err := d.validate(t, data, n); err != nil {
		return nil, 0, err
	}
	return &Packet{Type: t, Namespace: nsp, ID: id, HasID: hasID, Data: data}, n, nil
}

// namespace returns b as a string, reusing the previous namespace when it
// is the same.
func (d *Decoder) namespace(b []byte) string {
	if string(b) == "/" {
		return "/"
	}
	if string(b) != d.nsp {
		d.nsp = string(b)
	}
	return d.nsp
}

// checkTop checks what the packet type t requires of the outermost value
// of its payload data (nil for none), without looking inside it.
func checkTop(t Type, data []byte) error {
	if t == Disconnect {
		if data != nil {
			return ErrInvalidPayload
		}
		return nil
	}
	if data == nil {
		if t == Connect {
			return nil
		}
		return ErrInvalidPayload
	}
	switch c := data[skipSpace(data, 0):]; {
	case len(c) == 0:
		return ErrInvalidJSON
	case c[0] == '{':
		if t != Connect && t != ConnectError {
			return ErrInvalidPayload
		}
	case c[0] == '[':
		if t == Connect || t == ConnectError {
			return ErrInvalidPayload
		}
	case c[0] == '"':
		if t != ConnectError {
			return ErrInvalidPayload
		}
	default:
		if c[0] == '-' || isDigit(c[0]) || c[0] == 't' || c[0] == 'f' || c[0] == 'n' {
			return ErrInvalidPayload
		}
		return ErrInvalidJSON
	}
	return nil
}

// validate checks that data is a valid payload for a packet of type t with
// n attachments.
func (d *Decoder) validate(t Type, data []byte, n int) error {
	if err := checkTop(t, data); err != nil || data == nil {
		return err
	}
	maxDepth := d.MaxDepth
	if maxDepth <= 0 {
		maxDepth = defaultMaxDepth
	}
	s := scanner{maxDepth: maxDepth, checkPH: true, nAtts: n}
	if err := s.scan(data); err != nil {
		return err
	}
	if t != Event && t != BinaryEvent {
		return nil
	}
	switch s.firstKind {
	case kindNumber:
		return nil
	case kindString:
		if isReserved(s.first, s.firstEsc) {
			return ErrReservedEvent
		}
		return nil
	}
	return ErrInvalidPayload
}

// isReserved reports whether the JSON string s names a reserved event.
func isReserved(s []byte, esc bool) bool {
	body := s[1 : len(s)-1]
	if esc {
		body, _ = appendUnquote(nil, s)
	}
	for _, r := range reservedEvents {
		if string(body) == r {
			return true
		}
	}
	return false
}

package testkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// PacketType is a Socket.IO v5 packet type.
type PacketType byte

// The Socket.IO v5 packet types.
const (
	PacketConnect      PacketType = 0
	PacketDisconnect   PacketType = 1
	PacketEvent        PacketType = 2
	PacketAck          PacketType = 3
	PacketConnectError PacketType = 4
	PacketBinaryEvent  PacketType = 5
	PacketBinaryAck    PacketType = 6
)

// Packet is a Socket.IO packet as received.
type Packet struct {
	Type        PacketType
	Nsp         string          // "/" for the main namespace
	ID          int             // the acknowledgement ID; -1 for none
	Data        json.RawMessage // the JSON payload; nil for none
	Attachments [][]byte        // the binary attachments, in order

	attachments int // how many the header announced
}

// String returns the packet in its wire form, without the Engine.IO type
// and the attachments.
func (p *Packet) String() string {
	return encodeHead(p.Type, p.Nsp, p.ID, p.attachments) + string(p.Data)
}

// ParsePacket decodes a Socket.IO packet in its wire form (an Engine.IO
// message without its "4"): type, attachment count, namespace, ID, data.
// The attachments themselves are not part of s.
func ParsePacket(s string) (*Packet, error) {
	bad := func(why string) (*Packet, error) {
		return nil, fmt.Errorf("testkit: bad Socket.IO packet %q: %s", s, why)
	}
	if s == "" || s[0] < '0' || s[0] > '6' {
		return bad("type")
	}
	p := &Packet{Type: PacketType(s[0] - '0'), Nsp: "/", ID: -1}
	rest := s[1:]
	if p.Type == PacketBinaryEvent || p.Type == PacketBinaryAck {
		n, after, ok := strings.Cut(rest, "-")
		count, err := strconv.Atoi(n)
		if !ok || err != nil || count < 0 {
			return bad("attachment count")
		}
		p.attachments, rest = count, after
	}
	if strings.HasPrefix(rest, "/") {
		end := strings.IndexByte(rest, ',')
		if end < 0 {
			end = len(rest)
		}
		p.Nsp, rest = rest[:end], strings.TrimPrefix(rest[end:], ",")
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i > 0 {
		id, err := strconv.Atoi(rest[:i])
		if err != nil {
			return bad("ID")
		}
		p.ID, rest = id, rest[i:]
	}
	if rest != "" {
		if !json.Valid([]byte(rest)) {
			return bad("data")
		}
		p.Data = json.RawMessage(rest)
	}
	return p, nil
}

// encodeHead writes a packet's type, attachment count, namespace and ID.
func encodeHead(typ PacketType, nsp string, id, attachments int) string {
	var b strings.Builder
	b.WriteByte('0' + byte(typ))
	if typ == PacketBinaryEvent || typ == PacketBinaryAck {
		b.WriteString(strconv.Itoa(attachments) + "-")
	}
	if nsp != "" && nsp != "/" {
		b.WriteString(nsp + ",")
	}
	if id >= 0 {
		b.WriteString(strconv.Itoa(id))
	}
	return b.String()
}

// encodeArgs encodes args as a JSON array; a []byte argument becomes a
// placeholder and an attachment.
func encodeArgs(args []any) ([]byte, [][]byte, error) {
	var atts [][]byte
	out := make([]any, len(args))
	for i, a := range args {
		if b, ok := a.([]byte); ok {
			out[i] = map[string]any{"_placeholder": true, "num": len(atts)}
			atts = append(atts, b)
			continue
		}
		out[i] = a
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, nil, fmt.Errorf("testkit: encode: %w", err)
	}
	return data, atts, nil
}

// Args returns the elements of the packet's data, which must be a JSON
// array (an acknowledgement's arguments; an event's name and arguments).
func (p *Packet) Args() ([]json.RawMessage, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(p.Data, &args); err != nil {
		return nil, fmt.Errorf("testkit: %s: not an array: %w", p, err)
	}
	return args, nil
}

// Event returns an event packet as an [Event].
func (p *Packet) Event() (Event, error) {
	args, err := p.Args()
	if err != nil {
		return Event{}, err
	}
	var name string
	if len(args) == 0 || json.Unmarshal(args[0], &name) != nil {
		return Event{}, fmt.Errorf("testkit: %s: no event name", p)
	}
	return Event{Nsp: p.Nsp, Name: name, Args: args[1:], Attachments: p.Attachments, ID: p.ID}, nil
}

// Event is an event the server sent.
type Event struct {
	Nsp         string
	Name        string
	Args        []json.RawMessage // placeholders left as they are
	Attachments [][]byte
	ID          int // the acknowledgement the server asks for; -1 for none
}

// Arg decodes argument i into a Go value as [encoding/json] does (numbers
// are float64), or returns nil if there is none.
func (e Event) Arg(i int) any {
	if i >= len(e.Args) {
		return nil
	}
	var v any
	_ = json.Unmarshal(e.Args[i], &v)
	return v
}

// String returns the event as name(arg,...).
func (e Event) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = string(a)
	}
	return e.Name + "(" + strings.Join(parts, ",") + ")"
}

// ConnectError is the server's CONNECT_ERROR refusing a namespace.
type ConnectError struct {
	Message string          // data.message, if the data is an object
	Data    json.RawMessage // the whole payload
}

// Error returns the payload, prefixed.
func (e *ConnectError) Error() string {
	return "testkit: connect error: " + string(e.Data)
}

// IsConnectError reports whether err is a [ConnectError] and returns it.
func IsConnectError(err error) (*ConnectError, bool) {
	var ce *ConnectError
	ok := errors.As(err, &ce)
	return ce, ok
}

// Package clustermsg holds what the Redis adapters and the emitter share
// of the reference's cluster messages: a value tree that JSON and msgpack
// payloads decode to and encode from (binary values kept as []byte), and
// the pieces of a message every protocol carries alike (a broadcast's
// packet and options, a FetchSockets socket). It is internal to the
// module: under internal/ rather than adapter/internal/ so that package
// emitter can use it too.
package clustermsg

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/room"
)

// PacketTree returns the Socket.IO packet object {type: 2, data, nsp} of
// p. With asJSON and no attachments, data is kept as the JSON it is.
func PacketTree(p *adapter.Packet, nsp string, asJSON bool) (Object, error) {
	var data any
	if asJSON && len(p.Attachments) == 0 {
		data = RawJSON(p.Data)
	} else {
		atts := p.Attachments
		if atts == nil {
			atts = [][]byte{}
		}
		t, err := ParseJSON(p.Data, atts)
		if err != nil {
			return nil, err
		}
		data = t
	}
	return Object{{"type", int64(2)}, {"data", data}, {"nsp", nsp}}, nil
}

// DecodePacket turns a packet object into an adapter.Packet: the data
// array becomes JSON, binary values placeholders and attachments. It
// returns nil for a packet that is not an event.
func DecodePacket(v any, nsp string) (*adapter.Packet, error) {
	obj, ok := v.(Object)
	if !ok {
		return nil, fmt.Errorf("%w: packet is not an Object", ErrMalformed)
	}
	typ, _ := obj.Get("type").(int64)
	if typ != 2 && typ != 5 { // EVENT, or BINARY_EVENT from older emitters
		return nil, nil
	}
	arr, ok := obj.Get("data").([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("%w: packet data is not an array", ErrMalformed)
	}
	if _, ok := arr[0].(string); !ok {
		return nil, fmt.Errorf("%w: event name is not a string", ErrMalformed)
	}
	p := &adapter.Packet{Namespace: nsp}
	p.Data = AppendJSON(nil, arr, JSONPlaceholders, &p.Attachments)
	return p, nil
}

// OptsTree returns the {rooms, except, flags} object of a broadcast or
// remote operation.
func OptsTree(o adapter.BroadcastOptions, withFlags bool) Object {
	out := Object{{"rooms", RoomsTree(o.Rooms)}, {"except", RoomsTree(Dedupe(o.Except))}}
	if withFlags {
		flags := Object{}
		if o.Flags.Volatile {
			flags = append(flags, Member{"volatile", true})
		}
		if !o.Flags.Compress {
			flags = append(flags, Member{"compress", false})
		}
		if o.Flags.Timeout > 0 {
			flags = append(flags, Member{"timeout", o.Flags.Timeout.Milliseconds()})
		}
		out = append(out, Member{"flags", flags})
	}
	return out
}

// RoomsTree returns rooms as a list of strings.
func RoomsTree(rs []room.Room) []any {
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// Dedupe returns rs without repeated rooms, in order.
func Dedupe(rs []room.Room) []room.Room {
	if len(rs) < 2 {
		return rs
	}
	seen := make(map[room.Room]struct{}, len(rs))
	out := make([]room.Room, 0, len(rs))
	for _, r := range rs {
		if _, dup := seen[r]; !dup {
			seen[r] = struct{}{}
			out = append(out, r)
		}
	}
	return out
}

// DecodeOpts reads a {rooms, except, flags} object. Absent flags mean
// the reference's defaults (compression on).
func DecodeOpts(v any) adapter.BroadcastOptions {
	obj, _ := v.(Object)
	o := adapter.BroadcastOptions{
		Rooms:  DecodeRooms(obj.Get("rooms")),
		Except: DecodeRooms(obj.Get("except")),
		Flags:  adapter.Flags{Compress: true},
	}
	if flags, ok := obj.Get("flags").(Object); ok {
		if v, ok := flags.Get("volatile").(bool); ok {
			o.Flags.Volatile = v
		}
		if v, ok := flags.Get("compress").(bool); ok {
			o.Flags.Compress = v
		}
		switch t := flags.Get("timeout").(type) {
		case int64:
			o.Flags.Timeout = time.Duration(t) * time.Millisecond
		case float64:
			o.Flags.Timeout = time.Duration(t * float64(time.Millisecond))
		}
	}
	return o
}

// DecodeRooms reads a list of rooms; a number (a room JavaScript code
// named with a number) becomes its decimal string.
func DecodeRooms(v any) []room.Room {
	arr, _ := v.([]any)
	if len(arr) == 0 {
		return nil
	}
	out := make([]room.Room, 0, len(arr))
	for _, e := range arr {
		if r, ok := RoomName(e); ok {
			out = append(out, r)
		}
	}
	return out
}

// RoomName reads one room of a list.
func RoomName(v any) (room.Room, bool) {
	switch v := v.(type) {
	case string:
		return room.Room(v), true
	case int64:
		return room.Room(strconv.FormatInt(v, 10)), true
	case float64:
		return room.Room(AppendJSONFloat(nil, v)), true
	}
	return "", false
}

// JSLength returns the length of s as JavaScript counts it, in UTF-16
// code units.
func JSLength(s string) int {
	n := 0
	for _, r := range s {
		n += len(utf16.AppendRune(nil, r))
	}
	return n
}

// SocketTree is a socket of a FetchSockets answer: {id, handshake, rooms,
// data}, with the handshake in the reference's shape.
func SocketTree(d adapter.SocketDetails) Object {
	hs, err := FromGo(d.Handshake)
	if err != nil {
		hs = Object{}
	}
	data, err := FromGo(d.Data)
	if err != nil {
		data = nil
	}
	return Object{{"id", string(d.ID)}, {"handshake", hs}, {"rooms", RoomsTree(d.Rooms)}, {"data", data}}
}

// DecodeSocket reads a socket of a FetchSockets answer.
func DecodeSocket(v any) (adapter.SocketDetails, bool) {
	obj, ok := v.(Object)
	if !ok {
		return adapter.SocketDetails{}, false
	}
	id, ok := obj.Get("id").(string)
	if !ok {
		return adapter.SocketDetails{}, false
	}
	return adapter.SocketDetails{
		ID:        room.SocketID(id),
		Handshake: adapter.HandshakeJSON(AppendJSON(nil, obj.Get("handshake"), JSONPlain, nil)),
		Rooms:     DecodeRooms(obj.Get("rooms")),
		Data:      ToGo(obj.Get("data")),
	}, true
}

// Str returns v if it is a string.
func Str(v any) string {
	s, _ := v.(string)
	return s
}

// Integer returns v as an int.
func Integer(v any) (int, bool) {
	switch v := v.(type) {
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	}
	return 0, false
}

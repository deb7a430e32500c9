package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/room"
)

// kind is what a message between servers asks or answers, whatever its
// encoding on the wire.
type kind int

const (
	kBroadcast kind = iota + 1
	kBroadcastWithAck
	kJoin
	kLeave
	kDisconnect
	kFetch
	kServerSideEmit
	kFetchResponse
	kServerSideEmitResponse
	kClientCount
	kAck
	// The classic protocol's older requests, still answered.
	kSockets
	kAllRooms
	kSocketsResponse
	kAllRoomsResponse
	kLegacyJoin
	kLegacyLeave
	kLegacyDisconnect
	kLegacyResponse
)

func (k kind) isResponse() bool {
	switch k {
	case kFetchResponse, kServerSideEmitResponse, kClientCount, kAck,
		kSocketsResponse, kAllRoomsResponse, kLegacyResponse:
		return true
	}
	return false
}

// message is a message between servers, decoded from or to be encoded to
// one of the two protocols.
type message struct {
	kind kind
	// uid is the sender's uid; in a response this server sends, the uid of
	// the server that asked.
	uid       string
	requestID string
	packet    *adapter.Packet
	opts      adapter.BroadcastOptions
	rooms     []room.Room
	close     bool
	// value is a tree (see value.go): the arguments of a server-side emit,
	// or the one argument of an ack or a server-side emit's answer.
	value    any
	hasValue bool
	// sockets are the trees of the sockets of a FetchSockets answer.
	sockets []any
	ids     []string
	count   int
	// sid and room are the legacy single-socket requests' fields.
	sid  string
	room string
	// channelRoom is the room of the classic broadcast channel the message
	// came on ("" for the namespace's channel).
	channelRoom string
}

// protocol is one of the reference's two wire formats: the classic
// pub/sub adapter and the sharded one.
type protocol interface {
	// subscriptions returns the channels a namespace listens on from the
	// start.
	subscriptions() []subscription
	// roomSubscription returns the channel a room needs while it has local
	// members, if any.
	roomSubscription(r room.Room, isSocket bool) (subscription, bool)
	// encode returns the channel and payload of m.
	encode(m *message) (string, []byte, error)
	// decode turns a payload received on channel into a message; nil
	// means one to ignore.
	decode(channel, pattern string, payload []byte) (*message, error)
	// serverCount returns the number of servers subscribed.
	serverCount(ctx context.Context) (int, error)
	// requestID returns a new request ID.
	requestID() string
	// sharded reports whether messages go with SPUBLISH.
	sharded() bool
}

// subscription is a channel, pattern or shard channel to listen on.
type subscription struct {
	mode subMode
	name string
}

type subMode int

const (
	subChannel subMode = iota // SUBSCRIBE
	subPattern                // PSUBSCRIBE
	subShard                  // SSUBSCRIBE
)

// --- helpers shared by the protocols ---------------------------------------

const uidAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n characters from uidAlphabet, like the uid2
// package the reference uses.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = uidAlphabet[int(b[i])%len(uidAlphabet)]
	}
	return string(b)
}

// randomHex returns 2n hex digits, like crypto.randomBytes(n).toString("hex").
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// packetTree returns the Socket.IO packet object {type: 2, data, nsp} of
// p. With asJSON and no attachments, data is kept as the JSON it is.
func packetTree(p *adapter.Packet, nsp string, asJSON bool) (object, error) {
	var data any
	if asJSON && len(p.Attachments) == 0 {
		data = rawJSON(p.Data)
	} else {
		atts := p.Attachments
		if atts == nil {
			atts = [][]byte{}
		}
		t, err := parseJSON(p.Data, atts)
		if err != nil {
			return nil, err
		}
		data = t
	}
	return object{{"type", int64(2)}, {"data", data}, {"nsp", nsp}}, nil
}

// decodePacket turns a packet object into an adapter.Packet: the data
// array becomes JSON, binary values placeholders and attachments. It
// returns nil for a packet that is not an event.
func decodePacket(v any, nsp string) (*adapter.Packet, error) {
	obj, ok := v.(object)
	if !ok {
		return nil, fmt.Errorf("%w: packet is not an object", errMalformed)
	}
	typ, _ := obj.get("type").(int64)
	if typ != 2 && typ != 5 { // EVENT, or BINARY_EVENT from older emitters
		return nil, nil
	}
	arr, ok := obj.get("data").([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("%w: packet data is not an array", errMalformed)
	}
	if _, ok := arr[0].(string); !ok {
		return nil, fmt.Errorf("%w: event name is not a string", errMalformed)
	}
	p := &adapter.Packet{Namespace: nsp}
	p.Data = appendJSON(nil, arr, jsonPlaceholders, &p.Attachments)
	return p, nil
}

// optsTree returns the {rooms, except, flags} object of a broadcast or
// remote operation.
func optsTree(o adapter.BroadcastOptions, withFlags bool) object {
	out := object{{"rooms", roomsTree(o.Rooms)}, {"except", roomsTree(dedupe(o.Except))}}
	if withFlags {
		flags := object{}
		if o.Flags.Volatile {
			flags = append(flags, member{"volatile", true})
		}
		if !o.Flags.Compress {
			flags = append(flags, member{"compress", false})
		}
		if o.Flags.Timeout > 0 {
			flags = append(flags, member{"timeout", o.Flags.Timeout.Milliseconds()})
		}
		out = append(out, member{"flags", flags})
	}
	return out
}

func roomsTree(rs []room.Room) []any {
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func dedupe(rs []room.Room) []room.Room {
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

// decodeOpts reads a {rooms, except, flags} object. Absent flags mean
// the reference's defaults (compression on).
func decodeOpts(v any) adapter.BroadcastOptions {
	obj, _ := v.(object)
	o := adapter.BroadcastOptions{
		Rooms:  decodeRooms(obj.get("rooms")),
		Except: decodeRooms(obj.get("except")),
		Flags:  adapter.Flags{Compress: true},
	}
	if flags, ok := obj.get("flags").(object); ok {
		if v, ok := flags.get("volatile").(bool); ok {
			o.Flags.Volatile = v
		}
		if v, ok := flags.get("compress").(bool); ok {
			o.Flags.Compress = v
		}
		switch t := flags.get("timeout").(type) {
		case int64:
			o.Flags.Timeout = time.Duration(t) * time.Millisecond
		case float64:
			o.Flags.Timeout = time.Duration(t * float64(time.Millisecond))
		}
	}
	return o
}

// decodeRooms reads a list of rooms; a number (a room JavaScript code
// named with a number) becomes its decimal string.
func decodeRooms(v any) []room.Room {
	arr, _ := v.([]any)
	if len(arr) == 0 {
		return nil
	}
	out := make([]room.Room, 0, len(arr))
	for _, e := range arr {
		if r, ok := roomName(e); ok {
			out = append(out, r)
		}
	}
	return out
}

func roomName(v any) (room.Room, bool) {
	switch v := v.(type) {
	case string:
		return room.Room(v), true
	case int64:
		return room.Room(strconv.FormatInt(v, 10)), true
	case float64:
		return room.Room(appendJSONFloat(nil, v)), true
	}
	return "", false
}

// jsLength returns the length of s as JavaScript counts it, in UTF-16
// code units.
func jsLength(s string) int {
	n := 0
	for _, r := range s {
		n += len(utf16.AppendRune(nil, r))
	}
	return n
}

// socketTree is a socket of a FetchSockets answer: {id, handshake, rooms,
// data}, with the handshake in the reference's shape.
func socketTree(d adapter.SocketDetails) object {
	hs, err := fromGo(d.Handshake)
	if err != nil {
		hs = object{}
	}
	data, err := fromGo(d.Data)
	if err != nil {
		data = nil
	}
	return object{{"id", string(d.ID)}, {"handshake", hs}, {"rooms", roomsTree(d.Rooms)}, {"data", data}}
}

// decodeSocket reads a socket of a FetchSockets answer.
func decodeSocket(v any) (adapter.SocketDetails, bool) {
	obj, ok := v.(object)
	if !ok {
		return adapter.SocketDetails{}, false
	}
	id, ok := obj.get("id").(string)
	if !ok {
		return adapter.SocketDetails{}, false
	}
	return adapter.SocketDetails{
		ID:        room.SocketID(id),
		Handshake: adapter.HandshakeJSON(appendJSON(nil, obj.get("handshake"), jsonPlain, nil)),
		Rooms:     decodeRooms(obj.get("rooms")),
		Data:      toGo(obj.get("data")),
	}, true
}

// str returns v if it is a string.
func str(v any) string {
	s, _ := v.(string)
	return s
}

// integer returns v as an int.
func integer(v any) (int, bool) {
	switch v := v.(type) {
	case int64:
		return int(v), true
	case float64:
		return int(v), true
	}
	return 0, false
}

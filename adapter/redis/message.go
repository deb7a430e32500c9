package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"

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

package redis

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/gosio/sio/room"
)

// The message types of the reference's ClusterAdapter (MessageType in
// socket.io-adapter's lib/cluster-adapter.ts).
const (
	msgInitialHeartbeat        = 1
	msgHeartbeat               = 2
	msgBroadcast               = 3
	msgSocketsJoin             = 4
	msgSocketsLeave            = 5
	msgDisconnectSockets       = 6
	msgFetchSockets            = 7
	msgFetchSocketsResponse    = 8
	msgServerSideEmit          = 9
	msgServerSideEmitResponse  = 10
	msgBroadcastClientCount    = 11
	msgBroadcastAck            = 12
	msgAdapterClose            = 13
	socketIDLength             = 20 // the reference's looksLikeASocketId
	shardedUIDBytes            = 8
	shardedMaybeBinaryTypeMask = 1<<msgBroadcast | 1<<msgBroadcastAck | 1<<msgFetchSocketsResponse |
		1<<msgServerSideEmit | 1<<msgServerSideEmitResponse
)

// sharded is the protocol of the reference's createShardedAdapter: the
// ClusterAdapter messages {uid, nsp, type, data} over SPUBLISH/SSUBSCRIBE
// on socket.io#<nsp># (and socket.io#<nsp>#<room># per room in the dynamic
// modes), answers on the requester's socket.io#<nsp>#<uid>#; JSON unless
// the message holds binary data, then msgpack.
type sharded struct {
	client  redis.UniversalClient
	uid     string
	nsp     string
	mode    SubscriptionMode
	channel string // socket.io#<nsp>#
	own     string // socket.io#<nsp>#<uid>#
}

func newSharded(client redis.UniversalClient, nsp string, o *Options) *sharded {
	s := &sharded{client: client, uid: randomHex(shardedUIDBytes), nsp: nsp, mode: o.SubscriptionMode}
	s.channel = o.Key + "#" + nsp + "#"
	s.own = s.channel + s.uid + "#"
	return s
}

func (s *sharded) sharded() bool     { return true }
func (s *sharded) requestID() string { return randomHex(shardedUIDBytes) }

func (s *sharded) subscriptions() []subscription {
	return []subscription{{subShard, s.channel}, {subShard, s.own}}
}

// roomSubscription follows the reference: in the dynamic mode a public
// room (one that is not a socket's ID) has a channel, in the
// dynamic-private mode every room has one.
func (s *sharded) roomSubscription(r room.Room, isSocket bool) (subscription, bool) {
	switch {
	case s.mode == DynamicPrivateSubscriptions,
		s.mode == DynamicSubscriptions && !isSocket,
		// A publisher sends to the room's channel every room whose name
		// does not look like a socket ID; listen there whatever it is.
		s.mode == DynamicSubscriptions && jsLength(string(r)) != socketIDLength:
		return subscription{subShard, s.channel + string(r) + "#"}, true
	}
	return subscription{}, false
}

// serverCount is PUBSUB SHARDNUMSUB of the namespace's channel.
func (s *sharded) serverCount(ctx context.Context) (int, error) {
	return numSub(ctx, s.client, true, s.channel)
}

func (s *sharded) encode(m *message) (string, []byte, error) {
	var (
		typ     int
		data    object
		channel = s.channel
		err     error
	)
	switch m.kind {
	case kBroadcast, kBroadcastWithAck:
		typ = msgBroadcast
		pkt, perr := packetTree(m.packet, s.nsp, len(m.packet.Attachments) == 0)
		if perr != nil {
			return "", nil, perr
		}
		data = object{{"opts", optsTree(m.opts, true)}, {"packet", pkt}}
		if m.kind == kBroadcastWithAck {
			// The answers are counted over every server, so a broadcast
			// with acks never goes to a room's channel.
			data = append(data, member{"requestId", m.requestID})
		} else if len(m.opts.Rooms) == 1 {
			r := string(m.opts.Rooms[0])
			if s.mode == DynamicPrivateSubscriptions || (s.mode == DynamicSubscriptions && jsLength(r) != socketIDLength) {
				channel = s.channel + r + "#"
			}
		}
	case kJoin, kLeave:
		typ = msgSocketsJoin
		if m.kind == kLeave {
			typ = msgSocketsLeave
		}
		data = object{{"opts", optsTree(m.opts, true)}, {"rooms", roomsTree(m.rooms)}}
	case kDisconnect:
		typ = msgDisconnectSockets
		data = object{{"opts", optsTree(m.opts, true)}, {"close", m.close}}
	case kFetch:
		typ = msgFetchSockets
		data = object{{"opts", optsTree(m.opts, true)}, {"requestId", m.requestID}}
	case kServerSideEmit:
		typ = msgServerSideEmit
		if m.requestID != "" {
			data = append(data, member{"requestId", m.requestID})
		}
		data = append(data, member{"packet", m.value})
	case kFetchResponse:
		typ, channel = msgFetchSocketsResponse, s.channel+m.uid+"#"
		data = object{{"requestId", m.requestID}, {"sockets", m.sockets}}
	case kServerSideEmitResponse, kAck:
		typ = msgServerSideEmitResponse
		if m.kind == kAck {
			typ = msgBroadcastAck
		}
		channel = s.channel + m.uid + "#"
		data = object{{"requestId", m.requestID}}
		if m.hasValue {
			data = append(data, member{"packet", m.value})
		}
	case kClientCount:
		typ, channel = msgBroadcastClientCount, s.channel+m.uid+"#"
		data = object{{"requestId", m.requestID}, {"clientCount", int64(m.count)}}
	default:
		return "", nil, fmt.Errorf("redis adapter: sharded protocol has no message of kind %d", m.kind)
	}
	tree := object{{"uid", s.uid}, {"nsp", s.nsp}, {"type", int64(typ)}, {"data", data}}
	var b []byte
	if shardedMaybeBinaryTypeMask&(1<<typ) != 0 && hasBinary(data) {
		b, err = encodeMsgpack(tree)
	} else {
		b = appendJSON(nil, tree, jsonPlain, nil)
	}
	return channel, b, err
}

func (s *sharded) decode(channel, _ string, payload []byte) (*message, error) {
	v, err := decodePayload(payload)
	if err != nil {
		return nil, err
	}
	msg, ok := v.(object)
	if !ok {
		return nil, fmt.Errorf("%w: message is not an object", errMalformed)
	}
	if str(msg.Get("nsp")) != s.nsp {
		return nil, nil
	}
	typ, ok := integer(msg.Get("type"))
	if !ok {
		return nil, fmt.Errorf("%w: message without a type", errMalformed)
	}
	data, _ := msg.Get("data").(object)
	m := &message{uid: str(msg.Get("uid")), requestID: str(data.Get("requestId"))}
	switch typ {
	case msgBroadcast:
		p, err := decodePacket(data.Get("packet"), s.nsp)
		if err != nil || p == nil {
			return nil, err
		}
		m.kind, m.packet, m.opts = kBroadcast, p, decodeOpts(data.Get("opts"))
		if data.Has("requestId") {
			m.kind = kBroadcastWithAck
		}
	case msgSocketsJoin, msgSocketsLeave:
		m.kind = kJoin
		if typ == msgSocketsLeave {
			m.kind = kLeave
		}
		m.opts, m.rooms = decodeOpts(data.Get("opts")), decodeRooms(data.Get("rooms"))
	case msgDisconnectSockets:
		m.kind, m.opts = kDisconnect, decodeOpts(data.Get("opts"))
		m.close, _ = data.Get("close").(bool)
	case msgFetchSockets:
		m.kind, m.opts = kFetch, decodeOpts(data.Get("opts"))
	case msgServerSideEmit:
		if _, ok := data.Get("packet").([]any); !ok {
			return nil, fmt.Errorf("%w: server-side emit without packet", errMalformed)
		}
		m.kind, m.value = kServerSideEmit, data.Get("packet")
	case msgFetchSocketsResponse:
		m.kind = kFetchResponse
		m.sockets, _ = data.Get("sockets").([]any)
	case msgServerSideEmitResponse, msgBroadcastAck:
		m.kind = kServerSideEmitResponse
		if typ == msgBroadcastAck {
			m.kind = kAck
		}
		m.value, m.hasValue = data.Get("packet"), data.Has("packet")
	case msgBroadcastClientCount:
		m.kind = kClientCount
		m.count, _ = integer(data.Get("clientCount"))
	default: // heartbeats and ADAPTER_CLOSE concern the heartbeat adapters
		return nil, nil
	}
	if m.kind.isResponse() && channel != s.own {
		return nil, nil // an answer meant for another server
	}
	return m, nil
}

package redis

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/gosio/sio/room"
)

// The classic protocol's request types (RequestType in the reference's
// lib/index.ts).
const (
	reqSockets          = 0
	reqAllRooms         = 1
	reqRemoteJoin       = 2
	reqRemoteLeave      = 3
	reqRemoteDisconnect = 4
	reqRemoteFetch      = 5
	reqServerSideEmit   = 6
	reqBroadcast        = 7
	reqBroadcastCount   = 8
	reqBroadcastAck     = 9
)

// classic is the protocol of the reference's createAdapter: broadcasts in
// msgpack on socket.io#<nsp># (and socket.io#<nsp>#<room># for one room),
// requests on socket.io-request#<nsp>#, answers on socket.io-response#<nsp>#
// or the requester's socket.io-response#<nsp>#<uid>#; JSON but for the
// broadcasts, broadcasts with acks and their acks.
type classic struct {
	client   redis.UniversalClient
	uid      string
	nsp      string
	specific bool

	channel          string // socket.io#<nsp>#
	requestChannel   string // socket.io-request#<nsp>#
	responseChannel  string // socket.io-response#<nsp>#
	specificResponse string // socket.io-response#<nsp>#<uid>#
}

func newClassic(client redis.UniversalClient, nsp string, o *Options) *classic {
	c := &classic{
		client:   client,
		uid:      randomString(6),
		nsp:      nsp,
		specific: o.PublishOnSpecificResponseChannel,
	}
	c.channel = o.Key + "#" + nsp + "#"
	c.requestChannel = o.Key + "-request#" + nsp + "#"
	c.responseChannel = o.Key + "-response#" + nsp + "#"
	c.specificResponse = c.responseChannel + c.uid + "#"
	return c
}

func (c *classic) sharded() bool     { return false }
func (c *classic) requestID() string { return randomString(6) }

func (c *classic) subscriptions() []subscription {
	return []subscription{
		{subPattern, globEscape(c.channel) + "*"},
		{subChannel, c.requestChannel},
		{subChannel, c.responseChannel},
		{subChannel, c.specificResponse},
	}
}

func (c *classic) roomSubscription(room.Room, bool) (subscription, bool) {
	return subscription{}, false
}

// globEscape escapes the characters PSUBSCRIBE patterns give a meaning.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// serverCount is PUBSUB NUMSUB of the request channel, every server being
// subscribed to it; summed over the masters of a Redis Cluster.
func (c *classic) serverCount(ctx context.Context) (int, error) {
	return numSub(ctx, c.client, false, c.requestChannel)
}

// responseTo returns the channel for an answer to requester.
func (c *classic) responseTo(requester string) string {
	if c.specific && requester != "" {
		return c.responseChannel + requester + "#"
	}
	return c.responseChannel
}

func (c *classic) encode(m *message) (string, []byte, error) {
	var (
		channel = c.requestChannel
		tree    object
		msgpack bool
	)
	switch m.kind {
	case kBroadcast:
		pkt, err := packetTree(m.packet, c.nsp, false)
		if err != nil {
			return "", nil, err
		}
		channel = c.channel
		if len(m.opts.Rooms) == 1 {
			channel += string(m.opts.Rooms[0]) + "#"
		}
		b, err := encodeMsgpack([]any{c.uid, pkt, optsTree(m.opts, true)})
		return channel, b, err
	case kBroadcastWithAck:
		pkt, err := packetTree(m.packet, c.nsp, false)
		if err != nil {
			return "", nil, err
		}
		tree = object{{"uid", c.uid}, {"requestId", m.requestID}, {"type", int64(reqBroadcast)},
			{"packet", pkt}, {"opts", optsTree(m.opts, true)}}
		msgpack = true
	case kJoin, kLeave:
		typ := reqRemoteJoin
		if m.kind == kLeave {
			typ = reqRemoteLeave
		}
		tree = object{{"uid", c.uid}, {"type", int64(typ)}, {"opts", optsTree(m.opts, false)}, {"rooms", roomsTree(m.rooms)}}
	case kDisconnect:
		tree = object{{"uid", c.uid}, {"type", int64(reqRemoteDisconnect)}, {"opts", optsTree(m.opts, false)}, {"close", m.close}}
	case kFetch:
		tree = object{{"uid", c.uid}, {"requestId", m.requestID}, {"type", int64(reqRemoteFetch)}, {"opts", optsTree(m.opts, false)}}
	case kServerSideEmit:
		tree = object{{"uid", c.uid}}
		if m.requestID != "" {
			tree = append(tree, member{"requestId", m.requestID})
		}
		tree = append(tree, member{"type", int64(reqServerSideEmit)}, member{"data", m.value})
	case kFetchResponse:
		channel = c.responseTo(m.uid)
		tree = object{{"requestId", m.requestID}, {"sockets", m.sockets}}
	case kServerSideEmitResponse:
		// The reference answers a server-side emit on the shared channel.
		channel = c.responseChannel
		tree = object{{"type", int64(reqServerSideEmit)}, {"requestId", m.requestID}}
		if m.hasValue {
			tree = append(tree, member{"data", m.value})
		}
	case kClientCount:
		channel = c.responseTo(m.uid)
		tree = object{{"type", int64(reqBroadcastCount)}, {"requestId", m.requestID}, {"clientCount", int64(m.count)}}
	case kAck:
		channel = c.responseTo(m.uid)
		tree = object{{"type", int64(reqBroadcastAck)}, {"requestId", m.requestID}}
		if m.hasValue {
			tree = append(tree, member{"packet", m.value})
		}
		msgpack = true
	case kSocketsResponse:
		channel = c.responseTo(m.uid)
		ids := make([]any, len(m.ids))
		for i, id := range m.ids {
			ids[i] = id
		}
		tree = object{{"requestId", m.requestID}, {"sockets", ids}}
	case kAllRoomsResponse:
		channel = c.responseTo(m.uid)
		tree = object{{"requestId", m.requestID}, {"rooms", roomsTree(m.rooms)}}
	case kLegacyResponse:
		channel = c.responseTo(m.uid)
		tree = object{{"requestId", m.requestID}}
	default:
		return "", nil, fmt.Errorf("redis adapter: classic protocol has no message of kind %d", m.kind)
	}
	if msgpack {
		b, err := encodeMsgpack(tree)
		return channel, b, err
	}
	return channel, appendJSON(nil, tree, jsonPlain, nil), nil
}

func (c *classic) decode(channel, pattern string, payload []byte) (*message, error) {
	switch {
	case channel == c.requestChannel:
		return c.decodeRequest(payload)
	case strings.HasPrefix(channel, c.responseChannel):
		return c.decodeResponse(payload)
	case pattern != "" && strings.HasPrefix(channel, c.channel):
		return c.decodeBroadcast(channel, payload)
	}
	return nil, nil
}

// decodeBroadcast reads [uid, packet, {rooms, except, flags}], always
// msgpack.
func (c *classic) decodeBroadcast(channel string, payload []byte) (*message, error) {
	v, err := parseMsgpack(payload)
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok || len(arr) < 3 {
		return nil, fmt.Errorf("%w: broadcast is not [uid, packet, opts]", errMalformed)
	}
	pkt, _ := arr[1].(object)
	nsp := "/"
	if s, ok := pkt.Get("nsp").(string); ok {
		nsp = s
	}
	if nsp != c.nsp {
		return nil, nil
	}
	p, err := decodePacket(pkt, c.nsp)
	if err != nil || p == nil {
		return nil, err
	}
	m := &message{kind: kBroadcast, uid: str(arr[0]), packet: p, opts: decodeOpts(arr[2])}
	if rest := channel[len(c.channel):]; len(rest) > 0 {
		m.channelRoom = strings.TrimSuffix(rest, "#")
	}
	return m, nil
}

func (c *classic) decodeRequest(payload []byte) (*message, error) {
	v, err := decodePayload(payload)
	if err != nil {
		return nil, err
	}
	req, ok := v.(object)
	if !ok {
		return nil, fmt.Errorf("%w: request is not an object", errMalformed)
	}
	typ, ok := integer(req.Get("type"))
	if !ok {
		return nil, fmt.Errorf("%w: request without a type", errMalformed)
	}
	m := &message{uid: str(req.Get("uid")), requestID: str(req.Get("requestId"))}
	legacy := !req.Has("opts")
	switch typ {
	case reqSockets:
		m.kind = kSockets
		m.opts.Rooms = decodeRooms(req.Get("rooms"))
	case reqAllRooms:
		m.kind = kAllRooms
	case reqRemoteJoin, reqRemoteLeave, reqRemoteDisconnect:
		if legacy {
			m.kind = map[int]kind{reqRemoteJoin: kLegacyJoin, reqRemoteLeave: kLegacyLeave, reqRemoteDisconnect: kLegacyDisconnect}[typ]
			m.sid = str(req.Get("sid"))
			if r, ok := roomName(req.Get("room")); ok {
				m.room = string(r)
			}
		} else {
			m.kind = map[int]kind{reqRemoteJoin: kJoin, reqRemoteLeave: kLeave, reqRemoteDisconnect: kDisconnect}[typ]
			m.opts = decodeOpts(req.Get("opts"))
			m.rooms = decodeRooms(req.Get("rooms"))
		}
		m.close, _ = req.Get("close").(bool)
	case reqRemoteFetch:
		m.kind = kFetch
		m.opts = decodeOpts(req.Get("opts"))
	case reqServerSideEmit:
		m.kind = kServerSideEmit
		if _, ok := req.Get("data").([]any); !ok {
			return nil, fmt.Errorf("%w: server-side emit without data", errMalformed)
		}
		m.value = req.Get("data")
	case reqBroadcast:
		m.kind = kBroadcastWithAck
		p, err := decodePacket(req.Get("packet"), c.nsp)
		if err != nil || p == nil {
			return nil, err
		}
		m.packet = p
		m.opts = decodeOpts(req.Get("opts"))
	default:
		return nil, nil
	}
	return m, nil
}

func (c *classic) decodeResponse(payload []byte) (*message, error) {
	v, err := decodePayload(payload)
	if err != nil {
		return nil, err
	}
	res, ok := v.(object)
	if !ok {
		return nil, fmt.Errorf("%w: response is not an object", errMalformed)
	}
	m := &message{requestID: str(res.Get("requestId"))}
	typ, typed := integer(res.Get("type"))
	switch {
	case typed && typ == reqBroadcastCount:
		m.kind = kClientCount
		m.count, _ = integer(res.Get("clientCount"))
	case typed && typ == reqBroadcastAck:
		m.kind = kAck
		m.value, m.hasValue = res.Get("packet"), res.Has("packet")
	case typed && typ == reqServerSideEmit:
		m.kind = kServerSideEmitResponse
		m.value, m.hasValue = res.Get("data"), res.Has("data")
	case res.Has("sockets"):
		m.kind = kFetchResponse
		m.sockets, _ = res.Get("sockets").([]any)
	default:
		return nil, nil // answers to requests this adapter does not make
	}
	return m, nil
}

// numSub runs PUBSUB NUMSUB (or SHARDNUMSUB) for channel; on a Redis
// Cluster it sums the answers of every master, as the reference does.
func numSub(ctx context.Context, client redis.UniversalClient, shard bool, channel string) (int, error) {
	one := func(ctx context.Context, c redis.Cmdable) (int, error) {
		var (
			res map[string]int64
			err error
		)
		if shard {
			res, err = c.PubSubShardNumSub(ctx, channel).Result()
		} else {
			res, err = c.PubSubNumSub(ctx, channel).Result()
		}
		return int(res[channel]), err
	}
	if cc, ok := client.(*redis.ClusterClient); ok {
		var (
			total int
			mu    = make(chan struct{}, 1)
		)
		err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			n, err := one(ctx, node)
			mu <- struct{}{}
			total += n
			<-mu
			return err
		})
		return total, err
	}
	return one(ctx, client)
}

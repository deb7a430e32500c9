package emitter

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/gosio/sio/internal/clustermsg"
)

// redisTransport speaks the classic protocol of @socket.io/redis-adapter
// as @socket.io/redis-emitter 5.x writes it: PUBLISH of msgpack
// broadcasts on <key>#<nsp># (<key>#<nsp>#<room># for one room) and of
// JSON requests on <key>-request#<nsp>#.
type redisTransport struct {
	client redis.UniversalClient
	key    string
}

func (r *redisTransport) broadcast(ctx context.Context, b *broadcast) error {
	channel, payload, err := r.encodeBroadcast(b)
	if err != nil {
		return err
	}
	return r.client.Publish(ctx, channel, payload).Err()
}

func (r *redisTransport) request(ctx context.Context, q *request) error {
	channel, payload := r.encodeRequest(q)
	return r.client.Publish(ctx, channel, payload).Err()
}

// encodeBroadcast returns the channel and msgpack payload
// ["emitter", {type: 2, data, nsp}, {rooms, flags, except}] of b, the
// members in the reference's order.
func (r *redisTransport) encodeBroadcast(b *broadcast) (string, []byte, error) {
	channel := r.key + "#" + b.nsp + "#"
	if len(b.rooms) == 1 {
		channel += b.rooms[0] + "#"
	}
	fl := clustermsg.Object{}
	if b.flags.volatile {
		fl = append(fl, clustermsg.Member{Key: "volatile", Val: true})
	}
	if b.flags.compressSet {
		fl = append(fl, clustermsg.Member{Key: "compress", Val: b.flags.compress})
	}
	msg := []any{
		uid,
		clustermsg.Object{{Key: "type", Val: int64(2)}, {Key: "data", Val: b.data}, {Key: "nsp", Val: b.nsp}},
		clustermsg.Object{{Key: "rooms", Val: stringsTree(b.rooms)}, {Key: "flags", Val: fl}, {Key: "except", Val: stringsTree(b.except)}},
	}
	payload, err := clustermsg.EncodeMsgpack(msg)
	if err != nil {
		return "", nil, wrapEncoding(err)
	}
	return channel, payload, nil
}

// encodeRequest returns the channel and JSON payload of q, as the
// reference writes them: {type, opts: {rooms, except}, rooms} for a join
// or leave, {type, opts, close} for a disconnect, {uid, type, data} for a
// server-side event.
func (r *redisTransport) encodeRequest(q *request) (string, []byte) {
	channel := r.key + "-request#" + q.nsp + "#"
	opts := clustermsg.Object{{Key: "rooms", Val: stringsTree(q.targetRooms)}, {Key: "except", Val: stringsTree(q.targetExcept)}}
	var tree clustermsg.Object
	switch q.typ {
	case reqJoin, reqLeave:
		tree = clustermsg.Object{{Key: "type", Val: int64(q.typ)}, {Key: "opts", Val: opts}, {Key: "rooms", Val: stringsTree(q.rooms)}}
	case reqDisconnect:
		tree = clustermsg.Object{{Key: "type", Val: int64(q.typ)}, {Key: "opts", Val: opts}, {Key: "close", Val: q.close}}
	case reqServerSideEmit:
		tree = clustermsg.Object{{Key: "uid", Val: uid}, {Key: "type", Val: int64(q.typ)}, {Key: "data", Val: q.data}}
	}
	return channel, clustermsg.AppendJSON(nil, tree, clustermsg.JSONPlain, nil)
}

package redisstreams

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"

	"github.com/gosio/sio/internal/clustermsg"
)

// The message types of socket.io-adapter's ClusterAdapter (MessageType in
// lib/cluster-adapter.ts). The heartbeats (1, 2) and ADAPTER_CLOSE (13)
// belong to ClusterAdapterWithHeartbeat, which the reference's 0.3.x no
// longer uses: it counts servers with PUBSUB NUMSUB.
const (
	typeBroadcast              = 3
	typeSocketsJoin            = 4
	typeSocketsLeave           = 5
	typeDisconnectSockets      = 6
	typeFetchSockets           = 7
	typeFetchSocketsResponse   = 8
	typeServerSideEmit         = 9
	typeServerSideEmitResponse = 10
	typeBroadcastClientCount   = 11
	typeBroadcastAck           = 12
)

// message is a ClusterAdapter message {uid, nsp, type, data}, whether it
// travels as a stream entry or on a pub/sub channel.
type message struct {
	uid  string // the sender's uid
	nsp  string
	typ  int
	data clustermsg.Object
}

func (m *message) isResponse() bool {
	switch m.typ {
	case typeFetchSocketsResponse, typeServerSideEmitResponse, typeBroadcastClientCount, typeBroadcastAck:
		return true
	}
	return false
}

// requestID returns data.requestId; "" when absent (or null, as msgpack
// writes an undefined property).
func (m *message) requestID() string { return clustermsg.Str(m.data.Get("requestId")) }

// mayContainBinary reports whether the reference checks a message of type
// typ for binary data before it writes it to the stream.
func mayContainBinary(typ int) bool {
	switch typ {
	case typeBroadcast, typeFetchSocketsResponse, typeServerSideEmit, typeServerSideEmitResponse, typeBroadcastAck:
		return true
	}
	return false
}

// entryValues returns the fields of m's stream entry, in the reference's
// order: uid, nsp, type (decimal) and data, which is the JSON of m.data,
// or base64 of its msgpack when it holds binary values.
func entryValues(m *message) ([]any, error) {
	var data string
	if mayContainBinary(m.typ) && clustermsg.HasBinary(m.data) {
		b, err := clustermsg.EncodeMsgpack(m.data)
		if err != nil {
			return nil, err
		}
		data = base64.StdEncoding.EncodeToString(b)
	} else {
		data = string(clustermsg.AppendJSON(nil, m.data, clustermsg.JSONPlain, nil))
	}
	return []any{"uid", m.uid, "nsp", m.nsp, "type", strconv.Itoa(m.typ), "data", data}, nil
}

// decodeEntry turns the fields of a stream entry into a message. It
// returns nil for an entry with no nsp field, which the reference skips.
func decodeEntry(values map[string]any) (*message, error) {
	nsp, _ := values["nsp"].(string)
	if nsp == "" {
		return nil, nil
	}
	uid, _ := values["uid"].(string)
	typ, err := strconv.Atoi(fmt.Sprint(values["type"]))
	if err != nil {
		return nil, fmt.Errorf("%w: entry type %q", clustermsg.ErrMalformed, values["type"])
	}
	m := &message{uid: uid, nsp: nsp, typ: typ}
	data, _ := values["data"].(string)
	if data == "" {
		return m, nil
	}
	var v any
	if data[0] == '{' {
		v, err = clustermsg.ParseJSON([]byte(data), nil)
	} else {
		var b []byte
		if b, err = base64.StdEncoding.DecodeString(data); err != nil {
			// Node's Buffer.from(s, "base64") also takes unpadded input.
			if b, err = base64.RawStdEncoding.DecodeString(data); err != nil {
				return nil, fmt.Errorf("%w: entry data is neither JSON nor base64", clustermsg.ErrMalformed)
			}
		}
		v, err = clustermsg.ParseMsgpack(b)
	}
	if err != nil {
		return nil, err
	}
	obj, ok := v.(clustermsg.Object)
	if !ok {
		return nil, fmt.Errorf("%w: entry data is not an object", clustermsg.ErrMalformed)
	}
	m.data = obj
	return m, nil
}

// errClassicPeer is returned by decodePubSub for a message in the format
// of the classic Redis adapter (a msgpack array), which shares the
// default channel names.
var errClassicPeer = errors.New("a message of the classic Redis adapter")

// encodePubSub returns the pub/sub payload of m: the msgpack of {uid, nsp,
// type, data}, always msgpack, as the reference writes it.
func encodePubSub(m *message) ([]byte, error) {
	tree := clustermsg.Object{{"uid", m.uid}, {"nsp", m.nsp}, {"type", int64(m.typ)}}
	if m.data != nil {
		tree = append(tree, clustermsg.Member{Key: "data", Val: m.data})
	}
	return clustermsg.EncodeMsgpack(tree)
}

// decodePubSub decodes a pub/sub payload. The reference decodes msgpack
// only; a JSON object (the sharded Redis adapter's format) is read too.
func decodePubSub(payload []byte) (*message, error) {
	v, err := clustermsg.DecodePayload(payload)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(clustermsg.Object)
	if !ok {
		if _, isArray := v.([]any); isArray {
			return nil, errClassicPeer
		}
		return nil, fmt.Errorf("%w: message is not an object", clustermsg.ErrMalformed)
	}
	typ, ok := clustermsg.Integer(obj.Get("type"))
	if !ok {
		return nil, fmt.Errorf("%w: message without a type", clustermsg.ErrMalformed)
	}
	data, _ := obj.Get("data").(clustermsg.Object)
	return &message{uid: clustermsg.Str(obj.Get("uid")), nsp: clustermsg.Str(obj.Get("nsp")), typ: typ, data: data}, nil
}

// streamName returns the stream of namespace nsp: the reference's
// computeStreamName, <name>-<hashCode(nsp) % count> with JavaScript's
// 32-bit string hash and remainder (which may be negative).
func streamName(o *Options, nsp string) string {
	if o.StreamCount <= 1 {
		return o.StreamName
	}
	var h int32
	for _, c := range utf16.Encode([]rune(nsp)) {
		h = h*31 + int32(c)
	}
	return o.StreamName + "-" + strconv.Itoa(int(h%int32(o.StreamCount)))
}

// randomID returns 16 hex digits, as the reference's
// randomBytes(8).toString("hex"): server uids and request IDs.
func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

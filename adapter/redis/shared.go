package redis

import "github.com/gosio/sio/internal/clustermsg"

// The value tree and message pieces shared with adapter/redisstreams, under
// the names this package has always used.
type (
	object  = clustermsg.Object
	member  = clustermsg.Member
	rawJSON = clustermsg.RawJSON
)

var errMalformed = clustermsg.ErrMalformed

const (
	jsonPlain        = clustermsg.JSONPlain
	jsonPlaceholders = clustermsg.JSONPlaceholders
)

var (
	parseJSON       = clustermsg.ParseJSON
	parseMsgpack    = clustermsg.ParseMsgpack
	appendJSON      = clustermsg.AppendJSON
	appendJSONFloat = clustermsg.AppendJSONFloat
	encodeMsgpack   = clustermsg.EncodeMsgpack
	toGo            = clustermsg.ToGo
	fromGo          = clustermsg.FromGo
	hasBinary       = clustermsg.HasBinary
	decodePayload   = clustermsg.DecodePayload
	packetTree      = clustermsg.PacketTree
	decodePacket    = clustermsg.DecodePacket
	optsTree        = clustermsg.OptsTree
	roomsTree       = clustermsg.RoomsTree
	decodeOpts      = clustermsg.DecodeOpts
	decodeRooms     = clustermsg.DecodeRooms
	jsLength        = clustermsg.JSLength
	roomName        = clustermsg.RoomName
	dedupe          = clustermsg.Dedupe
	socketTree      = clustermsg.SocketTree
	decodeSocket    = clustermsg.DecodeSocket
	str             = clustermsg.Str
	integer         = clustermsg.Integer
)

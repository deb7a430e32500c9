package redis

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/room"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// hexOf writes msgpack test vectors readably: quoted strings stand for
// their bytes.
func hexOf(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if s, ok := strings.CutPrefix(p, `"`); ok {
			b.WriteString(hex.EncodeToString([]byte(strings.TrimSuffix(s, `"`))))
		} else {
			b.WriteString(strings.ReplaceAll(p, " ", ""))
		}
	}
	return b.String()
}

func TestClassicBroadcastBytes(t *testing.T) {
	// The bytes notepack.io 3.0.1 writes for the reference's broadcast
	// [uid, {type, data, nsp}, {rooms, except, flags}] (REFERENCE §5.1).
	want := unhex(t, hexOf(`93 a6`, `"abc123"`, `83 a4`, `"type"`, `02 a4`, `"data"`, `92 a5`, `"hello"`, `a5`, `"world"`,
		`a3`, `"nsp"`, `a1 2f 83 a5`, `"rooms"`, `91 a5`, `"room1"`, `a6`, `"except"`, `90 a5`, `"flags"`, `80`))
	o := (&Options{}).withDefaults()
	c := newClassic(nil, "/", &o)
	c.uid = "abc123"
	p := &adapter.Packet{Namespace: "/", Data: []byte(`["hello","world"]`)}
	opts := adapter.BroadcastOptions{Rooms: []room.Room{"room1"}, Flags: adapter.Flags{Compress: true}}
	channel, payload, err := c.encode(&message{kind: kBroadcast, packet: p, opts: opts})
	require.NoError(t, err)
	assert.Equal(t, "socket.io#/#room1#", channel)
	assert.Equal(t, hex.EncodeToString(want), hex.EncodeToString(payload))

	// And back, as another server reads it.
	c2 := newClassic(nil, "/", &o)
	m, err := c2.decode(channel, "socket.io#/#*", payload)
	require.NoError(t, err)
	require.NotNil(t, m)
	assert.Equal(t, kBroadcast, m.kind)
	assert.Equal(t, "abc123", m.uid)
	assert.Equal(t, "room1", m.channelRoom)
	assert.Equal(t, `["hello","world"]`, string(m.packet.Data))
	assert.Equal(t, []room.Room{"room1"}, m.opts.Rooms)
	assert.True(t, m.opts.Flags.Compress)

	// Another namespace's broadcast is not ours.
	c3 := newClassic(nil, "/chat", &o)
	m, err = c3.decode("socket.io#/chat#", "socket.io#/chat#*", payload)
	require.NoError(t, err)
	assert.Nil(t, m)
}

func TestClassicChannels(t *testing.T) {
	o := (&Options{Key: "k"}).withDefaults()
	c := newClassic(nil, "/a*b", &o)
	assert.Equal(t, "k#/a*b#", c.channel)
	assert.Equal(t, "k-request#/a*b#", c.requestChannel)
	assert.Equal(t, "k-response#/a*b#", c.responseChannel)
	assert.Equal(t, "k-response#/a*b#"+c.uid+"#", c.specificResponse)
	assert.Len(t, c.uid, 6)
	assert.Contains(t, c.subscriptions(), subscription{subPattern, `k#/a\*b#*`})
	assert.Equal(t, c.responseChannel, c.responseTo("other"))
	o.PublishOnSpecificResponseChannel = true
	c = newClassic(nil, "/", &o)
	assert.Equal(t, "k-response#/#other#", c.responseTo("other"))
}

func TestPacketBytes(t *testing.T) {
	// notepack.io's {type:2,data:["hello","you"],nsp:"/"} (REFERENCE §A.5).
	tree, err := packetTree(&adapter.Packet{Data: []byte(`["hello","you"]`)}, "/", false)
	require.NoError(t, err)
	b, err := encodeMsgpack(tree)
	require.NoError(t, err)
	assert.Equal(t, "83a47479706502a46461746192a568656c6c6fa3796f75a36e7370a12f", hex.EncodeToString(b))
}

func TestBinaryRoundTrip(t *testing.T) {
	data := `["ev",{"_placeholder":true,"num":1},{"k":[{"_placeholder":true,"num":0}],"n":1.5,"i":-3,"s":"é\n\"x\"","z":null,"t":true}]`
	atts := [][]byte{{1, 2}, {}}
	tree, err := packetTree(&adapter.Packet{Data: []byte(data), Attachments: atts}, "/", false)
	require.NoError(t, err)
	b, err := encodeMsgpack(tree)
	require.NoError(t, err)
	assert.True(t, bytes.Contains(b, []byte{0xc4, 0x02, 0x01, 0x02}), "bin value of the first attachment")
	v, err := parseMsgpack(b)
	require.NoError(t, err)
	p, err := decodePacket(v, "/")
	require.NoError(t, err)
	// Attachments are numbered in the order they appear.
	assert.JSONEq(t, `["ev",{"_placeholder":true,"num":0},{"k":[{"_placeholder":true,"num":1}],"n":1.5,"i":-3,"s":"é\n\"x\"","z":null,"t":true}]`, string(p.Data))
	assert.Equal(t, [][]byte{{}, {1, 2}}, p.Attachments)
}

func TestJSONValues(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`1`, `1`},
		{`1.0`, `1`},
		{`-0.5`, `-0.5`},
		{`1e21`, `1e+21`},
		{`1e-7`, `1e-7`},
		{`123456789012345678901234567890`, `1.2345678901234568e+29`},
		{`"\u00e9\ud83d\ude00\u0001<>&"`, `"é😀\u0001<>&"`},
		{`{"a":[],"b":{},"c":[null,false]}`, `{"a":[],"b":{},"c":[null,false]}`},
		{` [ 1 , "x" ] `, `[1,"x"]`},
	} {
		v, err := parseJSON([]byte(tc.in), nil)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, string(appendJSON(nil, v, jsonPlain, nil)), tc.in)
		// Through msgpack and back.
		b, err := encodeMsgpack(v)
		require.NoError(t, err)
		v2, err := parseMsgpack(b)
		require.NoError(t, err)
		assert.Equal(t, tc.want, string(appendJSON(nil, v2, jsonPlain, nil)), tc.in)
	}
	for _, bad := range []string{``, `{`, `[1,]`, `{"a"}`, `tru`, `"x`, `1 2`, `[`, `{"a":1,}`} {
		_, err := parseJSON([]byte(bad), nil)
		assert.Error(t, err, bad)
	}
}

func TestMsgpackValues(t *testing.T) {
	// A Date as notepack.io 3 writes it (ext -1, 8 bytes) becomes its JSON.
	ts := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)
	b, err := encodeMsgpack([]any{ts, []byte{9}, nil})
	require.NoError(t, err)
	v, err := parseMsgpack(b)
	require.NoError(t, err)
	var atts [][]byte
	assert.Equal(t, `["2024-01-02T03:04:05.006Z",{"_placeholder":true,"num":0},null]`, string(appendJSON(nil, v, jsonPlaceholders, &atts)))
	assert.Equal(t, [][]byte{{9}}, atts)
	assert.Equal(t, `{"type":"Buffer","data":[9]}`, string(appendJSON(nil, []byte{9}, jsonPlain, nil)))
	// notepack.io 2's undefined, a map with a number key.
	v, err = parseMsgpack(unhex(t, "92 d40000 81 01 a1 78"))
	require.NoError(t, err)
	assert.Equal(t, []any{nil, object{{"1", "x"}}}, v)
	for _, bad := range []string{"", "93 01", "c1", "a5 68", "92 01 02 03"} {
		_, err := parseMsgpack(unhex(t, bad))
		assert.Error(t, err, bad)
	}
}

func TestShardedEncoding(t *testing.T) {
	o := (&Options{}).withDefaults()
	s := newSharded(nil, "/", &o)
	assert.Len(t, s.uid, 16)
	p := &adapter.Packet{Data: []byte(`["ev",1]`)}
	pub := adapter.BroadcastOptions{Rooms: []room.Room{"public"}, Flags: adapter.Flags{Compress: true}}
	sid := adapter.BroadcastOptions{Rooms: []room.Room{"abcdefghijklmnopqrst"}, Flags: adapter.Flags{Compress: true}}

	channel, payload, err := s.encode(&message{kind: kBroadcast, packet: p, opts: pub})
	require.NoError(t, err)
	assert.Equal(t, "socket.io#/#public#", channel)
	assert.JSONEq(t, `{"uid":"`+s.uid+`","nsp":"/","type":3,"data":{"opts":{"rooms":["public"],"except":[],"flags":{}},"packet":{"type":2,"data":["ev",1],"nsp":"/"}}}`, string(payload))

	channel, _, err = s.encode(&message{kind: kBroadcast, packet: p, opts: sid})
	require.NoError(t, err)
	assert.Equal(t, "socket.io#/#", channel, "a room that looks like a socket ID")
	channel, _, err = s.encode(&message{kind: kBroadcastWithAck, requestID: "r", packet: p, opts: pub})
	require.NoError(t, err)
	assert.Equal(t, "socket.io#/#", channel, "a broadcast with acks")

	// With binary data the message is msgpack.
	bp := &adapter.Packet{Data: []byte(`["ev",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1}}}
	_, payload, err = s.encode(&message{kind: kBroadcast, packet: bp, opts: adapter.BroadcastOptions{}})
	require.NoError(t, err)
	assert.NotEqual(t, byte('{'), payload[0])
	other := newSharded(nil, "/", &o)
	m, err := other.decode("socket.io#/#", "", payload)
	require.NoError(t, err)
	assert.Equal(t, kBroadcast, m.kind)
	assert.Equal(t, [][]byte{{1}}, m.packet.Attachments)

	// An answer for another server is not ours.
	_, payload, err = other.encode(&message{kind: kClientCount, uid: "someone", requestID: "r", count: 2})
	require.NoError(t, err)
	m, err = s.decode("socket.io#/#someone#", "", payload)
	require.NoError(t, err)
	assert.Nil(t, m)
	m, err = s.decode(s.own, "", payload)
	require.NoError(t, err)
	assert.Equal(t, 2, m.count)

	o.SubscriptionMode = StaticSubscriptions
	s = newSharded(nil, "/", &o)
	channel, _, err = s.encode(&message{kind: kBroadcast, packet: p, opts: pub})
	require.NoError(t, err)
	assert.Equal(t, "socket.io#/#", channel)
	_, ok := s.roomSubscription("public", false)
	assert.False(t, ok)
	o.SubscriptionMode = DynamicPrivateSubscriptions
	s = newSharded(nil, "/", &o)
	channel, _, err = s.encode(&message{kind: kBroadcast, packet: p, opts: sid})
	require.NoError(t, err)
	assert.Equal(t, "socket.io#/#abcdefghijklmnopqrst#", channel)
}

// FuzzDecodePayload feeds arbitrary messages to both protocols' decoders:
// nothing panics, and what decodes survives msgpack and JSON round trips.
func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte(`{"uid":"x","type":5,"requestId":"r","opts":{"rooms":["a",1]}}`))
	f.Add([]byte(`{"uid":"x","nsp":"/","type":3,"data":{"opts":{},"packet":{"type":2,"data":["e"]}}}`))
	f.Add([]byte{0x93, 0xa1, 0x78, 0x83, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa4, 'd', 'a', 't', 'a', 0x91, 0xa1, 'e', 0xa3, 'n', 's', 'p', 0xa1, '/', 0x80})
	f.Add([]byte{0xd6, 0xff, 0, 0, 0, 1})
	o := (&Options{}).withDefaults()
	c, s := newClassic(nil, "/", &o), newSharded(nil, "/", &o)
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, ch := range []string{c.requestChannel, c.responseChannel, c.channel, c.channel + "r#"} {
			_, _ = c.decode(ch, "socket.io#/#*", payload)
		}
		_, _ = s.decode(s.channel, "", payload)
		_, _ = s.decode(s.own, "", payload)
		v, err := decodePayload(payload)
		if err != nil {
			return
		}
		var atts [][]byte
		j := appendJSON(nil, v, jsonPlaceholders, &atts)
		b, err := encodeMsgpack(v)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", v, err)
		}
		v2, err := parseMsgpack(b)
		if err != nil {
			t.Fatalf("decode own msgpack %x: %v", b, err)
		}
		var atts2 [][]byte
		if j2 := appendJSON(nil, v2, jsonPlaceholders, &atts2); !bytes.Equal(j, j2) {
			t.Fatalf("msgpack round trip: %s != %s", j, j2)
		}
		v3, err := parseJSON(j, atts)
		if err != nil {
			t.Fatalf("decode own JSON %s: %v", j, err)
		}
		// Invalid UTF-8 is written as the escape \ufffd, which reads back
		// as a valid U+FFFD and is then written as such: from there on the
		// JSON round trip is exact.
		var atts3 [][]byte
		j3 := appendJSON(nil, v3, jsonPlaceholders, &atts3)
		if !bytes.Contains(j, []byte(`\ufffd`)) && !bytes.Equal(j, j3) {
			t.Fatalf("JSON round trip: %s != %s", j, j3)
		}
		v4, err := parseJSON(j3, atts3)
		if err != nil {
			t.Fatalf("decode own JSON %s: %v", j3, err)
		}
		var atts4 [][]byte
		if j4 := appendJSON(nil, v4, jsonPlaceholders, &atts4); !bytes.Equal(j3, j4) {
			t.Fatalf("JSON round trip: %s != %s", j3, j4)
		}
	})
}

package redisstreams

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redisadapter "github.com/gosio/sio/adapter/redis"
	"github.com/gosio/sio/internal/clustermsg"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
)

// TestStreamName checks the stream of a namespace against the
// reference's hashCode, whose values below Node.js computed.
func TestStreamName(t *testing.T) {
	o := (&Options{StreamCount: 4}).withDefaults()
	for nsp, want := range map[string]string{
		"/":                               "socket.io-3",
		"/chat":                           "socket.io-3",
		"/admin":                          "socket.io-0",
		"/é":                              "socket.io-2",
		"/a-very-long-namespace-name-xyz": "socket.io--2", // JavaScript's negative remainder
	} {
		assert.Equal(t, want, streamName(&o, nsp), nsp)
	}
	one := (&Options{StreamName: "s"}).withDefaults()
	assert.Equal(t, "s", streamName(&one, "/chat"))
}

// TestDecodeEntry checks entries in the reference's shapes.
func TestDecodeEntry(t *testing.T) {
	m, err := decodeEntry(map[string]any{"uid": "u", "nsp": "/", "type": "4", "data": `{"opts":{"rooms":["a"],"except":[]},"rooms":["b"]}`})
	require.NoError(t, err)
	assert.Equal(t, typeSocketsJoin, m.typ)
	assert.Equal(t, []any{"b"}, m.data.Get("rooms"))

	// data with binary: base64 of msgpack, as Buffer.toString("base64").
	msg := &message{uid: "u", nsp: "/", typ: typeBroadcast, data: clustermsg.Object{{"packet", clustermsg.Object{{"type", int64(2)}, {"data", []any{"e", []byte{1}}}, {"nsp", "/"}}}}}
	values, err := entryValues(msg)
	require.NoError(t, err)
	// What the reference writes for {packet: {type: 2, data: ["e", Buffer.from([1])], nsp: "/"}}
	// (Buffer.from(encode(data)).toString("base64") in Node.js).
	assert.Equal(t, "gaZwYWNrZXSDpHR5cGUCpGRhdGGSoWXEAQGjbnNwoS8=", values[7])
	fields := map[string]any{}
	for i := 0; i < len(values); i += 2 {
		fields[values[i].(string)] = values[i+1]
	}
	m, err = decodeEntry(fields)
	require.NoError(t, err)
	assert.Equal(t, msg.data, m.data)

	// An entry without nsp is skipped, as the reference does.
	m, err = decodeEntry(map[string]any{"uid": "u", "type": "3"})
	assert.NoError(t, err)
	assert.Nil(t, m)
	for _, bad := range []map[string]any{
		{"nsp": "/", "type": "x"},
		{"nsp": "/", "type": "3", "data": "{"},
		{"nsp": "/", "type": "3", "data": "!!!"},
		{"nsp": "/", "type": "3", "data": "kw=="}, // msgpack [], not an object
	} {
		_, err := decodeEntry(bad)
		assert.ErrorIs(t, err, clustermsg.ErrMalformed, "%v", bad)
	}
}

// TestClassicPeerWarning runs a server on the classic pub/sub adapter
// (adapter/redis) and one on this adapter with the same names on one
// Redis: neither counts the other (NUMSUB of different channels, a
// pattern subscription against a plain one), neither sees the other's
// broadcasts, and this adapter logs once that a classic server's message
// came on its channel.
func TestClassicPeerWarning(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	o := testOptions(t)
	logs := &logRecorder{}
	o.Logger = slog.New(logs)
	gs := startGoNode(t, "streams", NewAdapter(client, o))
	gc := startGoNode(t, "classic", redisadapter.NewAdapter(client, &redisadapter.Options{Key: o.ChannelPrefix}))
	waitReady(t, gs.io)
	ctx := context.Background()
	cs := dialClient(t, gs.url, "cs")
	cc := dialClient(t, gc.url, "cc")
	for _, g := range []*goNode{gs, gc} {
		n, err := g.io.Sockets().Adapter().ServerCount(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n, g.name)
	}
	const warning = "redis streams adapter: a server with the classic (pub/sub) Redis adapter publishes on this namespace's channel; " +
		"the two kinds do not see each other's broadcasts: use one adapter kind per cluster"
	for range 2 {
		require.NoError(t, gc.io.Emit("from-classic"))
		cc.Expect(t, "from-classic")
	}
	require.NoError(t, gs.io.Emit("from-streams"))
	cs.Expect(t, "from-streams")
	testkit.Eventually(t, "the warning", func() bool { return logs.count(warning) == 1 })
	cs.MustReadNothing(t, 100*time.Millisecond)
	cc.MustReadNothing(t, 100*time.Millisecond)
}

// FuzzDecodeEntry feeds arbitrary entries to the entry decoder: nothing
// panics, and what decodes is written back by entryValues to an entry
// that decodes to the same message (after one round trip, which turns
// invalid UTF-8 into U+FFFD as JSON.stringify would).
func FuzzDecodeEntry(f *testing.F) {
	f.Add("3", `{"packet":{"type":2,"data":["e",1],"nsp":"/"},"opts":{"rooms":[],"except":[],"flags":{}}}`)
	f.Add("3", "gaZwYWNrZXSDpHR5cGUCpGRhdGGSoWXEAQGjbnNwoS8=")
	f.Add("6", `{"opts":{"rooms":["a"],"except":[]},"close":true}`)
	f.Add("9", "gaZwYWNrZXSR1/8AAAAAAAAAAA")
	f.Add("12", "")
	roundTrip := func(t *testing.T, m *message) (*message, bool) {
		values, err := entryValues(m)
		if err != nil {
			return nil, false // a value the encoder refuses, such as one nested too deeply
		}
		fields := map[string]any{}
		for i := 0; i < len(values); i += 2 {
			fields[values[i].(string)] = values[i+1]
		}
		m2, err := decodeEntry(fields)
		if err != nil {
			t.Fatalf("own entry %v: %v", fields, err)
		}
		return m2, true
	}
	f.Fuzz(func(t *testing.T, typ, data string) {
		m, err := decodeEntry(map[string]any{"uid": "u", "nsp": "/", "type": typ, "data": data})
		if err != nil || m == nil {
			return
		}
		m2, ok := roundTrip(t, m)
		if !ok {
			return
		}
		m3, ok := roundTrip(t, m2)
		if !ok {
			t.Fatalf("own entry refused: %s", clustermsg.AppendJSON(nil, m2.data, clustermsg.JSONPlain, nil))
		}
		j2 := clustermsg.AppendJSON(nil, m2.data, clustermsg.JSONPlain, nil)
		j3 := clustermsg.AppendJSON(nil, m3.data, clustermsg.JSONPlain, nil)
		if m2.typ != m.typ || m3.typ != m.typ || !bytes.Equal(j2, j3) {
			t.Fatalf("round trip: %d %s != %d %s", m2.typ, j2, m3.typ, j3)
		}
	})
}

// FuzzDecodePubSub feeds arbitrary pub/sub payloads to their decoder,
// whole and cut in two: nothing panics.
func FuzzDecodePubSub(f *testing.F) {
	for _, m := range []*message{
		{uid: "u", nsp: "/", typ: typeFetchSockets, data: clustermsg.Object{{"requestId", "r"}, {"opts", clustermsg.Object{{"rooms", []any{"a"}}}}}},
		{uid: "u", nsp: "/", typ: typeServerSideEmit, data: clustermsg.Object{{"packet", []any{"e", []byte{1}}}}},
	} {
		b, err := encodePubSub(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		_, _ = decodePubSub(payload)
		_, _ = decodePubSub(payload[:len(payload)/2])
	})
}

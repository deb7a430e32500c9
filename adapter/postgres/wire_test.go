package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/clustermsg"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/pgtest"
	"github.com/gosio/sio/socketio"
)

// Namespace is the socketio namespace, in the tests.
type Namespace = socketio.Namespace

// TestEncode checks the notification payloads against the reference's
// JSON.stringify of the same messages, and when a message goes to the
// table instead.
func TestEncode(t *testing.T) {
	hb := &message{uid: "u1", nsp: "/", typ: typeHeartbeat}
	payload, att, err := encode(hb, 8000)
	require.NoError(t, err)
	assert.Nil(t, att)
	assert.Equal(t, `{"type":2,"uid":"u1","nsp":"/"}`, payload)

	bc := &message{uid: "u1", nsp: "/chat", typ: typeBroadcast, data: clustermsg.Object{
		{"packet", clustermsg.Object{{"type", int64(2)}, {"data", []any{"hi", int64(1)}}, {"nsp", "/chat"}}},
		{"opts", clustermsg.Object{{"rooms", []any{"r"}}, {"except", []any{}}, {"flags", clustermsg.Object{}}}},
	}}
	payload, att, err = encode(bc, 8000)
	require.NoError(t, err)
	assert.Nil(t, att)
	assert.Equal(t, `{"type":3,"data":{"packet":{"type":2,"data":["hi",1],"nsp":"/chat"},"opts":{"rooms":["r"],"except":[],"flags":{}}},"uid":"u1","nsp":"/chat"}`, payload)

	// At the threshold, the message goes to the table as msgpack.
	payload, att, err = encode(bc, len(payload))
	require.NoError(t, err)
	assert.Empty(t, payload)
	m, err := decodeAttachment(att)
	require.NoError(t, err)
	assert.Equal(t, bc.uid, m.uid)
	assert.Equal(t, bc.nsp, m.nsp)
	assert.Equal(t, typeBroadcast, m.typ)

	// Binary data goes to the table, whatever its size, in the message
	// types the reference checks; not in a FetchSockets answer, whose
	// binary values are written as JSON.stringify writes a Buffer.
	bin := &message{uid: "u1", nsp: "/", typ: typeServerSideEmit, data: clustermsg.Object{{"packet", []any{"ev", []byte{1, 2}}}}}
	payload, att, err = encode(bin, 8000)
	require.NoError(t, err)
	assert.Empty(t, payload)
	m, err = decodeAttachment(att)
	require.NoError(t, err)
	assert.Equal(t, []any{"ev", []byte{1, 2}}, m.data.Get("packet"))
	fs := &message{uid: "u1", nsp: "/", typ: typeFetchSocketsResponse, data: clustermsg.Object{{"sockets", []any{[]byte{1}}}}}
	payload, att, err = encode(fs, 8000)
	require.NoError(t, err)
	assert.Nil(t, att)
	assert.Contains(t, payload, `{"type":"Buffer","data":[1]}`)
}

// TestDecodeNotification reads the reference's attachment header, whose
// id node-pg gives as a string, and a plain message.
func TestDecodeNotification(t *testing.T) {
	m, att, err := decodeNotification(`{"uid":"abc","type":3,"attachmentId":"42"}`)
	require.NoError(t, err)
	assert.Equal(t, "42", att)
	assert.Equal(t, "abc", m.uid)
	assert.Equal(t, typeBroadcast, m.typ)
	_, att, err = decodeNotification(`{"uid":"abc","type":3,"attachmentId":7}`)
	require.NoError(t, err)
	assert.Equal(t, "7", att)
	m, att, err = decodeNotification(`{"type":1,"uid":"x","nsp":"/"}`)
	require.NoError(t, err)
	assert.Empty(t, att)
	assert.Equal(t, typeInitialHeartbeat, m.typ)
	_, _, err = decodeNotification(`[1,2]`)
	assert.ErrorIs(t, err, clustermsg.ErrMalformed)
	_, _, err = decodeNotification(`{"uid":"x"}`)
	assert.ErrorIs(t, err, clustermsg.ErrMalformed)
}

func TestCreateTableName(t *testing.T) {
	err := CreateTable(context.Background(), nil, "x; DROP TABLE y")
	assert.True(t, errors.Is(err, ErrBadTableName))
	assert.True(t, tableNameRE.MatchString("public.socket_io_attachments"))
}

// TestGoCluster runs two Go servers: a payload over the NOTIFY limit
// crosses through the table, whose old rows the cleanup deletes; requests
// without another server return at once; a closed adapter refuses.
func TestGoCluster(t *testing.T) {
	pg := pgtest.Shared(t)
	pool := pg.NewPool(t)
	o := testOptions(t, pool)
	o.CleanupInterval = 300 * time.Millisecond
	g1 := startGoNode(t, "go1", NewAdapter(pool, o))
	ctx := context.Background()

	res, err := g1.io.ServerSideEmitWithAck(ctx, "ssping", 1)
	require.NoError(t, err)
	assert.Empty(t, res)

	g2 := startGoNode(t, "go2", NewAdapter(pool, o))
	waitServerCount(t, g1.io, 2)
	waitServerCount(t, g2.io, 2)
	a := dialClient(t, g1.url, "a")
	b := dialClient(t, g2.url, "b")
	big := strings.Repeat("é", 5000) // 10,000 bytes of UTF-8
	require.NoError(t, g2.io.Emit("big", big))
	assert.Equal(t, big, a.Expect(t, "big").Arg(0))
	assert.Equal(t, big, b.Expect(t, "big").Arg(0))
	testkit.Eventually(t, "the cleanup of the attachments table", func() bool {
		var n int
		return pool.QueryRow(ctx, "SELECT count(*) FROM "+o.TableName).Scan(&n) == nil && n == 0
	})

	// A burst: equal payloads all arrive (NOTIFYs of one transaction with
	// equal payloads would be delivered once), and in order.
	for i := range 100 {
		require.NoError(t, g1.io.Emit("burst", i%2))
	}
	for i := range 100 {
		assert.Equal(t, float64(i%2), b.Expect(t, "burst").Arg(0))
	}
	for range 100 {
		a.Expect(t, "burst")
	}
	flush(t, g1, a, b)

	// A namespace made later is listened to as well (the listening
	// connection is woken to LISTEN its channel), on both servers.
	chat1, chat2 := g1.io.Of("/chat"), g2.io.Of("/chat")
	c2 := dialClient(t, g2.url, "c2")
	c2.MustConnect(t, "/chat", "")
	for _, ns := range []*Namespace{chat1, chat2} {
		select {
		case <-ns.Adapter().(*Adapter).Listening():
		case <-time.After(10 * time.Second):
			t.Fatal("/chat not listened to")
		}
	}
	testkit.Eventually(t, "go1 counts go2 on /chat", func() bool {
		n, err := chat1.Adapter().ServerCount(ctx)
		return err == nil && n == 2
	})
	require.NoError(t, chat1.Emit("in-chat", 1))
	ev := c2.Expect(t, "in-chat")
	assert.Equal(t, "/chat", ev.Nsp)

	// FetchSockets across the two; then go2 closes and is forgotten.
	socks, err := g1.io.FetchSockets(ctx)
	require.NoError(t, err)
	assert.Equal(t, ids(a, b, c2), socketIDs(socks))

	ad := pgAdapter(t, g2.io)
	g2.stop()
	_, err = ad.ServerCount(ctx)
	assert.ErrorIs(t, err, errClosed)
	assert.ErrorIs(t, ad.ServerSideEmit(ctx, []any{"x"}), errClosed)
	waitServerCount(t, g1.io, 1)
}

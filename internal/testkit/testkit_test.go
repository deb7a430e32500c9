package testkit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/socketio"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newServer starts a socketio.Server whose sockets answer "echo" with
// their arguments, emit "bin" (with an attachment) on "send-bin", and ask
// their client "question?" on "ask", sending the answer back as "answer".
func newServer(t *testing.T, opts *socketio.Options) (*socketio.Server, string) {
	t.Helper()
	io := socketio.NewServer(opts)
	io.OnConnection(func(s *socketio.Socket) {
		s.On("echo", func(args socketio.Args, ack socketio.Ack) {
			out := make([]any, len(args))
			for i, a := range args {
				out[i] = a
			}
			_ = ack(out...)
		})
		s.On("send-bin", func() { _ = s.Emit("bin", "x", []byte{1, 2, 3}) })
		s.On("ask", func() {
			go func() {
				res, err := s.EmitWithAck(context.Background(), "question?", 1)
				_ = s.Emit("answer", fmt.Sprint(res, err))
			}()
		})
	})
	io.Of("/private").Use(func(*socketio.Socket) error { return errors.New("not allowed") })
	ts := httptest.NewServer(io)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		_ = io.Close()
		ts.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	return io, ts.URL
}

func TestClient(t *testing.T) {
	for _, tr := range []string{"websocket", "polling", "upgrade"} {
		t.Run(tr, func(t *testing.T) {
			_, url := newServer(t, nil)
			opts := &testkit.Options{Transport: tr}
			if tr == "upgrade" {
				opts.Transport = "polling"
			}
			c := testkit.MustDial(t, url, opts)
			assert.NotEmpty(t, c.Handshake().SID)
			assert.Equal(t, "0{", c.Handshake().Raw[:2])
			assert.NotEmpty(t, c.MustConnect(t, "/", ""))
			if tr == "upgrade" {
				c.MustUpgrade(t)
			}
			assert.Equal(t, map[string]string{"upgrade": "websocket"}[tr], map[string]string{"upgrade": c.Transport()}[tr])

			res := c.MustEmitWithAck(t, "/", "echo", 1, "two", map[string]int{"three": 3})
			assert.Equal(t, []json.RawMessage{json.RawMessage(`1`), json.RawMessage(`"two"`), json.RawMessage(`{"three":3}`)}, res)

			c.MustEmit(t, "/", "send-bin")
			ev := c.MustNextEvent(t, "bin")
			assert.Equal(t, "x", ev.Arg(0))
			assert.Equal(t, [][]byte{{1, 2, 3}}, ev.Attachments)

			c.SetAnswer(func(ev testkit.Event) ([]any, bool) { return []any{"yes", ev.Arg(0)}, true })
			c.MustEmit(t, "/", "ask")
			ev = c.MustNextEvent(t, "question?") // answered already, and queued
			assert.GreaterOrEqual(t, ev.ID, 0)
			assert.Equal(t, `["yes" 1] <nil>`, c.MustNextEvent(t, "answer").Arg(0))

			_, err := c.Connect(context.Background(), "/private", `{"token":"x"}`)
			ce, ok := testkit.IsConnectError(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, "not allowed", ce.Message)

			c.MustSend(t, "41")
			c.MustReadNothing(t, 50*time.Millisecond)
		})
	}
}

// The raw side: a malformed packet gets the connection closed, and the
// client reports how.
func TestRawPackets(t *testing.T) {
	_, url := newServer(t, nil)
	c := testkit.MustDial(t, url, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `451-1["echo",{"_placeholder":true,"num":0}]`)
	c.MustSendBinary(t, []byte{9})
	assert.Equal(t, `461-1[{"_placeholder":true,"num":0}]`, c.MustRead(t))
	assert.Equal(t, []byte{9}, c.MustReadBinary(t))
	c.MustSend(t, `42["echo"`)
	assert.Error(t, c.MustSeeClose(t, testkit.Timeout))

	c = testkit.MustDial(t, url, nil)
	c.MustSend(t, "4")
	assert.NotEqual(t, -1, testkit.CloseCode(c.MustReadClose(t, testkit.Timeout)), "a close frame")
	assert.Equal(t, -1, testkit.CloseCode(errors.New("EOF")))
}

// Unless it reads in the background, a client nobody reads from stops
// answering pings; in the background it answers them for ever.
func TestPings(t *testing.T) {
	reasons := make(chan socketio.DisconnectReason, 2)
	io, url := newServer(t, &socketio.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond})
	io.Of("/watched").OnConnection(func(s *socketio.Socket) {
		s.OnDisconnect(func(r socketio.DisconnectReason) { reasons <- r })
	})
	// Closing the busy one ends its websocket, or aborts its GET if one is
	// under way (if not, its session times out).
	for tr, closed := range map[string][]string{"websocket": {"transport close"}, "polling": {"transport error", "ping timeout"}} {
		busy := testkit.MustDial(t, url, &testkit.Options{Transport: tr, Background: true})
		busy.MustConnect(t, "/watched", "")
		idle := testkit.MustDial(t, url, &testkit.Options{Transport: tr})
		idle.MustConnect(t, "/watched", "")
		assert.Equal(t, socketio.ReasonPingTimeout.String(), testkit.Receive(t, reasons).String(), tr)
		testkit.Eventually(t, "ten pings", func() bool { return busy.Pings() >= 10 })
		require.NoError(t, busy.Close())
		assert.Contains(t, closed, testkit.Receive(t, reasons).String(), tr)
	}
}

func TestParsePacket(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want testkit.Packet
	}{
		{`0{"sid":"x"}`, testkit.Packet{Type: testkit.PacketConnect, Nsp: "/", ID: -1, Data: json.RawMessage(`{"sid":"x"}`)}},
		{`1/admin,`, testkit.Packet{Type: testkit.PacketDisconnect, Nsp: "/admin", ID: -1}},
		{`2/admin,12["a",1]`, testkit.Packet{Type: testkit.PacketEvent, Nsp: "/admin", ID: 12, Data: json.RawMessage(`["a",1]`)}},
		{`3[]`, testkit.Packet{Type: testkit.PacketAck, Nsp: "/", ID: -1, Data: json.RawMessage(`[]`)}},
	} {
		p, err := testkit.ParsePacket(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want.Type, p.Type, tt.in)
		assert.Equal(t, tt.want.Nsp, p.Nsp, tt.in)
		assert.Equal(t, tt.want.ID, p.ID, tt.in)
		assert.Equal(t, tt.want.Data, p.Data, tt.in)
		assert.Equal(t, tt.in, p.String())
	}
	for _, bad := range []string{"", "7", "5x-[]", `2["a"`} {
		_, err := testkit.ParsePacket(bad)
		assert.Error(t, err, bad)
	}
	p, err := testkit.ParsePacket(`52-/b,3["e",{"_placeholder":true,"num":0}]`)
	require.NoError(t, err)
	assert.Equal(t, `52-/b,3["e",{"_placeholder":true,"num":0}]`, p.String())
}

func TestSyncBuffer(t *testing.T) {
	var b testkit.SyncBuffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("x"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	assert.Len(t, b.String(), 400)
}

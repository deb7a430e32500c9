package engine

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/gosio/sio/internal/testkit"
)

// wsFrameLen is the length of an unmasked frame (the server's) carrying n
// bytes; a client's frames have 4 more bytes of mask.
func wsFrameLen(n int) int {
	switch {
	case n < 126:
		return 2 + n
	case n < 1<<16:
		return 4 + n
	}
	return 10 + n
}

// waitStats waits until the server's counters, without SlowClients and
// Refused unless the test sets them, are want.
func waitStats(t *testing.T, srv *Server, want Stats) {
	t.Helper()
	var got Stats
	testkit.Eventually(t, "the counters", func() bool {
		got = srv.Stats()
		return got == want
	})
	if got != want {
		t.Fatalf("stats:\n got %+v\nwant %+v", got, want)
	}
}

// Bytes are the websocket frames as written and read, headers included,
// without the handshake; messages are the message packets only.
func TestStatsWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, sid, h := ts.openWS(t)
	open := ts.srv.Stats().BytesSent // the open packet's frame, not the 101 answer
	if s := ts.srv.Session(sid); s == nil {
		t.Fatal("no session")
	}
	writeWS(t, c, websocket.TextMessage, "4hello")
	expectText(t, c, "4hello")
	writeWS(t, c, websocket.BinaryMessage, "\x01\x02\x03")
	if op, data := readWS(t, c); op != websocket.BinaryMessage || string(data) != "\x01\x02\x03" {
		t.Fatalf("echo: %d %q", op, data)
	}
	waitStats(t, ts.srv, Stats{
		WebSocket:        1,
		Opened:           1,
		BytesReceived:    uint64(wsFrameLen(6) + 4 + wsFrameLen(3) + 4),
		BytesSent:        open + uint64(wsFrameLen(6)+wsFrameLen(3)),
		MessagesReceived: 2,
		MessagesSent:     2,
	})
	if want := uint64(wsFrameLen(len(`0{"sid":"` + sid + `","upgrades":[],"pingInterval":60000,"pingTimeout":60000,"maxPayload":1000000}`))); open != want {
		t.Errorf("open packet counted as %d bytes, want %d", open, want)
	}
	c.Close()
	h.waitClose(t)
	if st := ts.srv.Stats(); st.WebSocket != 0 || st.Polling != 0 {
		t.Errorf("after the close: %+v", st)
	}
}

// Long-polling counts the bodies of GETs and POSTs; an upgrade moves the
// session from polling to websocket.
func TestStatsPollingAndUpgrade(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil)
	sid := parseOpen(t, r.body)["sid"].(string)
	if r := ts.post(t, sid, "4hello\x1e4again"); r.status != 200 {
		t.Fatalf("POST: %d %q", r.status, r.body)
	}
	echo := ts.get(t, sid)
	if echo.body != "4hello\x1e4again" {
		t.Fatalf("GET: %q", echo.body)
	}
	waitStats(t, ts.srv, Stats{
		Polling:          1,
		Opened:           1,
		BytesReceived:    uint64(len("4hello\x1e4again")),
		BytesSent:        uint64(len(r.body) + len(echo.body)),
		MessagesReceived: 2,
		MessagesSent:     2,
	})

	c := testkit.MustDial(t, ts.ts.URL, &testkit.Options{Path: "/engine.io/", Transport: "polling"})
	testkit.Eventually(t, "two polling sessions", func() bool { return ts.srv.Stats().Polling == 2 })
	c.MustUpgrade(t)
	testkit.Eventually(t, "the upgrade counted", func() bool {
		st := ts.srv.Stats()
		return st.Polling == 1 && st.WebSocket == 1 && st.Upgrades == 1 && st.Opened == 2
	})
	c.Close()
	testkit.Eventually(t, "the websocket gone", func() bool {
		st := ts.srv.Stats()
		return st.Polling == 1 && st.WebSocket == 0
	})
}

// Every refusal with an Engine.IO code is counted under its code.
func TestStatsRefused(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{AllowRequest: func(r *http.Request) error {
		if r.URL.Query().Has("deny") {
			return errors.New("no")
		}
		return nil
	}})
	for _, q := range []struct{ method, query string }{
		{"GET", "EIO=4&transport=carrier-pigeon"},       // 0
		{"GET", "EIO=4&transport=polling&sid=unknown"},  // 1
		{"POST", "EIO=4&transport=polling"},             // 2
		{"GET", "EIO=4&transport=websocket"},            // 3
		{"GET", "EIO=4&transport=polling&deny=1"},       // 4
		{"GET", "EIO=3&transport=polling"},              // 5
		{"GET", "EIO=4&transport=polling&sid=unknown2"}, // 1 again
	} {
		if r := ts.mustDo(t, q.method, q.query, nil, nil); r.status < 400 {
			t.Fatalf("%s ?%s: %d", q.method, q.query, r.status)
		}
	}
	if got, want := ts.srv.Stats().Refused, [NumErrorCodes]uint64{1, 2, 1, 1, 1, 1}; got != want {
		t.Errorf("refused %v, want %v", got, want)
	}
}

// A client whose queue overflows counts as slow; one that closes does not.
func TestStatsSlowClient(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxQueueBytes: 1000})
	sid, h := ts.openPolling(t)
	sid2, h2 := ts.openPolling(t)
	s := ts.srv.Session(sid)
	p := NewPacket(PacketMessage, bytes.Repeat([]byte("q"), 100))
	for i := 0; i < 100 && s.Send(p) == nil; i++ {
	}
	h.expectClose(t, ReasonTransportError, ErrQueueFull)
	ts.post(t, sid2, "1") // the client closes
	h2.expectClose(t, ReasonTransportClose, nil)
	st := ts.srv.Stats()
	if st.SlowClients != 1 || st.Polling != 0 {
		t.Errorf("slow clients %d, polling %d; want 1, 0", st.SlowClients, st.Polling)
	}
}

package engine

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosio/sio/internal/testkit"
)

func TestUpgrade(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)

	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatalf("upgrade dial: %v", err)
	}
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")
	if r := testkit.Receive(t, pending).must(t); r.status != 200 || r.body != "6" {
		t.Errorf("pending GET during upgrade: %d %q, want \"6\"", r.status, r.body)
	}
	if s.Transport() != TransportPolling {
		t.Errorf("transport %q before the upgrade packet", s.Transport())
	}
	// Sent while the upgrade is in progress: delivered over the websocket.
	if err := s.Send(NewPacket(PacketMessage, []byte("queued"))); err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "5")
	expectText(t, c, "4queued")
	testkit.Eventually(t, "the upgrade", func() bool { return s.Transport() == TransportWebSocket })

	writeWS(t, c, websocket.TextMessage, "4after upgrade")
	expectText(t, c, "4after upgrade")
	writeWS(t, c, websocket.BinaryMessage, "\x05\x06")
	if op, data := readWS(t, c); op != websocket.BinaryMessage || string(data) != "\x05\x06" {
		t.Errorf("binary after upgrade: %d % x", op, data)
	}

	// Long-polling requests with the sid are refused now.
	if r := ts.get(t, sid); r.status != 400 {
		t.Errorf("GET after upgrade: %d %q, want 400", r.status, r.body)
	}
	if r := ts.post(t, sid, "4x"); r.status != 400 {
		t.Errorf("POST after upgrade: %d %q, want 400", r.status, r.body)
	}
	// A second websocket with the same sid is closed at once.
	c2, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err == nil {
		expectWSClose(t, c2)
	}
	// The original still works.
	writeWS(t, c, websocket.TextMessage, "4still")
	expectText(t, c, "4still")
	h.noClose(t)
	if ts.srv.Session(sid) != s {
		t.Errorf("session lost")
	}
}

func TestUpgradeProbeWithoutPendingGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")
	// A GET that comes after the probe returns a noop at once.
	if r := ts.get(t, sid); r.status != 200 || r.body != "6" {
		t.Errorf("GET during upgrade: %d %q", r.status, r.body)
	}
	writeWS(t, c, websocket.TextMessage, "5")
	writeWS(t, c, websocket.TextMessage, "4hi")
	expectText(t, c, "4hi")
	h.noClose(t)
}

func TestUpgradeSecondProbeClosed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	c1, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, c1, websocket.TextMessage, "2probe")
	expectText(t, c1, "3probe")
	// While the first probe is in progress, another websocket is closed.
	if c2, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid); err == nil {
		expectWSClose(t, c2)
	}
	writeWS(t, c1, websocket.TextMessage, "5")
	writeWS(t, c1, websocket.TextMessage, "4ok")
	expectText(t, c1, "4ok")
	h.noClose(t)
}

func TestUpgradeBadProbeKeepsPolling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	// Anything but 2probe/5 drops the probe; the session goes on polling.
	writeWS(t, c, websocket.TextMessage, "4nope")
	expectWSClose(t, c)
	s := ts.srv.Session(sid)
	testkit.Eventually(t, "the probe to be dropped", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.upgrade.probe == nil
	})
	ts.post(t, sid, "4still polling")
	if r := ts.get(t, sid); r.status != 200 || r.body != "4still polling" {
		t.Errorf("GET: %d %q", r.status, r.body)
	}
	h.noClose(t)
}

func TestUpgradeTimeout(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{UpgradeTimeout: 100 * time.Millisecond})
	sid, h := ts.openPolling(t)
	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")
	// No "5": the probe is closed after UpgradeTimeout.
	expectWSClose(t, c)
	ts.post(t, sid, "4x")
	if r := ts.get(t, sid); r.status != 200 || r.body != "4x" {
		t.Errorf("GET after failed upgrade: %d %q", r.status, r.body)
	}
	h.noClose(t)
}

func TestUpgradeDisallowed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{DisallowUpgrades: true})
	sid, h := ts.openPolling(t)
	if c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid); err == nil {
		expectWSClose(t, c)
	}
	h.noClose(t)
}

// --- send queue ----------------------------------------------------------

// When a long-polling session closes while a websocket probe is open, the
// probe is closed too (the reference closes the probe transport on
// "close"), and Shutdown honours its context.
func TestShutdownDuringUpgrade(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{UpgradeTimeout: 5 * time.Second})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	testkit.Eventually(t, "the session to be closing", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.state != stateOpen
	})
	if r := ts.get(t, sid); r.status != 200 || r.body != "1" {
		t.Errorf("GET during Shutdown: %d %q, want \"1\"", r.status, r.body)
	}
	h.expectClose(t, ReasonServerShuttingDown, nil)
	select {
	case <-done:
	case <-time.After(2500 * time.Millisecond):
		t.Errorf("Shutdown with a 300ms context still running after 2.5s")
	}
	expectWSCloseWithin(t, c, 2*time.Second)
}

// The same without Shutdown: Session.Close completed by a GET closes the
// probe.
func TestSessionCloseDuringUpgradeClosesProbe(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{UpgradeTimeout: 5 * time.Second})
	sid, h := ts.openPolling(t)
	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")
	ts.srv.Session(sid).Close()
	if r := ts.get(t, sid); r.status != 200 || r.body != "1" {
		t.Errorf("GET after Close: %d %q, want \"1\"", r.status, r.body)
	}
	h.expectClose(t, ReasonForcedClose, nil)
	expectWSCloseWithin(t, c, 2500*time.Millisecond)
}

func TestAcceptKey(t *testing.T) {
	// The example of RFC 6455 section 1.3.
	if got := string(appendAcceptKey(nil, "dGhlIHNhbXBsZSBub25jZQ==")); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("accept key %q", got)
	}
}

func TestHeaderHasToken(t *testing.T) {
	h := http.Header{"Connection": {"keep-alive, Upgrade"}, "Upgrade": {"WebSocket"}, "X": {"upgrader"}}
	for _, tc := range []struct {
		name, token string
		want        bool
	}{
		{"Connection", "upgrade", true},
		{"Connection", "keep-alive", true},
		{"Upgrade", "websocket", true},
		{"X", "upgrade", false},
		{"Missing", "upgrade", false},
	} {
		if got := headerHasToken(h, tc.name, tc.token); got != tc.want {
			t.Errorf("headerHasToken(%s, %s) = %v", tc.name, tc.token, got)
		}
	}
}

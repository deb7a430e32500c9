package engine

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestPollingHeartbeat(t *testing.T) {
	t.Parallel()
	const interval, timeout = 100 * time.Millisecond, time.Second
	ts := newTestServer(t, Config{PingInterval: interval, PingTimeout: timeout})
	sid, h := ts.openPolling(t)
	var lastPong time.Time
	for i := 0; i < 3; i++ {
		if r := ts.get(t, sid); r.status != 200 || r.body != "2" {
			t.Fatalf("poll %d: %d %q, want ping", i, r.status, r.body)
		}
		lastPong = time.Now()
		if r := ts.post(t, sid, "3"); r.status != 200 {
			t.Fatalf("pong %d: %d", i, r.status)
		}
	}
	h.noClose(t)
	// Silence: the session closes with "ping timeout", interval+timeout
	// after the last pong reached the server (which is after lastPong).
	start := lastPong
	ev := h.waitClose(t)
	if ev.reason != ReasonPingTimeout || ev.err != nil {
		t.Errorf("OnClose(%v, %v), want ping timeout", ev.reason, ev.err)
	}
	if d := ev.at.Sub(start); d < interval+timeout || d > interval+timeout+2*time.Second {
		t.Errorf("closed %v after the last pong, want about %v", d, interval+timeout)
	}
	if r := ts.get(t, sid); r.status != 400 {
		t.Errorf("GET after ping timeout: %d %q", r.status, r.body)
	}
}

// --- websocket -----------------------------------------------------------

func TestWebSocketHeartbeat(t *testing.T) {
	t.Parallel()
	const interval, timeout = 100 * time.Millisecond, time.Second
	ts := newTestServer(t, Config{PingInterval: interval, PingTimeout: timeout})
	c, _, h := ts.openWS(t)
	const pings = 5
	start := time.Now()
	for i := 0; i < pings; i++ {
		expectText(t, c, "2")
		writeWS(t, c, websocket.TextMessage, "3")
	}
	if d := time.Since(start); d < pings*interval-interval/2 {
		t.Errorf("%d pings in %v, want one per %v", pings, d, interval)
	}
	// Several intervals and timeouts have passed: still open.
	h.noClose(t)
	writeWS(t, c, websocket.TextMessage, "4still here")
	for {
		_, data := readWS(t, c)
		if string(data) == "2" {
			writeWS(t, c, websocket.TextMessage, "3")
			continue
		}
		if string(data) != "4still here" {
			t.Fatalf("got %q", data)
		}
		break
	}
	h.noClose(t)
}

func TestWebSocketPingTimeout(t *testing.T) {
	t.Parallel()
	const interval, timeout = 200 * time.Millisecond, 100 * time.Millisecond
	const margin = 2 * time.Second // generous: the test machine may be loaded
	ts := newTestServer(t, Config{PingInterval: interval, PingTimeout: timeout})
	c, _, h := ts.openWS(t)
	expectText(t, c, "2") // and no pong
	ev := h.waitClose(t)
	d := ev.at.Sub(h.s.Issued())
	if ev.reason != ReasonPingTimeout || ev.err != nil {
		t.Errorf("OnClose(%v, %v), want ping timeout", ev.reason, ev.err)
	}
	if d < interval+timeout || d > interval+timeout+margin {
		t.Errorf("closed after %v, want about %v", d, interval+timeout)
	}
	expectWSClose(t, c)
	// OnClose is called exactly once, even once everything has stopped.
	_ = ts.srv.Close()
	if n := h.closes.Load(); n != 1 {
		t.Errorf("OnClose called %d times", n)
	}
	if ts.srv.Session(h.s.ID()) != nil {
		t.Errorf("session still registered")
	}
}

// --- upgrade -------------------------------------------------------------

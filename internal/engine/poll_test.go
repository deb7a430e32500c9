package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosio/sio/internal/testkit"
)

// Idle websocket sessions are watched by the poller: none of them keeps a
// goroutine (and its stack) waiting to read.
func TestIdleWebSocketsHoldNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the poller is Linux-only; elsewhere each websocket has a reader goroutine")
	}
	ts := newTestServer(t, Config{})
	c0, _, _ := ts.openWS(t) // starts the poller
	writeWS(t, c0, websocket.TextMessage, "4warm")
	expectText(t, c0, "4warm")
	base := runtime.NumGoroutine()
	const n = 200
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i], _, _ = ts.openWS(t)
	}
	// Every session is served: each echoes.
	for i, c := range conns {
		msg := fmt.Sprintf("4m%d", i)
		writeWS(t, c, websocket.TextMessage, msg)
		expectText(t, c, msg)
	}
	// The test's own client connections have no goroutines (gorilla reads
	// on the caller's); the workers that served them are parked for a
	// while, at most writerPoolSize of them.
	testkit.Eventually(t, "goroutines to settle", func() bool {
		return runtime.NumGoroutine() < base+writerPoolSize
	})
	if got := runtime.NumGoroutine() - base; got >= n/2 {
		t.Fatalf("%d goroutines for %d idle sessions", got, n)
	}
}

// A reply written with SendNow to a client that does not read keeps its
// place: what the socket could not take at once is written by the writer
// before anything sent after it.
func TestSendNowKeepsOrderWhenTheSocketIsFull(t *testing.T) {
	ts := newTestServer(t, Config{MaxQueueBytes: 64 << 20})
	c, _, h := ts.openClient(t) // reads only when asked
	waitWriterIdle(t, h.s)
	// More than the kernel's socket buffers take at once: the first
	// SendNow writes part of it and queues the rest.
	var huge strings.Builder
	for i := 0; huge.Len() < 12<<20; i++ {
		fmt.Fprintf(&huge, "%09d,", i)
	}
	if err := h.s.SendNow(NewPacket(PacketMessage, []byte(huge.String()))); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		p := NewPacket(PacketMessage, []byte(fmt.Sprintf("small %d", i)))
		var err error
		if i%2 == 0 {
			err = h.s.SendNow(p)
		} else {
			err = h.s.Send(p)
		}
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if data := c.MustReadText(t); data != "4"+huge.String() {
		t.Fatalf("the large message came back damaged (%d bytes, want %d)", len(data), huge.Len()+1)
	}
	for i := range 6 {
		if got, want := c.MustReadText(t), fmt.Sprintf("4small %d", i); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	h.noClose(t)
}

// A frame that breaks the websocket protocol closes the session with
// close code 1002.
func TestWebSocketProtocolErrorClose(t *testing.T) {
	ts := newTestServer(t, Config{})
	c, _, h := ts.openWS(t)
	// An unmasked frame, written raw under gorilla's client.
	_ = c.UnderlyingConn().SetWriteDeadline(time.Now().Add(waitTimeout))
	if _, err := c.UnderlyingConn().Write([]byte{0x81, 0x02, '4', 'x'}); err != nil {
		t.Fatal(err)
	}
	if code := expectWSClose(t, c); code != closeProtocolError {
		t.Errorf("close code %d, want %d", code, closeProtocolError)
	}
	h.expectClose(t, ReasonTransportError, errWSProtocol)
}

// Over TLS the poller cannot read the socket (crypto/tls must): the
// session is read by a goroutine of its own, and works the same.
func TestWebSocketOverTLS(t *testing.T) {
	var sess atomic.Pointer[Session]
	srv := NewServer(Config{OnConnection: func(s *Session) Handler {
		sess.Store(s)
		return &testHandler{s: s, echo: true, msgs: make(chan message, 16), closed: make(chan closeEvent, 1)}
	}})
	ts := httptest.NewTLSServer(srv)
	defer func() { _ = srv.Close(); ts.Close() }()
	d := &websocket.Dialer{TLSClientConfig: ts.Client().Transport.(*http.Transport).TLSClientConfig}
	c := testkit.MustDial(t, ts.URL, &testkit.Options{Path: "/engine.io/", Dialer: d})
	parseOpen(t, c.Handshake().Raw)
	s := sess.Load()
	if !s.Secure() {
		t.Error("Secure() is false over TLS")
	}
	if s.ws.rawIO() || s.ws.poll.Load() != nil {
		t.Error("a TLS connection is watched by the poller")
	}
	for _, msg := range []string{"4one", "4two", "4" + strings.Repeat("x", 100000)} {
		c.MustSend(t, msg)
		if got := c.MustReadText(t); got != msg {
			t.Errorf("echo %.20q (%d bytes), want %.20q (%d bytes)", got, len(got), msg, len(msg))
		}
	}
}

// Frames queued with Send to a client that does not read keep their order
// and come out whole, however the flusher's writes without waiting cut
// them and hand the rest to a writer that waits.
func TestFlusherKeepsFramesWholeAndInOrder(t *testing.T) {
	ts := newTestServer(t, Config{MaxQueueBytes: 256 << 20})
	c, _, h := ts.openClient(t) // reads only when asked
	waitWriterIdle(t, h.s)
	var want []string
	for i := range 300 {
		size := 10
		if i%7 == 0 {
			size = 300 << 10 // some larger than what a socket takes at once
		}
		msg := fmt.Sprintf("%04d%s", i, strings.Repeat(string(rune('a'+i%26)), size))
		want = append(want, "4"+msg)
		if err := h.s.Send(NewPacket(PacketMessage, []byte(msg))); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	for i, w := range want {
		if data := c.MustReadText(t); data != w {
			t.Fatalf("message %d: got %.12q (%d bytes), want %.12q (%d bytes)", i, data, len(data), w, len(w))
		}
	}
	h.noClose(t)
}

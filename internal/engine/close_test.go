package engine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosio/sio/internal/testkit"
)

func TestSessionCloseFlushesWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, sid, h := ts.openClient(t)
	s := ts.srv.Session(sid)
	if err := s.Send(NewPacket(PacketMessage, []byte("a")), NewBinaryMessage([]byte{1}), NewPacket(PacketMessage, []byte("c"))); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Send(NewPacket(PacketMessage, []byte("late"))); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("Send after Close: %v, want ErrSessionClosed", err)
	}
	if got := c.MustReadText(t); got != "4a" {
		t.Errorf("first frame: %q", got)
	}
	if data := c.MustReadBinary(t); !bytes.Equal(data, []byte{1}) {
		t.Errorf("second frame: % x", data)
	}
	if got := c.MustReadText(t); got != "4c" {
		t.Errorf("third frame: %q", got)
	}
	if code := testkit.CloseCode(c.MustReadClose(t, testkit.Timeout)); code != websocket.CloseNormalClosure {
		t.Errorf("close code %d, want 1000", code)
	}
	h.expectClose(t, ReasonForcedClose, nil)
	testkit.Receive(t, s.Done())
}

func TestSessionClosePolling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)
	_ = s.Send(NewPacket(PacketMessage, []byte("a")), NewPacket(PacketMessage, []byte("b")))
	s.Close()
	// The pending GET may have taken "4a" alone; either way the queued
	// packets come before the close packet.
	var got []string
	r := testkit.Receive(t, pending).must(t)
	got = append(got, strings.Split(r.body, "\x1e")...)
	if got[len(got)-1] != "1" {
		r = ts.get(t, sid)
		got = append(got, strings.Split(r.body, "\x1e")...)
	}
	if !slices.Equal(got, []string{"4a", "4b", "1"}) {
		t.Errorf("GETs returned %q, want 4a, 4b, 1", got)
	}
	h.expectClose(t, ReasonForcedClose, nil)
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	ws1, _, h1 := ts.openClient(t)
	ws2, _, h2 := ts.openClient(t)
	sid, hp := ts.openPolling(t)
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// Shutdown has returned: every session has closed.
	for _, h := range []*testHandler{h1, h2, hp} {
		if n := h.closes.Load(); n != 1 {
			t.Errorf("session %s (%s): %d OnClose calls when Shutdown returned, want 1", h.s.ID(), h.s.Transport(), n)
		}
	}
	if n := ts.srv.Count(); n != 0 {
		t.Errorf("Count() = %d after Shutdown", n)
	}
	for _, h := range []*testHandler{h1, h2, hp} {
		h.expectClose(t, ReasonServerShuttingDown, nil)
	}
	for _, c := range []*testkit.Client{ws1, ws2} {
		if got := c.MustReadText(t); got != "1" {
			t.Errorf("got %q, want the close packet", got)
		}
		if code := testkit.CloseCode(c.MustReadClose(t, testkit.Timeout)); code != websocket.CloseGoingAway {
			t.Errorf("close code %d, want 1001", code)
		}
	}
	if r := testkit.Receive(t, pending).must(t); r.status != 200 || r.body != "1" {
		t.Errorf("pending GET: %d %q, want \"1\"", r.status, r.body)
	}

	// A second Shutdown is fine.
	ctx2, cancel2 := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel2()
	if err := ts.srv.Shutdown(ctx2); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	// New handshakes are refused.
	if r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil); r.status != http.StatusBadRequest || strings.HasPrefix(r.body, "0") {
		t.Errorf("polling handshake after Shutdown: %d %q", r.status, r.body)
	}
	if c, _, err := ts.dial(t, "EIO=4&transport=websocket"); err == nil {
		expectWSClose(t, c)
	}
	if n := ts.srv.Count(); n != 0 {
		t.Errorf("Count() = %d after handshakes following Shutdown", n)
	}
	for _, h := range []*testHandler{h1, h2, hp} {
		if n := h.closes.Load(); n != 1 {
			t.Errorf("session %s: %d OnClose calls, want 1", h.s.ID(), n)
		}
	}
}

func TestShutdownPollingWithoutPendingGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	_ = s.Send(NewPacket(PacketMessage, []byte("last")))
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	testkit.Eventually(t, "the session to be closing", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.state != stateOpen
	})
	// The next GET gets what was queued and the close packet.
	if r := ts.get(t, sid); r.status != 200 || r.body != "4last\x1e1" {
		t.Errorf("GET during Shutdown: %d %q, want \"4last\\x1e1\"", r.status, r.body)
	}
	if err := testkit.Receive(t, done); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	h.expectClose(t, ReasonServerShuttingDown, nil)
}

func TestShutdownContextExpires(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	_, h := ts.openPolling(t) // no GET will come
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want context.DeadlineExceeded", err)
	}
	h.expectClose(t, ReasonServerShuttingDown, nil)
	if n := ts.srv.Count(); n != 0 {
		t.Errorf("Count() = %d", n)
	}
}

func TestServerClose(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openClient(t)
	sid, hp := ts.openPolling(t)
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)
	waitWriterIdle(t, h.s) // see TestWebSocketCloseCodeWhileWriting
	_ = ts.srv.Close()
	if code := testkit.CloseCode(c.MustReadClose(t, testkit.Timeout)); code != websocket.CloseGoingAway {
		t.Errorf("close code %d, want 1001", code)
	}
	if r := testkit.Receive(t, pending).must(t); r.status != 200 || r.body != "1" {
		t.Errorf("pending GET: %d %q", r.status, r.body)
	}
	h.expectClose(t, ReasonServerShuttingDown, nil)
	hp.expectClose(t, ReasonServerShuttingDown, nil)
	_ = ts.srv.Close()
}

// Shutdown must not return before every session's OnClose has run, even
// when the last long-polling response is still being written.
func TestShutdownReturnsAfterOnClose(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxQueueBytes: 64 << 20, DisableHTTPCompression: true})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	// Larger than the socket buffers, so that writing the response blocks
	// until the client reads.
	const size = 16 << 20
	if err := s.Send(NewPacket(PacketMessage, bytes.Repeat([]byte("x"), size))); err != nil {
		t.Fatal(err)
	}
	type result struct {
		err    error
		closes int32
		count  int
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		err := ts.srv.Shutdown(ctx)
		done <- result{err, h.closes.Load(), ts.srv.Count()}
	}()
	testkit.Eventually(t, "the session to be closing", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.state != stateOpen
	})
	conn, err := net.Dial("tcp", ts.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /engine.io/?"+pollQuery(sid)+" HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	var res result
	got := false
	select {
	case res = <-done: // returned while the response is still being written
		got = true
	case <-time.After(500 * time.Millisecond):
	}
	read := make(chan string, 1)
	go func() {
		_ = conn.SetReadDeadline(time.Now().Add(2 * waitTimeout))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			read <- err.Error()
			return
		}
		defer resp.Body.Close()
		var tail tailWriter
		if _, err := io.Copy(&tail, resp.Body); err != nil {
			read <- err.Error()
			return
		}
		read <- fmt.Sprintf("%d %d %q", resp.StatusCode, tail.n, tail.last)
	}()
	if !got {
		res = testkit.Receive(t, done)
	}
	if r := <-read; r != fmt.Sprintf("200 %d %q", size+3, "\x1e1") {
		t.Errorf("GET response: %s", r)
	}
	if res.err != nil {
		t.Errorf("Shutdown: %v", res.err)
	}
	if res.closes != 1 || res.count != 0 {
		t.Errorf("when Shutdown returned: %d OnClose calls (want 1), Count() = %d (want 0)", res.closes, res.count)
	}
	h.expectClose(t, ReasonServerShuttingDown, nil)
}

// Count and Session report open sessions only: a session the client closed
// over long-polling is no longer one, even while it lingers for a late GET.
func TestCountExcludesClosedSessions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	if n := ts.srv.Count(); n != 1 {
		t.Fatalf("Count() = %d, want 1", n)
	}
	ts.post(t, sid, "1")
	h.expectClose(t, ReasonTransportClose, nil)
	if n := ts.srv.Count(); n != 0 {
		t.Errorf("Count() = %d after the session closed, want 0", n)
	}
	if s := ts.srv.Session(sid); s != nil {
		t.Errorf("Session(%q) returns the closed session", sid)
	}
}

// A handler may close its session from OnConnection: the client gets the
// open packet, then the close, at once.
func TestCloseInOnConnection(t *testing.T) {
	t.Parallel()
	closeNow := func(h *testHandler) { h.s.Close() }

	t.Run("polling", func(t *testing.T) {
		t.Parallel()
		ts := newTestServer(t, Config{}, closeNow)
		r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil)
		open, rest, _ := strings.Cut(r.body, "\x1e")
		if r.status != 200 || rest != "1" {
			t.Fatalf("handshake: %d %q, want the open packet then \"1\"", r.status, r.body)
		}
		sid := parseOpen(t, open)["sid"].(string)
		ts.handler(t, sid).expectClose(t, ReasonForcedClose, nil)
	})

	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		ts := newTestServer(t, Config{}, closeNow)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := testkit.Dial(ctx, ts.ts.URL, &testkit.Options{Path: "/engine.io/"})
		if err != nil {
			t.Fatalf("no open packet before the close: %v", err)
		}
		defer c.Close()
		parseOpen(t, c.Handshake().Raw)
		if code := testkit.CloseCode(c.MustReadClose(t, 2*time.Second)); code != websocket.CloseNormalClosure {
			t.Errorf("close code %d, want 1000", code)
		}
	})
}

// Abort from OnConnection on a websocket handshake must close the
// connection, not leave it open with no reader.
func TestAbortInOnConnectionWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{}, func(h *testHandler) { h.s.Abort(ReasonForcedClose, nil) })
	c, _, err := ts.dial(t, "EIO=4&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		op, data, err := c.ReadMessage()
		if err == nil {
			if op == websocket.TextMessage && strings.HasPrefix(string(data), "0") {
				continue // the open packet may or may not be written
			}
			t.Fatalf("unexpected frame %d %q", op, data)
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open 2s after Abort")
		}
		break
	}
}

// The websocket handshake answers 101 before OnConnection runs, so the
// server may be closed while OnConnection is running. The session must
// still be closed properly: OnClose called once and the connection closed.
func TestCloseDuringOnConnection(t *testing.T) {
	t.Parallel()
	entered := make(chan *testHandler, 1)
	release := make(chan struct{})
	ts := newTestServer(t, Config{}, func(h *testHandler) {
		entered <- h
		<-release
	})
	var h *testHandler
	// The upgrade's answer comes once OnConnection has returned: dial
	// on the side.
	type dialed struct {
		c   *websocket.Conn
		err error
	}
	dial := make(chan dialed, 1)
	go func() {
		c, _, err := ts.dial(t, "EIO=4&transport=websocket")
		dial <- dialed{c, err}
	}()
	select {
	case h = <-entered:
	case <-time.After(waitTimeout):
		close(release)
		t.Fatal("OnConnection not called")
	}
	closed := make(chan struct{})
	go func() {
		_ = ts.srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(200 * time.Millisecond):
		// Close may legitimately wait for OnConnection to return.
	}
	close(release)
	testkit.Receive(t, closed)
	select {
	case ev := <-h.closed:
		if ev.reason != ReasonServerShuttingDown {
			t.Errorf("OnClose(%v, %v), want server shutting down", ev.reason, ev.err)
		}
	case <-time.After(2 * time.Second):
		t.Errorf("OnClose not called for a session closed during OnConnection")
	}
	d := testkit.Receive(t, dial)
	if d.err != nil {
		t.Fatal(d.err)
	}
	c := d.c
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		op, data, err := c.ReadMessage()
		if err == nil {
			if op == websocket.TextMessage && (string(data) == "1" || strings.HasPrefix(string(data), "0{")) {
				continue
			}
			t.Fatalf("unexpected frame %d %q", op, data)
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("websocket still open 2s after Server.Close")
		}
		break
	}
}

package engine

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/gosio/sio/internal/testkit"
)

func TestQueueFullPolling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxQueueBytes: 1000})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	p := NewPacket(PacketMessage, bytes.Repeat([]byte("q"), 100))
	var err error
	sent := 0
	for ; sent < 100; sent++ {
		if err = s.Send(p); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Send error after %d packets: %v, want ErrQueueFull", sent, err)
	}
	if sent*p.size() > 1000 {
		t.Errorf("%d bytes queued, over the 1000-byte bound", sent*p.size())
	}
	h.expectClose(t, ReasonTransportError, ErrQueueFull)
	if err := s.Send(p); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("Send after close: %v, want ErrSessionClosed", err)
	}
	if r := ts.get(t, sid); r.status != 400 {
		t.Errorf("GET after close: %d %q", r.status, r.body)
	}
}

func TestQueueFullWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxQueueBytes: 24 << 20, WriteTimeout: time.Minute})
	_, sid, h := ts.openClient(t) // the client never reads
	s := ts.srv.Session(sid)
	// Larger than the socket buffers: the writer blocks on it for good.
	p := NewBinaryMessage(make([]byte, 16<<20))
	if err := s.Send(p); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the writer to take the first packet", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.wr.held && len(s.out.pkts) == 0
	})
	if err := s.Send(p); err != nil { // 16 MiB queued: under the bound
		t.Fatalf("second Send: %v", err)
	}
	if err := s.Send(p); !errors.Is(err, ErrQueueFull) { // 32 MiB: over it
		t.Fatalf("third Send: %v, want ErrQueueFull", err)
	}
	h.expectClose(t, ReasonTransportError, ErrQueueFull)
	if err := s.Send(p); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("Send after close: %v, want ErrSessionClosed", err)
	}
}

// --- close and shutdown --------------------------------------------------

func TestSendVolatile(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	p := NewPacket(PacketMessage, []byte("v"))

	sid, _ := ts.openPolling(t)
	s := ts.srv.Session(sid)
	if s.SendVolatile(p) {
		t.Errorf("polling without a pending GET: SendVolatile queued")
	}
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)
	if !s.SendVolatile(p) {
		t.Errorf("polling with a pending GET: SendVolatile refused")
	}
	if r := testkit.Receive(t, pending).must(t); r.body != "4v" {
		t.Errorf("GET: %q", r.body)
	}

	c, wsid, _ := ts.openClient(t)
	ws := ts.srv.Session(wsid)
	if !ws.SendVolatile(p) {
		t.Errorf("websocket: SendVolatile refused")
	}
	if got := c.MustReadText(t); got != "4v" {
		t.Errorf("websocket: %q", got)
	}
	ws.Close()
	if ws.SendVolatile(p) {
		t.Errorf("closed session: SendVolatile queued")
	}
}

package engine

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gosio/sio/internal/testkit"
)

// A volatile packet is dropped only for a backlog, never because a write
// that does not wait is under way: by the time that write's bookkeeping is
// done, the peer may have read what it carried and answered, and the
// answer's volatile reply must not be lost. The hook runs between the
// flusher's system call and its bookkeeping, the window in which a client
// answering fast once lost such a reply.
func TestSendVolatileWhileAWriteEnds(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	var armed atomic.Bool
	took := make(chan bool, 1)
	ts.srv.afterWritev = func(s *Session) {
		if armed.CompareAndSwap(true, false) {
			took <- s.SendVolatile(NewPacket(PacketMessage, []byte("volatile")))
		}
	}
	c := testkit.MustDial(t, ts.ts.URL, &testkit.Options{Path: "/engine.io/"})
	s := ts.srv.Session(c.Handshake().SID)
	s.mu.Lock()
	rawIO := s.ws != nil && s.ws.rawIO()
	s.mu.Unlock()
	if !rawIO {
		t.Skip("needs the flusher (a plain socket on Linux)")
	}
	// The open packet's writer is done: the next Send goes to the flusher.
	testkit.Eventually(t, "the writer to be idle", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return !s.wr.held
	})
	armed.Store(true)
	if err := s.Send(NewPacket(PacketMessage, []byte("regular"))); err != nil {
		t.Fatal(err)
	}
	if !testkit.Receive(t, took) {
		t.Errorf("SendVolatile refused while a write that does not wait ended")
	}
	if got := c.MustRead(t); got != "4regular" {
		t.Fatalf("first: %q", got)
	}
	if got := c.MustRead(t); got != "4volatile" {
		t.Fatalf("second: %q", got)
	}
}

// A client that reads nothing gets a backlog, and volatile packets are
// then dropped, not queued.
func TestSendVolatileDroppedForABacklog(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxQueueBytes: 64 << 20})
	c := testkit.MustDial(t, ts.ts.URL, &testkit.Options{Path: "/engine.io/"})
	s := ts.srv.Session(c.Handshake().SID)
	chunk := NewPacket(PacketMessage, []byte(strings.Repeat("x", 64<<10)))
	dropped := false
	for i := 0; i < 512 && !dropped; i++ { // at most 32 MiB
		if err := s.Send(chunk); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		dropped = !s.SendVolatile(NewPacket(PacketMessage, []byte(fmt.Sprint("v", i))))
	}
	if !dropped {
		t.Fatalf("32 MiB to a client that reads nothing: every volatile packet was queued")
	}
}

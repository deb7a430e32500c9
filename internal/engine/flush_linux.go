//go:build linux

package engine

import (
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"github.com/gosio/sio/internal/workers"
)

// A flusher writes the queues of websocket sessions that have frames to
// send, in the order they asked, on a few pooled goroutines that never
// wait for the network: a broadcast to thousands of sessions costs a
// handful of goroutine wake-ups rather than one per recipient, and a
// session waiting its turn gathers the frames of later broadcasts into
// the same write.
//
// The goroutines are at most GOMAXPROCS-1 (one with a single P): one P
// stays with the goroutines that make the frames (readers, handlers, an
// adapter's listener). Under load a drainer on every P competes with them
// and, draining faster than frames come, writes each session more often
// with fewer frames in each write; since a write to a socket costs about
// the same for one frame as for ten, that is more CPU per delivery. Seen
// in make bench on 2 CPUs: one drainer instead of two gives 20-40% more
// deliveries per second in the cluster cases and 2-6% in fan-out w10, and
// 7-17% fewer when one broadcast at a time goes out (fan-out w1), whose
// recipients a second drainer would write in parallel. A write the socket cannot take whole is
// finished by a writer goroutine of the session's own (Session.writeLoop),
// which waits, within the write timeout, for a slow client.
//
// It serves the sessions whose socket the poller can watch (plain TCP
// without permessage-deflate); the others always get their own writer.
type flusher struct {
	pool *workers.Pool
	max  int // goroutines at most: GOMAXPROCS-1, at least 1
	run  func()

	mu     sync.Mutex
	q      []*Session // q[head:] wait for a write
	head   int
	active int // goroutines draining q
}

func newFlusher(pool *workers.Pool) *flusher {
	f := &flusher{pool: pool, max: max(1, runtime.GOMAXPROCS(0)-1)}
	f.run = f.drain
	return f
}

// push queues s, whose writer role its caller holds, for a write.
func (f *flusher) push(s *Session) {
	f.mu.Lock()
	f.q = append(f.q, s)
	start := f.active < f.max && len(f.q)-f.head > f.active
	if start {
		f.active++
	}
	f.mu.Unlock()
	if start {
		f.pool.Go(f.run)
	}
}

// drain writes queued sessions until none is left.
func (f *flusher) drain() {
	var iov []syscall.Iovec
	f.mu.Lock()
	for f.head < len(f.q) {
		s := f.q[f.head]
		f.q[f.head] = nil
		f.head++
		if f.head == len(f.q) {
			f.q, f.head = f.q[:0], 0
			if cap(f.q) > 1<<12 {
				f.q = nil // a burst's array is not kept
			}
		}
		f.mu.Unlock()
		iov = s.flushNow(iov)
		f.mu.Lock()
	}
	f.active--
	f.mu.Unlock()
}

// flushHere is flushNow on the calling goroutine, for SendNow.
func (s *Session) flushHere() { s.flushNow(nil) }

// maxIovecs bounds the frames written by one writev (the kernel's IOV_MAX).
const maxIovecs = 1024

// flushNow writes what s has queued without waiting, as its writer, and
// hands s back to the flusher if more came meanwhile, or to a writer
// goroutine of its own if the socket could not take it all or the session
// is closing. iov is scratch space, returned for reuse.
func (s *Session) flushNow(iov []syscall.Iovec) []syscall.Iovec {
	s.mu.Lock()
	ws := s.ws
	if s.state != stateOpen || s.wr.stallCheck || len(s.out.pkts) == 0 {
		// A close to write, a peer to look at, or nothing: the session's
		// writer goroutine knows what to do (it ends at once if idle).
		s.mu.Unlock()
		s.srv.workers.Go(s.wr.loop)
		return iov
	}
	batch := s.out.take()
	s.mu.Unlock()
	if len(batch) > maxIovecs {
		// Keep the writev within bounds; the rest goes back first.
		s.mu.Lock()
		s.out.putFront(batch[maxIovecs:], 0)
		s.mu.Unlock()
		batch = batch[:maxIovecs]
	}
	iov = iov[:0]
	total := 0
	for _, p := range batch {
		iov = append(iov, syscall.Iovec{Base: &p.frame[0]})
		iov[len(iov)-1].SetLen(len(p.frame))
		total += len(p.frame)
	}
	n, err := writevNow(ws.own.rc, iov)
	clear(iov)
	if s.srv.afterWritev != nil {
		s.srv.afterWritev(s)
	}
	if n < total {
		// A backlog: volatile packets are dropped until a write drains it.
		// A write that took everything leaves drained as it was (true),
		// so that nothing sees a backlog while such a write is under way.
		ws.drained.Store(false)
	}
	if err != nil && err != syscall.EAGAIN {
		s.mu.Lock()
		s.wr.held = false
		s.mu.Unlock()
		s.abort(ReasonTransportError, err, 0)
		ws.close()
		s.wg.Done()
		return iov
	}
	if n < total {
		// The socket is full: the rest, then what was queued meanwhile,
		// goes to a writer that waits.
		ws.wrote(int64(n))
		s.mu.Lock()
		if partial := s.out.putFront(batch, n); partial != nil {
			ws.partial = partial
		}
		s.mu.Unlock()
		s.srv.workers.Go(s.wr.loop)
		return iov
	}
	if s.checkStall(ws, batch, false) {
		s.wg.Done()
		return iov
	}
	s.mu.Lock()
	s.out.recycle(batch)
	if len(s.out.pkts) > 0 && s.state == stateOpen && !s.wr.stallCheck {
		s.mu.Unlock()
		s.srv.flusher.push(s) // more came: its turn again, after the others
		return iov
	}
	if s.state == stateOpen && !s.wr.stallCheck {
		s.wr.held = false
		s.mu.Unlock()
		s.wg.Done()
		return iov
	}
	s.mu.Unlock()
	s.srv.workers.Go(s.wr.loop) // a close or a look at the peer is due
	return iov
}

// putFront puts batch back at the front of q, minus its first skip bytes,
// which were written, and returns the rest of a frame cut by the write, if
// any: the writer writes it first, as wsConn.partial, even if the session
// is aborted meanwhile (an abort drops the queue).
func (q *outQueue) putFront(batch []*Packet, skip int) (partial []byte) {
	rest := make([]*Packet, 0, len(batch)+len(q.pkts))
	for _, p := range batch {
		switch {
		case skip >= len(p.frame):
			skip -= len(p.frame)
			continue
		case skip > 0:
			partial = p.frame[skip:]
			skip = 0
			continue
		}
		rest = append(rest, p)
		q.bytes += p.size()
	}
	q.pkts = append(rest, q.pkts...)
	return partial
}

// writevNow writes iov to the socket without waiting: it returns the bytes
// written, and syscall.EAGAIN when the socket takes nothing.
//
// It goes through rc.Control rather than rc.Write, which would refuse to
// start once the connection's write deadline has passed: the deadline is
// the waiting writer's (wsConn.writeBatch moves it only when it writes),
// and a write that never waits has no use for one. The caller holds the
// session's writer role, so no other write is under way.
func writevNow(rc syscall.RawConn, iov []syscall.Iovec) (int, error) {
	var n uintptr
	var errno syscall.Errno
	cerr := rc.Control(func(fd uintptr) {
		for {
			n, _, errno = syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
			if errno != syscall.EINTR {
				return
			}
		}
	})
	if cerr != nil {
		return 0, cerr
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

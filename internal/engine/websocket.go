package engine

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gosio/sio/internal/workers"
)

// wsConn is one websocket connection, whichever [wsWire] carries its
// frames, with the state that the session's writer, its reader and the
// poller keep about it. Data frames are pre-encoded in each [Packet] and
// written raw, one vectored write per batch; with permessage-deflate,
// gorilla/websocket does the handshake, the reading and the writing. The
// frames the client sends are read by a worker only while the socket has
// bytes (see poller), or by a goroutine of the connection's own where the
// poller cannot watch it. Only the session's current writer (see
// [writerRole]) writes.
type wsConn struct {
	wire wsWire
	// own is wire when it carries our own frames; nil with gorilla.
	own      *ownFrames
	raw      net.Conn  // the network connection under wire
	deadline time.Time // the write deadline last set by the writer

	// partial is the rest of a frame that a write without waiting could
	// not finish; the writer goroutine writes it first (writer only).
	partial []byte
	// drained: no backlog. It is cleared when a write that does not wait
	// (flushNow) finds the socket full, and set when a write completes;
	// SendVolatile drops packets while it is clear. A write is not itself
	// a backlog: the peer may have read what it carried, and answered,
	// before its writer has done the bookkeeping, and the answer's
	// volatile reply must not be dropped for that. Where every write
	// waits (TLS, permessage-deflate, off Linux) the writer cannot tell a
	// full socket from a busy one, so drained stays set and at most the
	// packets queued behind one batch in progress are not dropped.
	drained atomic.Bool

	// tally is where the connection counts its traffic; set when it is
	// made, then fixed (it may differ from its session's: any slot will
	// do). uncounted is what is left to write of the 101 answer, which is
	// HTTP and not counted (writer only).
	tally     *statSlot
	uncounted int

	// Progress of the peer, for stall detection (writer only).
	written  int64     // bytes written to the connection
	sinceOut int64     // bytes written since the last look at the kernel's queue
	acked    int64     // bytes the peer had taken at the last look that saw progress
	ackedAt  time.Time // when that was

	// Reading (one reader at a time).
	sink      frameSink // the session's, once attached
	chunkDone func()    // called by a blocking reader after each read; set with sink

	// Reading by the poller (own.rc set).
	poll      atomic.Pointer[poller]
	pollReg   pollReg // its registration
	pollState atomic.Int32
	// hangup is set by the poller when an event says the peer closed its
	// side (or the socket failed): reading then goes on to the end of the
	// stream, since no later event will come for it.
	hangup  atomic.Bool
	readFn  func() // runs the session's pollRead on a worker
	workers *workers.Pool
}

// newWSConn returns a connection carrying our own frames over conn; rc,
// if not nil, is conn's socket, for the poller and the flusher. It counts
// its traffic in tally.
func newWSConn(conn net.Conn, rc syscall.RawConn, max int64, tally *statSlot) *wsConn {
	own := &ownFrames{conn: conn, rc: rc, tally: tally}
	own.rd.max = max
	c := &wsConn{wire: own, own: own, raw: conn, tally: tally}
	c.drained.Store(true) // nothing written yet: no backlog
	return c
}

// newGorillaWSConn returns the connection gorilla upgraded with
// permessage-deflate, which gorilla then reads and writes.
func newGorillaWSConn(c *websocket.Conn, max int64, tally *statSlot) *wsConn {
	wc := &wsConn{wire: newGorillaFrames(c, max, tally), raw: c.NetConn(), tally: tally}
	wc.drained.Store(true) // nothing written yet: no backlog
	return wc
}

// wrote accounts for n bytes that the writer wrote to the connection: the
// peer's progress for stall detection, and the server's counters.
func (c *wsConn) wrote(n int64) {
	c.written += n
	c.sinceOut += n
	if c.uncounted > 0 {
		skip := min(n, int64(c.uncounted))
		c.uncounted -= int(skip)
		n -= skip
	}
	if n > 0 {
		c.tally.bytesOut.Add(uint64(n))
	}
}

// rawIO reports whether c is read by the poller and written by the flusher
// and SendNow without waiting: a plain socket (on Linux) carrying our own
// frames. Otherwise a goroutine of its own reads it, and every write goes
// through the session's writer goroutine.
func (c *wsConn) rawIO() bool { return c.own != nil && c.own.rc != nil }

// The states of a polled connection's reading.
const (
	pollIdle    = iota // no worker reads it: the next event starts one
	pollRunning        // a worker reads it
	pollAgain          // a worker reads it, and an event came meanwhile
)

// attach makes c the transport of s: its messages go to s, and pings are
// answered with pongs through the session's writer.
func (c *wsConn) attach(s *Session) {
	c.sink = func(op byte, data []byte) bool { return s.onFrame(op, data) }
	c.chunkDone = func() { s.burstEnd(false) }
	c.wire.pingsTo(c.sink)
}

// write writes a batch of packets. A write that completes ends a backlog
// (drained); one does not start it, since the writer cannot tell whether
// the socket takes the batch at once (see drained).
func (c *wsConn) write(batch []*Packet, timeout time.Duration) error {
	if err := c.writeBatch(batch, timeout); err != nil {
		return err
	}
	c.drained.Store(true)
	return nil
}

// writeBatch writes batch, waiting for the peer at most about timeout.
//
// The connection's write deadline belongs to this, the waiting writer:
// writes that never wait (writevNow) ignore it, so it may lie in the past
// between two calls. It is moved only when it would give this write less
// than timeout minus deadlineSlack(timeout): setting it costs more than the
// check, and a busy writer writes many batches a second.
func (c *wsConn) writeBatch(batch []*Packet, timeout time.Duration) error {
	if now := time.Now(); now.Add(timeout).Sub(c.deadline) > deadlineSlack(timeout) {
		c.deadline = now.Add(timeout)
		if err := c.wire.setWriteDeadline(c.deadline); err != nil {
			return err
		}
	}
	return c.wire.writeFrames(batch, timeout)
}

// deadlineSlack is how much of the write timeout a write may lose to a
// deadline that was not moved: an eighth of it, and at most a second.
func deadlineSlack(timeout time.Duration) time.Duration {
	return min(timeout/8, time.Second)
}

// writeClose writes a close frame with code, best effort; closeNoStatus
// writes one without a code.
func (c *wsConn) writeClose(code int, timeout time.Duration) {
	if code != 0 {
		c.wire.writeClose(code, timeout)
	}
}

// close closes the connection.
func (c *wsConn) close() {
	if p := c.poll.Load(); p != nil {
		p.forget(c)
	}
	_ = c.raw.Close()
}

var errTooLarge = errors.New("engine: message too large")

// readBlocking reads c on the calling goroutine, handing what it reads to
// sink, until reading fails or sink returns false (errStopped).
func (c *wsConn) readBlocking(sink frameSink) error {
	return c.wire.readBlocking(sink, c.chunkDone)
}

// readBufs are the buffers that workers read polled connections into.
var readBufs = sync.Pool{New: func() any { b := make([]byte, pollReadSize); return &b }}

// pollReadSize is the size of a worker's read buffer.
const pollReadSize = 16 << 10

// startReadingLocked makes s read c, its websocket: through the poller
// when it can watch c, or else on a goroutine of c's own. s.mu is held
// and s is not closed.
func (s *Session) startReadingLocked(c *wsConn) {
	if !s.pollLocked(c) {
		s.wg.Add(1)
		go s.readLoop(c)
	}
}

// pollLocked hands c to the server's poller, if it can watch c, and
// reports whether it did. s.mu is held and s is not closed.
func (s *Session) pollLocked(c *wsConn) bool {
	if !c.rawIO() {
		return false
	}
	p := s.srv.poller()
	if p == nil {
		return false
	}
	c.poll.Store(p)
	c.workers = s.srv.workers
	c.readFn = func() { s.pollRead(c) }
	if p.add(c) != nil {
		c.poll.Store(nil)
		return false
	}
	return true
}

// pollRead, run by a worker, reads c while it has bytes.
func (s *Session) pollRead(c *wsConn) {
	for {
		if err := s.readAvailable(c); err != nil {
			c.poll.Load().forget(c) // stays pollRunning: no worker starts again
			s.burstEnd(false)
			s.readFailed(err)
			return
		}
		if c.pollState.CompareAndSwap(pollRunning, pollIdle) {
			s.burstEnd(true) // this goroutine is free now
			return
		}
		// pollAgain: read again, and let the handler go on elsewhere.
		s.burstEnd(false)
		c.pollState.Store(pollRunning)
	}
}

// readAvailable reads what c holds now, until the socket is drained or
// reading must end, with the error that ends it.
func (s *Session) readAvailable(c *wsConn) error {
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := *bp
	for {
		n, err := readNow(c.own.rc, buf)
		if n > 0 {
			c.tally.bytesIn.Add(uint64(n))
			if ferr := c.own.rd.feed(buf[:n], c.sink); ferr != nil {
				return ferr
			}
		}
		switch {
		case err == syscall.EAGAIN:
			return nil
		case err != nil:
			return err
		case n == 0:
			return io.EOF
		case n < len(buf) && !c.hangup.Load():
			// The socket is drained: a byte that comes after this read
			// makes a new event. Not so for the end of the stream when
			// it came with these bytes, in the same event: hangup says
			// so, and the next read returns it.
			return nil
		}
	}
}

// readFailed closes the session as the end of reading with err asks.
func (s *Session) readFailed(err error) {
	var ce *wsCloseError
	var gce *websocket.CloseError
	switch {
	case err == errStopped:
		// The sink stopped: the session is closing already.
	case err == errTooLarge:
		s.abort(ReasonTransportError, ErrPayloadTooLarge, closeTooBig)
	case errors.As(err, &ce):
		s.abort(ReasonTransportClose, err, ce.Code) // echo the client's close frame
	case errors.As(err, &gce):
		code := gce.Code
		if code == websocket.CloseAbnormalClosure {
			code = 0
		}
		s.abort(ReasonTransportClose, err, code)
	case err == errWSProtocol:
		s.abort(ReasonTransportError, err, closeProtocolError)
	default:
		s.abort(readReason(err), err, 0)
	}
}

// readReason maps a read error to a close reason.
func readReason(err error) CloseReason {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return ReasonTransportClose
	}
	return ReasonTransportError
}

// readLoop reads the session's websocket on this goroutine until it fails
// or the session closes.
func (s *Session) readLoop(c *wsConn) {
	defer s.wg.Done()
	err := c.readBlocking(c.sink)
	s.burstEnd(false)
	s.readFailed(err)
}

// onFrame handles one message or control frame from the websocket and
// reports whether reading should go on.
func (s *Session) onFrame(op byte, data []byte) bool {
	switch op {
	case opPing:
		s.sendControl(newControl(opPong, data))
		return true
	case opPong:
		return true
	}
	return s.dispatchWS(int(op), data)
}

// dispatchWS hands one websocket message to the session.
func (s *Session) dispatchWS(op int, data []byte) bool {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if op == websocket.BinaryMessage {
		if s.v3 {
			// v3: the packet type's byte, then the data.
			if len(data) == 0 || data[0] > byte(PacketNoop) {
				s.abort(ReasonParseError, ErrParse, websocket.CloseUnsupportedData)
				return false
			}
			t := PacketType(data[0])
			return s.onPacket(t, data[1:], t == PacketMessage)
		}
		return s.onPacket(PacketMessage, data, true)
	}
	t, payload, err := decodeText(data)
	if err != nil {
		s.abort(ReasonParseError, ErrParse, websocket.CloseUnsupportedData)
		return false
	}
	return s.onPacket(t, payload, false)
}

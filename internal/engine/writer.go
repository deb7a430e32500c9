package engine

// writerRole says who may write to a session's websocket. At most one
// goroutine at a time holds the role; only its holder writes to the
// connection, takes batches from the queue, and touches the wsConn's
// writer-only fields (partial, the stall progress, the deadline). Its
// fields are guarded by Session.mu.
//
//	         kickLocked (rawIO), SendNow
//	+------+ ------------------------------> +----------+ ---+ more queued:
//	|      |    queue empty, open: release   | FLUSHING |    | flusher.push
//	|      | <------------------------------ +----------+ <--+
//	|      |                                      |
//	|      |                                      | socket full, or a close
//	| IDLE |                                      | or a stall check due
//	|      |   kickLocked (not rawIO),            v
//	|      |   startWriterLocked, handshake  +----------+
//	|      | ------------------------------> | LOOPING  |
//	|      |    queue empty, open: release   |          |
//	|      | <------------------------------ +----------+
//	+------+                                      |
//	   |                                          | closed, or closing and
//	   | abort: claims the role and               | drained; write error;
//	   | writes the close frame                   | stalled peer
//	   v                                          v
//	+---------------------------------------------------+
//	|                      CLOSED                       |
//	+---------------------------------------------------+
//
// IDLE: held is false; whoever sets it takes the role, counted in
// Session.wg unless it is abort's. FLUSHING: the flusher (flush_linux.go)
// or SendNow's caller writes without waiting; a write error or a stalled
// peer takes it straight to CLOSED. LOOPING: writeLoop runs on a worker (or,
// for the 101 answer, on the handshake's goroutine) and waits, within the
// write timeout, for a slow peer. CLOSED: the session is closed and the
// role is never taken again. An abort while the role is held leaves the
// close frame to the holder (abortCode) and cuts its write short with a
// deadline; stallCheck makes the holder go through LOOPING to look at the
// peer's progress (checkStall).
type writerRole struct {
	held bool
	// stallCheck: the stall timer asks the writer to look at a quiet
	// peer's progress; see checkStall.
	stallCheck bool
	// abortCode is the close frame a busy writer writes before closing
	// the connection after an abort.
	abortCode int
	// loop is s.writeLoop as a func value made once, so that starting the
	// writer allocates nothing.
	loop func()
}

// claimWriterLocked takes the writer role, counting its holder in wg, if
// it is free, and reports whether it did.
func (s *Session) claimWriterLocked() bool {
	if s.wr.held {
		return false
	}
	s.wr.held = true
	s.wg.Add(1)
	return true
}

// startWriterLocked starts writeLoop on a worker unless the role is held.
func (s *Session) startWriterLocked() {
	if s.claimWriterLocked() {
		s.srv.workers.Go(s.wr.loop)
	}
}

// Send queues packets to be written to the client, in order and with
// nothing from another goroutine in between. It does not wait for the
// write. It returns [ErrSessionClosed] if the session is closed or closing,
// and [ErrQueueFull] if the packets would push the queue past its bound, in
// which case the session is closed.
func (s *Session) Send(pkts ...*Packet) error {
	s.mu.Lock()
	err := s.sendLocked(pkts)
	s.mu.Unlock()
	if err == ErrQueueFull {
		s.abort(ReasonTransportError, ErrQueueFull, 0)
	}
	return err
}

// SendNow is Send for a caller that would rather write the packets itself
// than wake the session's writer: when the session is on a websocket with
// nothing queued or being written, it writes them on the calling goroutine
// without waiting, and leaves to the writer only what the connection could
// not take at once. It suits replies on a connection's own goroutine, such
// as acks; a broadcast is better left to the writers, which run in
// parallel and coalesce.
func (s *Session) SendNow(pkts ...*Packet) error {
	s.mu.Lock()
	direct := s.canWriteNowLocked()
	err := s.queueLocked(pkts, !direct)
	if err == nil && direct {
		s.claimWriterLocked() // the writer's role, for this write
	}
	s.mu.Unlock()
	switch {
	case err == ErrQueueFull:
		s.abort(ReasonTransportError, ErrQueueFull, 0)
	case err == nil && direct:
		s.flushHere()
	}
	return err
}

// canWriteNowLocked reports whether the caller may write to the websocket
// itself: it is open, read by the poller (a plain socket), and no writer
// runs or is due.
func (s *Session) canWriteNowLocked() bool {
	ws := s.ws
	return s.state == stateOpen && ws != nil && ws.rawIO() &&
		!s.wr.held && len(s.out.pkts) == 0 && !s.wr.stallCheck
}

// SendVolatile queues packets only if the transport can take them now (the
// reference's volatile flag): nothing is queued, the websocket has taken
// all it was given (see wsConn.drained) or, over long-polling, a GET is
// waiting. It reports whether the packets were queued.
func (s *Session) SendVolatile(pkts ...*Packet) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A websocket whose writer is under way but has no backlog takes the
	// packets: they follow the batch being written.
	busy := s.wr.held && (s.ws == nil || !s.ws.drained.Load())
	if s.state != stateOpen || len(s.out.pkts) > 0 || busy || (s.ws == nil && !s.polling.getActive) {
		return false
	}
	return s.sendLocked(pkts) == nil
}

// sendLocked queues packets and makes the transport drain the queue.
func (s *Session) sendLocked(pkts []*Packet) error { return s.queueLocked(pkts, true) }

// queueLocked queues packets, and makes the transport drain the queue if
// kick is set.
func (s *Session) queueLocked(pkts []*Packet, kick bool) error {
	if s.state != stateOpen {
		return ErrSessionClosed
	}
	n, msgs := 0, 0
	for _, p := range pkts {
		n += p.size()
		if p.msg {
			msgs++
		}
	}
	if s.out.bytes+n > s.srv.cfg.maxQueue() && s.out.bytes > 0 {
		return ErrQueueFull
	}
	if s.v3 {
		pkts = toV3(pkts)
	}
	s.out.pkts = append(s.out.pkts, pkts...)
	s.out.bytes += n
	s.out.msgs += msgs
	if kick {
		s.kickLocked()
	}
	return nil
}

// toV3 returns pkts with each binary message in its v3 form, pkts itself
// when there is none.
func toV3(pkts []*Packet) []*Packet {
	var out []*Packet
	for i, p := range pkts {
		if !p.binary || p.v3form {
			if out != nil {
				out = append(out, p)
			}
			continue
		}
		if out == nil {
			out = append(make([]*Packet, 0, len(pkts)), pkts[:i]...)
		}
		out = append(out, p.v3Binary())
	}
	if out == nil {
		return pkts
	}
	return out
}

// kickLocked makes the transport drain the queue: it starts the websocket
// writer if it is not running, or wakes a pending GET.
func (s *Session) kickLocked() {
	if ws := s.ws; ws != nil {
		if s.claimWriterLocked() {
			if ws.rawIO() {
				s.srv.flusher.push(s)
			} else {
				s.srv.workers.Go(s.wr.loop)
			}
		}
		return
	}
	select {
	case s.polling.wake <- struct{}{}:
	default:
	}
}

// outQueue is a session's queue of packets to write, bounded in bytes
// (Config.MaxQueueBytes) by queueLocked. It is guarded by Session.mu: its
// methods are called with it held. The writer takes the whole queue as one
// batch and gives the batch's array back once written, so that a busy
// session alternates between two arrays and allocates none.
type outQueue struct {
	pkts  []*Packet
	spare []*Packet // a drained batch's array, for reuse
	bytes int       // bytes in pkts
	// msgs counts the message packets queued since the last take, which
	// adds them to tally's sent messages: one atomic add per batch rather
	// than per packet. What a partial write puts back is not queued again.
	msgs  int
	tally *statSlot // the session's
}

// add appends p.
func (q *outQueue) add(p *Packet) {
	q.pkts = append(q.pkts, p)
	q.bytes += p.size()
}

// take removes and returns every queued packet.
func (q *outQueue) take() []*Packet {
	if q.msgs > 0 {
		q.tally.msgsOut.Add(uint64(q.msgs))
		q.msgs = 0
	}
	batch := q.pkts
	q.pkts = q.spare
	q.spare = nil
	q.bytes = 0
	return batch
}

// recycle gives a drained batch's backing array back for reuse.
func (q *outQueue) recycle(batch []*Packet) {
	clear(batch)
	if q.spare == nil && cap(batch) <= 1024 {
		q.spare = batch[:0]
	}
}

// drop empties the queue for good, when the session is closed.
func (q *outQueue) drop() { q.pkts, q.spare, q.bytes, q.msgs = nil, nil, 0, 0 }

// sendControl queues a websocket control frame, ahead of nothing: it keeps
// its place in the queue. It is dropped if the session is not open.
func (s *Session) sendControl(p *Packet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateOpen && s.ws != nil {
		s.out.add(p)
		s.kickLocked()
	}
}

// writeLoop drains the queue to the websocket, one vectored write per
// batch, and ends when the queue is empty. It is the only writer of ws
// while it runs.
func (s *Session) writeLoop() {
	defer s.wg.Done()
	s.mu.Lock()
	ws := s.ws
	s.mu.Unlock()
	var batch []*Packet
	// The rest of a frame a write without waiting could not finish (or a
	// websocket's upgrade answer) goes first, whatever happens next:
	// never a cut frame. It is written with the first batch.
	var first *Packet
	if ws.partial != nil {
		first = &Packet{frame: ws.partial}
		ws.partial = nil
	}
	for {
		s.mu.Lock()
		if batch != nil {
			s.out.recycle(batch)
			batch = nil
		}
		if s.state == stateClosed {
			// Aborted while this writer was busy: it writes the close
			// frame and closes the connection.
			code := s.wr.abortCode
			s.wr.held = false
			s.mu.Unlock()
			if first != nil && ws.write([]*Packet{first}, abortWriteGrace) == nil {
				ws.wrote(int64(len(first.frame)))
			}
			if code != 0 {
				ws.writeClose(code, abortWriteGrace)
			}
			ws.close()
			return
		}
		if len(s.out.pkts) == 0 && first == nil {
			if s.state == stateClosing {
				reason, err, code := s.closing.reason, s.closing.err, s.closing.code
				s.finalizeLocked()
				s.mu.Unlock()
				ws.writeClose(code, s.srv.cfg.writeTimeout())
				ws.close()
				s.closed(reason, err)
				return
			}
			if s.wr.stallCheck {
				s.wr.stallCheck = false
				s.mu.Unlock()
				if s.checkStall(ws, nil, true) {
					return
				}
				continue
			}
			s.wr.held = false
			s.mu.Unlock()
			return
		}
		batch = s.out.take()
		if first != nil {
			batch = append(batch, nil)
			copy(batch[1:], batch)
			batch[0], first = first, nil
		}
		s.mu.Unlock()
		if err := ws.write(batch, s.srv.cfg.writeTimeout()); err != nil {
			s.mu.Lock()
			s.wr.held = false
			s.mu.Unlock()
			s.abort(ReasonTransportError, err, 0)
			ws.close()
			return
		}
		if s.checkStall(ws, batch, false) {
			return
		}
	}
}

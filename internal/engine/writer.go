package engine

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
		s.writing = true // the writer's role, for this write
		s.wg.Add(1)
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
		!s.writing && len(s.queue) == 0 && !s.stallCheck
}

// SendVolatile queues packets only if the transport can take them now (the
// reference's volatile flag): nothing is queued or being written and, over
// long-polling, a GET is waiting. It reports whether the packets were
// queued.
func (s *Session) SendVolatile(pkts ...*Packet) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A websocket writer that is between writes, with all it wrote taken
	// by the socket and nothing queued, takes the packets at once.
	busy := s.writing && (s.ws == nil || !s.ws.drained.Load())
	if s.state != stateOpen || len(s.queue) > 0 || busy || (s.ws == nil && !s.getActive) {
		return false
	}
	return s.sendLocked(pkts) == nil
}

func (s *Session) sendLocked(pkts []*Packet) error { return s.queueLocked(pkts, true) }

// queueLocked queues packets, and makes the transport drain the queue if
// kick is set.
func (s *Session) queueLocked(pkts []*Packet, kick bool) error {
	if s.state != stateOpen {
		return ErrSessionClosed
	}
	n := 0
	for _, p := range pkts {
		n += p.size()
	}
	if s.queued+n > s.srv.cfg.maxQueue() && s.queued > 0 {
		return ErrQueueFull
	}
	s.queue = append(s.queue, pkts...)
	s.queued += n
	if kick {
		s.kickLocked()
	}
	return nil
}

// kickLocked makes the transport drain the queue: it starts the websocket
// writer if it is not running, or wakes a pending GET.
func (s *Session) kickLocked() {
	if ws := s.ws; ws != nil {
		if !s.writing {
			s.writing = true
			s.wg.Add(1)
			if ws.rawIO() {
				s.srv.flusher.push(s)
			} else {
				s.srv.workers.Go(s.writeFn)
			}
		}
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// takeLocked removes and returns every queued packet.
func (s *Session) takeLocked() []*Packet {
	batch := s.queue
	s.queue = s.spare
	s.spare = nil
	s.queued = 0
	return batch
}

// recycleLocked gives a drained batch's backing array back for reuse.
func (s *Session) recycleLocked(batch []*Packet) {
	clear(batch)
	if s.spare == nil && cap(batch) <= 1024 {
		s.spare = batch[:0]
	}
}

// sendControl queues a websocket control frame, ahead of nothing: it keeps
// its place in the queue. It is dropped if the session is not open.
func (s *Session) sendControl(p *Packet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateOpen && s.ws != nil {
		s.queue = append(s.queue, p)
		s.queued += p.size()
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
			s.recycleLocked(batch)
			batch = nil
		}
		if s.state == stateClosed {
			// Aborted while this writer was busy: it writes the close
			// frame and closes the connection.
			code := s.abortCode
			s.writing = false
			s.mu.Unlock()
			if first != nil {
				_ = ws.write([]*Packet{first}, abortWriteGrace)
			}
			if code != 0 {
				ws.writeClose(code, abortWriteGrace)
			}
			ws.close()
			return
		}
		if len(s.queue) == 0 && first == nil {
			if s.state == stateClosing {
				reason, err, code := s.closeReason, s.closeErr, s.closeCode
				s.finalizeLocked()
				s.mu.Unlock()
				ws.writeClose(code, s.srv.cfg.writeTimeout())
				ws.close()
				s.closed(reason, err)
				return
			}
			if s.stallCheck {
				s.stallCheck = false
				s.mu.Unlock()
				if s.checkStall(ws, nil, true) {
					return
				}
				continue
			}
			s.writing = false
			s.mu.Unlock()
			return
		}
		batch = s.takeLocked()
		if first != nil {
			batch = append(batch, nil)
			copy(batch[1:], batch)
			batch[0], first = first, nil
		}
		s.mu.Unlock()
		if err := ws.write(batch, s.srv.cfg.writeTimeout()); err != nil {
			s.mu.Lock()
			s.writing = false
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

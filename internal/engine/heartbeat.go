package engine

import (
	"time"
)

// startHeartbeat schedules the first ping.
func (s *Session) startHeartbeat() {
	s.mu.Lock()
	if s.state == stateOpen {
		s.resetTimerLocked(s.srv.cfg.pingInterval())
	}
	s.mu.Unlock()
}

func (s *Session) resetTimerLocked(d time.Duration) {
	s.timerAt = time.Now().Add(d)
	if s.timer == nil {
		s.timer = time.AfterFunc(d, s.onTimer)
		return
	}
	s.timer.Reset(d)
}

// onTimer runs when the heartbeat timer is due: it pings, or closes the
// session when the last ping went unanswered (or a polling close timed out).
func (s *Session) onTimer() {
	s.mu.Lock()
	if s.state == stateClosed || time.Now().Before(s.timerAt) {
		s.mu.Unlock()
		return
	}
	if s.state == stateClosing {
		reason, err := s.closeReason, s.closeErr
		s.mu.Unlock()
		s.abort(reason, err, 0)
		return
	}
	if s.awaitingPong {
		s.mu.Unlock()
		s.abort(ReasonPingTimeout, nil, 1000)
		return
	}
	s.awaitingPong = true
	// The pong is due pingTimeout after the ping was due, however late
	// this callback runs.
	s.resetTimerLocked(time.Until(s.timerAt.Add(s.srv.cfg.pingTimeout())))
	err := s.sendLocked([]*Packet{s.srv.pingPacket})
	s.mu.Unlock()
	if err == ErrQueueFull {
		s.abort(ReasonTransportError, ErrQueueFull, 0)
	}
}

// pingExpired reports whether the session's pong is overdue, even if its
// timer has not fired yet.
func (s *Session) pingExpired() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateOpen && s.awaitingPong && time.Now().After(s.timerAt)
}

func (s *Session) onPong() {
	s.mu.Lock()
	if s.awaitingPong && s.state == stateOpen {
		s.awaitingPong = false
		s.resetTimerLocked(s.srv.cfg.pingInterval())
	}
	s.mu.Unlock()
}

// stallPatience is how long a websocket peer may take none of the bytes
// written to it, while more keep coming, before it is dropped: half of the
// write timeout (5s by default).
func (c *Config) stallPatience() time.Duration { return c.writeTimeout() / 2 }

// checkStall, run by the writer after writing batch (or, with force, when
// the stall timer asks), drops the session if its peer has stalled, and
// reports whether it did. While the peer takes nothing but is still within
// its patience, a timer makes the writer look again even if nothing more
// is written: a stalled client is found after a burst too.
func (s *Session) checkStall(ws *wsConn, batch []*Packet, force bool) bool {
	stalled, waiting := ws.stalled(batch, s.srv.cfg.stallPatience(), force)
	if stalled {
		s.mu.Lock()
		s.writing = false
		s.mu.Unlock()
		s.abort(ReasonTransportError, ErrStalled, 0)
		ws.close()
		return true
	}
	if waiting {
		s.mu.Lock()
		if s.state == stateOpen {
			if s.stallTimer == nil {
				s.stallTimer = time.AfterFunc(s.srv.cfg.stallPatience(), s.onStallTimer)
			} else {
				s.stallTimer.Reset(s.srv.cfg.stallPatience())
			}
		}
		s.mu.Unlock()
	}
	return false
}

// onStallTimer asks the writer to look at its peer's progress.
func (s *Session) onStallTimer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || s.ws == nil {
		return
	}
	s.stallCheck = true
	if !s.writing {
		s.writing = true
		s.wg.Add(1)
		s.srv.workers.Go(s.writeFn)
	}
}

// outqCheckEvery is how many bytes a writer writes between two looks at
// the kernel's send queue.
const outqCheckEvery = 64 << 10

// stalled reports whether the peer has stopped reading: the kernel still
// holds bytes written to it, and the peer has taken none of them for
// longer than patience. waiting reports that the peer has taken nothing
// since the last look but is still within its patience. The kernel's send
// buffer can hold megabytes, so a client that stops reading could
// otherwise go unnoticed until the heartbeat catches it; a client that
// reads, however slowly, is never called stalled. It looks at the kernel's
// queue after every outqCheckEvery bytes written, or when force is set.
func (c *wsConn) stalled(batch []*Packet, patience time.Duration, force bool) (stalled, waiting bool) {
	for _, p := range batch {
		n := int64(len(p.frame))
		c.written += n
		c.sinceOut += n
	}
	if c.sinceOut < outqCheckEvery && !force {
		return false, false
	}
	c.sinceOut = 0
	unsent := unsentBytes(c.raw)
	if unsent <= 0 {
		c.ackedAt = time.Time{}
		return false, false
	}
	now := time.Now()
	if acked := c.written - int64(unsent); acked != c.acked || c.ackedAt.IsZero() {
		c.acked, c.ackedAt = acked, now
		return false, true
	}
	if now.Sub(c.ackedAt) > patience {
		return true, false
	}
	return false, true
}

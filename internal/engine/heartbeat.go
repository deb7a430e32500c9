package engine

import (
	"time"
)

// heartbeat holds a session's timers, each a time.AfterFunc whose
// callback takes Session.mu: no goroutine waits on them. timer sends the
// pings and closes a session whose pong is late (and, for a long-polling
// session that is closing, bounds the wait for the GET that takes the close
// packet); stallTimer makes the writer look at a quiet peer's progress (see
// checkStall). Its fields are guarded by Session.mu.
type heartbeat struct {
	timer *time.Timer
	// due is when timer is due; a callback that runs earlier is stale and
	// returns.
	due          time.Time
	awaitingPong bool
	stallTimer   *time.Timer
}

// startHeartbeat schedules the first ping or, for a v3 session, the
// deadline of the client's first ping.
func (s *Session) startHeartbeat() {
	s.mu.Lock()
	if s.state == stateOpen {
		s.resetTimerLocked(s.firstTimerLocked())
	}
	s.mu.Unlock()
}

// firstTimerLocked is when the heartbeat timer first fires: the first
// ping, or, in v3, where the client pings, the time it has to ping
// (pingInterval+pingTimeout, as the reference waits).
func (s *Session) firstTimerLocked() time.Duration {
	if s.v3 {
		return s.srv.cfg.pingInterval() + s.srv.cfg.pingTimeout()
	}
	return s.srv.cfg.pingInterval()
}

// onPingV3 answers a v3 client's ping with a pong and gives it until
// pingInterval+pingTimeout from now to ping again.
func (s *Session) onPingV3() {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	s.resetTimerLocked(s.firstTimerLocked())
	err := s.sendLocked([]*Packet{s.srv.pongPacket})
	s.mu.Unlock()
	if err == ErrQueueFull {
		s.abort(ReasonTransportError, ErrQueueFull, 0)
	}
}

// stop stops both timers, for good: the session is closed.
func (h *heartbeat) stop() {
	if h.timer != nil {
		h.timer.Stop()
	}
	if h.stallTimer != nil {
		h.stallTimer.Stop()
	}
}

// resetTimerLocked makes the heartbeat timer fire d from now.
func (s *Session) resetTimerLocked(d time.Duration) {
	s.hb.due = time.Now().Add(d)
	if s.hb.timer == nil {
		s.hb.timer = time.AfterFunc(d, s.onTimer)
		return
	}
	s.hb.timer.Reset(d)
}

// onTimer runs when the heartbeat timer is due: it pings, or closes the
// session when the last ping went unanswered (or a polling close timed out).
func (s *Session) onTimer() {
	s.mu.Lock()
	if s.state == stateClosed || time.Now().Before(s.hb.due) {
		s.mu.Unlock()
		return
	}
	if s.state == stateClosing {
		reason, err := s.closing.reason, s.closing.err
		s.mu.Unlock()
		s.abort(reason, err, 0)
		return
	}
	if s.hb.awaitingPong || s.v3 {
		s.mu.Unlock()
		s.abort(ReasonPingTimeout, nil, 1000)
		return
	}
	s.hb.awaitingPong = true
	// The pong is due pingTimeout after the ping was due, however late
	// this callback runs.
	s.resetTimerLocked(time.Until(s.hb.due.Add(s.srv.cfg.pingTimeout())))
	err := s.sendLocked([]*Packet{s.srv.pingPacket})
	s.mu.Unlock()
	if err == ErrQueueFull {
		s.abort(ReasonTransportError, ErrQueueFull, 0)
	}
}

// pingExpired reports whether the session's pong (a v3 client's ping) is
// overdue, even if its timer has not fired yet.
func (s *Session) pingExpired() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateOpen && (s.hb.awaitingPong || s.v3) && time.Now().After(s.hb.due)
}

func (s *Session) onPong() {
	s.mu.Lock()
	if s.hb.awaitingPong && s.state == stateOpen {
		s.hb.awaitingPong = false
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
		s.wr.held = false
		s.mu.Unlock()
		s.abort(ReasonTransportError, ErrStalled, 0)
		ws.close()
		return true
	}
	if waiting {
		s.mu.Lock()
		if s.state == stateOpen {
			if s.hb.stallTimer == nil {
				s.hb.stallTimer = time.AfterFunc(s.srv.cfg.stallPatience(), s.onStallTimer)
			} else {
				s.hb.stallTimer.Reset(s.srv.cfg.stallPatience())
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
	s.wr.stallCheck = true
	s.startWriterLocked()
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
	var n int64
	for _, p := range batch {
		n += int64(len(p.frame))
	}
	c.wrote(n)
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

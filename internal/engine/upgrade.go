package engine

import (
	"net/http"
	"time"
)

// upgradeState is the upgrade of a long-polling session to a websocket
// while it is under way (see probeLoop). It is guarded by Session.mu.
type upgradeState struct {
	probe  *wsConn // the websocket being probed
	probed bool    // the probe was answered; polling is being drained
}

// upgradeSession accepts a websocket for an existing session: the probe of
// an upgrade from long-polling, or a duplicate that is closed at once.
func (srv *Server) upgradeSession(w http.ResponseWriter, r *http.Request, s *Session) {
	wc, answer, err := srv.upgradeWS(w, r, w.Header())
	if err != nil {
		return // answered
	}
	if answer != nil {
		if err := wc.write([]*Packet{{frame: answer}}, srv.cfg.writeTimeout()); err != nil {
			wc.close()
			return
		}
	}
	s.mu.Lock()
	if s.state != stateOpen || s.ws != nil || s.upgrade.probe != nil || srv.cfg.DisallowUpgrades {
		s.mu.Unlock()
		wc.close()
		return
	}
	s.upgrade.probe = wc
	s.wg.Add(1)
	s.mu.Unlock()
	go s.probeLoop(wc)
}

// probeLoop runs the upgrade of a long-polling session to the websocket c:
// "2probe" is answered "3probe" and the pending GET is released with a noop;
// "5" completes the upgrade, after which c is read as the session's
// websocket (by the poller, or on, this goroutine). Anything else, an error
// or the upgrade timeout drops the probe and the session goes on over
// long-polling.
func (s *Session) probeLoop(c *wsConn) {
	defer s.wg.Done()
	timer := time.AfterFunc(s.srv.cfg.upgradeTimeout(), c.close)
	defer timer.Stop()
	upgraded := false
	sink := func(op byte, data []byte) bool {
		if op == opPing || op == opPong {
			return true
		}
		if op != opText {
			return false
		}
		switch string(data) {
		case "2probe":
			if err := c.write([]*Packet{s.srv.probePacket}, s.srv.cfg.writeTimeout()); err != nil {
				return false
			}
			c.tally.bytesOut.Add(uint64(len(s.srv.probePacket.frame)))
			s.mu.Lock()
			s.upgrade.probed = true
			s.kickLocked() // release a pending GET with a noop
			s.mu.Unlock()
			return true
		case "5":
			s.mu.Lock()
			defer s.mu.Unlock()
			if !s.upgrade.probed || s.upgrade.probe != c || s.state != stateOpen {
				return false
			}
			timer.Stop()
			s.upgrade.probe = nil
			s.upgrade.probed = false
			s.ws = c
			c.attach(s)
			if s.gauge != nil {
				s.gauge.Add(-1)
				s.gauge = &s.srv.stats.websocket
				s.gauge.Add(1)
			}
			s.srv.stats.upgrades.Add(1)
			select { // a pending GET answers noop and ends
			case s.polling.wake <- struct{}{}:
			default:
			}
			if len(s.out.pkts) > 0 {
				s.startWriterLocked()
			}
			upgraded = true
			return false // go on as the session's reader
		}
		return false
	}
	// Reading ends with an error whatever happened: errStopped after the
	// "5", which is all that matters.
	_ = c.readBlocking(sink)
	if upgraded {
		s.logUpgrade()
	}
	if !upgraded {
		s.mu.Lock()
		if s.upgrade.probe == c {
			s.upgrade.probe = nil
			s.upgrade.probed = false
		}
		s.mu.Unlock()
		c.close()
		return
	}
	err := c.wire.feedBuffered(c.sink) // what came with the "5"
	s.burstEnd(false)
	if err != nil {
		s.readFailed(err)
		return
	}
	s.mu.Lock()
	if s.state == stateClosed || s.pollLocked(c) {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	err = c.readBlocking(c.sink)
	s.burstEnd(false)
	s.readFailed(err)
}

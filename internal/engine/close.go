package engine

import (
	"context"
	"time"

	"github.com/gorilla/websocket"
)

// Close closes the session after writing what is queued, with reason
// "forced close". It does not wait.
func (s *Session) Close() {
	s.closeGracefully(ReasonForcedClose, nil, 1000, s.srv.cfg.pingInterval()+s.srv.cfg.pingTimeout())
}

// closeGracefully stops accepting packets, lets the transport write what is
// queued, then closes with reason; code is the websocket close code. A
// long-polling session waits at most pollGrace for the GET that takes the
// rest of its queue and the close packet.
func (s *Session) closeGracefully(reason CloseReason, err error, code int, pollGrace time.Duration) {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	s.state = stateClosing
	s.closing.reason, s.closing.err, s.closing.code = reason, err, code
	if s.ws != nil {
		s.startWriterLocked()
		s.mu.Unlock()
		return
	}
	// Long-polling: a pending GET takes the queue and the close packet; if
	// none comes in time, give up.
	s.resetTimerLocked(pollGrace)
	select {
	case s.polling.wake <- struct{}{}:
	default:
	}
	s.mu.Unlock()
}

// abort closes the session now, dropping what is queued. code, if not zero,
// is the websocket close code to send. If the websocket writer is busy, it
// is given a short deadline to finish its batch and then writes the close
// frame itself.
func (s *Session) abort(reason CloseReason, err error, code int) {
	s.mu.Lock()
	if s.state == stateClosed {
		s.mu.Unlock()
		return
	}
	if slowClient(err) {
		s.srv.stats.slow.Add(1)
	}
	ws := s.ws
	canWrite := ws != nil && !s.wr.held
	if canWrite {
		s.wr.held = true // claim the writer role for the close frame
	} else if ws != nil {
		s.wr.abortCode = code
		_ = ws.raw.SetWriteDeadline(time.Now().Add(abortWriteGrace))
	}
	s.finalizeLocked()
	s.mu.Unlock()
	if canWrite {
		if code != 0 {
			ws.writeClose(code, abortWriteGrace)
		}
		ws.close()
	}
	s.closed(reason, err)
}

// abortWriteGrace bounds the writes still made for a session being
// aborted: the end of a batch in progress and the close frame.
const abortWriteGrace = time.Second

// Abort closes the session at once with reason, dropping what is queued;
// err is the description passed to [Handler.OnClose].
func (s *Session) Abort(reason CloseReason, err error) {
	code := 0
	switch reason {
	case ReasonParseError:
		code = 1003 // unsupported data
	case ReasonServerShuttingDown:
		code = 1001 // going away
	case ReasonForcedClose:
		code = 1000
	}
	s.abort(reason, err, code)
}

// clientClose handles a close packet from the client.
func (s *Session) clientClose() {
	s.mu.Lock()
	s.polling.clientClosed = true
	s.polling.linger = s.ws == nil && !s.polling.getActive
	s.mu.Unlock()
	s.abort(ReasonTransportClose, nil, 0)
}

// finalizeLocked marks the session closed, stops its timer and drops an
// upgrade probe. The caller then closes the transport and calls closed.
func (s *Session) finalizeLocked() {
	s.state = stateClosed
	if s.gauge != nil {
		s.gauge.Add(-1)
		s.gauge = nil
	}
	if s.upgrade.probe != nil {
		s.upgrade.probe.close()
		s.upgrade.probe = nil
	}
	s.hb.stop()
	s.out.drop()
	close(s.done)
	select {
	case s.polling.wake <- struct{}{}:
	default:
	}
}

// closed removes the session from the server and tells the handler.
func (s *Session) closed(reason CloseReason, err error) {
	s.logClose(reason, err)
	s.mu.Lock()
	linger := s.polling.linger
	h := s.handler
	if h == nil {
		s.earlyClose = &closeInfo{reason: reason, err: err}
	}
	s.mu.Unlock()
	if linger {
		s.srv.linger(s)
	} else {
		s.srv.remove(s)
	}
	if h != nil {
		h.OnClose(reason, err)
		s.closeFinished()
	}
}

// closeFinished marks the end of the close, after OnClose.
func (s *Session) closeFinished() { close(s.finished) }

// closeInfo describes a close: its reason, the description passed to
// [Handler.OnClose] and, for a graceful close, the websocket close code.
type closeInfo struct {
	reason CloseReason
	err    error
	code   int
}

// shutdownPollGrace is how long Shutdown waits for a long-polling client
// with no GET pending to come for its close packet. A live client sends its
// next GET as soon as the previous one returns, so this is short.
const shutdownPollGrace = time.Second

// Shutdown closes every session gracefully: each client is sent an
// Engine.IO close packet (and, over websocket, a close frame 1001 "going
// away") after what was already queued for it, with reason "server shutting
// down"; a long-polling client that has no GET pending gets a second to
// come for it. New requests are refused. Shutdown returns when every session has
// closed and every goroutine of the server has ended, or when ctx is done,
// in which case the remaining sessions are closed at once and ctx.Err() is
// returned. It is safe to call more than once.
func (srv *Server) Shutdown(ctx context.Context) error {
	all := srv.stop()
	srv.logger().Info("engineio: shutting down", "sessions", len(all))
	for _, s := range all {
		s.mu.Lock()
		if s.ws != nil && s.state == stateOpen {
			_ = s.sendLocked([]*Packet{srv.closePacket})
		}
		s.mu.Unlock()
		s.closeGracefully(ReasonServerShuttingDown, nil, websocket.CloseGoingAway, shutdownPollGrace)
	}
	var err error
	for _, s := range all {
		select {
		case <-s.finished:
		case <-ctx.Done():
			err = ctx.Err()
			s.abort(ReasonServerShuttingDown, nil, 0)
			<-s.finished
		}
	}
	for _, s := range all {
		s.wg.Wait()
	}
	srv.stopPoller()
	srv.workers.Close()
	return err
}

// Close closes every session at once, with reason "server shutting down",
// and waits for the server's goroutines to end. It is safe to call more
// than once.
func (srv *Server) Close() error {
	all := srv.stop()
	for _, s := range all {
		s.abort(ReasonServerShuttingDown, nil, websocket.CloseGoingAway)
	}
	for _, s := range all {
		<-s.finished
		s.wg.Wait()
	}
	srv.stopPoller()
	srv.workers.Close()
	return nil
}

// stop refuses new sessions and returns the open ones.
func (srv *Server) stop() []*Session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.closed = true
	all := make([]*Session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		all = append(all, s)
	}
	return all
}

func (srv *Server) remove(s *Session) {
	srv.mu.Lock()
	if srv.sessions[s.id] == s {
		delete(srv.sessions, s.id)
	}
	srv.mu.Unlock()
}

package engine

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// What the engine logs, and at which level (socketio's doc.go has the
// whole table):
//
//   - Debug: a session opened, upgraded or closed (with its reason), a
//     request refused (with its error code); one line per event, checked
//     with Enabled first so that a disabled level costs no allocation.
//   - Info: Shutdown starting, with the number of sessions it closes.
//   - Warn: a client closed for being too slow (its send queue full, a
//     stalled websocket, a write timeout), at most one line every
//     slowWarnEvery for the whole server, with the count of the others.

// logger is Config.Logger, or slog.Default() as it is at the time of the
// call.
func (srv *Server) logger() *slog.Logger {
	if l := srv.cfg.Logger; l != nil {
		return l
	}
	return slog.Default()
}

// debugLogger returns the logger if it logs at Debug, nil otherwise:
// callers test it before they build their attributes, so that a disabled
// level costs no allocation.
func (srv *Server) debugLogger() *slog.Logger {
	if l := srv.logger(); l.Enabled(context.Background(), slog.LevelDebug) {
		return l
	}
	return nil
}

// logOpen logs a new session.
func (s *Session) logOpen() {
	if l := s.srv.debugLogger(); l != nil {
		l.LogAttrs(context.Background(), slog.LevelDebug, "engineio: session opened", slog.String("sid", s.id), slog.String("transport", s.Transport()), slog.String("remote", s.remoteAddr))
	}
}

// logUpgrade logs a session's move to websocket.
func (s *Session) logUpgrade() {
	if l := s.srv.debugLogger(); l != nil {
		l.LogAttrs(context.Background(), slog.LevelDebug, "engineio: session upgraded", slog.String("sid", s.id), slog.String("transport", TransportWebSocket))
	}
}

// logClose logs a closed session; a slow client's close is a warning.
func (s *Session) logClose(reason CloseReason, err error) {
	if slowClient(err) {
		s.srv.slowWarn.log(s.srv.logger(), s, reason, err)
	}
	l := s.srv.debugLogger()
	if l == nil {
		return
	}
	attrs := []slog.Attr{slog.String("sid", s.id), slog.String("transport", s.Transport()), slog.String("reason", reason.String())}
	if err != nil {
		attrs = append(attrs, slog.String("err", err.Error()))
	}
	l.LogAttrs(context.Background(), slog.LevelDebug, "engineio: session closed", attrs...)
}

// slowWarnEvery is the least time between two warnings about slow clients.
const slowWarnEvery = 10 * time.Second

// rateLimitedWarn logs the first of a kind of event, then at most one
// line every slowWarnEvery with the number left out since.
type rateLimitedWarn struct {
	mu      sync.Mutex
	at      time.Time
	dropped int
}

func (w *rateLimitedWarn) log(l *slog.Logger, s *Session, reason CloseReason, err error) {
	now := time.Now()
	w.mu.Lock()
	if !w.at.IsZero() && now.Sub(w.at) < slowWarnEvery {
		w.dropped++
		w.mu.Unlock()
		return
	}
	dropped := w.dropped
	w.at, w.dropped = now, 0
	w.mu.Unlock()
	attrs := []slog.Attr{slog.String("sid", s.id), slog.String("transport", s.Transport()), slog.String("remote", s.remoteAddr),
		slog.String("reason", reason.String()), slog.String("err", err.Error())}
	if dropped > 0 {
		attrs = append(attrs, slog.Int("alike_since_last", dropped))
	}
	l.LogAttrs(context.Background(), slog.LevelWarn, "engineio: slow client disconnected", attrs...)
}

package socketio

import (
	"errors"
	"time"
)

// warnEvery is the least time between two log lines about one socket's
// unhandled errors for one event.
const warnEvery = 10 * time.Second

// maxWarnKeys bounds the events a socket keeps warning state for; past
// it, the others share one.
const maxWarnKeys = 32

// warnState is when a socket last logged an unhandled error for an event,
// and how many it left out since.
type warnState struct {
	at      time.Time
	dropped int
}

// warn logs an unhandled error, at most once per event every warnEvery.
func (s *Socket) warn(err error) {
	key := ""
	var de *DecodeError
	if errors.As(err, &de) {
		key = de.Event
	}
	now := time.Now()
	s.mu.Lock()
	if s.warned == nil {
		s.warned = make(map[string]*warnState)
	}
	w := s.warned[key]
	if w == nil {
		if len(s.warned) >= maxWarnKeys {
			key = "\x00others"
			w = s.warned[key]
		}
		if w == nil {
			w = &warnState{}
			s.warned[key] = w
		}
	}
	if !w.at.IsZero() && now.Sub(w.at) < warnEvery {
		w.dropped++
		s.mu.Unlock()
		return
	}
	dropped := w.dropped
	w.at, w.dropped = now, 0
	s.mu.Unlock()
	args := []any{"socket", s.id, "nsp", s.nsp.name, "err", err}
	if dropped > 0 {
		args = append(args, "alike_since_last", dropped)
	}
	s.nsp.srv.logger().Warn("socketio: unhandled socket error (register Socket.OnError to handle it)", args...)
}

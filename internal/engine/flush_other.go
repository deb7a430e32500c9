//go:build !linux

package engine

import "github.com/gosio/sio/internal/workers"

// flusher is Linux-only, like the poller (flush_linux.go). Elsewhere no
// connection has raw socket access (rawConnOf returns nil), so every
// session writes through a writer goroutine of its own; these hand the
// writer role to one, should they ever be called.
type flusher struct{}

func newFlusher(*workers.Pool) *flusher { return nil }

// push starts s's writer goroutine; the caller holds the writer role.
func (f *flusher) push(s *Session) { s.srv.workers.Go(s.wr.loop) }

// flushHere starts the session's writer goroutine; the caller (SendNow)
// holds the writer role.
func (s *Session) flushHere() { s.srv.workers.Go(s.wr.loop) }

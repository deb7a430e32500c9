package socketio

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// An argument that does not decode into a typed handler is never silent:
// with no OnError handler it is logged, once per socket and event within
// warnEvery; with one, that handler gets every error and nothing is logged.
func TestUndecodableArgumentIsLogged(t *testing.T) {
	var logs syncBuffer
	_, ts := newTestServer(t, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("num", func(n int) {})
			s.On("sync", func(ack Ack) { _ = ack() })
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	for range 5 {
		c.write(`42["num","not a number"]`)
	}
	c.write(`421["sync"]`)
	assert.Equal(t, `431[]`, c.read()) // the five came before
	out := logs.String()
	assert.Equal(t, 1, strings.Count(out, "unhandled socket error"), out)
	assert.Contains(t, out, `event \"num\": argument 0`)
}

func TestUndecodableArgumentGoesToOnError(t *testing.T) {
	var logs syncBuffer
	errs := make(chan error, 8)
	_, ts := newTestServer(t, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.OnError(func(err error) { errs <- err })
			s.On("num", func(n int) {})
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	for range 3 {
		c.write(`42["num","x"]`)
	}
	for range 3 {
		err := waitFor(t, errs)
		var de *DecodeError
		assert.ErrorAs(t, err, &de)
	}
	assert.NotContains(t, logs.String(), "unhandled socket error")
}

// Without Options.Logger, diagnostics go to slog.Default.
func TestDefaultLoggerIsSlogDefault(t *testing.T) {
	var logs syncBuffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("num", func(n int) {})
			s.On("sync", func(ack Ack) { _ = ack() })
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	c.write(`42["num",{}]`)
	c.write(`421["sync"]`)
	assert.Equal(t, `431[]`, c.read())
	assert.Contains(t, logs.String(), "unhandled socket error")
}

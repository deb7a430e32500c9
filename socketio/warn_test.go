package socketio

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gosio/sio/internal/testkit"
)

// An argument that does not decode into a typed handler is never silent:
// with no OnError handler it is logged, once per socket and event within
// warnEvery; with one, that handler gets every error and nothing is logged.
func TestUndecodableArgumentIsLogged(t *testing.T) {
	var logs testkit.SyncBuffer
	_, ts := newTestServer(t, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("num", func(n int) {})
			s.On("sync", func(ack Ack) { _ = ack() })
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	for range 5 {
		c.MustSend(t, `42["num","not a number"]`)
	}
	c.MustSend(t, `421["sync"]`)
	assert.Equal(t, `431[]`, c.MustRead(t)) // the five came before
	out := logs.String()
	assert.Equal(t, 1, strings.Count(out, "unhandled socket error"), out)
	assert.Contains(t, out, `event \"num\": argument 0`)
}

func TestUndecodableArgumentGoesToOnError(t *testing.T) {
	var logs testkit.SyncBuffer
	errs := make(chan error, 8)
	_, ts := newTestServer(t, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.OnError(func(err error) { errs <- err })
			s.On("num", func(n int) {})
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	for range 3 {
		c.MustSend(t, `42["num","x"]`)
	}
	for range 3 {
		err := testkit.Receive(t, errs)
		var de *DecodeError
		assert.ErrorAs(t, err, &de)
	}
	assert.NotContains(t, logs.String(), "unhandled socket error")
}

// Without Options.Logger, diagnostics go to slog.Default.
func TestDefaultLoggerIsSlogDefault(t *testing.T) {
	var logs testkit.SyncBuffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("num", func(n int) {})
			s.On("sync", func(ack Ack) { _ = ack() })
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `42["num",{}]`)
	c.MustSend(t, `421["sync"]`)
	assert.Equal(t, `431[]`, c.MustRead(t))
	assert.Contains(t, logs.String(), "unhandled socket error")
}

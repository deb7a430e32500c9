package socketio

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
)

// probe answers GET url's status code and body.
func probe(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	return res.StatusCode, string(b)
}

// healthServer serves io at its path and its probes at /readyz and
// /livez, as an application would.
func healthServer(t *testing.T, io *Server) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle(DefaultPath, io)
	mux.Handle("/readyz", io.ReadinessHandler())
	mux.Handle("/livez", io.LivenessHandler())
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// Readiness turns off before the first client is told to go: a balancer
// that probes while the server drains already sees 503. The disconnecting
// handler holds Shutdown until the probe is done, so a flag set at the end
// of the drain would answer 200 here.
func TestReadinessTurnsOffBeforeTheDrain(t *testing.T) {
	io := NewServer(nil)
	release := make(chan struct{})
	io.OnConnection(func(s *Socket) {
		s.OnDisconnecting(func(DisconnectReason) { <-release })
	})
	ts := healthServer(t, io)
	assert.True(t, io.Ready())
	code, body := probe(t, ts.URL+"/readyz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- io.Shutdown(ctx)
	}()
	// The client's first news of the shutdown: the Engine.IO close.
	assert.Equal(t, "1", c.MustRead(t))
	assert.False(t, io.Ready())
	code, body = probe(t, ts.URL+"/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "shutting down\n", body)
	// Liveness stays on while the server drains.
	code, _ = probe(t, ts.URL+"/livez")
	assert.Equal(t, http.StatusOK, code)
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while a disconnecting handler still ran", err)
	default:
	}
	close(release)
	require.NoError(t, testkit.Receive(t, done))
	code, _ = probe(t, ts.URL+"/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code, "a stopped server stays unready")
}

func TestReadinessAfterClose(t *testing.T) {
	io := NewServer(nil)
	ts := healthServer(t, io)
	require.NoError(t, io.Close())
	code, _ := probe(t, ts.URL+"/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	res, err := http.Head(ts.URL + "/readyz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
}

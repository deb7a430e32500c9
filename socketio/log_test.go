package socketio

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/gosio/sio/internal/testkit"
)

// logServer is a server whose diagnostics go to a buffer, at level.
func logServer(t *testing.T, level slog.Level, opts *Options) (*Server, *testkit.SyncBuffer, string) {
	t.Helper()
	var buf testkit.SyncBuffer
	if opts == nil {
		opts = &Options{}
	}
	opts.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))
	io, ts := newTestServer(t, opts, nil)
	return io, &buf, ts.URL
}

// At Debug, a connection's life is logged with its sid, namespace,
// transport and reason.
func TestDebugLogsAConnectionsLife(t *testing.T) {
	_, buf, url := logServer(t, slog.LevelDebug, nil)
	c := testkit.MustDial(t, url, nil)
	sid := c.Handshake().SID
	id := c.MustConnect(t, "/", "")
	c.MustSend(t, "41")
	assert.NoError(t, c.Close())
	testkit.Eventually(t, "the session's close logged", func() bool {
		return strings.Contains(buf.String(), "engineio: session closed")
	})
	out := buf.String()
	for _, want := range []string{
		`msg="engineio: session opened" sid=` + sid + ` transport=websocket`,
		`msg="socketio: socket connected" socket=` + id + ` nsp=/ sid=` + sid + ` transport=websocket recovered=false`,
		`msg="socketio: socket disconnected" socket=` + id + ` nsp=/ sid=` + sid + ` reason="client namespace disconnect"`,
		`msg="engineio: session closed" sid=` + sid + ` transport=websocket reason="transport close"`,
	} {
		assert.Contains(t, out, want)
	}
}

// A refused request is logged at Debug with its error code.
func TestDebugLogsARefusedRequest(t *testing.T) {
	_, buf, url := logServer(t, slog.LevelDebug, nil)
	res, err := http.Get(url + "/socket.io/?EIO=5&transport=polling")
	if assert.NoError(t, err) {
		res.Body.Close()
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	}
	assert.Contains(t, buf.String(), `msg="engineio: request refused" code=5 message="Unsupported protocol version"`)
}

// The default level says nothing about connections that come and go.
func TestInfoIsQuietAboutConnections(t *testing.T) {
	io, buf, url := logServer(t, slog.LevelInfo, nil)
	for range 3 {
		c := testkit.MustDial(t, url, nil)
		c.MustConnect(t, "/", "")
		assert.NoError(t, c.Close())
	}
	c := testkit.MustDial(t, url, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, "41")
	assert.NoError(t, c.Close())
	testkit.Eventually(t, "every connection closed", func() bool { return io.EngineCount() == 0 })
	assert.Empty(t, buf.String())
}

// A slow client closed for its full queue is a warning, and several of
// them in a moment make one line, not one each.
func TestSlowClientsWarnOncePerPeriod(t *testing.T) {
	io, buf, url := logServer(t, slog.LevelInfo, &Options{MaxQueueBytes: 4000, PingInterval: time.Hour})
	var slow []*testkit.Client
	for range 3 {
		c := testkit.MustDial(t, url, &testkit.Options{Transport: "polling"})
		c.MustConnect(t, "/", "")
		slow = append(slow, c)
	}
	// Nobody polls: the broadcasts fill every queue past its bound.
	big := strings.Repeat("x", 1000)
	for range 6 {
		_ = io.Emit("big", big)
	}
	testkit.Eventually(t, "the slow clients closed", func() bool { return io.EngineCount() == 0 })
	out := buf.String()
	assert.Equal(t, 1, strings.Count(out, "engineio: slow client disconnected"), "log:\n%s", out)
	assert.Contains(t, out, `level=WARN msg="engineio: slow client disconnected"`)
	assert.Contains(t, out, `transport=polling`)
	assert.Contains(t, out, `reason="transport error" err="engine: send queue full"`)
	assert.Equal(t, 1, strings.Count(out, "\n"), "nothing else at Info:\n%s", out)
}

// Shutdown is the server's own life: logged at Info, with the number of
// connections it closes.
func TestShutdownIsLoggedAtInfo(t *testing.T) {
	io, buf, url := logServer(t, slog.LevelInfo, nil)
	c := testkit.MustDial(t, url, nil)
	c.MustConnect(t, "/", "")
	assert.NoError(t, io.Shutdown(t.Context()))
	assert.Contains(t, buf.String(), `level=INFO msg="engineio: shutting down" sessions=1`)
}

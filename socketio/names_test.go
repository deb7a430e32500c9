package socketio

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
)

// Socket.In is Socket.To, as socket.in(room) is in the reference; InRoom
// tests membership. Join and Leave both take rooms and return an error.
func TestSocketInIsToAndInRoomTests(t *testing.T) {
	sockets := make(chan *Socket, 2)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) { sockets <- s })
	})
	a, b := testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil)
	a.MustConnect(t, "/", "")
	sa := testkit.Receive(t, sockets)
	b.MustConnect(t, "/", "")
	sb := testkit.Receive(t, sockets)
	require.NoError(t, sb.Join("r1", "r2"))
	assert.True(t, sb.InRoom("r1"))
	require.NoError(t, sa.In("r1").Emit("via-in"))
	assert.Equal(t, `42["via-in"]`, b.MustRead(t))
	require.NoError(t, sb.Leave("r1", "r2"))
	assert.False(t, sb.InRoom("r1"))
	assert.False(t, sb.InRoom("r2"))
	sb.Disconnect(false)
	assert.ErrorIs(t, sb.Leave("r1"), ErrDisconnected)
	assert.ErrorIs(t, sb.Join("r1"), ErrDisconnected)
}

// Socket.Context ends when the socket disconnects.
func TestSocketContextEndsOnDisconnect(t *testing.T) {
	ctxs := make(chan context.Context, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			ctx := s.Context()
			if ctx.Err() != nil {
				t.Error("the context of a connected socket is done")
			}
			ctxs <- ctx
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	ctx := testkit.Receive(t, ctxs)
	c.MustSend(t, "41")
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the socket's context did not end with the socket")
	}
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	_, has := ctx.Deadline()
	assert.False(t, has)
}

// Options.OnConnectionError sees the requests the engine refuses.
func TestOnConnectionError(t *testing.T) {
	got := make(chan *ConnectionError, 1)
	_, ts := newTestServer(t, &Options{OnConnectionError: func(r *http.Request, err *ConnectionError) { got <- err }}, nil)
	res, err := http.Get(ts.URL + "/socket.io/?EIO=4&transport=polling&sid=nope")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	e := testkit.Receive(t, got)
	assert.Equal(t, 1, e.Code)
	assert.Equal(t, "Session ID unknown", e.Message)
	var ce *ConnectionError
	assert.True(t, errors.As(error(e), &ce))
}

// A socket that its middleware refused is done: a Context or Done the
// middleware kept ends.
func TestRefusedSocketIsDone(t *testing.T) {
	ctxs := make(chan context.Context, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.Use(func(s *Socket) error {
			ctxs <- s.Context()
			_ = s.Done() // made before the refusal
			return errors.New("no")
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustSend(t, "40")
	assert.Contains(t, c.MustRead(t), `44{"message":"no"}`)
	ctx := testkit.Receive(t, ctxs)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the refused socket's context did not end")
	}
}

package socketio

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
)

// A client that has seen its CONNECT answer is in every room its
// connection handlers joined, however long they took, and gets what they
// emitted after the CONNECT, in order: a broadcast sent the moment the
// client sees the answer reaches it.
func TestConnectAnswerComesAfterTheConnectionHandlers(t *testing.T) {
	for _, delay := range []time.Duration{0, 5 * time.Millisecond} {
		t.Run(fmt.Sprintf("lookup=%v", delay), func(t *testing.T) {
			io, ts := newTestServer(t, nil, func(io *Server) {
				io.OnConnection(func(s *Socket) {
					_ = s.Emit("first")
					time.Sleep(delay)                  // a lookup before joining
					assert.NoError(t, s.Join("lobby")) // on the server's goroutine: no require
					_ = s.Emit("second")
				})
			})
			rounds := 200
			if delay > 0 {
				rounds = 20
			}
			for i := range rounds {
				c := testkit.MustDial(t, ts.URL, nil)
				c.MustConnect(t, "/", "")
				// The client has its CONNECT: it must be in the lobby now.
				require.NoError(t, io.To("lobby").Emit("news", i))
				assert.Equal(t, `42["first"]`, c.MustRead(t))
				assert.Equal(t, `42["second"]`, c.MustRead(t))
				assert.Equal(t, fmt.Sprintf(`42["news",%d]`, i), c.MustRead(t))
				c.Close()
			}
		})
	}
}

// A connection handler may wait for its own client: the CONNECT answer,
// and what the handler emitted before, go out first.
func TestConnectionHandlerWaitsForItsOwnClient(t *testing.T) {
	got := make(chan string, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			_ = s.Emit("hello")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := s.EmitWithAck(ctx, "name?")
			var name string
			if err == nil {
				err = res.Decode(&name)
			}
			if err != nil {
				got <- "error: " + err.Error()
				return
			}
			got <- name
			_ = s.Emit("welcome", name)
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	assert.Equal(t, `42["hello"]`, c.MustRead(t))
	ask := c.MustRead(t)
	var id int
	_, err := fmt.Sscanf(ask, `42%d["name?"]`, &id)
	require.NoError(t, err, "got %q", ask)
	c.MustSend(t, fmt.Sprintf(`43%d["ada"]`, id))
	assert.Equal(t, "ada", testkit.Receive(t, got))
	assert.Equal(t, `42["welcome","ada"]`, c.MustRead(t))
}

// A connection handler that disconnects its socket: the client gets the
// CONNECT answer, what was emitted, then the DISCONNECT.
func TestConnectionHandlerDisconnects(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			_ = s.Emit("bye")
			s.Disconnect(false)
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	assert.Equal(t, `42["bye"]`, c.MustRead(t))
	assert.Equal(t, `41`, c.MustRead(t))
}

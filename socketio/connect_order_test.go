package socketio

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
					time.Sleep(delay) // a lookup before joining
					require.NoError(t, s.Join("lobby"))
					_ = s.Emit("second")
				})
			})
			rounds := 200
			if delay > 0 {
				rounds = 20
			}
			for i := range rounds {
				c := dial(t, ts)
				c.connect("/", "")
				// The client has its CONNECT: it must be in the lobby now.
				require.NoError(t, io.To("lobby").Emit("news", i))
				assert.Equal(t, `42["first"]`, c.read())
				assert.Equal(t, `42["second"]`, c.read())
				assert.Equal(t, fmt.Sprintf(`42["news",%d]`, i), c.read())
				c.conn.Close()
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
	c := dial(t, ts)
	c.connect("/", "")
	assert.Equal(t, `42["hello"]`, c.read())
	ask := c.read()
	var id int
	_, err := fmt.Sscanf(ask, `42%d["name?"]`, &id)
	require.NoError(t, err, "got %q", ask)
	c.write(fmt.Sprintf(`43%d["ada"]`, id))
	assert.Equal(t, "ada", waitFor(t, got))
	assert.Equal(t, `42["welcome","ada"]`, c.read())
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
	c := dial(t, ts)
	c.connect("/", "")
	assert.Equal(t, `42["bye"]`, c.read())
	assert.Equal(t, `41`, c.read())
}

package redisstreams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/gosio/sio/internal/testkit"
)

// wsClient is a [testkit.Client] on the main namespace of a Go or Node
// server, reading in the background: it answers every ack request with
// its name (or what setAnswer says) and queues every event.
type wsClient struct {
	*testkit.Client
	name string
	id   string
}

// errNoAnswer, returned by a client's answer function, leaves an ack
// request unanswered.
var errNoAnswer = errors.New("no answer")

// setAnswer sets what the client answers to ack requests; nil restores
// its name.
func (c *wsClient) setAnswer(fn func(ev testkit.Event) any) {
	c.SetAnswer(func(ev testkit.Event) ([]any, bool) {
		if fn == nil {
			return []any{c.name}, true
		}
		ans := fn(ev)
		return []any{ans}, ans != errNoAnswer
	})
}

// dialClient connects a client named name to the server at base (an
// http:// URL) and joins the main namespace; the handshake query has
// name=<name>.
func dialClient(t testing.TB, base, name string) *wsClient {
	t.Helper()
	c := &wsClient{name: name}
	c.Client = testkit.MustDial(t, base, &testkit.Options{Query: url.Values{"name": {name}}, Background: true})
	c.setAnswer(nil)
	c.id = c.MustConnect(t, "/", "")
	return c
}

// call sends an event with an ack request and returns the ack's arguments.
func (c *wsClient) call(t testing.TB, event string, args ...any) []json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testkit.Timeout) // the Node server may be slow to answer
	defer cancel()
	res, err := c.EmitWithAck(ctx, "/", event, args...)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return res
}

// next returns the next event, failing after a timeout.
func (c *wsClient) next(t testing.TB) testkit.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	ev, err := c.NextEvent(ctx)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return ev
}

// expect returns the next event, which must be named name.
func (c *wsClient) expect(t testing.TB, name string) testkit.Event {
	t.Helper()
	ev := c.next(t)
	if ev.Name != name {
		t.Fatalf("%s: got event %s, want %q", c.name, ev, name)
	}
	return ev
}

// expectGone waits for the server to disconnect the socket.
func (c *wsClient) expectGone(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	if err := c.WaitDisconnect(ctx, "/"); err != nil {
		t.Fatalf("%s: not disconnected: %v", c.name, err)
	}
}

// join asks the server to put the socket in rooms (the test servers'
// "join" event, with an ack once done).
func (c *wsClient) join(t testing.TB, rooms ...string) {
	t.Helper()
	for _, r := range rooms {
		c.call(t, "join", r)
	}
}

func (c *wsClient) String() string { return fmt.Sprintf("%s(%s)", c.name, c.id) }

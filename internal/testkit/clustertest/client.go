// Package clustertest holds what the cluster tests of the adapters share:
// a test kit client on a Go or Node server of a cluster, with the waits
// those tests make.
package clustertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/gosio/sio/internal/testkit"
)

// Client is a [testkit.Client] on the main namespace of a Go or Node
// server, reading in the background: it answers every ack request with
// its name (or what setAnswer says) and queues every event.
type Client struct {
	*testkit.Client
	Name string // given at Dial
	ID   string // the socket ID
}

// ErrNoAnswer, returned by a client's answer function, leaves an ack
// request unanswered.
var ErrNoAnswer = errors.New("no answer")

// SetAnswerWith sets what the client answers to ack requests; nil restores
// its name.
func (c *Client) SetAnswerWith(fn func(ev testkit.Event) any) {
	c.SetAnswer(func(ev testkit.Event) ([]any, bool) {
		if fn == nil {
			return []any{c.Name}, true
		}
		ans := fn(ev)
		return []any{ans}, ans != ErrNoAnswer
	})
}

// Dial connects a client named name to the server at base (an
// http:// URL) and joins the main namespace; the handshake query has
// name=<name>.
func Dial(t testing.TB, base, name string) *Client {
	t.Helper()
	c := &Client{Name: name}
	c.Client = testkit.MustDial(t, base, &testkit.Options{Query: url.Values{"name": {name}}, Background: true})
	c.SetAnswerWith(nil)
	c.ID = c.MustConnect(t, "/", "")
	return c
}

// Call sends an event with an ack request and returns the ack's arguments.
func (c *Client) Call(t testing.TB, event string, args ...any) []json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testkit.Timeout) // the Node server may be slow to answer
	defer cancel()
	res, err := c.EmitWithAck(ctx, "/", event, args...)
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return res
}

// Next returns the next event, failing after a timeout.
func (c *Client) Next(t testing.TB) testkit.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	ev, err := c.NextEvent(ctx)
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return ev
}

// Expect returns the next event, which must be named name.
func (c *Client) Expect(t testing.TB, name string) testkit.Event {
	t.Helper()
	ev := c.Next(t)
	if ev.Name != name {
		t.Fatalf("%s: got event %s, want %q", c.Name, ev, name)
	}
	return ev
}

// ExpectGone waits for the server to disconnect the socket.
func (c *Client) ExpectGone(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	if err := c.WaitDisconnect(ctx, "/"); err != nil {
		t.Fatalf("%s: not disconnected: %v", c.Name, err)
	}
}

// Join asks the server to put the socket in rooms (the test servers'
// "join" event, with an ack once done).
func (c *Client) Join(t testing.TB, rooms ...string) {
	t.Helper()
	for _, r := range rooms {
		c.Call(t, "join", r)
	}
}

// String names the client in test messages: its name and socket ID.
func (c *Client) String() string { return fmt.Sprintf("%s(%s)", c.Name, c.ID) }

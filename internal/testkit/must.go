package testkit

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The Must* functions and methods fail the test (t.Fatal) where the
// methods they wrap return an error; each wait is bounded by [Timeout].
// Like t.Fatal, call them only from the goroutine running the test.

// MustDial is [Dial] for a test: the client is closed at the end of the
// test.
func MustDial(t testing.TB, base string, opts *Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	c, err := Dial(ctx, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// MustConnect is [Client.Connect] for a test.
func (c *Client) MustConnect(t testing.TB, nsp, auth string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	sid, err := c.Connect(ctx, nsp, auth)
	if err != nil {
		t.Fatalf("connect %s: %v", nsp, err)
	}
	return sid
}

// MustSend is [Client.Send] for a test.
func (c *Client) MustSend(t testing.TB, packets ...string) {
	t.Helper()
	if err := c.Send(packets...); err != nil {
		t.Fatalf("send %q: %v", packets, err)
	}
}

// MustSendBinary is [Client.SendBinary] for a test.
func (c *Client) MustSendBinary(t testing.TB, data []byte) {
	t.Helper()
	if err := c.SendBinary(data); err != nil {
		t.Fatalf("send binary: %v", err)
	}
}

// MustRead returns the next frame's data (text or binary), as
// [Client.Read].
func (c *Client) MustRead(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	f, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return f.Data
}

// MustReadText returns the next frame, which must be text.
func (c *Client) MustReadText(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	f, err := c.Read(ctx)
	if err != nil || f.Binary {
		t.Fatalf("read text: got %.40q (binary %v), %v", f.Data, f.Binary, err)
	}
	return f.Data
}

// MustReadBinary returns the next frame, which must be binary.
func (c *Client) MustReadBinary(t testing.TB) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	f, err := c.Read(ctx)
	if err != nil || !f.Binary {
		t.Fatalf("read binary: got %q (binary %v), %v", f.Data, f.Binary, err)
	}
	return []byte(f.Data)
}

// MustReadNothing fails if a frame other than a ping arrives within d, or
// if the connection ends.
func (c *Client) MustReadNothing(t testing.TB, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	f, err := c.Read(ctx)
	switch {
	case err == nil:
		t.Fatalf("unexpected frame %q", f.Data)
	case !errors.Is(err, context.DeadlineExceeded):
		t.Fatalf("connection ended: %v", err)
	}
}

// MustSeeClose reads until the server ends the connection, and fails if it
// does not within d. It returns the error that ended it.
func (c *Client) MustSeeClose(t testing.TB, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		_, err := c.Read(ctx)
		if err == nil {
			continue
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("connection not closed within %v", d)
		}
		return err
	}
}

// MustReadClose is [Client.MustSeeClose] with nothing before the end:
// it fails if a frame other than a ping arrives first, or if the
// connection is still up after d. It returns the error that ended the
// connection; see [CloseCode].
func (c *Client) MustReadClose(t testing.TB, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	f, err := c.Read(ctx)
	switch {
	case err == nil:
		t.Fatalf("got %.40q (%d bytes, binary %v), want the connection to end", f.Data, len(f.Data), f.Binary)
	case errors.Is(err, context.DeadlineExceeded):
		t.Fatalf("connection not closed within %v", d)
	}
	return err
}

// CloseCode returns the code of the websocket close frame that ended a
// connection, given the error its reads return, or -1 if it ended without
// one (or is not a websocket).
func CloseCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// MustEmit is [Client.Emit] for a test.
func (c *Client) MustEmit(t testing.TB, nsp, event string, args ...any) {
	t.Helper()
	if err := c.Emit(nsp, event, args...); err != nil {
		t.Fatalf("emit %q: %v", event, err)
	}
}

// MustEmitWithAck is [Client.EmitWithAck] for a test.
func (c *Client) MustEmitWithAck(t testing.TB, nsp, event string, args ...any) []json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	res, err := c.EmitWithAck(ctx, nsp, event, args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// MustNextEvent is [Client.NextEvent] for a test; with a name, the event
// must have it.
func (c *Client) MustNextEvent(t testing.TB, name ...string) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	ev, err := c.NextEvent(ctx)
	if err != nil {
		t.Fatalf("next event: %v", err)
	}
	if len(name) > 0 && ev.Name != name[0] {
		t.Fatalf("got event %s, want %q", ev, name[0])
	}
	return ev
}

// MustWaitDisconnect is [Client.WaitDisconnect] for a test.
func (c *Client) MustWaitDisconnect(t testing.TB, nsp string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := c.WaitDisconnect(ctx, nsp); err != nil {
		t.Fatalf("not disconnected from %s: %v", nsp, err)
	}
}

// MustUpgrade is [Client.Upgrade] for a test.
func (c *Client) MustUpgrade(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := c.Upgrade(ctx); err != nil {
		t.Fatal(err)
	}
}

package testkit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
)

// Upgrade moves a long-polling session to a websocket as the official
// client does: it probes the websocket ("2probe", "3probe"), stops polling
// and lets the POST under way finish, then sends "5". From then on the
// client reads and writes over the websocket.
func (c *Client) Upgrade(ctx context.Context) error {
	if c.Transport() != "polling" {
		return errors.New("testkit: upgrade: not long-polling")
	}
	ws, err := c.dialWS(ctx, c.handshake.SID)
	if err != nil {
		return fmt.Errorf("testkit: upgrade: %w", err)
	}
	fail := func(err error) error {
		ws.Close()
		c.mu.Lock()
		c.pausePoll = false // polling goes on
		c.broadcastLocked()
		c.mu.Unlock()
		return fmt.Errorf("testkit: upgrade: %w", err)
	}
	_ = ws.SetWriteDeadline(time.Now().Add(Timeout))
	_ = ws.SetReadDeadline(time.Now().Add(Timeout))
	if err := ws.WriteMessage(websocket.TextMessage, []byte("2probe")); err != nil {
		return fail(err)
	}
	if _, data, err := ws.ReadMessage(); err != nil || string(data) != "3probe" {
		return fail(errors.Join(err, fmt.Errorf("probe answered %q", data)))
	}
	_ = ws.SetReadDeadline(time.Time{})
	// The server ends the GET under way (with a noop); no new one starts.
	c.mu.Lock()
	c.pausePoll = true
	c.mu.Unlock()
	if err := c.await(ctx, false, func() bool { return !c.getting }); err != nil {
		return fail(err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ws.WriteMessage(websocket.TextMessage, []byte("5")); err != nil {
		return fail(err)
	}
	c.mu.Lock()
	c.ws = ws
	c.broadcastLocked() // the reader goes on, over the websocket
	c.mu.Unlock()
	return nil
}

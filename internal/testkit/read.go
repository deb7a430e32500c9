package testkit

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// get does one long-polling GET and splits its payload.
func (c *Client) get(ctx context.Context, u string) ([]Frame, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	c.setHeader(req)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET: %w", err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("GET: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET: %d %q", res.StatusCode, body)
	}
	var frames []Frame
	for _, p := range strings.Split(string(body), "\x1e") {
		if rest, ok := strings.CutPrefix(p, "b"); ok {
			b, err := base64.StdEncoding.DecodeString(rest)
			if err != nil {
				return nil, fmt.Errorf("GET: bad base64 packet %q", p)
			}
			frames = append(frames, Frame{Data: string(b), Binary: true})
			continue
		}
		frames = append(frames, Frame{Data: p})
	}
	return frames, nil
}

// broadcastLocked wakes every waiter; mu is held.
func (c *Client) broadcastLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// await waits until cond (called with mu held) holds, the reading ended,
// or ctx is done. With ask, the reader reads meanwhile.
func (c *Client) await(ctx context.Context, ask bool, cond func() bool) error {
	if ask {
		c.mu.Lock()
		c.wanted++
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			c.wanted--
			c.mu.Unlock()
		}()
		select {
		case c.demand <- struct{}{}:
		default:
		}
	}
	for {
		c.mu.Lock()
		if cond() {
			c.mu.Unlock()
			return nil
		}
		if c.end != nil {
			err := c.end
			c.mu.Unlock()
			return err
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("testkit: %w", ctx.Err())
		}
	}
}

// readLoop is the reader goroutine: it reads while someone waits (or all
// the time in the background), until the connection ends.
func (c *Client) readLoop() {
	defer close(c.readerDone)
	for {
		if !c.waitWanted() {
			c.finish(ErrClosed)
			return
		}
		frames, err := c.readSome()
		if err != nil {
			if c.ctx.Err() != nil {
				err = ErrClosed
			}
			c.finish(err)
			return
		}
		for _, f := range frames {
			c.receive(f)
		}
	}
}

// waitWanted waits until the reader should read, and reports false if the
// client was closed meanwhile.
func (c *Client) waitWanted() bool {
	for {
		c.mu.Lock()
		ok := c.opts.Background || c.wanted > 0
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-c.demand:
		case <-c.ctx.Done():
			return false
		}
	}
}

// readSome reads one websocket message, or does one GET.
func (c *Client) readSome() ([]Frame, error) {
	c.mu.Lock()
	for c.ws == nil && c.pausePoll {
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.ctx.Done():
			return nil, ErrClosed
		}
		c.mu.Lock()
	}
	ws := c.ws
	c.getting = ws == nil
	c.mu.Unlock()
	if ws != nil {
		_ = ws.SetReadDeadline(time.Now().Add(c.heartbeat))
		op, data, err := ws.ReadMessage()
		if err != nil {
			return nil, fmt.Errorf("testkit: websocket read: %w", err)
		}
		return []Frame{{Data: string(data), Binary: op == websocket.BinaryMessage}}, nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.heartbeat)
	frames, err := c.get(ctx, c.pollURL())
	cancel()
	c.mu.Lock()
	c.getting = false
	c.broadcastLocked()
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("testkit: %w", err)
	}
	return frames, nil
}

// finish records why reading ended.
func (c *Client) finish(err error) {
	c.mu.Lock()
	if c.end == nil {
		c.end = err
	}
	c.broadcastLocked()
	c.mu.Unlock()
}

// receive handles one frame on the reader goroutine.
func (c *Client) receive(f Frame) {
	if !f.Binary && f.Data == "2" {
		c.mu.Lock()
		c.pings++
		c.mu.Unlock()
		_ = c.Send("3") // a failed write shows as the end of the connection
		return
	}
	if c.groupNeed > 0 {
		c.group = append(c.group, f)
		c.groupNeed--
		if c.groupNeed > 0 {
			return
		}
		group := c.group
		c.group = nil
		p, err := ParsePacket(group[0].Data)
		if err == nil {
			for _, a := range group[1:] {
				p.Attachments = append(p.Attachments, []byte(a.Data))
			}
		}
		c.dispatch(group, p)
		return
	}
	var p *Packet
	if !f.Binary && strings.HasPrefix(f.Data, "4") {
		if pp, err := ParsePacket(f.Data[1:]); err == nil {
			p = pp
			if p.attachments > 0 {
				c.group = []Frame{f}
				c.groupNeed = p.attachments
				return
			}
		}
	}
	c.dispatch([]Frame{f}, p)
}

// dispatch hands an awaited acknowledgement over, or queues the frames.
// An event that asks for an acknowledgement is answered first, if the
// client has an answer.
func (c *Client) dispatch(frames []Frame, p *Packet) {
	c.mu.Lock()
	answer := c.answer
	c.mu.Unlock()
	if p != nil && (p.Type == PacketEvent || p.Type == PacketBinaryEvent) && p.ID >= 0 && answer != nil {
		if ev, err := p.Event(); err == nil {
			if args, ok := answer(ev); ok {
				_ = c.Ack(p.Nsp, p.ID, args...) // a failed write shows as the end of the connection
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.broadcastLocked()
	if p != nil && (p.Type == PacketAck || p.Type == PacketBinaryAck) {
		k := ackKey{p.Nsp, p.ID}
		if got, waiting := c.acks[k]; waiting && got == nil {
			c.acks[k] = p
			return
		}
	}
	c.queue = append(c.queue, frames...)
	if p != nil && p.Type == PacketDisconnect {
		c.disconnected[p.Nsp] = true
	}
}

// Read returns the next queued frame other than a ping. At the end of the
// connection it returns the error that ended it (wrapping, for a
// websocket, gorilla's *websocket.CloseError).
func (c *Client) Read(ctx context.Context) (Frame, error) {
	var f Frame
	err := c.await(ctx, true, func() bool {
		if len(c.queue) == 0 {
			return false
		}
		f = c.queue[0]
		c.queue[0] = Frame{} // the backing array must not keep what was read
		c.queue = c.queue[1:]
		return true
	})
	return f, err
}

package testkit

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Send writes raw Engine.IO text packets, each with its type first ("40",
// `42["x"]`, "3", "1", or anything malformed). Over long-polling they go
// in one POST.
func (c *Client) Send(packets ...string) error {
	frames := make([]Frame, len(packets))
	for i, p := range packets {
		frames[i] = Frame{Data: p}
	}
	return c.write(frames)
}

// SendBinary writes a binary Engine.IO message (an attachment).
func (c *Client) SendBinary(data []byte) error {
	return c.write([]Frame{{Data: string(data), Binary: true}})
}

// write sends frames together: one POST, or consecutive websocket
// messages that no other write comes between.
func (c *Client) write(frames []Frame) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		_ = ws.SetWriteDeadline(time.Now().Add(Timeout))
		for _, f := range frames {
			op := websocket.TextMessage
			if f.Binary {
				op = websocket.BinaryMessage
			}
			if err := ws.WriteMessage(op, []byte(f.Data)); err != nil {
				return fmt.Errorf("testkit: write: %w", err)
			}
		}
		return nil
	}
	parts := make([]string, len(frames))
	for i, f := range frames {
		parts[i] = f.Data
		if f.Binary {
			parts[i] = "b" + base64.StdEncoding.EncodeToString([]byte(f.Data))
		}
	}
	ctx, cancel := context.WithTimeout(c.ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.pollURL(), strings.NewReader(strings.Join(parts, "\x1e")))
	if err != nil {
		return err
	}
	c.setHeader(req)
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("testkit: POST: %w", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "ok" {
		return fmt.Errorf("testkit: POST: %d %q, want 200 \"ok\"", res.StatusCode, body)
	}
	return nil
}

func (c *Client) pollURL() string {
	return c.endpoint + "&transport=polling&sid=" + url.QueryEscape(c.handshake.SID)
}

func (c *Client) setHeader(req *http.Request) {
	for k, v := range c.opts.Header {
		req.Header[k] = v
	}
}

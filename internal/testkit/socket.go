package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// ReadPacket returns the next Socket.IO packet with its attachments,
// skipping Engine.IO noops. Any other Engine.IO packet, or a malformed
// one, is an error.
func (c *Client) ReadPacket(ctx context.Context) (*Packet, error) {
	for {
		f, err := c.Read(ctx)
		if err != nil {
			return nil, err
		}
		if f.Data == "6" && !f.Binary {
			continue
		}
		if f.Binary || !strings.HasPrefix(f.Data, "4") {
			return nil, fmt.Errorf("testkit: not a Socket.IO packet: %q", f.Data)
		}
		p, err := ParsePacket(f.Data[1:])
		if err != nil {
			return nil, err
		}
		for range p.attachments {
			a, err := c.Read(ctx)
			if err != nil {
				return nil, err
			}
			if !a.Binary {
				return nil, fmt.Errorf("testkit: attachment expected, got %q", a.Data)
			}
			p.Attachments = append(p.Attachments, []byte(a.Data))
		}
		return p, nil
	}
}

// Connect joins namespace nsp ("/" for the main one) with auth, raw JSON
// ("" for none), and returns the socket ID from the server's CONNECT. The
// next packet must be the answer: a CONNECT_ERROR is returned as a
// *[ConnectError], anything else as an error.
func (c *Client) Connect(ctx context.Context, nsp, auth string) (string, error) {
	if err := c.Send("4" + encodeHead(PacketConnect, nsp, -1, 0) + auth); err != nil {
		return "", err
	}
	p, err := c.ReadPacket(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case p.Nsp == nsp && p.Type == PacketConnect:
		var v struct {
			Sid string `json:"sid"`
		}
		if err := json.Unmarshal(p.Data, &v); err != nil || v.Sid == "" {
			return "", fmt.Errorf("testkit: connect %s: got %s", nsp, p)
		}
		return v.Sid, nil
	case p.Nsp == nsp && p.Type == PacketConnectError:
		ce := &ConnectError{Data: p.Data}
		var v struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(p.Data, &v) == nil {
			ce.Message = v.Message
		}
		return "", ce
	}
	return "", fmt.Errorf("testkit: connect %s: got %s", nsp, p)
}

// Emit sends an event to namespace nsp without asking for an
// acknowledgement. Arguments of type []byte go as binary attachments.
func (c *Client) Emit(nsp, event string, args ...any) error {
	return c.emit(nsp, -1, event, args)
}

// EmitWithAck sends an event that asks for an acknowledgement and waits
// for it; it returns the acknowledgement's arguments.
func (c *Client) EmitWithAck(ctx context.Context, nsp, event string, args ...any) ([]json.RawMessage, error) {
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	k := ackKey{nsp, id}
	c.acks[k] = nil
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.acks, k)
		c.mu.Unlock()
	}()
	if err := c.emit(nsp, id, event, args); err != nil {
		return nil, err
	}
	var p *Packet
	err := c.await(ctx, true, func() bool {
		p = c.acks[k]
		return p != nil
	})
	if err != nil {
		return nil, fmt.Errorf("testkit: ack %d of %q: %w", id, event, err)
	}
	return p.Args()
}

// Ack answers the server's event id in namespace nsp with args.
func (c *Client) Ack(nsp string, id int, args ...any) error {
	data, atts, err := encodeArgs(args)
	if err != nil {
		return err
	}
	typ := PacketAck
	if len(atts) > 0 {
		typ = PacketBinaryAck
	}
	return c.write(packetFrames(typ, nsp, id, data, atts))
}

func (c *Client) emit(nsp string, id int, event string, args []any) error {
	data, atts, err := encodeArgs(append([]any{event}, args...))
	if err != nil {
		return err
	}
	typ := PacketEvent
	if len(atts) > 0 {
		typ = PacketBinaryEvent
	}
	return c.write(packetFrames(typ, nsp, id, data, atts))
}

func packetFrames(typ PacketType, nsp string, id int, data []byte, atts [][]byte) []Frame {
	frames := []Frame{{Data: "4" + encodeHead(typ, nsp, id, len(atts)) + string(data)}}
	for _, a := range atts {
		frames = append(frames, Frame{Data: string(a), Binary: true})
	}
	return frames
}

// NextEvent returns the next packet, which must be an event.
func (c *Client) NextEvent(ctx context.Context) (Event, error) {
	p, err := c.ReadPacket(ctx)
	if err != nil {
		return Event{}, err
	}
	if p.Type != PacketEvent && p.Type != PacketBinaryEvent {
		return Event{}, fmt.Errorf("testkit: got %s, want an event", p)
	}
	return p.Event()
}

// WaitDisconnect waits until the server disconnected namespace nsp (a
// DISCONNECT packet arrived) or the connection ended, and leaves the queue
// as it is.
func (c *Client) WaitDisconnect(ctx context.Context, nsp string) error {
	err := c.await(ctx, true, func() bool { return c.disconnected[nsp] })
	if err != nil && ctx.Err() != nil {
		return err
	}
	return nil
}

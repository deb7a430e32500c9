package engine

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn is one websocket connection. Data frames are pre-encoded in each
// [Packet] and written raw to the network connection with one vectored
// write per batch; gorilla/websocket does the handshake and the reading.
// Only the session's current writer (see Session.writing) writes.
type wsConn struct {
	conn     *websocket.Conn
	raw      net.Conn
	compress bool        // permessage-deflate negotiated: write through gorilla
	bufs     net.Buffers // scratch for the writer
	deadline time.Time   // the write deadline last set by the writer

	// Progress of the peer, for stall detection (writer only).
	written  int64     // bytes written to the connection
	sinceOut int64     // bytes written since the last look at the kernel's queue
	acked    int64     // bytes the peer had taken at the last look that saw progress
	ackedAt  time.Time // when that was
}

// outqCheckEvery is how many bytes a writer writes between two looks at
// the kernel's send queue.
const outqCheckEvery = 64 << 10

// stalled reports whether the peer has stopped reading: the kernel still
// holds bytes written to it, and the peer has taken none of them for
// longer than patience. waiting reports that the peer has taken nothing
// since the last look but is still within its patience. The kernel's send
// buffer can hold megabytes, so a client that stops reading could
// otherwise go unnoticed until the heartbeat catches it; a client that
// reads, however slowly, is never called stalled. It looks at the kernel's
// queue after every outqCheckEvery bytes written, or when force is set.
func (c *wsConn) stalled(batch []*Packet, patience time.Duration, force bool) (stalled, waiting bool) {
	for _, p := range batch {
		n := int64(len(p.frame))
		c.written += n
		c.sinceOut += n
	}
	if c.sinceOut < outqCheckEvery && !force {
		return false, false
	}
	c.sinceOut = 0
	unsent := unsentBytes(c.raw)
	if unsent <= 0 {
		c.ackedAt = time.Time{}
		return false, false
	}
	now := time.Now()
	if acked := c.written - int64(unsent); acked != c.acked || c.ackedAt.IsZero() {
		c.acked, c.ackedAt = acked, now
		return false, true
	}
	if now.Sub(c.ackedAt) > patience {
		return true, false
	}
	return false, true
}

func newWSConn(c *websocket.Conn, compress bool) *wsConn {
	wc := &wsConn{conn: c, raw: c.UnderlyingConn(), compress: compress}
	// gorilla must never write control frames itself: they would race with
	// our raw writes. Pings are answered through the session's queue once
	// the connection is attached to a session; a close frame is echoed by
	// the session's close.
	c.SetPingHandler(func(string) error { return nil })
	c.SetCloseHandler(func(int, string) error { return nil })
	if compress {
		c.EnableWriteCompression(true)
	}
	return wc
}

// attach makes c the transport of s: pings are answered with pongs
// through the session's writer.
func (c *wsConn) attach(s *Session) {
	c.conn.SetPingHandler(func(data string) error {
		s.sendControl(newControl(opPong, []byte(data)))
		return nil
	})
}

// write writes a batch of packets.
func (c *wsConn) write(batch []*Packet, timeout time.Duration) error {
	// Move the deadline only when it has come within a second of the
	// bound: setting it costs more than the check, and a busy writer
	// writes many batches a second. A shorter deadline set by an abort
	// is therefore kept.
	if now := time.Now(); now.Add(timeout).Sub(c.deadline) > time.Second {
		c.deadline = now.Add(timeout)
		if err := c.raw.SetWriteDeadline(c.deadline); err != nil {
			return err
		}
	}
	if c.compress {
		for _, p := range batch {
			var err error
			switch {
			case p.ctrl:
				err = c.conn.WriteControl(int(p.frame[0]&0x0f), p.Payload(), time.Now().Add(timeout))
			case p.binary:
				err = c.conn.WriteMessage(websocket.BinaryMessage, p.Payload())
			default:
				err = c.conn.WriteMessage(websocket.TextMessage, p.Payload())
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	bufs := c.bufs[:0]
	for _, p := range batch {
		bufs = append(bufs, p.frame)
	}
	c.bufs = bufs
	_, err := bufs.WriteTo(c.raw)
	clear(c.bufs)
	return err
}

// writeClose writes a close frame with code, best effort.
func (c *wsConn) writeClose(code int, timeout time.Duration) {
	if code == 0 {
		return
	}
	_ = c.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(code, ""), time.Now().Add(timeout))
}

func (c *wsConn) close() { _ = c.raw.Close() }

var errTooLarge = errors.New("engine: message too large")

// readMessage reads the next message, refusing one larger than max bytes
// without reading more than max+1 of it.
func (c *wsConn) readMessage(max int64) (int, []byte, error) {
	op, r, err := c.conn.NextReader()
	if err != nil {
		return 0, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return 0, nil, err
	}
	if int64(len(data)) > max {
		return 0, nil, errTooLarge
	}
	return op, data, nil
}

// readReason maps a websocket read error to a close reason.
func readReason(err error) CloseReason {
	var ce *websocket.CloseError
	if errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return ReasonTransportClose
	}
	return ReasonTransportError
}

// readLoop reads the session's websocket until it fails or the session
// closes, and hands each packet to the session.
func (s *Session) readLoop(c *wsConn) {
	defer s.wg.Done()
	max := s.srv.cfg.maxBuffer()
	for {
		op, data, err := c.readMessage(max)
		if err == errTooLarge {
			s.abort(ReasonTransportError, ErrPayloadTooLarge, websocket.CloseMessageTooBig)
			return
		}
		if err != nil {
			code := 0
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
				code = ce.Code // echo the client's close frame
			}
			s.abort(readReason(err), err, code)
			return
		}
		if !s.dispatchWS(op, data) {
			return
		}
	}
}

// dispatchWS hands one websocket message to the session.
func (s *Session) dispatchWS(op int, data []byte) bool {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if op == websocket.BinaryMessage {
		return s.onPacket(PacketMessage, data, true)
	}
	t, payload, err := decodeText(data)
	if err != nil {
		s.abort(ReasonParseError, ErrParse, websocket.CloseUnsupportedData)
		return false
	}
	return s.onPacket(t, payload, false)
}

// probeLoop runs the upgrade of a long-polling session to the websocket c:
// "2probe" is answered "3probe" and the pending GET is released with a noop;
// "5" completes the upgrade, after which this goroutine becomes the
// session's websocket reader. Anything else, an error or the upgrade
// timeout drops the probe and the session goes on over long-polling.
func (s *Session) probeLoop(c *wsConn) {
	defer s.wg.Done()
	timer := time.AfterFunc(s.srv.cfg.upgradeTimeout(), c.close)
	defer timer.Stop()
	drop := func() {
		s.mu.Lock()
		if s.probe == c {
			s.probe = nil
			s.upgrading = false
		}
		s.mu.Unlock()
		c.close()
	}
	max := s.srv.cfg.maxBuffer()
	for {
		op, data, err := c.readMessage(max)
		if err != nil || op != websocket.TextMessage {
			drop()
			return
		}
		switch string(data) {
		case "2probe":
			if err := c.write([]*Packet{s.srv.probePacket}, s.srv.cfg.writeTimeout()); err != nil {
				drop()
				return
			}
			s.mu.Lock()
			s.upgrading = true
			s.kickLocked() // release a pending GET with a noop
			s.mu.Unlock()
		case "5":
			s.mu.Lock()
			if !s.upgrading || s.probe != c || s.state != stateOpen {
				s.mu.Unlock()
				drop()
				return
			}
			timer.Stop()
			s.probe = nil
			s.upgrading = false
			s.ws = c
			select { // a pending GET answers noop and ends
			case s.wake <- struct{}{}:
			default:
			}
			if len(s.queue) > 0 && !s.writing {
				s.writing = true
				s.wg.Add(1)
				s.srv.workers.Go(s.writeFn)
			}
			s.mu.Unlock()
			c.attach(s)
			s.wg.Add(1) // readLoop's own Done
			s.readLoop(c)
			return
		default:
			drop()
			return
		}
	}
}

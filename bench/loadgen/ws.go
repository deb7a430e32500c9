package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// wsSocket is one Socket.IO client on the main namespace over a websocket
// opened directly (no long-polling first, no upgrade). Reads happen on one
// goroutine; writes from any, under wmu.
type wsSocket struct {
	ws  *websocket.Conn
	wmu sync.Mutex
	buf []byte // read buffer, reused: a returned packet is valid until the next read
	// With wireMsgpack: the text form next returns the server's packets
	// in (reused as buf is) and the encoding buffer of writePacket (under
	// wmu).
	pkt, wbuf []byte
}

var wsDialer = &websocket.Dialer{
	HandshakeTimeout: 10 * time.Second,
	ReadBufferSize:   4096,
	WriteBufferSize:  4096,
}

var errClosedByServer = errors.New("server sent an Engine.IO close packet")

// dialSocket opens a websocket to addr, waits for the Engine.IO open packet,
// connects to the main namespace ("40") and waits for the server's "40{sid}".
func dialSocket(ctx context.Context, addr string, limit time.Duration) (*wsSocket, error) {
	return dialSocketWith(ctx, wsDialer, addr, limit)
}

// dialSocketWith is dialSocket with the websocket dialer d.
func dialSocketWith(ctx context.Context, d *websocket.Dialer, addr string, limit time.Duration) (*wsSocket, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	ws, resp, err := d.DialContext(ctx, "ws://"+addr+"/socket.io/?EIO=4&transport=websocket", http.Header{})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: %v (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	s := &wsSocket{ws: ws, buf: make([]byte, 0, 256)}
	deadline, _ := ctx.Deadline()
	_ = ws.SetReadDeadline(deadline)
	fail := func(format string, a ...any) (*wsSocket, error) {
		ws.Close()
		return nil, fmt.Errorf(format, a...)
	}
	b, err := s.readFrame()
	if err != nil {
		return fail("waiting for the open packet: %v", err)
	}
	if len(b) < 2 || b[0] != '0' || !bytes.Contains(b, []byte(`"sid"`)) {
		return fail("expected an Engine.IO open packet, got %q", trunc(b))
	}
	if err := s.writePacket([]byte("40")); err != nil {
		return fail("writing 40: %v", err)
	}
	for range 10 { // pings are answered by next; anything else is an error
		p, err := s.next()
		if err != nil {
			return fail("waiting for the namespace connect: %v", err)
		}
		if bytes.HasPrefix(p, []byte(`0{"sid":"`)) {
			_ = ws.SetReadDeadline(time.Time{})
			return s, nil
		}
		return fail("expected 40{\"sid\":...}, got 4%q", trunc(p))
	}
	return fail("no namespace connect")
}

// write sends one Engine.IO packet as a text frame.
func (s *wsSocket) write(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return s.ws.WriteMessage(websocket.TextMessage, b)
}

// writePacket sends one Socket.IO packet, given in its text form with the
// Engine.IO '4': as it is, or with wireMsgpack in the msgpack form, a
// binary frame.
func (s *wsSocket) writePacket(b []byte) error {
	if !wireMsgpack {
		return s.write(b)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var err error
	if s.wbuf, err = toMsgpack(s.wbuf[:0], b[1:]); err != nil {
		return err
	}
	_ = s.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return s.ws.WriteMessage(websocket.BinaryMessage, s.wbuf)
}

// readFrame reads one text frame into s.buf.
func (s *wsSocket) readFrame() ([]byte, error) {
	b, binary, err := s.readMessage()
	if err == nil && binary {
		err = fmt.Errorf("unexpected binary frame of %d bytes", len(b))
	}
	return b, err
}

// readMessage reads one frame into s.buf and says whether it is binary.
func (s *wsSocket) readMessage() ([]byte, bool, error) {
	typ, r, err := s.ws.NextReader()
	if err != nil {
		return nil, false, err
	}
	buf := s.buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, err
		}
	}
	s.buf = buf
	return buf, typ == websocket.BinaryMessage, nil
}

// next returns the next Socket.IO packet (an Engine.IO message without its
// leading '4'), answering pings and skipping noops on the way. With
// wireMsgpack, every Socket.IO packet must come as a binary frame, and is
// returned in the text form a JSON server would have sent.
func (s *wsSocket) next() ([]byte, error) {
	for range 1 << 20 {
		b, binary, err := s.readMessage()
		if err != nil {
			return nil, err
		}
		if binary {
			if !wireMsgpack {
				return nil, fmt.Errorf("unexpected binary frame of %d bytes", len(b))
			}
			s.pkt, err = fromMsgpack(s.pkt, b)
			return s.pkt, err
		}
		if len(b) == 0 {
			return nil, errors.New("empty frame")
		}
		switch b[0] {
		case '4':
			if wireMsgpack {
				return nil, fmt.Errorf("text packet %q from a msgpack server", trunc(b))
			}
			return b[1:], nil
		case '2': // ping
			if err := s.write([]byte("3")); err != nil {
				return nil, err
			}
		case '6': // noop
		case '1':
			return nil, errClosedByServer
		default:
			return nil, fmt.Errorf("unexpected Engine.IO packet %q", trunc(b))
		}
	}
	return nil, errors.New("too many control packets")
}

func (s *wsSocket) close() { _ = s.ws.Close() }

func trunc(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// opened is the outcome of openSockets.
type opened struct {
	socks      []*wsSocket // by index; nil where the handshake failed
	ok, failed int
	handshakes []time.Duration // dial -> "40{sid}" of each success
	start, end time.Time
	errs       map[string]int // error text -> count
}

// openSockets opens n sockets with at most conc handshakes in flight and,
// if rate > 0, at most rate per second. onOpen runs for each socket once it
// is connected (on the goroutine that opened it).
func openSockets(ctx context.Context, addr string, n, conc, rate int, onOpen func(i int, s *wsSocket)) *opened {
	return openSocketsOn(ctx, func(int) string { return addr }, n, conc, rate, onOpen)
}

// openSocketsOn is openSockets with socket i connecting to addrOf(i).
func openSocketsOn(ctx context.Context, addrOf func(i int) string, n, conc, rate int, onOpen func(i int, s *wsSocket)) *opened {
	return openSocketsVia(ctx, addrOf, nil, n, conc, rate, onOpen)
}

// openSocketsVia is openSocketsOn with socket i dialed by dialerOf(i)
// (nil: every socket by wsDialer).
func openSocketsVia(ctx context.Context, addrOf func(i int) string, dialerOf func(i int) *websocket.Dialer, n, conc, rate int, onOpen func(i int, s *wsSocket)) *opened {
	if dialerOf == nil {
		dialerOf = func(int) *websocket.Dialer { return wsDialer }
	}
	o := &opened{socks: make([]*wsSocket, n), handshakes: make([]time.Duration, n), errs: map[string]int{}}
	sem := make(chan struct{}, max(conc, 1))
	var mu sync.Mutex
	var wg sync.WaitGroup
	o.start = time.Now()
	for i := range n {
		if rate > 0 {
			if d := time.Until(o.start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
				time.Sleep(d)
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			mu.Lock()
			o.failed += n - i
			o.errs["not attempted: "+ctx.Err().Error()] += n - i
			mu.Unlock()
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			s, err := dialSocketWith(ctx, dialerOf(i), addrOf(i), 15*time.Second)
			d := time.Since(t0)
			<-sem
			mu.Lock()
			if err != nil {
				o.failed++
				o.errs[err.Error()]++
				mu.Unlock()
				return
			}
			o.socks[i] = s
			o.handshakes[i] = d
			o.ok++
			mu.Unlock()
			if onOpen != nil {
				onOpen(i, s)
			}
		}()
	}
	wg.Wait()
	o.end = time.Now()
	hs := o.handshakes[:0]
	for i, s := range o.socks {
		if s != nil {
			hs = append(hs, o.handshakes[i])
		}
	}
	o.handshakes = hs
	return o
}

// report records failures of the opening into r.
func (o *opened) report(r *result) {
	r.set("opened", o.ok)
	r.set("failed_handshakes", o.failed)
	for e, n := range o.errs {
		r.fail("%d handshakes failed: %s", n, e)
	}
}

func (o *opened) closeAll() {
	for _, s := range o.socks {
		if s != nil {
			s.close()
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// pollSocket is one Socket.IO client on the main namespace that stays on
// HTTP long-polling, as a browser does: two kept-alive connections, one
// with a GET always pending, the other for POSTs, one at a time.
//
// It is driven by one goroutine: a round trip POSTs the event, reads the
// POST's "ok", then reads the pending GET's response and at once sends the
// next GET. The server sees a GET pending at all times; the client needs
// no goroutine per connection and no hand-off between goroutines.
type pollSocket struct {
	get, post *httpConn
	target    string   // path and query, with the sid
	pending   [][]byte // Socket.IO packets (without the '4') of the last GET response not yet consumed; they point into get's body
	stop      func() bool
}

const recordSep = "\x1e"

const pollPath = "/socket.io/?EIO=4&transport=polling"

// dialPoll does the Engine.IO handshake over polling and connects to the
// main namespace. Canceling ctx closes the socket's connections.
func dialPoll(ctx context.Context, addr string, stall time.Duration) (*pollSocket, error) {
	s := &pollSocket{get: newHTTPConn(addr, stall), post: newHTTPConn(addr, stall), pending: make([][]byte, 0, 4)}
	s.stop = context.AfterFunc(ctx, func() { s.get.close(); s.post.close() })
	fail := func(format string, a ...any) (*pollSocket, error) {
		s.stop()
		s.get.close()
		s.post.close()
		return nil, fmt.Errorf(format, a...)
	}
	b, err := s.get.do(pollPath, nil)
	if err != nil {
		return fail("handshake: GET: %v", err)
	}
	first, _, _ := bytes.Cut(b, []byte(recordSep))
	if len(first) < 2 || first[0] != '0' {
		return fail("expected an open packet, got %q", trunc(b))
	}
	var open struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(first[1:], &open); err != nil || open.SID == "" {
		return fail("bad open packet %q", trunc(first))
	}
	s.target = pollPath + "&sid=" + open.SID
	if err := s.send([]byte("40")); err != nil {
		return fail("%v", err)
	}
	if err := s.get.send(s.target, nil); err != nil {
		return fail("GET: %v", err)
	}
	p, err := s.next()
	if err != nil {
		return fail("waiting for 40{\"sid\":...}: %v", err)
	}
	if !bytes.HasPrefix(p, []byte(`0{"sid":"`)) {
		return fail("expected 40{\"sid\":...}, got 4%q", trunc(p))
	}
	return s, nil
}

// send POSTs an Engine.IO payload and checks the answer "ok".
func (s *pollSocket) send(payload []byte) error {
	b, err := s.post.do(s.target, payload)
	if err != nil {
		return fmt.Errorf("POST: %v", err)
	}
	if string(b) != "ok" {
		return fmt.Errorf("POST answered %q", trunc(b))
	}
	return nil
}

// next returns the next Socket.IO packet (without the '4') that the server
// sent, reading the pending GET's response when none is left, sending the
// next GET at once, and answering pings. The packet is valid until the next
// call.
func (s *pollSocket) next() ([]byte, error) {
	for len(s.pending) == 0 {
		b, err := s.get.recv()
		if err != nil {
			return nil, fmt.Errorf("GET: %v", err)
		}
		s.pending = s.pending[:0]
		ping := false
		for p := range bytes.SplitSeq(b, []byte(recordSep)) {
			if len(p) == 0 {
				return nil, errors.New("empty packet in payload")
			}
			switch p[0] {
			case '4':
				s.pending = append(s.pending, p[1:])
			case '2':
				ping = true
			case '6':
			case '1':
				return nil, errClosedByServer
			default:
				return nil, fmt.Errorf("unexpected Engine.IO packet %q", trunc(p))
			}
		}
		if err := s.get.send(s.target, nil); err != nil {
			return nil, fmt.Errorf("GET: %v", err)
		}
		if ping {
			if err := s.send([]byte("3")); err != nil {
				return nil, err
			}
		}
	}
	p := s.pending[0]
	s.pending = s.pending[1:]
	return p, nil
}

// close sends the Engine.IO close packet (allowing it a second) and closes
// both connections.
func (s *pollSocket) close() {
	s.stop()
	s.post.stall, s.post.deadline = time.Second, time.Time{}
	_ = s.send([]byte("1"))
	s.get.close()
	s.post.close()
}

// appendEcho appends to emit and ack what echoPackets returns for client
// c's i-th round trip (payload echoPayload(c, i, size)), without allocating
// once they have grown.
func appendEcho(emit, ack []byte, c, i, size int) (e, a []byte) {
	var pb [128]byte
	p := append(pb[:0], 'c')
	p = strconv.AppendInt(p, int64(c), 10)
	p = append(p, '-')
	p = strconv.AppendInt(p, int64(i), 10)
	p = append(p, ':')
	emit = append(emit[:0], "42"...)
	emit = strconv.AppendInt(emit, int64(i), 10)
	emit = append(emit, `["echo","`...)
	emit = append(emit, p...)
	for n := len(p); n < size; n++ {
		emit = append(emit, 'x')
	}
	emit = append(emit, `"]`...)
	ack = append(ack[:0], '3')
	ack = strconv.AppendInt(ack, int64(i), 10)
	ack = append(ack, `["`...)
	ack = append(ack, p...)
	for n := len(p); n < size; n++ {
		ack = append(ack, 'x')
	}
	ack = append(ack, `"]`...)
	return emit, ack
}

// runPollingEcho: long-polling clients doing sequential acked emits.
func runPollingEcho(ctx context.Context, c config, r *result) {
	r.set("clients", c.k)
	r.set("round_trips_per_client", c.r)
	r.set("warmup", c.warmup)
	r.set("size", c.size)
	socks := make([]*pollSocket, c.k)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	sem := make(chan struct{}, max(c.concurrency, 1))
	for i := range socks {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s, err := dialPoll(ctx, c.addr, c.stall)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				r.fail("polling client %d: %v", i, err)
				return
			}
			socks[i] = s
		}()
	}
	wg.Wait()
	defer func() {
		for _, s := range socks {
			if s != nil {
				s.close()
			}
		}
	}()
	r.set("opened", c.k-failed)
	r.set("failed_handshakes", failed)
	if failed > 0 {
		return
	}
	clients := make([]roundTripper, c.k)
	for ci, s := range socks {
		var emit, want []byte
		clients[ci] = func(i int) error {
			emit, want = appendEcho(emit, want, ci, i, c.size)
			if err := s.send(emit); err != nil {
				return fmt.Errorf("round trip %d: %v", i, err)
			}
			p, err := s.next()
			if err != nil {
				return fmt.Errorf("round trip %d: %v", i, err)
			}
			if !bytes.Equal(p, want) {
				return fmt.Errorf("round trip %d: got 4%q, want 4%q", i, trunc(p), trunc(want))
			}
			return nil
		}
	}
	runRoundTrips(ctx, c, r, clients)
}

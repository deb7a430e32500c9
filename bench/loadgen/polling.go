package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// pollSocket is one Socket.IO client on the main namespace that stays on
// HTTP long-polling: one GET is always pending (on its own goroutine),
// and packets are sent with POSTs, one at a time.
type pollSocket struct {
	hc     *http.Client
	url    string // with the sid
	postMu sync.Mutex
	in     chan []byte // Socket.IO packets received, without the '4'
	errc   chan error  // the GET loop's end
	cancel context.CancelFunc
}

const recordSep = "\x1e"

func newPollClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
	}}
}

func pollDo(ctx context.Context, hc *http.Client, method, url, body string) ([]byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d: %q", method, resp.StatusCode, trunc(b))
	}
	return b, nil
}

// dialPoll does the Engine.IO handshake over polling and connects to the
// main namespace.
func dialPoll(ctx context.Context, hc *http.Client, addr string, stall time.Duration) (*pollSocket, error) {
	base := "http://" + addr + "/socket.io/?EIO=4&transport=polling"
	hctx, hcancel := context.WithTimeout(ctx, stall)
	defer hcancel()
	b, err := pollDo(hctx, hc, "GET", base, "")
	if err != nil {
		return nil, fmt.Errorf("handshake: %v", err)
	}
	first, _, _ := bytes.Cut(b, []byte(recordSep))
	if len(first) < 2 || first[0] != '0' {
		return nil, fmt.Errorf("expected an open packet, got %q", trunc(b))
	}
	var open struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(first[1:], &open); err != nil || open.SID == "" {
		return nil, fmt.Errorf("bad open packet %q", trunc(first))
	}
	lctx, cancel := context.WithCancel(ctx)
	s := &pollSocket{hc: hc, url: base + "&sid=" + open.SID, in: make(chan []byte, 64), errc: make(chan error, 1), cancel: cancel}
	if err := s.post(hctx, "40"); err != nil {
		cancel()
		return nil, err
	}
	go s.getLoop(lctx)
	select {
	case p := <-s.in:
		if !bytes.HasPrefix(p, []byte(`0{"sid":"`)) {
			s.close()
			return nil, fmt.Errorf("expected 40{\"sid\":...}, got 4%q", trunc(p))
		}
		return s, nil
	case err := <-s.errc:
		s.close()
		return nil, err
	case <-hctx.Done():
		s.close()
		return nil, errors.New("no namespace connect")
	}
}

func (s *pollSocket) post(ctx context.Context, payload string) error {
	s.postMu.Lock()
	defer s.postMu.Unlock()
	b, err := pollDo(ctx, s.hc, "POST", s.url, payload)
	if err != nil {
		return fmt.Errorf("POST: %v", err)
	}
	if string(b) != "ok" {
		return fmt.Errorf("POST answered %q", trunc(b))
	}
	return nil
}

// getLoop keeps a GET pending until ctx ends, hands Socket.IO packets to
// s.in and answers pings.
func (s *pollSocket) getLoop(ctx context.Context) {
	var err error
	defer func() { s.errc <- err }()
	for range 1 << 30 {
		var b []byte
		b, err = pollDo(ctx, s.hc, "GET", s.url, "")
		if err != nil {
			return
		}
		for p := range bytes.SplitSeq(b, []byte(recordSep)) {
			if len(p) == 0 {
				err = errors.New("empty packet in payload")
				return
			}
			switch p[0] {
			case '4':
				select {
				case s.in <- bytes.Clone(p[1:]):
				case <-ctx.Done():
					err = ctx.Err()
					return
				}
			case '2':
				if err = s.post(ctx, "3"); err != nil {
					return
				}
			case '6':
			case '1':
				err = errClosedByServer
				return
			default:
				err = fmt.Errorf("unexpected Engine.IO packet %q", trunc(p))
				return
			}
		}
	}
}

func (s *pollSocket) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.post(ctx, "1")
	s.cancel()
}

// runPollingEcho: long-polling clients doing sequential acked emits.
func runPollingEcho(ctx context.Context, c config, r *result) {
	r.set("clients", c.k)
	r.set("round_trips_per_client", c.r)
	r.set("warmup", c.warmup)
	r.set("size", c.size)
	hc := newPollClient(2*c.k + 16)
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
			s, err := dialPoll(ctx, hc, c.addr, c.stall)
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
		hc.CloseIdleConnections()
	}()
	r.set("opened", c.k-failed)
	r.set("failed_handshakes", failed)
	if failed > 0 {
		return
	}
	clients := make([]roundTripper, c.k)
	for ci, s := range socks {
		clients[ci] = func(i int) error {
			emit, want := echoPackets(i, echoPayload(ci, i, c.size))
			pctx, cancel := context.WithTimeout(ctx, c.stall)
			defer cancel()
			if err := s.post(pctx, string(emit)); err != nil {
				return fmt.Errorf("round trip %d: %v", i, err)
			}
			select {
			case p := <-s.in:
				if !bytes.Equal(p, want) {
					return fmt.Errorf("round trip %d: got 4%q, want 4%q", i, trunc(p), trunc(want))
				}
				return nil
			case err := <-s.errc:
				return fmt.Errorf("round trip %d: GET: %v", i, err)
			case <-pctx.Done():
				return fmt.Errorf("round trip %d: no ack within %s", i, c.stall)
			}
		}
	}
	runRoundTrips(ctx, c, r, clients)
}

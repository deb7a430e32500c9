package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// echoPayload is client c's i-th payload, padded with 'x' to size bytes.
func echoPayload(c, i, size int) []byte {
	b := []byte("c" + strconv.Itoa(c) + "-" + strconv.Itoa(i) + ":")
	for len(b) < size {
		b = append(b, 'x')
	}
	return b
}

// echoPackets returns the Socket.IO event (with the Engine.IO '4') and the
// exact ack (without it) expected for one round trip.
func echoPackets(id int, p []byte) (emit, ack []byte) {
	emit = fmt.Appendf(nil, `42%d["echo","%s"]`, id, p)
	ack = fmt.Appendf(nil, `3%d["%s"]`, id, p)
	return emit, ack
}

// roundTripper does one client's round trips; it is given the index of the
// round trip and returns an error if the ack is missing or wrong.
type roundTripper func(i int) error

// runRoundTrips runs k clients, each warm-up then r measured sequential
// round trips; the measured part starts for all clients at once.
func runRoundTrips(ctx context.Context, c config, r *result, clients []roundTripper) {
	k := len(clients)
	lat := make([][]time.Duration, k)
	errs := make([]error, k)
	var warm, done sync.WaitGroup
	start := make(chan struct{})
	warm.Add(k)
	done.Add(k)
	for ci, rt := range clients {
		lat[ci] = make([]time.Duration, 0, c.r)
		go func() {
			defer done.Done()
			i := 0
			for ; i < c.warmup && errs[ci] == nil; i++ {
				errs[ci] = rt(i)
			}
			warm.Done()
			<-start
			for j := 0; j < c.r && errs[ci] == nil && ctx.Err() == nil; j++ {
				t0 := time.Now()
				errs[ci] = rt(i + j)
				lat[ci] = append(lat[ci], time.Since(t0))
			}
		}()
	}
	warm.Wait()
	cpu := startCPU(c.pids)
	t0 := time.Now()
	close(start)
	done.Wait()
	wall := time.Since(t0)
	cpu.stop()
	var all []time.Duration
	failed := 0
	for ci := range clients {
		if errs[ci] != nil {
			failed++
			r.fail("client %d: %v", ci, errs[ci])
			continue
		}
		all = append(all, lat[ci]...)
	}
	r.set("failed_clients", failed)
	r.set("round_trips", len(all))
	if failed > 0 {
		return
	}
	r.set("round_trips_per_s", round(float64(len(all))/wall.Seconds(), 4))
	latencies(r, "rtt", all)
	cpu.report(r, "round_trip", len(all))
}

// runEcho: websocket clients doing sequential acked emits.
func runEcho(ctx context.Context, c config, r *result) {
	r.set("clients", c.k)
	r.set("round_trips_per_client", c.r)
	r.set("warmup", c.warmup)
	r.set("size", c.size)
	o := openSockets(ctx, c.addr, c.k, c.concurrency, c.rate, nil)
	defer o.closeAll()
	o.report(r)
	if o.failed > 0 {
		return
	}
	clients := make([]roundTripper, c.k)
	for ci, s := range o.socks {
		clients[ci] = func(i int) error {
			emit, want := echoPackets(i, echoPayload(ci, i, c.size))
			_ = s.ws.SetReadDeadline(time.Now().Add(c.stall))
			if err := s.writePacket(emit); err != nil {
				return fmt.Errorf("round trip %d: write: %v", i, err)
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

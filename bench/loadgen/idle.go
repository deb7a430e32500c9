package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// watch reads s until it fails, counting packets that are not expected in
// an idle or connect run; a failure before stopping is counted in dead.
func watch(wg *sync.WaitGroup, s *wsSocket, stopping *atomic.Bool, dead, unexpected *atomic.Int64, lastErr *atomic.Value) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 1 << 30 {
			_, err := s.next()
			if err != nil {
				if !stopping.Load() {
					dead.Add(1)
					lastErr.Store(err.Error())
				}
				return
			}
			unexpected.Add(1)
		}
	}()
}

// runIdle measures the server's resident memory per idle websocket socket.
func runIdle(ctx context.Context, c config, r *result) {
	r.set("n", c.n)
	r.set("rate", c.rate)
	if c.pid <= 0 {
		r.fail("idle needs -pid")
		return
	}
	time.Sleep(c.settle)
	rss0 := procStatusKB(c.pid, "VmRSS")
	var stopping atomic.Bool
	var dead, unexpected atomic.Int64
	var lastErr atomic.Value
	var readers sync.WaitGroup
	cpu := startCPU(c.pids)
	o := openSockets(ctx, c.addr, c.n, c.concurrency, c.rate, func(_ int, s *wsSocket) {
		watch(&readers, s, &stopping, &dead, &unexpected, &lastErr)
	})
	logf("idle: %d open, %d failed in %.2fs; holding %s", o.ok, o.failed, o.end.Sub(o.start).Seconds(), c.hold)
	o.report(r)
	peak := rss0
	end := time.Now().Add(c.hold)
	for time.Now().Before(end) && ctx.Err() == nil {
		peak = max(peak, procStatusKB(c.pid, "VmRSS"))
		time.Sleep(200 * time.Millisecond)
	}
	rss1 := procStatusKB(c.pid, "VmRSS")
	cpu.stop()
	cpu.report(r, "", 0)
	peak = max(peak, rss1)
	stopping.Store(true)
	alive := int64(o.ok) - dead.Load()
	r.set("rss_before_kb", rss0)
	r.set("rss_after_kb", rss1)
	r.set("rss_peak_kb", peak)
	r.set("alive_at_end", alive)
	if o.ok > 0 && rss0 > 0 && rss1 > 0 {
		r.set("rss_per_socket_kb", round(float64(rss1-rss0)/float64(o.ok), 4))
	}
	latencies(r, "handshake", o.handshakes)
	if alive != int64(c.n) {
		e, _ := lastErr.Load().(string)
		r.fail("%d of %d sockets alive at the end (last error: %s)", alive, c.n, e)
	}
	if u := unexpected.Load(); u > 0 {
		r.fail("%d unexpected packets on idle sockets", u)
	}
	o.closeAll()
	readers.Wait()
}

// runConnect measures how fast the server completes handshakes: websocket
// upgrade, Engine.IO open, Socket.IO namespace connect.
func runConnect(ctx context.Context, c config, r *result) {
	r.set("n", c.n)
	r.set("concurrency", c.concurrency)
	var stopping atomic.Bool
	var dead, unexpected atomic.Int64
	var lastErr atomic.Value
	var readers sync.WaitGroup
	cpu := startCPU(c.pids)
	o := openSockets(ctx, c.addr, c.n, c.concurrency, 0, func(_ int, s *wsSocket) {
		watch(&readers, s, &stopping, &dead, &unexpected, &lastErr)
	})
	cpu.stop()
	o.report(r)
	el := o.end.Sub(o.start).Seconds()
	r.set("handshakes_per_s", round(float64(o.ok)/el, 4))
	cpu.report(r, "handshake", o.ok)
	latencies(r, "handshake", o.handshakes)
	time.Sleep(200 * time.Millisecond) // a socket the server drops right away shows up here
	stopping.Store(true)
	if d := dead.Load(); d > 0 {
		e, _ := lastErr.Load().(string)
		r.fail("%d sockets lost after connecting (last error: %s)", d, e)
	}
	o.closeAll()
	readers.Wait()
}

var errStall = errors.New("no progress")

package main

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// A phase is a series of broadcasts: the warm-up ('w') or the measured
// one ('m'). Broadcast i carries "<tag><i>:<send time ns>:" padded with
// 'x' to the payload size.
type phase struct {
	tag       byte
	idx       int // index into receiver.seen
	m         int
	sentAt    []int64 // written by the publisher loop only
	delivered []atomic.Int32
	complete  []int64 // time the last receiver got it
	completed atomic.Int32
	done      chan struct{} // closed when every broadcast reached everyone
	window    chan struct{} // slots of broadcasts in flight; nil: no limit
}

func newPhase(tag byte, idx, m, window int) *phase {
	p := &phase{tag: tag, idx: idx, m: m, sentAt: make([]int64, m), delivered: make([]atomic.Int32, m),
		complete: make([]int64, m), done: make(chan struct{})}
	if window > 0 {
		p.window = make(chan struct{}, window)
	}
	if m == 0 {
		close(p.done)
	}
	return p
}

type receiver struct {
	s          *wsSocket
	node       int         // index of its server in config.addrs
	seen       [2][]uint64 // bitmaps per phase
	lat        []time.Duration
	got        [2]int
	dup        int
	bad        int // malformed msg payloads
	unexpected int // packets other than msg events
	lost       bool
	err        string
}

var msgPrefix = []byte(`2["msg","`)

func payload(tag byte, seq int, ts int64, size int) []byte {
	b := make([]byte, 0, size+32)
	b = append(b, `42["broadcast","`...)
	start := len(b)
	b = append(b, tag)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, ':')
	for len(b)-start < size {
		b = append(b, 'x')
	}
	return append(b, `"]`...)
}

// parseMsg checks p = 2["msg","<payload>"] with a payload of size bytes
// and returns its tag, sequence number and send time. With offsets (a
// server with connection-state recovery on), p must instead be
// 2["msg","<payload>","<offset>"]: the offset the server appends to every
// broadcast, a non-empty string of letters, digits, '-', '_' and '.'
// (ours: a prefix and a sequence number; Node's: yeast IDs).
func parseMsg(p []byte, size int, offsets bool) (tag byte, seq int, ts int64, ok bool) {
	if !bytes.HasSuffix(p, []byte(`"]`)) {
		return 0, 0, 0, false
	}
	p = p[:len(p)-1] // 2["msg","<payload>"[,"<offset>"]
	if offsets {
		i := bytes.LastIndex(p, []byte(`","`))
		if i < 0 || i+3 >= len(p)-1 || !offsetChars(p[i+3:len(p)-1]) {
			return 0, 0, 0, false
		}
		p = p[:i+1]
	}
	if !bytes.HasPrefix(p, msgPrefix) || len(p) != len(msgPrefix)+size+1 {
		return 0, 0, 0, false
	}
	body := p[len(msgPrefix) : len(p)-1]
	tag = body[0]
	f := bytes.SplitN(body[1:], []byte{':'}, 3)
	if len(f) != 3 || len(bytes.Trim(f[2], "x")) != 0 {
		return 0, 0, 0, false
	}
	s, err1 := strconv.Atoi(string(f[0]))
	t, err2 := strconv.ParseInt(string(f[1]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, 0, false
	}
	return tag, s, t, true
}

func offsetChars(b []byte) bool {
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// runFanout measures broadcast delivery: msgs/s, latency, CPU per delivery,
// and that every receiver got every broadcast exactly once. Subscriber i
// connects to c.addrs[i mod len(c.addrs)] and the publisher to c.addrs[0]:
// with several addresses (cluster-fanout) the broadcasts enter at the
// first server and reach the others' sockets through the cluster.
func runFanout(ctx context.Context, c config, r *result) {
	n, m := c.n, c.m
	nrecv := n + 1 // the publisher receives its own broadcasts too
	nodeOf := func(i int) int {
		if i == n { // the publisher
			return 0
		}
		return i % len(c.addrs)
	}
	if len(c.addrs) > 1 {
		perNode := make([]int, len(c.addrs))
		for i := range nrecv {
			perNode[nodeOf(i)]++
		}
		r.set("nodes", len(c.addrs))
		r.set("receivers_per_node", perNode)
	}
	r.set("subscribers", n)
	r.set("receivers", nrecv)
	r.set("broadcasts", m)
	r.set("warmup", c.warmup)
	r.set("window", c.window)
	r.set("size", c.size)
	r.set("offsets", c.offsets)
	phases := [2]*phase{newPhase('w', 0, c.warmup, c.window), newPhase('m', 1, m, c.window)}
	var progress atomic.Int64 // every valid delivery
	var stopping atomic.Bool
	recv := make([]*receiver, nrecv)
	for i := range recv {
		recv[i] = &receiver{seen: [2][]uint64{make([]uint64, (c.warmup+63)/64), make([]uint64, (m+63)/64)},
			lat: make([]time.Duration, 0, m), node: nodeOf(i)}
	}
	var readers sync.WaitGroup
	read := func(rc *receiver) {
		defer readers.Done()
		for range 1 << 30 {
			p, err := rc.s.next()
			if err != nil {
				if !stopping.Load() {
					rc.lost, rc.err = true, err.Error()
				}
				return
			}
			now := since()
			if !bytes.HasPrefix(p, msgPrefix) {
				rc.unexpected++
				continue
			}
			tag, seq, ts, ok := parseMsg(p, c.size, c.offsets)
			var ph *phase
			switch tag {
			case 'w':
				ph = phases[0]
			case 'm':
				ph = phases[1]
			}
			if !ok || ph == nil || seq < 0 || seq >= ph.m {
				rc.bad++
				continue
			}
			w, bit := seq/64, uint64(1)<<(seq%64)
			if rc.seen[ph.idx][w]&bit != 0 {
				rc.dup++
				continue
			}
			rc.seen[ph.idx][w] |= bit
			rc.got[ph.idx]++
			if ph.idx == 1 {
				rc.lat = append(rc.lat, time.Duration(now-ts))
			}
			progress.Add(1)
			if ph.delivered[seq].Add(1) == int32(nrecv) {
				ph.complete[seq] = now
				if ph.window != nil {
					<-ph.window // free the slot this broadcast held
				}
				if ph.completed.Add(1) == int32(ph.m) {
					close(ph.done)
				}
			}
		}
	}

	// scaling: the idle figures first (scaling.go), the connections spread
	// over source addresses.
	var dialerOf func(i int) *websocket.Dialer
	var openCPU *cpuWindow
	var rss0 int64
	if c.scaling {
		ds, of, err := sourceDialers(nrecv, c.srcPerAddr)
		if err != nil {
			r.fail("%v", err)
			return
		}
		if err := raiseNofile(nrecv); err != nil {
			r.fail("%v", err)
			return
		}
		dialerOf = of
		r.set("connections", nrecv)
		r.set("source_addrs", len(ds))
		time.Sleep(c.settle)
		rss0 = procStatusKB(c.pid, "VmRSS")
		openCPU = startCPU(c.pids)
	}
	o := openSocketsVia(ctx, func(i int) string { return c.addrs[nodeOf(i)] }, dialerOf, nrecv, c.concurrency, c.rate, func(i int, s *wsSocket) {
		recv[i].s = s
		readers.Add(1)
		go read(recv[i])
	})
	if openCPU != nil {
		openCPU.stop()
	}
	defer func() {
		stopping.Store(true)
		o.closeAll()
		readers.Wait()
	}()
	o.report(r)
	if o.failed > 0 {
		return
	}
	logf("fanout: %d receivers connected in %.2fs", nrecv, o.end.Sub(o.start).Seconds())
	if c.scaling {
		scalingIdle(ctx, c, r, o, openCPU, rss0)
	}
	time.Sleep(300 * time.Millisecond)
	pub := recv[n].s

	// stalled reports whether deliveries stopped for c.stall; call it
	// periodically with the last count seen and when it changed.
	last, lastAt := progress.Load(), time.Now()
	stalled := func() bool {
		if v := progress.Load(); v != last {
			last, lastAt = v, time.Now()
		}
		return time.Since(lastAt) > c.stall || ctx.Err() != nil
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()

	// run sends a phase's broadcasts within the window and waits until
	// every receiver got each of them; false if it gave up.
	run := func(ph *phase) bool {
		for i := range ph.m {
			if ph.window != nil {
			acquire:
				for {
					select {
					case ph.window <- struct{}{}:
						break acquire
					case <-tick.C:
						if stalled() {
							r.fail("phase %c: broadcast %d not sent: no delivery for %s (window full)", ph.tag, i, c.stall)
							return false
						}
					}
				}
			}
			ts := since()
			ph.sentAt[i] = ts
			if err := pub.writePacket(payload(ph.tag, i, ts, c.size)); err != nil {
				r.fail("publisher write: %v", err)
				return false
			}
		}
		for {
			select {
			case <-ph.done:
				return true
			case <-tick.C:
				if stalled() {
					r.fail("phase %c: %d of %d broadcasts reached every receiver; none for %s",
						ph.tag, ph.completed.Load(), ph.m, c.stall)
					return false
				}
			}
		}
	}

	okWarm := run(phases[0])
	var cpu *cpuWindow
	okMeas := false
	if okWarm {
		time.Sleep(100 * time.Millisecond)
		cpu = startCPU(c.pids, c.redisPID).withDB(c.dbPID)
		okMeas = run(phases[1])
		cpu.stop()
	}
	// Late duplicates show up in this grace period.
	time.Sleep(300 * time.Millisecond)
	stopping.Store(true)
	o.closeAll()
	readers.Wait()

	var lat []time.Duration
	var got, dup, bad, unexp, lost, missing int
	var lostErr string
	var gotByNode, missingByNode []int
	var latFirst, latOthers []time.Duration // cluster: at the publisher's server, at the others
	if len(c.addrs) > 1 {
		gotByNode, missingByNode = make([]int, len(c.addrs)), make([]int, len(c.addrs))
	}
	for _, rc := range recv {
		lat = append(lat, rc.lat...)
		if gotByNode != nil {
			gotByNode[rc.node] += rc.got[1]
			missingByNode[rc.node] += c.warmup + m - rc.got[0] - rc.got[1]
			if rc.node == 0 {
				latFirst = append(latFirst, rc.lat...)
			} else {
				latOthers = append(latOthers, rc.lat...)
			}
		}
		got += rc.got[1]
		dup += rc.dup
		bad += rc.bad
		unexp += rc.unexpected
		missing += c.warmup + m - rc.got[0] - rc.got[1]
		if rc.lost {
			lost++
			lostErr = rc.err
		}
	}
	r.set("delivered", got)
	r.set("dropped", missing)
	r.set("duplicates", dup)
	r.set("malformed", bad)
	r.set("unexpected_packets", unexp)
	r.set("receivers_lost", lost)
	if gotByNode != nil {
		r.set("delivered_per_node", gotByNode)
		r.set("dropped_per_node", missingByNode)
	}
	if missing > 0 {
		r.fail("%d deliveries missing", missing)
	}
	if dup > 0 {
		r.fail("%d duplicate deliveries", dup)
	}
	if bad > 0 {
		r.fail("%d malformed msg packets", bad)
	}
	if unexp > 0 {
		r.fail("%d unexpected packets", unexp)
	}
	if lost > 0 {
		r.fail("%d receivers lost their connection (last: %s)", lost, lostErr)
	}
	if !okMeas {
		return
	}
	ph := phases[1]
	first, lastDone := ph.sentAt[0], int64(0)
	allGot := make([]time.Duration, m)
	for i := range m {
		lastDone = max(lastDone, ph.complete[i])
		allGot[i] = time.Duration(ph.complete[i] - ph.sentAt[i])
	}
	wall := time.Duration(lastDone - first)
	r.set("measured_s", round(wall.Seconds(), 4))
	r.set("msgs_per_s", round(float64(got)/wall.Seconds(), 4))
	latencies(r, "latency", lat)
	if gotByNode != nil {
		latencies(r, "latency_first_node", latFirst)
		latencies(r, "latency_other_nodes", latOthers)
	}
	latencies(r, "all_received", allGot)
	cpu.report(r, "delivery", got)
}

package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosio/sio/internal/testkit"
)

// unexpected collects the disconnects nobody asked for, seen by a client
// or by the server.
type unexpected struct {
	mu   sync.Mutex
	list []string
}

func (u *unexpected) add(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Println("soak: UNEXPECTED DISCONNECT:", msg)
	u.mu.Lock()
	u.list = append(u.list, msg)
	u.mu.Unlock()
}

func (u *unexpected) all() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.list...)
}

// A resident is a client that stays connected for the whole run, over one
// transport ("websocket", "polling" or "upgrade": polling, then upgraded),
// answering pings and, when busy, sending an event with an ack every 100
// ms whose acks must come back in order. It reports any end of its
// connection before ctx is done.
type resident struct {
	addr      string
	transport string
	busy      bool
	report    *unexpected
	start     time.Time

	mu     sync.Mutex
	client *testkit.Client // nil until connected
	acked  int             // acks received, in order
	ended  bool
}

func runResident(ctx context.Context, addr, transport string, busy bool, report *unexpected) *resident {
	r := &resident{addr: addr, transport: transport, busy: busy, report: report, start: time.Now()}
	go r.run(ctx)
	return r
}

func (r *resident) name() string {
	if r.busy {
		return r.transport + " (busy)"
	}
	return r.transport + " (idle)"
}

// pings returns how many pings the resident answered.
func (r *resident) pings() int {
	r.mu.Lock()
	c := r.client
	r.mu.Unlock()
	if c == nil {
		return 0
	}
	return c.Pings()
}

// lost reports the end of the connection, unless the run is over.
func (r *resident) lost(ctx context.Context, why string, args ...any) {
	r.mu.Lock()
	ended := r.ended
	r.ended = true
	r.mu.Unlock()
	if ended || ctx.Err() != nil {
		return
	}
	r.report.add("client %s resident after %v: %s", r.name(), time.Since(r.start).Round(time.Millisecond), fmt.Sprintf(why, args...))
}

func (r *resident) run(ctx context.Context) {
	opts := &testkit.Options{Transport: r.transport, Query: url.Values{"kind": {"resident"}}, Background: true}
	if r.transport == "upgrade" {
		opts.Transport = "polling"
	}
	dial, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := testkit.Dial(dial, "http://"+r.addr, opts)
	cancel()
	if err != nil {
		r.lost(ctx, "%v", err)
		return
	}
	defer c.Close()
	r.mu.Lock()
	r.client = c
	r.mu.Unlock()
	_ = c.Send("40") // a failed write shows on the read side
	if r.transport == "upgrade" {
		up, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := c.Upgrade(up)
		cancel()
		if err != nil {
			r.lost(ctx, "%v", err)
			return
		}
	}
	go r.read(ctx, c)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			r.mu.Lock()
			r.ended = true
			r.mu.Unlock()
			_ = c.Send("41")
			return
		case <-tick.C:
		}
		if r.busy {
			_ = c.Send(`42` + strconv.Itoa(i) + `["echo",` + strconv.Itoa(i) + `]`)
		}
	}
}

// read handles the packets from the server until the connection ends (the
// client answers the pings itself).
func (r *resident) read(ctx context.Context, c *testkit.Client) {
	for {
		f, err := c.Read(context.Background())
		if err != nil {
			r.lost(ctx, "%v", err)
			return
		}
		switch p := f.Data; {
		case p == "1":
			r.lost(ctx, "the server sent an Engine.IO close")
		case p == "41":
			r.lost(ctx, "the server disconnected the socket")
		case strings.HasPrefix(p, "43"):
			// 43<id>[<id>]: the acks come back in order.
			id, _, _ := strings.Cut(p[2:], "[")
			r.mu.Lock()
			if n := r.acked; id != strconv.Itoa(n) {
				r.mu.Unlock()
				r.lost(ctx, "ack %s after %d acks", id, n)
				return
			}
			r.acked++
			r.mu.Unlock()
		}
	}
}

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// The scaling scenario is fanout with one broadcast at a time against -n
// connections in all (the publisher one of them), opened as fast as
// -concurrency allows, with the idle figures of each count first:
//
//   - open_s, handshakes_per_s, handshake p50/p99 and server CPU per
//     handshake over the opening of all n;
//   - server RSS -settle after the start (before the first socket), and
//     -hold after the last socket opened: rss_per_conn_kb = (after -
//     before) / n;
//   - then -warmup and -m broadcasts, each sent once the previous one
//     reached every socket: all_received_* is the time from a send to its
//     last delivery (median over the m), latency_* over every delivery,
//     server CPU per delivery, drops and duplicates, as in fanout.
//
// A source address has at most as many ephemeral ports as
// /proc/sys/net/ipv4/ip_local_port_range holds for each destination, and
// connect() gets slow well before they run out: Linux searches the ports of
// one parity first (half of the range, the other half being preferred by
// bind), so past about half the range every connect walks over thousands of
// ports in use (19,000 connections from one address took 10-13 s to open
// here, 5.5-6 s from four). So at most a quarter of the range goes to one
// source address, and more connections are spread over several loopback
// source addresses (127.0.1.1, 127.0.1.2, ...; the whole 127/8 is local on
// Linux), each bound with IP_BIND_ADDRESS_NO_PORT so that the port is
// chosen at connect time per destination, as for an unbound socket. Not
// 127.0.0.1, which the other scenarios dial from: the tens of thousands of
// sockets that this one leaves in TIME_WAIT (the load generator closes
// first) stay out of their way.

// ipBindAddressNoPort is IP_BIND_ADDRESS_NO_PORT (linux/in.h).
const ipBindAddressNoPort = 24

// ephemeralPorts returns the size of the ephemeral port range, or 0.
func ephemeralPorts() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || hi < lo {
		return 0
	}
	return hi - lo + 1
}

// sourceDialers returns the websocket dialers for n connections, at most
// perAddr from each source address (0: a quarter of the ephemeral port range),
// and the dialer of connection i.
func sourceDialers(n, perAddr int) ([]*websocket.Dialer, func(i int) *websocket.Dialer, error) {
	if perAddr <= 0 {
		perAddr = ephemeralPorts() / 4
		if perAddr <= 0 {
			perAddr = 5000
		}
	}
	k := (n + perAddr - 1) / perAddr
	if k > 250 {
		return nil, nil, fmt.Errorf("%d connections need %d source addresses (at most 250)", n, k)
	}
	ds := make([]*websocket.Dialer, k)
	for j := range ds {
		nd := &net.Dialer{
			LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+j))},
			Control: func(_, _ string, rc syscall.RawConn) error {
				var serr error
				if err := rc.Control(func(fd uintptr) {
					serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
				}); err != nil {
					return err
				}
				return serr
			},
		}
		ds[j] = &websocket.Dialer{
			HandshakeTimeout: wsDialer.HandshakeTimeout,
			// Small buffers: the load generator holds as many sockets as the
			// server, and the messages are ~120 bytes.
			ReadBufferSize:  1024,
			WriteBufferSize: 1024,
			NetDialContext:  nd.DialContext,
		}
	}
	return ds, func(i int) *websocket.Dialer { return ds[i/perAddr] }, nil
}

// raiseNofile raises the soft limit on open files to the hard one and
// checks that n sockets (plus a margin) fit.
func raiseNofile(n int) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	if need := uint64(n) + 64; rl.Cur < need {
		return fmt.Errorf("%d connections need %d open files; the limit is %d (hard %d)", n, need, rl.Cur, rl.Max)
	}
	return nil
}

// scalingIdle is the scaling scenario's part between opening the sockets
// and the broadcasts: the opening's figures, then RSS after c.hold.
func scalingIdle(ctx context.Context, c config, r *result, o *opened, cpu *cpuWindow, rss0 int64) {
	el := o.end.Sub(o.start).Seconds()
	r.set("open_s", round(el, 4))
	if el > 0 {
		r.set("handshakes_per_s", round(float64(o.ok)/el, 4))
	}
	if cpu.server >= 0 && o.ok > 0 {
		r.set("server_cpu_us_per_handshake", round(cpu.server.Seconds()*1e6/float64(o.ok), 4))
	}
	latencies(r, "handshake", o.handshakes)
	select {
	case <-time.After(c.hold):
	case <-ctx.Done():
	}
	rss1 := procStatusKB(c.pid, "VmRSS")
	r.set("rss_before_kb", rss0)
	r.set("rss_idle_kb", rss1)
	if o.ok > 0 && rss0 > 0 && rss1 > 0 {
		r.set("rss_per_conn_kb", round(float64(rss1-rss0)/float64(o.ok), 4))
	}
	logf("scaling: %d open in %.2fs (%.0f/s); RSS %d -> %d kB", o.ok, el, float64(o.ok)/el, rss0, rss1)
}

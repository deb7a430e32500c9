// Command loadgen drives a Socket.IO server that implements the bench
// contract (see bench/README.md) and prints one JSON line of results per
// run on stdout; progress goes to stderr.
//
// It speaks Engine.IO v4 / Socket.IO v5 by hand, over websocket (gorilla's
// client) and over HTTP long-polling (a minimal HTTP/1.1 client of its own,
// httpconn.go: two kept-alive connections per client), and does not use the
// library under test, so every server is measured by the same client.
//
// Scenarios (-scenario):
//
//	idle     open -n websocket sockets at -rate per second, hold them -hold;
//	         server RSS per socket from /proc/PID/status (VmRSS after - before)
//	connect  open -n websocket sockets, -concurrency handshakes in flight;
//	         handshakes/s and handshake latency (dial -> "40" received)
//	fanout   -n subscribers + 1 publisher; the publisher sends -m "broadcast"
//	         events (after -warmup unmeasured ones) with at most -window not
//	         yet delivered to everyone (0 = all at once); every receiver,
//	         the publisher included, must get each exactly once
//	cluster-fanout  the same against the servers of a cluster (-addrs A,B,...:
//	         subscriber i on address i mod len, the publisher on the first);
//	         every broadcast enters at the first server, which must relay it
//	         to the others (Redis or Postgres adapter); CPU is the sum over
//	         -pid A,B,...; Redis's (-redis-pid) and Postgres's (-db-pid, its
//	         whole process tree) apart
//	scaling  -n connections in all (the publisher one of them), opened as
//	         fast as -concurrency allows from as many loopback source
//	         addresses as the ports need; RSS per connection after -hold;
//	         then -warmup and -m broadcasts one at a time (fanout, window 1):
//	         time to the last delivery, latency, CPU per delivery
//	echo     -k websocket clients x -r sequential "echo" emits with an ack
//	polling-echo  the same over HTTP long-polling (clients never upgrade)
//
// With -msgpack, the websocket scenarios send and expect Socket.IO packets
// in socket.io-msgpack-parser's format (binary frames), for a server with
// that parser; the packets are checked as they are with JSON.
//
// The target must be a loopback address. Every loop is bounded by a count
// and by -timeout; a run with no progress for -stall gives up.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

type config struct {
	addr, scenario, label, caseName string
	addrs                           []string // cluster-fanout; else [addr]
	pid, repeat                     int      // pid: the first of pids
	pids                            []int    // server processes (a cluster's nodes)
	redisPID                        int
	dbPID                           int // a database server's main process (its children counted too)
	n, m, k, r, size                int
	window, warmup                  int
	offsets                         bool // fanout: every msg carries a recovery offset
	scaling                         bool // fanout with the idle figures first (scaling.go)
	srcPerAddr                      int  // scaling: connections per source address (0: derived)
	rate, concurrency               int
	hold, settle, timeout, stall    time.Duration
}

// epoch is the monotonic origin of the timestamps carried in payloads.
var epoch = time.Now()

func since() int64 { return int64(time.Since(epoch)) }

func main() {
	var c config
	flag.StringVar(&c.addr, "addr", "127.0.0.1:3000", "server address (loopback only)")
	addrsFlag := flag.String("addrs", "", "cluster-fanout: the servers' addresses, comma-separated (loopback only); the publisher connects to the first")
	flag.StringVar(&c.scenario, "scenario", "", "idle | connect | fanout | cluster-fanout | scaling | echo | polling-echo")
	flag.StringVar(&c.label, "server", "", "server name, copied into the output")
	flag.StringVar(&c.caseName, "case", "", "case name, copied into the output (default: the scenario)")
	flag.Func("pid", "server process ID, for RSS and CPU from /proc; cluster-fanout: the nodes' IDs, comma-separated (CPU and RSS are summed)", func(v string) error {
		c.pids = nil
		for _, f := range strings.Split(v, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || id < 0 {
				return fmt.Errorf("bad process ID %q", f)
			}
			c.pids = append(c.pids, id)
		}
		return nil
	})
	flag.IntVar(&c.redisPID, "redis-pid", 0, "cluster-fanout: the redis-server's process ID, for its CPU (reported apart)")
	flag.IntVar(&c.dbPID, "db-pid", 0, "cluster-fanout: a database server's main process ID (PostgreSQL's postmaster), for the CPU of it and every process below it, reported apart as db_cpu_cores")
	flag.IntVar(&c.repeat, "repeat", 0, "repeat number, copied into the output")
	flag.IntVar(&c.n, "n", 0, "idle/connect: sockets (5000/2000); fanout: subscribers (1000)")
	flag.IntVar(&c.m, "m", 200, "fanout: measured broadcasts")
	flag.IntVar(&c.k, "k", 50, "echo, polling-echo: clients")
	flag.IntVar(&c.r, "r", 0, "echo, polling-echo: measured round trips per client (2000/500)")
	flag.IntVar(&c.size, "size", 100, "fanout, echo: payload string length in bytes")
	flag.IntVar(&c.window, "window", 10, "fanout: broadcasts not yet delivered to everyone, at most (0 = no limit)")
	flag.IntVar(&c.warmup, "warmup", -1, "fanout: warm-up broadcasts (20); echo: warm-up round trips per client (100, polling 20)")
	flag.BoolVar(&c.offsets, "offsets", false, "fanout, cluster-fanout: the server has connection-state recovery on, so every msg must carry an offset as its last argument (and none may without it)")
	flag.BoolVar(&wireMsgpack, "msgpack", false, "websocket scenarios: speak socket.io-msgpack-parser's format (the server must too: PARSER=msgpack)")
	flag.IntVar(&c.srcPerAddr, "src-per-addr", 0, "scaling: connections per loopback source address (0: a quarter of the ephemeral port range)")
	flag.IntVar(&c.rate, "rate", 0, "sockets opened per second, at most (0 = no limit)")
	flag.IntVar(&c.concurrency, "concurrency", 100, "handshakes in flight, at most")
	flag.DurationVar(&c.hold, "hold", 5*time.Second, "idle: how long the sockets are held once open")
	flag.DurationVar(&c.settle, "settle", time.Second, "idle: wait before the baseline RSS sample")
	flag.DurationVar(&c.timeout, "timeout", 120*time.Second, "hard limit for the run")
	flag.DurationVar(&c.stall, "stall", 15*time.Second, "give up after this long without progress")
	cpuProfile := flag.String("cpuprofile", "", "write the load generator's own CPU profile (the whole run) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(2)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}

	c.addrs = []string{c.addr}
	if *addrsFlag != "" {
		if c.scenario != "cluster-fanout" {
			fmt.Fprintln(os.Stderr, "loadgen: -addrs is for -scenario cluster-fanout (the others take -addr)")
			os.Exit(2)
		}
		c.addrs = strings.Split(*addrsFlag, ",")
	}
	if c.scenario == "cluster-fanout" && len(c.addrs) < 2 {
		fmt.Fprintln(os.Stderr, "loadgen: cluster-fanout needs -addrs with two addresses or more")
		os.Exit(2)
	}
	for _, a := range c.addrs {
		if err := checkLoopback(a); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(2)
		}
	}
	c.addr = c.addrs[0]
	if len(c.pids) > 0 {
		c.pid = c.pids[0]
	}
	if len(c.pids) > 1 && c.scenario != "cluster-fanout" {
		fmt.Fprintln(os.Stderr, "loadgen: several -pid values are for -scenario cluster-fanout")
		os.Exit(2)
	}
	if wireMsgpack && c.scenario == "polling-echo" {
		fmt.Fprintln(os.Stderr, "loadgen: -msgpack is for the websocket scenarios (not polling-echo)")
		os.Exit(2)
	}
	if c.caseName == "" {
		c.caseName = c.scenario
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()

	res := &result{m: map[string]any{
		"server": c.label, "case": c.caseName, "scenario": c.scenario,
		"time": time.Now().UTC().Format(time.RFC3339), "repeat": c.repeat,
	}}
	if wireMsgpack {
		res.set("parser", "msgpack")
	}
	switch c.scenario {
	case "idle":
		orDefault(&c.n, 5000)
		runIdle(ctx, c, res)
	case "connect":
		orDefault(&c.n, 2000)
		runConnect(ctx, c, res)
	case "fanout", "cluster-fanout":
		orDefault(&c.n, 1000)
		orDefault(&c.warmup, 20)
		runFanout(ctx, c, res)
	case "scaling":
		orDefault(&c.n, 1000)
		orDefault(&c.warmup, 1)
		if c.n < 2 {
			fmt.Fprintln(os.Stderr, "loadgen: scaling needs -n 2 or more (the publisher is one of the connections)")
			os.Exit(2)
		}
		c.n-- // subscribers; the publisher is the n-th connection
		c.window = 1
		c.scaling = true
		runFanout(ctx, c, res)
	case "echo":
		orDefault(&c.r, 2000)
		orDefault(&c.warmup, 100)
		runEcho(ctx, c, res)
	case "polling-echo":
		orDefault(&c.r, 500)
		orDefault(&c.warmup, 20)
		runPollingEcho(ctx, c, res)
	default:
		fmt.Fprintln(os.Stderr, "loadgen: -scenario must be idle, connect, fanout, cluster-fanout, scaling, echo or polling-echo")
		os.Exit(2)
	}
	if c.pid > 0 { // summed over a cluster's nodes
		res.set("server_rss_kb_end", sumStatusKB(c.pids, "VmRSS"))
		res.set("server_hwm_kb", sumStatusKB(c.pids, "VmHWM"))
	}
	if ctx.Err() != nil {
		res.fail("timeout after %s", c.timeout)
	}
	ok := len(res.errs) == 0
	res.set("ok", ok)
	if !ok {
		res.set("errors", res.errs)
	}
	out, _ := json.Marshal(res.m)
	fmt.Println(string(out))
	if !ok {
		pprof.StopCPUProfile() // os.Exit skips the deferred stop
		os.Exit(1)
	}
}

func orDefault(v *int, d int) {
	if *v <= 0 {
		*v = d
	}
}

// result collects one run's measurements; any error makes the run fail.
type result struct {
	m    map[string]any
	errs []string
}

func (r *result) set(k string, v any) { r.m[k] = v }

func (r *result) fail(format string, a ...any) {
	if len(r.errs) < 20 {
		r.errs = append(r.errs, fmt.Sprintf(format, a...))
	}
	logf("FAIL: "+format, a...)
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing %q: only loopback targets (127.0.0.0/8, ::1, localhost)", addr)
	}
	return nil
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "loadgen %7.3fs "+format+"\n", append([]any{time.Since(epoch).Seconds()}, a...)...)
}

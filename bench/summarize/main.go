// Command summarize renders the JSON lines that bench/run.sh collects
// (one per loadgen run) as markdown: medians over repeats with ratios to a
// reference server, the run-to-run spread, and the targets of the bench
// suite against that reference.
//
//	summarize [-ref node] [-order sio,node,zishang] raw.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

type run map[string]any

func (r run) str(k string) string { s, _ := r[k].(string); return s }

func (r run) num(k string) (float64, bool) {
	v, ok := r[k].(float64)
	return v, ok
}

type metric struct {
	cs, key, label string
	agg            string // "median" (default), "sum", "min" or "max": over runs
}

// metrics lists the rows of the table, in order.
var metrics = []metric{
	{cs: "idle", key: "rss_per_socket_kb", label: "idle: server RSS per socket (KiB, lower is better)"},
	{cs: "idle", key: "rss_after_kb", label: "idle: server RSS with 5000 sockets (KiB)"},
	{cs: "idle", key: "alive_at_end", label: "idle: sockets alive at the end (worst run)", agg: "min"},
	{cs: "connect", key: "handshakes_per_s", label: "connect: handshakes/s"},
	{cs: "connect", key: "handshake_p50_ms", label: "connect: handshake p50 (ms)"},
	{cs: "connect", key: "handshake_p99_ms", label: "connect: handshake p99 (ms)"},
	{cs: "connect", key: "server_cpu_us_per_handshake", label: "connect: server CPU per handshake (µs)"},
	{cs: "fanout_w10", key: "msgs_per_s", label: "fan-out w10: delivered msgs/s"},
	{cs: "fanout_w10", key: "latency_p50_ms", label: "fan-out w10: latency p50 (ms)"},
	{cs: "fanout_w10", key: "latency_p99_ms", label: "fan-out w10: latency p99 (ms)"},
	{cs: "fanout_w10", key: "server_cpu_us_per_delivery", label: "fan-out w10: server CPU per delivery (µs)"},
	{cs: "fanout_w10", key: "server_hwm_kb", label: "fan-out w10: server peak RSS (KiB)"},
	{cs: "fanout_w10_csr", key: "msgs_per_s", label: "fan-out w10, recovery on: delivered msgs/s"},
	{cs: "fanout_w10_csr", key: "latency_p50_ms", label: "fan-out w10, recovery on: latency p50 (ms)"},
	{cs: "fanout_w10_csr", key: "latency_p99_ms", label: "fan-out w10, recovery on: latency p99 (ms)"},
	{cs: "fanout_w10_csr", key: "server_cpu_us_per_delivery", label: "fan-out w10, recovery on: server CPU per delivery (µs)"},
	{cs: "fanout_w10_csr", key: "server_hwm_kb", label: "fan-out w10, recovery on: server peak RSS (KiB)"},
	{cs: "fanout_w10_metrics", key: "msgs_per_s", label: "fan-out w10, metrics on: delivered msgs/s"},
	{cs: "fanout_w10_metrics", key: "latency_p99_ms", label: "fan-out w10, metrics on: latency p99 (ms)"},
	{cs: "fanout_w10_metrics", key: "server_cpu_us_per_delivery", label: "fan-out w10, metrics on: server CPU per delivery (µs)"},
	{cs: "fanout_w10_msgpack", key: "msgs_per_s", label: "fan-out w10, msgpack: delivered msgs/s"},
	{cs: "fanout_w10_msgpack", key: "latency_p50_ms", label: "fan-out w10, msgpack: latency p50 (ms)"},
	{cs: "fanout_w10_msgpack", key: "latency_p99_ms", label: "fan-out w10, msgpack: latency p99 (ms)"},
	{cs: "fanout_w10_msgpack", key: "server_cpu_us_per_delivery", label: "fan-out w10, msgpack: server CPU per delivery (µs)"},
	{cs: "fanout_w10_msgpack", key: "server_hwm_kb", label: "fan-out w10, msgpack: server peak RSS (KiB)"},
	{cs: "fanout_burst", key: "msgs_per_s", label: "fan-out burst: delivered msgs/s"},
	{cs: "fanout_burst", key: "latency_p50_ms", label: "fan-out burst: latency p50 (ms)"},
	{cs: "fanout_burst", key: "latency_p99_ms", label: "fan-out burst: latency p99 (ms)"},
	{cs: "fanout_burst", key: "server_cpu_us_per_delivery", label: "fan-out burst: server CPU per delivery (µs)"},
	{cs: "fanout_burst", key: "server_hwm_kb", label: "fan-out burst: server peak RSS (KiB)"},
	{cs: "fanout_w1", key: "msgs_per_s", label: "fan-out w1: delivered msgs/s"},
	{cs: "fanout_w1", key: "latency_p50_ms", label: "fan-out w1: latency p50 (ms)"},
	{cs: "fanout_w1", key: "latency_p99_ms", label: "fan-out w1: latency p99 (ms)"},
	{cs: "fanout_w1", key: "server_cpu_us_per_delivery", label: "fan-out w1: server CPU per delivery (µs)"},
	{cs: "echo", key: "round_trips_per_s", label: "echo: round trips/s"},
	{cs: "echo", key: "rtt_p50_ms", label: "echo: round trip p50 (ms)"},
	{cs: "echo", key: "rtt_p99_ms", label: "echo: round trip p99 (ms)"},
	{cs: "echo", key: "server_cpu_us_per_round_trip", label: "echo: server CPU per round trip (µs)"},
	{cs: "echo_metrics", key: "round_trips_per_s", label: "echo, metrics on: round trips/s"},
	{cs: "echo_metrics", key: "rtt_p99_ms", label: "echo, metrics on: round trip p99 (ms)"},
	{cs: "echo_metrics", key: "server_cpu_us_per_round_trip", label: "echo, metrics on: server CPU per round trip (µs)"},
	{cs: "echo_msgpack", key: "round_trips_per_s", label: "echo, msgpack: round trips/s"},
	{cs: "echo_msgpack", key: "rtt_p50_ms", label: "echo, msgpack: round trip p50 (ms)"},
	{cs: "echo_msgpack", key: "rtt_p99_ms", label: "echo, msgpack: round trip p99 (ms)"},
	{cs: "echo_msgpack", key: "server_cpu_us_per_round_trip", label: "echo, msgpack: server CPU per round trip (µs)"},
	{cs: "polling_echo", key: "round_trips_per_s", label: "polling echo: round trips/s"},
	{cs: "polling_echo", key: "rtt_p50_ms", label: "polling echo: round trip p50 (ms)"},
	{cs: "polling_echo", key: "rtt_p99_ms", label: "polling echo: round trip p99 (ms)"},
	{cs: "polling_echo", key: "server_cpu_us_per_round_trip", label: "polling echo: server CPU per round trip (µs)"},
	{cs: "cluster", key: "msgs_per_s", label: "cluster: delivered msgs/s"},
	{cs: "cluster", key: "latency_p50_ms", label: "cluster: latency p50 (ms)"},
	{cs: "cluster", key: "latency_p99_ms", label: "cluster: latency p99 (ms)"},
	{cs: "cluster", key: "latency_first_node_p50_ms", label: "cluster: latency p50 at node A, the publisher's (ms)"},
	{cs: "cluster", key: "latency_other_nodes_p50_ms", label: "cluster: latency p50 at node B, through Redis (ms)"},
	{cs: "cluster", key: "latency_other_nodes_p99_ms", label: "cluster: latency p99 at node B, through Redis (ms)"},
	{cs: "cluster", key: "server_cpu_us_per_delivery", label: "cluster: server CPU per delivery (µs, both nodes)"},
	{cs: "cluster", key: "server_cpu_cores", label: "cluster: server CPU (cores, both nodes)"},
	{cs: "cluster", key: "redis_cpu_cores", label: "cluster: redis-server CPU (cores)"},
	{cs: "cluster", key: "loadgen_cpu_cores", label: "cluster: load generator CPU (cores)"},
	{cs: "cluster", key: "server_hwm_kb", label: "cluster: server peak RSS (KiB, both nodes)"},
	{cs: "cluster_streams", key: "msgs_per_s", label: "cluster, streams: delivered msgs/s"},
	{cs: "cluster_streams", key: "latency_p50_ms", label: "cluster, streams: latency p50 (ms)"},
	{cs: "cluster_streams", key: "latency_p99_ms", label: "cluster, streams: latency p99 (ms)"},
	{cs: "cluster_streams", key: "latency_first_node_p50_ms", label: "cluster, streams: latency p50 at node A, the publisher's (ms)"},
	{cs: "cluster_streams", key: "latency_other_nodes_p50_ms", label: "cluster, streams: latency p50 at node B, through Redis (ms)"},
	{cs: "cluster_streams", key: "latency_other_nodes_p99_ms", label: "cluster, streams: latency p99 at node B, through Redis (ms)"},
	{cs: "cluster_streams", key: "server_cpu_us_per_delivery", label: "cluster, streams: server CPU per delivery (µs, both nodes)"},
	{cs: "cluster_streams", key: "server_cpu_cores", label: "cluster, streams: server CPU (cores, both nodes)"},
	{cs: "cluster_streams", key: "redis_cpu_cores", label: "cluster, streams: redis-server CPU (cores)"},
	{cs: "cluster_streams", key: "loadgen_cpu_cores", label: "cluster, streams: load generator CPU (cores)"},
	{cs: "cluster_streams", key: "server_hwm_kb", label: "cluster, streams: server peak RSS (KiB, both nodes)"},
	{cs: "cluster_pg", key: "msgs_per_s", label: "cluster, postgres: delivered msgs/s"},
	{cs: "cluster_pg", key: "latency_p50_ms", label: "cluster, postgres: latency p50 (ms)"},
	{cs: "cluster_pg", key: "latency_p99_ms", label: "cluster, postgres: latency p99 (ms)"},
	{cs: "cluster_pg", key: "latency_first_node_p50_ms", label: "cluster, postgres: latency p50 at node A, the publisher's (ms)"},
	{cs: "cluster_pg", key: "latency_other_nodes_p50_ms", label: "cluster, postgres: latency p50 at node B, through Postgres (ms)"},
	{cs: "cluster_pg", key: "latency_other_nodes_p99_ms", label: "cluster, postgres: latency p99 at node B, through Postgres (ms)"},
	{cs: "cluster_pg", key: "server_cpu_us_per_delivery", label: "cluster, postgres: server CPU per delivery (µs, both nodes)"},
	{cs: "cluster_pg", key: "server_cpu_cores", label: "cluster, postgres: server CPU (cores, both nodes)"},
	{cs: "cluster_pg", key: "db_cpu_cores", label: "cluster, postgres: PostgreSQL CPU (cores, all its processes)"},
	{cs: "cluster_pg", key: "loadgen_cpu_cores", label: "cluster, postgres: load generator CPU (cores)"},
	{cs: "cluster_pg", key: "server_hwm_kb", label: "cluster, postgres: server peak RSS (KiB, both nodes)"},
	{cs: "", key: "other_cpu_cores", label: "CPU used by other processes while measuring (cores, worst run)", agg: "max"},
	{cs: "", key: "dropped", label: "fan-out: dropped deliveries (all runs)", agg: "sum"},
	{cs: "", key: "duplicates", label: "fan-out: duplicate deliveries (all runs)", agg: "sum"},
}

// spreadKeys are the rows repeated in the spread table.
var spreadKeys = map[string]bool{"rss_per_socket_kb": true, "handshakes_per_s": true, "msgs_per_s": true,
	"round_trips_per_s": true, "server_cpu_us_per_delivery": true, "server_cpu_us_per_round_trip": true, "latency_p99_ms": true}

type target struct {
	cs, key string
	op      string // ">=" or "<="
	ratio   float64
	text    string
	// base, if set, is the case the subject is compared with (the same
	// server in another case) instead of the reference server.
	base string
	// refBase, if set, is the case whose ratio to the reference server
	// the ratio in cs is compared with: the row shows (subject / ref in
	// cs) / (subject / ref in refBase) against t.ratio.
	refBase string
}

var targets = []target{
	{"fanout_w10", "msgs_per_s", ">=", 5, "fan-out w10 msgs/s >= 5x Node", "", ""},
	{"fanout_burst", "msgs_per_s", ">=", 10, "fan-out burst msgs/s >= 10x Node", "", ""},
	{"echo", "round_trips_per_s", ">=", 2, "echo round trips/s >= 2x Node", "", ""},
	{"connect", "handshakes_per_s", ">=", 3, "connect handshakes/s >= 3x Node", "", ""},
	{"idle", "rss_per_socket_kb", "<=", 0.5, "idle RSS per socket <= 0.5x Node", "", ""},
	{"polling_echo", "round_trips_per_s", ">=", 2, "long-polling echo round trips/s >= 2x Node", "", ""},
	{"cluster", "msgs_per_s", ">=", 3, "cluster fan-out msgs/s >= 3x the Node pair", "", ""},
	{"cluster_streams", "msgs_per_s", ">=", 3, "cluster fan-out on Redis Streams msgs/s >= 3x the Node pair", "", ""},
	{"fanout_w10_csr", "server_cpu_us_per_delivery", "<=", 1.1,
		"fan-out w10 server CPU per delivery, recovery on <= 1.1x recovery off (same server)", "fanout_w10", ""},
	{"fanout_w10_metrics", "server_cpu_us_per_delivery", "<=", 1.03,
		"fan-out w10 server CPU per delivery, metrics on <= 1.03x metrics off (same server)", "fanout_w10", ""},
	{"echo_metrics", "server_cpu_us_per_round_trip", "<=", 1.03,
		"echo server CPU per round trip, metrics on <= 1.03x metrics off (same server)", "echo", ""},
	{"fanout_w10_msgpack", "msgs_per_s", ">=", 1,
		"fan-out w10 msgs/s with msgpack, ratio to Node >= the JSON case's ratio", "", "fanout_w10"},
	{"echo_msgpack", "round_trips_per_s", ">=", 1,
		"echo round trips/s with msgpack, ratio to Node >= the JSON case's ratio", "", "echo"},
}

// costs are rows of the same server in two cases: the second case's
// median over the first's.
var costs = []struct {
	cs, base, key, text string
}{
	{"fanout_w10_csr", "fanout_w10", "server_cpu_us_per_delivery", "fan-out w10: server CPU per delivery, recovery on / off"},
	{"fanout_w10_csr", "fanout_w10", "msgs_per_s", "fan-out w10: delivered msgs/s, recovery on / off"},
	{"fanout_w10_metrics", "fanout_w10", "server_cpu_us_per_delivery", "fan-out w10: server CPU per delivery, metrics on / off"},
	{"echo_metrics", "echo", "server_cpu_us_per_round_trip", "echo: server CPU per round trip, metrics on / off"},
	{"fanout_w10_msgpack", "fanout_w10", "server_cpu_us_per_delivery", "fan-out w10: server CPU per delivery, msgpack / json"},
	{"fanout_w10_msgpack", "fanout_w10", "msgs_per_s", "fan-out w10: delivered msgs/s, msgpack / json"},
	{"echo_msgpack", "echo", "server_cpu_us_per_round_trip", "echo: server CPU per round trip, msgpack / json"},
	{"echo_msgpack", "echo", "round_trips_per_s", "echo: round trips/s, msgpack / json"},
	{"cluster_streams", "cluster", "server_cpu_us_per_delivery", "cluster: server CPU per delivery, streams / pub/sub"},
	{"cluster_streams", "cluster", "msgs_per_s", "cluster: delivered msgs/s, streams / pub/sub"},
	{"cluster_pg", "cluster", "server_cpu_us_per_delivery", "cluster: server CPU per delivery, postgres / redis pub/sub"},
	{"cluster_pg", "cluster", "msgs_per_s", "cluster: delivered msgs/s, postgres / redis pub/sub"},
}

func main() {
	ref := flag.String("ref", "node", "reference server for the ratios and targets")
	order := flag.String("order", "", "comma-separated column order (default: order of appearance)")
	subject := flag.String("subject", "sio", "server whose targets are checked")
	svgPath := flag.String("svg", "", "scaling: write the plot (SVG) to this file")
	svgLink := flag.String("svg-link", "", "scaling: the plot's path as the markdown links it")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: summarize [-ref node] [-order a,b,c] raw.jsonl")
		os.Exit(2)
	}
	runs, err := load(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "summarize:", err)
		os.Exit(1)
	}
	var servers, cases []string
	if *order != "" {
		servers = strings.Split(*order, ",")
	}
	// The scaling case has a section of its own (scaling.go), after the rest.
	runs, scalingRuns := splitScaling(runs)
	if len(runs) == 0 && len(scalingRuns) > 0 {
		w := bufio.NewWriter(os.Stdout)
		writeScaling(w, scalingRuns, servers, *ref, *subject, *svgPath, *svgLink)
		w.Flush()
		return
	}
	if len(scalingRuns) > 0 {
		defer func() {
			w := bufio.NewWriter(os.Stdout)
			fmt.Fprintln(w)
			writeScaling(w, scalingRuns, servers, *ref, *subject, *svgPath, *svgLink)
			w.Flush()
		}()
	}
	for _, r := range runs {
		if s := r.str("server"); !slices.Contains(servers, s) {
			servers = append(servers, s)
		}
		if c := r.str("case"); !slices.Contains(cases, c) {
			cases = append(cases, c)
		}
	}
	by := map[[2]string][]run{}
	for _, r := range runs {
		k := [2]string{r.str("case"), r.str("server")}
		by[k] = append(by[k], r)
	}
	values := func(cs, srv, key string) []float64 {
		var vs []float64
		for _, r := range by[[2]string{cs, srv}] {
			if v, ok := r.num(key); ok {
				vs = append(vs, v)
			}
		}
		return vs
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()

	fmt.Fprintf(w, "Medians over repeats; in brackets the ratio to %s (value / %s's value).\n\n", *ref, *ref)
	fmt.Fprintf(w, "| metric | %s |\n|---|%s\n", strings.Join(servers, " | "), strings.Repeat("---|", len(servers)))
	for _, m := range metrics {
		if m.cs != "" && !slices.Contains(cases, m.cs) {
			continue
		}
		row := []string{m.label}
		refV, refOK := 0.0, false
		if m.agg == "" {
			if vs := values(m.cs, *ref, m.key); len(vs) > 0 {
				refV, refOK = median(vs), true
			}
		}
		any := false
		for _, s := range servers {
			var vs []float64
			if m.cs == "" {
				for _, c := range cases {
					vs = append(vs, values(c, s, m.key)...)
				}
			} else {
				vs = values(m.cs, s, m.key)
			}
			if len(vs) == 0 {
				row = append(row, "-")
				continue
			}
			any = true
			switch m.agg {
			case "sum":
				t := 0.0
				for _, v := range vs {
					t += v
				}
				row = append(row, fmtNum(t))
			case "min":
				row = append(row, fmtNum(slices.Min(vs)))
			case "max":
				row = append(row, fmtNum(slices.Max(vs)))
			default:
				v := median(vs)
				cell := fmtNum(v)
				if refOK && refV != 0 && s != *ref {
					cell += fmt.Sprintf(" (%.2fx)", v/refV)
				}
				row = append(row, cell)
			}
		}
		if any {
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
	}
	// Runs ok per case.
	row := []string{"runs ok (" + strings.Join(cases, ", ") + ")"}
	for _, s := range servers {
		var cells []string
		for _, c := range cases {
			ok := 0
			for _, r := range by[[2]string{c, s}] {
				if b, _ := r["ok"].(bool); b {
					ok++
				}
			}
			cells = append(cells, fmt.Sprintf("%d/%d", ok, len(by[[2]string{c, s}])))
		}
		row = append(row, strings.Join(cells, " "))
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))

	fmt.Fprintf(w, "\nRun-to-run spread (min .. max over repeats):\n\n")
	fmt.Fprintf(w, "| metric | %s |\n|---|%s\n", strings.Join(servers, " | "), strings.Repeat("---|", len(servers)))
	for _, m := range metrics {
		if m.agg != "" || !spreadKeys[m.key] || !slices.Contains(cases, m.cs) {
			continue
		}
		row := []string{m.label}
		for _, s := range servers {
			vs := values(m.cs, s, m.key)
			if len(vs) == 0 {
				row = append(row, "-")
				continue
			}
			row = append(row, fmtNum(slices.Min(vs))+" .. "+fmtNum(slices.Max(vs)))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}

	// The same server in two cases.
	var costRows []string
	for _, c := range costs {
		if !slices.Contains(cases, c.cs) || !slices.Contains(cases, c.base) {
			continue
		}
		row := []string{c.text}
		for _, s := range servers {
			a, b := values(c.cs, s, c.key), values(c.base, s, c.key)
			if len(a) == 0 || len(b) == 0 || median(b) == 0 {
				row = append(row, "-")
				continue
			}
			row = append(row, fmt.Sprintf("%.3fx", median(a)/median(b)))
		}
		costRows = append(costRows, "| "+strings.Join(row, " | ")+" |")
	}
	if len(costRows) > 0 {
		fmt.Fprintf(w, "\nThe same server in two cases (ratio of medians):\n\n| ratio | %s |\n|---|%s\n%s\n",
			strings.Join(servers, " | "), strings.Repeat("---|", len(servers)), strings.Join(costRows, "\n"))
	}

	// Failures, listed so that a failed run is never hidden by a median.
	var fails []string
	for _, r := range runs {
		if b, _ := r["ok"].(bool); !b {
			errs, _ := json.Marshal(r["errors"])
			fails = append(fails, fmt.Sprintf("- %s %s repeat %v: %s", r.str("server"), r.str("case"), r["repeat"], errs))
		}
	}
	if len(fails) > 0 {
		fmt.Fprintf(w, "\nFailed runs:\n\n%s\n", strings.Join(fails, "\n"))
	}

	if !slices.Contains(servers, *subject) || !slices.Contains(servers, *ref) {
		return
	}
	fmt.Fprintf(w, "\nTargets for %s against %s (medians):\n\n| target | ratio | holds |\n|---|---|---|\n", *subject, *ref)
	for _, t := range targets {
		if !slices.Contains(cases, t.cs) {
			continue // not run
		}
		a, b := values(t.cs, *subject, t.key), values(t.cs, *ref, t.key)
		if t.base != "" {
			if !slices.Contains(cases, t.base) {
				continue
			}
			b = values(t.base, *subject, t.key)
		}
		if len(a) == 0 || len(b) == 0 || median(b) == 0 {
			fmt.Fprintf(w, "| %s | - | not measured |\n", t.text)
			continue
		}
		rt := median(a) / median(b)
		if t.refBase != "" {
			if !slices.Contains(cases, t.refBase) {
				continue
			}
			a0, b0 := values(t.refBase, *subject, t.key), values(t.refBase, *ref, t.key)
			if len(a0) == 0 || len(b0) == 0 || median(b0) == 0 || median(a0) == 0 {
				fmt.Fprintf(w, "| %s | - | not measured |\n", t.text)
				continue
			}
			base := median(a0) / median(b0)
			holds := rt/base >= t.ratio
			if t.op == "<=" {
				holds = rt/base <= t.ratio
			}
			fmt.Fprintf(w, "| %s | %.3fx vs %.3fx | %s |\n", t.text, rt, base, yesNo(holds))
			continue
		}
		holds := rt >= t.ratio
		if t.op == "<=" {
			holds = rt <= t.ratio
		}
		fmt.Fprintf(w, "| %s | %.3fx | %s |\n", t.text, rt, yesNo(holds))
	}
	bad := 0.0
	for _, c := range cases {
		for _, k := range []string{"dropped", "duplicates"} {
			for _, v := range values(c, *subject, k) {
				bad += v
			}
		}
	}
	allOK := true
	for _, c := range cases {
		for _, r := range by[[2]string{c, *subject}] {
			if b, _ := r["ok"].(bool); !b {
				allOK = false
			}
		}
	}
	fmt.Fprintf(w, "| zero drops and duplicates, every run ok | %s drops+dups | %s |\n", fmtNum(bad), yesNo(bad == 0 && allOK))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

func load(path string) ([]run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var runs []run
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var r run
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		runs = append(runs, r)
	}
	return runs, sc.Err()
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// fmtNum prints 3 significant digits, or the integer part of larger values.
func fmtNum(v float64) string {
	if v == 0 || math.Abs(v) >= 1000 {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

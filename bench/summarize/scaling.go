package main

// The scaling case: one run per (repeat, connection count, server), its
// count in "connections". Rendered as a table per count, the scaling
// targets, a projection to 100k and 1M connections from the measured slope,
// and (with -svg) a plot of RSS per connection and broadcast completion
// time against the count.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

const scalingCase = "scaling"

// splitScaling separates the scaling runs from the others.
func splitScaling(all []run) (others, scaling []run) {
	for _, r := range all {
		if r.str("case") == scalingCase {
			scaling = append(scaling, r)
		} else {
			others = append(others, r)
		}
	}
	return others, scaling
}

func (r run) count() int {
	v, _ := r.num("connections")
	return int(v)
}

var scalingMetrics = []metric{
	{key: "opened", label: "connections opened (worst run)", agg: "min"},
	{key: "source_addrs", label: "loopback source addresses of the load generator", agg: "max"},
	{key: "open_s", label: "time to open all connections (s)"},
	{key: "handshakes_per_s", label: "handshakes/s while opening"},
	{key: "handshake_p50_ms", label: "handshake p50 (ms)"},
	{key: "handshake_p99_ms", label: "handshake p99 (ms)"},
	{key: "server_cpu_us_per_handshake", label: "server CPU per handshake (µs)"},
	{key: "rss_idle_kb", label: "server RSS, idle with all connections (KiB)"},
	{key: "rss_per_conn_kb", label: "server RSS per connection, idle (KiB, lower is better)"},
	{key: "all_received_p50_ms", label: "broadcast to all: time to the last delivery, median (ms)"},
	{key: "all_received_max_ms", label: "broadcast to all: time to the last delivery, worst (ms)"},
	{key: "latency_p50_ms", label: "broadcast to all: delivery latency p50 (ms)"},
	{key: "latency_p99_ms", label: "broadcast to all: delivery latency p99 (ms)"},
	{key: "server_cpu_us_per_delivery", label: "broadcast to all: server CPU per delivery (µs)"},
	{key: "delivered", label: "broadcast to all: deliveries counted (all runs)", agg: "sum"},
	{key: "dropped", label: "broadcast to all: dropped deliveries (all runs)", agg: "sum"},
	{key: "duplicates", label: "broadcast to all: duplicate deliveries (all runs)", agg: "sum"},
	{key: "loadgen_cpu_cores", label: "load generator CPU while broadcasting (cores)"},
	{key: "other_cpu_cores", label: "CPU used by other processes while broadcasting (cores, worst run)", agg: "max"},
}

// scalingData holds the runs by (count, server).
type scalingData struct {
	runs    []run
	counts  []int
	servers []string
	by      map[int]map[string][]run
}

func newScalingData(runs []run, order []string) *scalingData {
	d := &scalingData{runs: runs, servers: slices.Clone(order), by: map[int]map[string][]run{}}
	for _, r := range runs {
		n, s := r.count(), r.str("server")
		if n <= 0 {
			continue
		}
		if !slices.Contains(d.counts, n) {
			d.counts = append(d.counts, n)
		}
		if !slices.Contains(d.servers, s) {
			d.servers = append(d.servers, s)
		}
		if d.by[n] == nil {
			d.by[n] = map[string][]run{}
		}
		d.by[n][s] = append(d.by[n][s], r)
	}
	slices.Sort(d.counts)
	// Only the servers that took part.
	d.servers = slices.DeleteFunc(d.servers, func(s string) bool {
		for _, m := range d.by {
			if len(m[s]) > 0 {
				return false
			}
		}
		return true
	})
	return d
}

func (d *scalingData) values(n int, srv, key string) []float64 {
	var vs []float64
	for _, r := range d.by[n][srv] {
		if v, ok := r.num(key); ok {
			vs = append(vs, v)
		}
	}
	return vs
}

// med is the median of key at count n for srv, and whether there is one.
func (d *scalingData) med(n int, srv, key string) (float64, bool) {
	vs := d.values(n, srv, key)
	if len(vs) == 0 {
		return 0, false
	}
	return median(vs), true
}

// series is the (count, median) points of key for srv.
func (d *scalingData) series(srv, key string) (xs, ys []float64) {
	for _, n := range d.counts {
		if v, ok := d.med(n, srv, key); ok {
			xs = append(xs, float64(n))
			ys = append(ys, v)
		}
	}
	return xs, ys
}

func writeScaling(w *bufio.Writer, runs []run, order []string, ref, subject, svgPath, svgLink string) {
	d := newScalingData(runs, order)
	fmt.Fprintf(w, "### Scaling: the same server at %s connections\n\n", joinInts(d.counts))
	fmt.Fprintf(w, "Case `scaling`: a fresh server per (count, server); the connections opened as fast as 100 handshakes in\n")
	fmt.Fprintf(w, "flight allow, held idle, then broadcasts to all of them one at a time (the publisher is one of the connections).\n")
	fmt.Fprintf(w, "Medians over repeats; in brackets the ratio to %s (value / %s's value).\n", ref, ref)
	for _, n := range d.counts {
		fmt.Fprintf(w, "\n#### %d connections\n\n", n)
		fmt.Fprintf(w, "| metric | %s |\n|---|%s\n", strings.Join(d.servers, " | "), strings.Repeat("---|", len(d.servers)))
		for _, m := range scalingMetrics {
			row := []string{m.label}
			refV, refOK := 0.0, false
			if m.agg == "" {
				refV, refOK = d.med(n, ref, m.key)
			}
			any := false
			for _, s := range d.servers {
				vs := d.values(n, s, m.key)
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
					if refOK && refV != 0 && s != ref {
						cell += fmt.Sprintf(" (%.2fx)", v/refV)
					}
					row = append(row, cell)
				}
			}
			if any {
				fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
			}
		}
		row := []string{"runs ok"}
		for _, s := range d.servers {
			ok := 0
			for _, r := range d.by[n][s] {
				if b, _ := r["ok"].(bool); b {
					ok++
				}
			}
			row = append(row, fmt.Sprintf("%d/%d", ok, len(d.by[n][s])))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}

	var fails []string
	for _, r := range d.runs {
		if b, _ := r["ok"].(bool); !b {
			errs, _ := json.Marshal(r["errors"])
			fails = append(fails, fmt.Sprintf("- %s scaling %d connections, repeat %v: %s", r.str("server"), r.count(), r["repeat"], errs))
		}
	}
	if len(fails) > 0 {
		fmt.Fprintf(w, "\nFailed scaling runs:\n\n%s\n", strings.Join(fails, "\n"))
	}

	if svgPath != "" && len(d.counts) > 0 {
		if err := os.WriteFile(svgPath, []byte(scalingSVG(d)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "summarize:", err)
		} else if svgLink != "" {
			fmt.Fprintf(w, "\n![RSS per connection and broadcast completion time against the connection count](%s)\n", svgLink)
		}
	}

	writeScalingTargets(w, d, ref, subject)
	writeProjection(w, d)
}

// writeScalingTargets checks the scaling targets at the largest count
// that both the subject and the reference reached.
func writeScalingTargets(w *bufio.Writer, d *scalingData, ref, subject string) {
	if !slices.Contains(d.servers, subject) {
		return
	}
	largest := 0
	for _, n := range d.counts {
		if len(d.by[n][subject]) > 0 && len(d.by[n][ref]) > 0 {
			largest = n
		}
	}
	fmt.Fprintf(w, "\nScaling targets for %s against %s (medians; \"largest\" = %d connections):\n\n| target | result | holds |\n|---|---|---|\n", subject, ref, largest)
	notMeasured := func(text string) { fmt.Fprintf(w, "| %s | - | not measured |\n", text) }
	// RSS per connection <= 0.4x Node's at the largest count.
	text := "RSS per connection at the largest count <= 0.4x Node"
	a, okA := d.med(largest, subject, "rss_per_conn_kb")
	b, okB := d.med(largest, ref, "rss_per_conn_kb")
	if largest == 0 || !okA || !okB || b <= 0 {
		notMeasured(text)
	} else {
		fmt.Fprintf(w, "| %s | %.3fx (%s vs %s KiB) | %s |\n", text, a/b, fmtNum(a), fmtNum(b), yesNo(a/b <= 0.4))
	}
	// Broadcast completion >= 5x faster than Node.
	text = "broadcast to all at the largest count: time to the last delivery >= 5x shorter than Node's"
	a, okA = d.med(largest, subject, "all_received_p50_ms")
	b, okB = d.med(largest, ref, "all_received_p50_ms")
	if largest == 0 || !okA || !okB || a <= 0 {
		notMeasured(text)
	} else {
		fmt.Fprintf(w, "| %s | %.2fx faster (%s vs %s ms) | %s |\n", text, b/a, fmtNum(a), fmtNum(b), yesNo(b/a >= 5))
	}
	// Zero drops and duplicates, every run ok.
	bad, allOK, runs := 0.0, true, 0
	for _, r := range d.runs {
		if r.str("server") != subject {
			continue
		}
		runs++
		for _, k := range []string{"dropped", "duplicates"} {
			if v, ok := r.num(k); ok {
				bad += v
			}
		}
		if b, _ := r["ok"].(bool); !b {
			allOK = false
		}
	}
	fmt.Fprintf(w, "| zero drops and duplicates at every count, every run ok | %s drops+dups in %d runs | %s |\n", fmtNum(bad), runs, yesNo(runs > 0 && bad == 0 && allOK))
	// Per-connection costs flat within 10% from the smallest count to the largest.
	for _, k := range []struct{ key, text, unit string }{
		{"rss_per_conn_kb", "RSS per connection", "KiB"},
		{"server_cpu_us_per_delivery", "server CPU per delivery", "µs"},
	} {
		text := fmt.Sprintf("%s flat within 10%% from %d to %d connections (max / min over the counts <= 1.1)", k.text, firstInt(d.counts), largest)
		_, ys := d.series(subject, k.key)
		if len(ys) < 2 || slices.Min(ys) <= 0 {
			notMeasured(text)
			continue
		}
		lo, hi := slices.Min(ys), slices.Max(ys)
		var pts []string
		for _, n := range d.counts {
			if v, ok := d.med(n, subject, k.key); ok {
				pts = append(pts, fmtNum(v))
			}
		}
		fmt.Fprintf(w, "| %s | %.3fx (%s %s) | %s |\n", text, hi/lo, strings.Join(pts, ", "), k.unit, yesNo(hi/lo <= 1.1))
	}
}

// writeProjection extrapolates idle RSS and broadcast completion time
// linearly (least squares over the measured counts) to 100k and 1M.
func writeProjection(w *bufio.Writer, d *scalingData) {
	if len(d.counts) < 2 {
		return
	}
	fmt.Fprintf(w, "\n**Projection, not a measurement**: a straight line fitted (least squares) to the medians above, per server,\n")
	fmt.Fprintf(w, "extended to counts this machine cannot hold (its open-files limit). It assumes that the cost per connection stays\n")
	fmt.Fprintf(w, "what it was between %d and %d connections (no new limit: memory, ports, the load generator):\n\n", d.counts[0], d.counts[len(d.counts)-1])
	fmt.Fprintf(w, "| server | RSS slope (KiB per connection) | projected RSS at 100k | at 1M | completion slope (ms per 1000 connections) | projected time to the last delivery at 100k | at 1M |\n|---|---|---|---|---|---|---|\n")
	for _, s := range d.servers {
		rx, ry := d.series(s, "rss_idle_kb")
		cx, cy := d.series(s, "all_received_p50_ms")
		row := []string{s}
		if a, b, ok := linFit(rx, ry); ok {
			row = append(row, fmtNum(b), fmtMiB(a+b*1e5), fmtMiB(a+b*1e6))
		} else {
			row = append(row, "-", "-", "-")
		}
		if a, b, ok := linFit(cx, cy); ok {
			row = append(row, fmtNum(b*1000), fmtMs(a+b*1e5), fmtMs(a+b*1e6))
		} else {
			row = append(row, "-", "-", "-")
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}

// linFit returns intercept a and slope b of the least-squares line.
func linFit(xs, ys []float64) (a, b float64, ok bool) {
	n := float64(len(xs))
	if len(xs) < 2 || len(xs) != len(ys) {
		return 0, 0, false
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0, 0, false
	}
	b = (n*sxy - sx*sy) / den
	return (sy - b*sx) / n, b, true
}

func fmtMiB(kb float64) string {
	if kb >= 1024*1024 {
		return fmt.Sprintf("%.1f GiB", kb/1024/1024)
	}
	return fmt.Sprintf("%.0f MiB", kb/1024)
}

func fmtMs(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.2f s", ms/1000)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

func joinInts(ns []int) string {
	var s []string
	for _, n := range ns {
		s = append(s, fmt.Sprint(n))
	}
	return strings.Join(s, ", ")
}

func firstInt(ns []int) int {
	if len(ns) == 0 {
		return 0
	}
	return ns[0]
}

// scalingSVG draws two panels: RSS per connection and broadcast completion
// time (median) against the connection count, one line per server.
func scalingSVG(d *scalingData) string {
	const pw, ph, left, top, gap, bottom = 420.0, 260.0, 70.0, 50.0, 90.0, 60.0
	width, height := left+pw+gap+pw+30, top+ph+bottom+20
	colors := map[string]string{"sio": "#1f77b4", "node": "#ff7f0e", "zishang": "#2ca02c"}
	extra := []string{"#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}
	color := func(i int, s string) string {
		if c, ok := colors[s]; ok {
			return c
		}
		return extra[i%len(extra)]
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="15" text-anchor="middle">bench scaling case: the same server at %s connections (medians)</text>`+"\n", width/2, joinInts(d.counts))
	maxX := float64(d.counts[len(d.counts)-1])
	panels := []struct{ key, title string }{
		{"rss_per_conn_kb", "server RSS per idle connection (KiB)"},
		{"all_received_p50_ms", "broadcast to all: time to the last delivery (ms)"},
	}
	for pi, p := range panels {
		x0 := left + float64(pi)*(pw+gap)
		maxY := 0.0
		for _, s := range d.servers {
			_, ys := d.series(s, p.key)
			for _, y := range ys {
				maxY = max(maxY, y)
			}
		}
		maxY = niceCeil(maxY * 1.05)
		px := func(x float64) float64 { return x0 + x/maxX*pw }
		py := func(y float64) float64 { return top + ph - y/maxY*ph }
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13">%s</text>`+"\n", x0+pw/2, top-10, p.title)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#444"/>`+"\n", x0, top, pw, ph)
		for i := 0; i <= 4; i++ { // y grid
			y := maxY * float64(i) / 4
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, py(y), x0+pw, py(y))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-5, py(y)+4, fmtNum(y))
		}
		for _, n := range d.counts { // x ticks at the measured counts
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#444"/>`+"\n", px(float64(n)), top+ph, px(float64(n)), top+ph+5)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%d</text>`+"\n", px(float64(n)), top+ph+18, n)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">connections</text>`+"\n", x0+pw/2, top+ph+36)
		for si, s := range d.servers {
			xs, ys := d.series(s, p.key)
			if len(xs) == 0 {
				continue
			}
			var pts []string
			for i := range xs {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(xs[i]), py(ys[i])))
			}
			c := color(si, s)
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), c)
			for i := range xs {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s, %d connections: %s</title></circle>`+"\n", px(xs[i]), py(ys[i]), c, s, int(xs[i]), fmtNum(ys[i]))
			}
		}
	}
	// Legend.
	for si, s := range d.servers {
		x := left + float64(si)*110
		y := top + ph + bottom
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/>`+"\n", x, y, x+24, y, color(si, s))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", x+30, y+4, s)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to a round multiple of a power of ten (1, 1.2, 1.6,
// 2, 2.4, 3, 4, 5, 6, 8: a quarter of each is round too).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

package main

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLinFit(t *testing.T) {
	t.Parallel()
	a, b, ok := linFit([]float64{1000, 5000, 10000}, []float64{12000 + 6000, 12000 + 30000, 12000 + 60000})
	if !ok || math.Abs(a-12000) > 1e-6 || math.Abs(b-6) > 1e-9 {
		t.Fatalf("linFit = %v, %v, %v; want 12000, 6, true", a, b, ok)
	}
	if _, _, ok := linFit([]float64{1000}, []float64{1}); ok {
		t.Fatal("linFit of one point: ok")
	}
}

func TestWriteScaling(t *testing.T) {
	t.Parallel()
	mk := func(srv string, n int, rssPer, completion, cpu float64) run {
		return run{"server": srv, "case": "scaling", "connections": float64(n), "ok": true,
			"rss_per_conn_kb": rssPer, "rss_idle_kb": 12000 + rssPer*float64(n), "all_received_p50_ms": completion,
			"server_cpu_us_per_delivery": cpu, "dropped": 0.0, "duplicates": 0.0, "delivered": float64(5 * n)}
	}
	all := []run{
		{"server": "sio", "case": "echo", "ok": true, "round_trips_per_s": 100.0},
		mk("sio", 1000, 6, 5, 10), mk("node", 1000, 17, 30, 20),
		mk("sio", 19000, 6.2, 95, 10.5), mk("node", 19000, 17, 600, 21),
	}
	others, sc := splitScaling(all)
	if len(others) != 1 || len(sc) != 4 {
		t.Fatalf("splitScaling: %d others, %d scaling runs", len(others), len(sc))
	}
	svg := filepath.Join(t.TempDir(), "scaling.svg")
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	writeScaling(w, sc, []string{"sio", "node"}, "node", "sio", svg, "scaling.svg")
	w.Flush()
	s := out.String()
	for _, want := range []string{
		"#### 1000 connections", "#### 19000 connections", "![", "(scaling.svg)",
		"| RSS per connection at the largest count <= 0.4x Node | 0.365x (6.2 vs 17 KiB) | yes |",
		"| broadcast to all at the largest count: time to the last delivery >= 5x shorter than Node's | 6.32x faster (95 vs 600 ms) | yes |",
		"| zero drops and duplicates at every count, every run ok | 0 drops+dups in 2 runs | yes |",
		"RSS per connection flat within 10% from 1000 to 19000 connections (max / min over the counts <= 1.1) | 1.033x (6, 6.2 KiB) | yes |",
		"Projection, not a measurement",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
	if n := strings.Count(string(b), "<polyline"); n != 4 {
		t.Errorf("SVG has %d lines; want 4 (2 panels x 2 servers)", n)
	}
}

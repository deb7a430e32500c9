package main

import (
	"math"
	"slices"
	"time"
)

// percentile returns the p-th percentile (0..100, nearest rank) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// latencies reports p50, p99 and max of ds (which it sorts) as NAME_p50_ms...
func latencies(r *result, name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return round(float64(d)/1e6, 3) }
	r.set(name+"_p50_ms", ms(percentile(ds, 50)))
	r.set(name+"_p99_ms", ms(percentile(ds, 99)))
	r.set(name+"_max_ms", ms(ds[len(ds)-1]))
}

// round keeps sig significant digits.
func round(v float64, sig int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	e := math.Pow(10, float64(sig)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*e) / e
}

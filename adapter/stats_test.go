package adapter

import (
	"errors"
	"testing"
	"time"
)

func TestClusterCountersBuckets(t *testing.T) {
	var c ClusterCounters
	bounds := LatencyBounds()
	// One at each bound (in its bucket), one just over the first, one
	// over them all.
	for _, d := range bounds {
		c.Request(RequestFetchSockets, d, nil)
	}
	c.Request(RequestFetchSockets, bounds[0]+1, errors.New("timeout"))
	c.Request(RequestFetchSockets, time.Minute, nil)
	c.Request(RequestKind(-1), time.Second, nil) // ignored
	c.Batch(3, 1, 2*time.Millisecond)
	c.Dropped(2)

	st := c.Stats()
	r := st.Requests[RequestFetchSockets]
	if r.Latency.Count != NumLatencyBuckets+2 || r.Errors != 1 {
		t.Fatalf("count %d, errors %d", r.Latency.Count, r.Errors)
	}
	for i, n := range r.Latency.Buckets {
		want := uint64(i + 1) // cumulative: one per bound so far
		if i >= 1 {
			want++ // and the one just over the first bound
		}
		if n != want {
			t.Errorf("bucket %d (<= %v): %d, want %d", i, bounds[i], n, want)
		}
	}
	var sum time.Duration
	for _, d := range bounds {
		sum += d
	}
	sum += bounds[0] + 1 + time.Minute
	if r.Latency.Sum != sum {
		t.Errorf("sum %v, want %v", r.Latency.Sum, sum)
	}
	if st.Requests[RequestServerCount] != (RequestStats{}) {
		t.Errorf("server count: %+v", st.Requests[RequestServerCount])
	}
	if st.Published != 3 || st.PublishErrors != 3 || st.PublishLatency.Count != 1 || st.PublishLatency.Buckets[2] != 1 {
		t.Errorf("publish: %+v", st)
	}
	for k := range NumRequestKinds {
		if RequestKind(k).String() == "unknown" {
			t.Errorf("request kind %d has no name", k)
		}
	}
}

package adapter

import (
	"sync/atomic"
	"time"
)

// A StatsReporter is an adapter that counts its traffic with the other
// servers of a cluster; adapter/redis, adapter/redisstreams and
// adapter/postgres are. The counters are those of the adapter's factory:
// every namespace's adapter made by one factory reports the same totals.
type StatsReporter interface {
	// ClusterStats returns the counters. It takes no lock.
	ClusterStats() ClusterStats
}

// ClusterStats is a snapshot of what a cluster adapter counted of its
// traffic: totals since its factory was made.
type ClusterStats struct {
	// Published counts the messages written to the cluster's medium
	// (Redis PUBLISH, SPUBLISH or XADD commands, Postgres NOTIFYs):
	// broadcasts, requests, answers, room changes.
	Published uint64
	// PublishErrors counts the messages that were not: their command
	// failed, or the queue in front of it was full.
	PublishErrors uint64
	// PublishLatency holds the round trips of the batches that carried
	// them, one observation per batch.
	PublishLatency Latency
	// Requests holds the requests that wait for an answer, by kind:
	// Requests[RequestFetchSockets].
	Requests [NumRequestKinds]RequestStats
}

// RequestStats are the counters of one kind of request.
type RequestStats struct {
	// Latency holds every request's duration, from the call to its
	// return, failed or not; its Count is the number of requests.
	Latency Latency
	// Errors counts the requests that failed: a timeout, a canceled
	// context, a closed adapter, an error from Redis.
	Errors uint64
}

// RequestKind is a kind of request that an adapter makes and waits for.
type RequestKind int

// The requests of the cluster adapters.
const (
	// RequestFetchSockets: FetchSockets, which waits for every server's
	// sockets.
	RequestFetchSockets RequestKind = iota
	// RequestServerSideEmit: ServerSideEmitWithAck, which waits for every
	// other server's answer.
	RequestServerSideEmit
	// RequestServerCount: ServerCount, a round trip to Redis (which a
	// broadcast with acks, FetchSockets and ServerSideEmitWithAck make
	// first).
	RequestServerCount
	// RequestPersistSession: PersistSession, a round trip to Redis
	// (adapter/redisstreams with recovery on).
	RequestPersistSession
	// RequestRestoreSession: RestoreSession, round trips to Redis.
	RequestRestoreSession
)

// NumRequestKinds is the number of [RequestKind] values: they run from 0
// to NumRequestKinds-1.
const NumRequestKinds = int(RequestRestoreSession) + 1

var requestNames = [NumRequestKinds]string{
	RequestFetchSockets:   "fetch_sockets",
	RequestServerSideEmit: "server_side_emit",
	RequestServerCount:    "server_count",
	RequestPersistSession: "persist_session",
	RequestRestoreSession: "restore_session",
}

// String returns the kind's name in snake case, as metrics label it:
// "fetch_sockets", "server_side_emit", "server_count", "persist_session",
// "restore_session".
func (k RequestKind) String() string {
	if k >= 0 && int(k) < NumRequestKinds {
		return requestNames[k]
	}
	return "unknown"
}

// NumLatencyBuckets is the number of buckets of a [Latency].
const NumLatencyBuckets = 14

var latencyBounds = [NumLatencyBuckets]time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond,
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
	5 * time.Second, 10 * time.Second,
}

// LatencyBounds returns the upper bounds of the buckets of a [Latency],
// from 0.5 ms to 10 s: a round trip to Redis on a local network takes a
// fraction of a millisecond, and a request's default timeout is 5 s.
func LatencyBounds() [NumLatencyBuckets]time.Duration { return latencyBounds }

// Latency is a histogram of durations, in the form Prometheus expects.
type Latency struct {
	// Count is the number of durations observed.
	Count uint64
	// Sum is their total.
	Sum time.Duration
	// Buckets[i] counts the durations of at most LatencyBounds()[i]; the
	// counts are cumulative, and those longer than every bound are only in
	// Count.
	Buckets [NumLatencyBuckets]uint64
}

// ClusterCounters records what a cluster adapter counts, and makes the
// [ClusterStats] its ClusterStats method returns. Its zero value is ready
// to use; its methods are safe for concurrent use, take no lock and
// allocate nothing. An adapter implementation shares one among the
// adapters of its factory.
type ClusterCounters struct {
	published     atomic.Uint64
	publishErrors atomic.Uint64
	publish       latencyCounter
	requests      [NumRequestKinds]requestCounter
}

type requestCounter struct {
	latency latencyCounter
	errors  atomic.Uint64
}

// latencyCounter counts durations in the buckets of latencyBounds, and in
// a last one for the longer ones.
type latencyCounter struct {
	buckets [NumLatencyBuckets + 1]atomic.Uint64
	sum     atomic.Int64 // nanoseconds
}

func (l *latencyCounter) observe(d time.Duration) {
	i := 0
	for i < NumLatencyBuckets && d > latencyBounds[i] {
		i++
	}
	l.buckets[i].Add(1)
	l.sum.Add(int64(d))
}

func (l *latencyCounter) read() Latency {
	var out Latency
	for i := range l.buckets {
		out.Count += l.buckets[i].Load()
		if i < NumLatencyBuckets {
			out.Buckets[i] = out.Count
		}
	}
	out.Sum = time.Duration(l.sum.Load())
	return out
}

// Batch records a batch of messages written in one round trip of d: sent
// of them made it, failed did not.
func (c *ClusterCounters) Batch(sent, failed int, d time.Duration) {
	c.published.Add(uint64(sent))
	if failed > 0 {
		c.publishErrors.Add(uint64(failed))
	}
	c.publish.observe(d)
}

// Dropped records n messages that were not written at all (a full queue).
func (c *ClusterCounters) Dropped(n int) { c.publishErrors.Add(uint64(n)) }

// Request records a request of kind k that took d and ended with err.
func (c *ClusterCounters) Request(k RequestKind, d time.Duration, err error) {
	if k < 0 || int(k) >= NumRequestKinds {
		return
	}
	r := &c.requests[k]
	r.latency.observe(d)
	if err != nil {
		r.errors.Add(1)
	}
}

// Stats returns the counters.
func (c *ClusterCounters) Stats() ClusterStats {
	st := ClusterStats{
		Published:      c.published.Load(),
		PublishErrors:  c.publishErrors.Load(),
		PublishLatency: c.publish.read(),
	}
	for i := range c.requests {
		st.Requests[i] = RequestStats{Latency: c.requests[i].latency.read(), Errors: c.requests[i].errors.Load()}
	}
	return st
}

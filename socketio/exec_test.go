package socketio

import (
	"context"
	"testing"
	"time"

	"github.com/gosio/sio/internal/workers"
)

// The executor runs jobs in order, one at a time, and its queue's backing
// array stays bounded while a reader keeps it from ever emptying (the
// reader's burst never ends here until the last job is queued: the full
// queue starts the draining).
func TestExecutorOrderAndBoundedQueue(t *testing.T) {
	pool := workers.New(4, time.Second)
	defer pool.Close()
	tr := &tracker{}
	var e executor
	e.init(tr, pool)
	const n = 20000
	got := make([]int, 0, n)
	maxCap := 0
	for i := range n {
		e.runFromReader(func() {
			got = append(got, i)
			if i%97 == 0 {
				time.Sleep(time.Microsecond) // let the reader get ahead
			}
		})
		e.mu.Lock()
		maxCap = max(maxCap, cap(e.q))
		e.mu.Unlock()
	}
	e.readerPaused(false) // the end of the reader's burst, as the engine says
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("ran %d jobs, want %d", len(got), n)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("job %d ran as number %d", v, i)
		}
	}
	if maxCap > 2*maxPendingJobs {
		t.Fatalf("queue array grew to %d (bound %d)", maxCap, maxPendingJobs)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running || e.head != 0 || len(e.q) != 0 || cap(e.q) > keptJobs {
		t.Fatalf("idle executor: running %v head %d len %d cap %d", e.running, e.head, len(e.q), cap(e.q))
	}
}

// tracker.wait returns once the count is back to zero, also for waiters
// that arrive while it is busy, and at once when it is idle.
func TestTrackerWait(t *testing.T) {
	tr := &tracker{}
	if err := tr.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	tr.add()
	tr.add()
	done := make(chan error, 2)
	for range 2 {
		go func() { done <- tr.wait(context.Background()) }()
	}
	time.Sleep(10 * time.Millisecond) // let the waiters wait; not a synchronisation
	tr.done()
	select {
	case <-done:
		t.Fatal("wait returned with one goroutine still counted")
	case <-time.After(10 * time.Millisecond):
	}
	tr.done()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	tr.add() // busy again after an idle period: a new waiter waits
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := tr.wait(ctx); err == nil {
		t.Fatal("wait returned while busy")
	}
	tr.done()
}

package socketio

import (
	"context"
	"sync"

	"github.com/gosio/sio/internal/workers"
)

// maxPendingJobs bounds the events waiting for one connection's handlers;
// past it the connection's reader waits, which pushes back on the client.
const maxPendingJobs = 256

// keptJobs is the largest queue backing array an idle executor keeps.
const keptJobs = 8

// executor runs one connection's jobs (events, connects, disconnects) one
// at a time, in order, on a goroutine taken from the server's pool only
// while there is work: an idle connection costs no goroutine. Handlers
// never run while they would keep the connection from being read (at most
// on the goroutine that read them, once the engine reads on without it),
// so a handler may wait for an ack from its own client.
type executor struct {
	tr      *tracker
	pool    *workers.Pool
	drainFn func() // e.drain, made once
	mu      sync.Mutex
	space   sync.Cond // signalled when the queue shrinks
	// q[head:] are the queued jobs. The backing array is kept while the
	// connection is busy, so that queueing a job does not allocate.
	q       []func()
	head    int
	running bool
	// readerDone: the connection closed; the reader queues nothing more
	// and stops waiting for room.
	readerDone bool
	// owed: running is set but no goroutine drains yet: the reader queued
	// the first job of a burst and drains itself when the burst ends (see
	// readerPaused), saving a goroutine handoff per message.
	owed bool
}

// init prepares an executor in place; it must not be copied after.
func (e *executor) init(tr *tracker, pool *workers.Pool) {
	e.tr, e.pool = tr, pool
	e.space.L = &e.mu
	e.drainFn = e.drain
}

// run queues f. It never blocks.
func (e *executor) run(f func()) {
	e.mu.Lock()
	e.push(f)
	e.mu.Unlock()
}

// runFromReader queues f, waiting while the queue is full. After
// stopReader it drops f.
func (e *executor) runFromReader(f func()) {
	e.mu.Lock()
	for len(e.q)-e.head >= maxPendingJobs && e.running && !e.readerDone {
		e.startOwedLocked() // the reader cannot drain while it waits here
		e.space.Wait()
	}
	if !e.readerDone && e.enqueueLocked(f) {
		e.owed = true // started by readerPaused
	}
	e.mu.Unlock()
}

// readerPaused is called by the reader at the end of a burst of messages:
// it runs the jobs it deferred, on the calling goroutine if inline, or else
// on one from the pool.
func (e *executor) readerPaused(inline bool) {
	e.mu.Lock()
	if !e.owed {
		e.mu.Unlock()
		return
	}
	e.owed = false
	e.mu.Unlock()
	if inline {
		e.drain()
		return
	}
	e.pool.Go(e.drainFn)
}

// startOwedLocked starts draining on the pool if the reader owes it.
func (e *executor) startOwedLocked() {
	if e.owed {
		e.owed = false
		e.pool.Go(e.drainFn)
	}
}

// stopReader releases a reader waiting in runFromReader and makes it drop
// what it would queue: the connection is closed.
func (e *executor) stopReader() {
	e.mu.Lock()
	e.readerDone = true
	e.startOwedLocked()
	e.space.Broadcast()
	e.mu.Unlock()
}

func (e *executor) push(f func()) {
	if e.enqueueLocked(f) {
		e.pool.Go(e.drainFn)
	}
}

// enqueueLocked queues f and reports whether the executor was idle, in
// which case it is now marked running and the caller must start draining.
func (e *executor) enqueueLocked(f func()) bool {
	if len(e.q) == cap(e.q) && e.head > 0 {
		// Full, with jobs already taken at the front: move the queued
		// ones down rather than grow, so that a queue that never empties
		// stays within its bound.
		n := copy(e.q, e.q[e.head:])
		clear(e.q[n:])
		e.q, e.head = e.q[:n], 0
	}
	e.q = append(e.q, f)
	if e.running {
		return false
	}
	e.running = true
	e.tr.add()
	return true
}

func (e *executor) drain() {
	defer e.tr.done()
	for {
		e.mu.Lock()
		if e.head == len(e.q) {
			e.running = false
			e.head = 0
			if cap(e.q) > keptJobs {
				e.q = nil // a burst's array is not kept by an idle connection
			} else {
				e.q = e.q[:0]
			}
			e.mu.Unlock()
			return
		}
		f := e.q[e.head]
		e.q[e.head] = nil
		e.head++
		if e.head == len(e.q) {
			e.q, e.head = e.q[:0], 0
		}
		e.space.Signal()
		e.mu.Unlock()
		f()
	}
}

// tracker counts running goroutines so that Shutdown can wait for them. It
// differs from sync.WaitGroup in allowing add while someone waits.
type tracker struct {
	mu sync.Mutex
	n  int
	// idle is closed when n drops to 0; it is made only when someone waits,
	// so that a busy server does not make one each time n leaves 0.
	idle chan struct{}
}

func (t *tracker) add() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
	t.mu.Unlock()
}

// wait returns when no goroutine is counted, or ctx is done.
func (t *tracker) wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		if t.n == 0 {
			t.mu.Unlock()
			return nil
		}
		if t.idle == nil {
			t.idle = make(chan struct{})
		}
		idle := t.idle
		t.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// count returns the number of counted goroutines.
func (t *tracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

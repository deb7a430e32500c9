package socketio

import (
	"context"
	"sync"

	"github.com/gosio/sio/internal/workers"
)

// maxPendingJobs bounds the events waiting for one connection's handlers;
// past it the connection's reader waits, which pushes back on the client.
const maxPendingJobs = 256

// executor runs one connection's jobs (events, connects, disconnects) one
// at a time, in order, on a goroutine taken from the server's pool only
// while there is work: an idle connection costs no goroutine. Handlers therefore never run on
// the connection's reader, so a handler may wait for an ack from its own
// client.
type executor struct {
	tr      *tracker
	pool    *workers.Pool
	drainFn func() // e.drain, made once
	mu      sync.Mutex
	space   sync.Cond // signalled when the queue shrinks
	q       []func()
	running bool
	// readerDone: the connection closed; the reader queues nothing more
	// and stops waiting for room.
	readerDone bool
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
	for len(e.q) >= maxPendingJobs && e.running && !e.readerDone {
		e.space.Wait()
	}
	if !e.readerDone {
		e.push(f)
	}
	e.mu.Unlock()
}

// stopReader releases a reader waiting in runFromReader and makes it drop
// what it would queue: the connection is closed.
func (e *executor) stopReader() {
	e.mu.Lock()
	e.readerDone = true
	e.space.Broadcast()
	e.mu.Unlock()
}

func (e *executor) push(f func()) {
	e.q = append(e.q, f)
	if !e.running {
		e.running = true
		e.tr.add()
		e.pool.Go(e.drainFn)
	}
}

func (e *executor) drain() {
	defer e.tr.done()
	for {
		e.mu.Lock()
		if len(e.q) == 0 {
			e.running = false
			e.q = nil
			e.mu.Unlock()
			return
		}
		f := e.q[0]
		e.q[0] = nil
		e.q = e.q[1:]
		e.space.Signal()
		e.mu.Unlock()
		f()
	}
}

// tracker counts running goroutines so that Shutdown can wait for them. It
// differs from sync.WaitGroup in allowing add while someone waits.
type tracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{}
}

func (t *tracker) add() {
	t.mu.Lock()
	if t.n == 0 {
		t.idle = make(chan struct{})
	}
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		close(t.idle)
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

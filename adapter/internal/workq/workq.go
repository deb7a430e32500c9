// Package workq holds the two queues the Redis adapters run their work
// through, each drained by a goroutine that runs only while there is work:
// [Batches], which hands queued messages to a send function in batches
// (the adapters' outboxes: several messages per Redis round trip, callers
// never waiting for Redis), and [Serial], which runs functions one at a
// time in the order queued.
//
// Both start their goroutine with a spawn function of the owner, which
// counts it in the owner's wait group and refuses once the owner is
// closed; the owner's Close waits for it.
package workq

import (
	"context"
	"sync"
	"time"

	"github.com/gosio/sio/adapter"
)

// MaxBatch bounds the messages of one batch.
const MaxBatch = 256

// Batches queues messages of type M, bounded in bytes, and hands them to
// Send in the order queued, at most MaxBatch at a time, from one goroutine.
// Set the fields before the first Push; the methods are safe for
// concurrent use.
type Batches[M any] struct {
	Max  int         // bytes that may wait
	Size func(M) int // a message's bytes, for Max
	// Send writes a batch and returns how many of its messages failed; it
	// runs on the queue's goroutine.
	Send      func([]M) (failed int)
	Spawn     func(func()) bool // starts the goroutine; false once the owner is closed
	ErrFull   error             // what Push returns past Max
	ErrClosed error             // what Push returns once Spawn refuses
	// Stats, if set, counts the messages sent, failed and refused for
	// ErrFull, and the time each batch took.
	Stats *adapter.ClusterCounters

	mu      sync.Mutex
	queue   []M
	size    int // bytes in queue
	running bool
	idle    chan struct{} // closed when the goroutine stops; nil while stopped
}

// Push queues m. It fails with ErrFull when the queue is at its bound (a
// message larger than the bound still goes alone), and with ErrClosed once
// the owner is closed.
func (b *Batches[M]) Push(m M) error {
	n := b.Size(m)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.size+n > b.Max && b.size > 0 {
		if b.Stats != nil {
			b.Stats.Dropped(1)
		}
		return b.ErrFull
	}
	if !b.running {
		if !b.Spawn(b.run) {
			return b.ErrClosed
		}
		b.running = true
		b.idle = make(chan struct{})
	}
	b.queue = append(b.queue, m)
	b.size += n
	return nil
}

func (b *Batches[M]) run() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), MaxBatch)
		if n == 0 {
			b.running = false
			close(b.idle)
			b.idle = nil
			b.queue = nil
			b.size = 0
			b.mu.Unlock()
			return
		}
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		for _, m := range batch {
			b.size -= b.Size(m)
		}
		b.mu.Unlock()
		start := time.Now()
		failed := b.Send(batch)
		if b.Stats != nil {
			b.Stats.Batch(len(batch)-failed, failed, time.Since(start))
		}
	}
}

// Idle reports whether everything pushed so far has been sent (Send has
// returned for it).
func (b *Batches[M]) Idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.running
}

// Drain waits until the queue is empty, at most d.
func (b *Batches[M]) Drain(d time.Duration) {
	b.mu.Lock()
	idle := b.idle
	b.mu.Unlock()
	if idle == nil {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	}
}

// Serial runs functions one at a time in the order queued, on a goroutine
// that runs while there is work and stops, dropping what is left, once Ctx
// is done. Set the fields before the first Push.
type Serial struct {
	Ctx   context.Context
	Spawn func(func()) bool // starts the goroutine; false once the owner is closed

	mu      sync.Mutex
	queue   []func()
	running bool
}

// Push queues fn; it reports false once the owner is closed.
func (s *Serial) Push(fn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		if !s.Spawn(s.run) {
			return false
		}
		s.running = true
	}
	s.queue = append(s.queue, fn)
	return true
}

func (s *Serial) run() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 || s.Ctx.Err() != nil {
			s.running = false
			s.queue = nil
			s.mu.Unlock()
			return
		}
		fn := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.mu.Unlock()
		fn()
	}
}

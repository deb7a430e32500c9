// Package workers runs short tasks on goroutines that are kept, parked, for
// a moment between tasks, so that a busy server does not pay for creating a
// goroutine and growing its stack for every task, while an idle one keeps
// none.
package workers

import (
	"sync"
	"sync/atomic"
	"time"
)

// A Pool runs tasks. Its zero value is not usable; use New.
type Pool struct {
	work     chan func() // unbuffered: a send succeeds only into a parked worker
	quit     chan struct{}
	stopOnce sync.Once
	maxIdle  int32
	idleFor  time.Duration
	parked   atomic.Int32

	mu    sync.Mutex
	n     int // running workers
	empty *sync.Cond
}

// New returns a pool that keeps at most maxIdle workers parked, each for at
// most idleFor.
func New(maxIdle int, idleFor time.Duration) *Pool {
	p := &Pool{
		work:    make(chan func()),
		quit:    make(chan struct{}),
		maxIdle: int32(maxIdle),
		idleFor: idleFor,
	}
	p.empty = sync.NewCond(&p.mu)
	return p
}

// Go runs f on a parked worker if one is free, or on a new goroutine. It
// never blocks.
func (p *Pool) Go(f func()) {
	select {
	case p.work <- f:
		return
	default:
	}
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
	go p.worker(f)
}

func (p *Pool) worker(f func()) {
	defer func() {
		p.mu.Lock()
		p.n--
		if p.n == 0 {
			p.empty.Broadcast()
		}
		p.mu.Unlock()
	}()
	var idle *time.Timer
	for {
		f()
		f = nil
		if p.parked.Add(1) > p.maxIdle {
			p.parked.Add(-1)
			return
		}
		if idle == nil {
			idle = time.NewTimer(p.idleFor)
		} else {
			idle.Reset(p.idleFor)
		}
		select {
		case f = <-p.work:
			p.parked.Add(-1)
			idle.Stop()
		case <-idle.C:
			p.parked.Add(-1)
			return
		case <-p.quit:
			p.parked.Add(-1)
			idle.Stop()
			return
		}
	}
}

// Close makes parked workers exit, and waits until every worker has ended.
// Tasks given to Go afterwards still run, each on a goroutine of its own.
func (p *Pool) Close() {
	p.stopOnce.Do(func() { close(p.quit) })
	p.mu.Lock()
	for p.n > 0 {
		p.empty.Wait()
	}
	p.mu.Unlock()
}

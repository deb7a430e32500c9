package workq

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	errFull   = errors.New("full")
	errClosed = errors.New("closed")
)

// owner stands for an adapter: it spawns counted goroutines until closed.
type owner struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (o *owner) spawn(fn func()) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false
	}
	o.wg.Add(1)
	go func() { defer o.wg.Done(); fn() }()
	return true
}

func (o *owner) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.wg.Wait()
}

func TestBatchesSendInOrderAndBound(t *testing.T) {
	var o owner
	defer o.close()
	release := make(chan struct{})
	var mu sync.Mutex
	var got []int
	b := &Batches[int]{Max: 3, Size: func(int) int { return 1 }, Spawn: o.spawn, ErrFull: errFull, ErrClosed: errClosed,
		Send: func(batch []int) int {
			<-release
			mu.Lock()
			got = append(got, batch...)
			mu.Unlock()
			return 0
		}}
	for i := range 3 {
		if err := b.Push(i); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	// The goroutine may have taken the first batch already: push until full.
	full := false
	for i := 3; i < 3+MaxBatch && !full; i++ {
		full = errors.Is(b.Push(i), errFull)
	}
	if !full {
		t.Fatal("the queue never refused past its bound")
	}
	close(release)
	b.Drain(5 * time.Second)
	if !b.Idle() {
		t.Fatal("not idle after Drain")
	}
	mu.Lock()
	defer mu.Unlock()
	for i, v := range got {
		if v != i {
			t.Fatalf("sent out of order: %v", got)
		}
	}
	if len(got) < 3 {
		t.Fatalf("sent %v", got)
	}
}

func TestBatchesClosedOwner(t *testing.T) {
	var o owner
	o.close()
	b := &Batches[int]{Max: 10, Size: func(int) int { return 1 }, Send: func([]int) int { return 0 }, Spawn: o.spawn, ErrFull: errFull, ErrClosed: errClosed}
	if err := b.Push(1); !errors.Is(err, errClosed) {
		t.Fatalf("push after close: %v", err)
	}
}

// Serial runs functions in order; its goroutine ends when the queue is
// empty (the owner's close waits for it, and goleak checks it is gone).
func TestSerialRunsInOrder(t *testing.T) {
	var o owner
	defer o.close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &Serial{Ctx: ctx, Spawn: o.spawn}
	done := make(chan int, 10)
	for i := range 5 {
		if !s.Push(func() { done <- i }) {
			t.Fatal("push refused")
		}
	}
	for i := range 5 {
		if v := <-done; v != i {
			t.Fatalf("ran %d, want %d", v, i)
		}
	}
}

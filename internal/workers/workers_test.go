package workers

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPoolRunsEveryTaskAndReusesWorkers(t *testing.T) {
	p := New(4, time.Minute)
	var done atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Add(1)
		p.Go(func() { done.Add(1); wg.Done() })
	}
	wg.Wait()
	if done.Load() != 1000 {
		t.Fatalf("ran %d tasks", done.Load())
	}
	// Parked workers take the next tasks.
	time.Sleep(10 * time.Millisecond) // let the workers park; not a synchronisation
	if n := p.parked.Load(); n < 1 || n > 4 {
		t.Fatalf("%d parked workers, want 1..4", n)
	}
	p.Close()
}

func TestIdleWorkersExit(t *testing.T) {
	p := New(8, 20*time.Millisecond)
	var wg sync.WaitGroup
	wg.Add(1)
	p.Go(wg.Done)
	wg.Wait()
	deadline := time.Now().Add(2 * time.Second)
	for {
		p.mu.Lock()
		n := p.n
		p.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an idle worker did not exit")
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.Close()
}

func TestGoAfterClose(t *testing.T) {
	p := New(2, time.Minute)
	p.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	p.Go(wg.Done)
	wg.Wait()
	p.Close()
}

func BenchmarkPoolGo(b *testing.B) {
	p := New(8, time.Second)
	defer p.Close()
	var wg sync.WaitGroup
	b.ReportAllocs()
	f := func() { wg.Done() }
	for b.Loop() {
		wg.Add(1)
		p.Go(f)
		wg.Wait()
	}
}

func BenchmarkGoStatement(b *testing.B) {
	var wg sync.WaitGroup
	b.ReportAllocs()
	f := func() { wg.Done() }
	for b.Loop() {
		wg.Add(1)
		go f()
		wg.Wait()
	}
}

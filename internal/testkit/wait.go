package testkit

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every wait of the Must* methods and the wait helpers.
const Timeout = 5 * time.Second

// Eventually polls cond every 10 ms until it holds and fails the test with
// "timed out waiting for <what>" if it does not within [Timeout]. Call it
// only from the test goroutine.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Receive returns the next value from ch and fails the test if none comes
// within [Timeout] (a closed channel gives its zero value at once). Call it
// only from the test goroutine.
func Receive[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		var zero T
		t.Fatalf("timed out waiting for a %T", zero)
		return zero
	}
}

// SyncBuffer is a [bytes.Buffer] behind a mutex: an [io.Writer] that
// several goroutines may write to at once, such as the output of a
// [log/slog] handler. Its zero value is an empty buffer ready to use; all
// its methods are safe for concurrent use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

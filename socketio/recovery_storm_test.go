package socketio

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/testkit"
)

// stormClient is one client of the reconnect storm.
type stormClient struct {
	c                *testkit.Client
	sid, pid, offset string
}

// readFrame reads one frame, bounded by ctx.
func readFrame(ctx context.Context, c *testkit.Client) (string, error) {
	f, err := c.Read(ctx)
	return f.Data, err
}

// connectStorm connects a fresh client and reads its CONNECT answer and
// the "hello" that carries its first offset.
func connectStorm(ctx context.Context, base string) (*stormClient, error) {
	c, err := testkit.Dial(ctx, base, nil)
	if err != nil {
		return nil, err
	}
	sc := &stormClient{c: c}
	if err := c.Send("40"); err != nil {
		return nil, err
	}
	msg, err := readFrame(ctx, c)
	if err != nil {
		return nil, err
	}
	var v struct{ Sid, Pid string }
	if !strings.HasPrefix(msg, "40{") || json.Unmarshal([]byte(msg[2:]), &v) != nil {
		return nil, fmt.Errorf("connect: %s", msg)
	}
	sc.sid, sc.pid = v.Sid, v.Pid
	if msg, err = readFrame(ctx, c); err != nil {
		return nil, err
	}
	m := offsetRe.FindStringSubmatch(msg)
	if m == nil || trimOffset(msg) != `42["hello",false]` {
		return nil, fmt.Errorf("hello: %s", msg)
	}
	sc.offset = m[1]
	return sc, nil
}

// recoverStorm reconnects sc with its pid and offset and checks the
// replay: want, in order, then the CONNECT answer with its sid, then
// "hello" true.
func recoverStorm(ctx context.Context, base string, sc *stormClient, want []string) (*testkit.Client, error) {
	c, err := testkit.Dial(ctx, base, nil)
	if err != nil {
		return nil, err
	}
	if err := c.Send(fmt.Sprintf(`40{"pid":%q,"offset":%q}`, sc.pid, sc.offset)); err != nil {
		return c, err
	}
	for i, w := range want {
		msg, err := readFrame(ctx, c)
		if err != nil {
			return c, err
		}
		if trimOffset(msg) != w {
			return c, fmt.Errorf("missed event %d: got %s, want %s", i, msg, w)
		}
	}
	msg, err := readFrame(ctx, c)
	if err != nil {
		return c, err
	}
	if !strings.HasPrefix(msg, `40{"sid":"`+sc.sid+`"`) {
		return c, fmt.Errorf("not recovered: %s", msg)
	}
	if msg, err = readFrame(ctx, c); err != nil {
		return c, err
	}
	if trimOffset(msg) != `42["hello",true]` {
		return c, fmt.Errorf("hello: %s", msg)
	}
	return c, nil
}

// heapAfterGC returns the live heap.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// A reconnect storm: 2,000 clients drop and all come back at once. Each
// is recovered with every event it missed, in order; the replays share
// the logged packets, so once the storm is over the heap has grown by no
// more than the log holds (the same 2,000 clients being connected before
// and after).
func TestRecoveryReconnectStorm(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	const missed = 20
	io, ts := newTestServer(t, &Options{ConnectionStateRecovery: &ConnectionStateRecovery{}}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			if !s.Recovered() {
				_ = s.Join("r")
			}
			_ = s.Emit("hello", s.Recovered())
		})
	})
	ad := io.Sockets().Adapter().(*adapter.SessionAware)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// run runs fn for every client, 64 at a time, or all at once.
	run := func(par int, fn func(i int) error) {
		t.Helper()
		sem := make(chan struct{}, par)
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := fn(i); err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}

	clients := make([]*stormClient, n)
	run(64, func(i int) (err error) {
		clients[i], err = connectStorm(ctx, ts.URL)
		return err
	})
	// A burst as large as the replay, read by every client, so that the
	// buffers of both ends have grown before the baseline as they will
	// for the replay.
	var want []string
	payload := strings.Repeat("x", 200)
	for i := range missed {
		want = append(want, fmt.Sprintf(`42["m",%d,"%s"]`, i, payload))
		require.NoError(t, io.To("r").Emit("m", i, payload))
	}
	run(64, func(i int) error {
		for _, w := range want {
			msg, err := readFrame(ctx, clients[i].c)
			if err != nil {
				return err
			}
			if trimOffset(msg) != w {
				return fmt.Errorf("warm-up: got %s, want %s", msg, w)
			}
			clients[i].offset = offsetRe.FindStringSubmatch(msg)[1]
		}
		return nil
	})
	before := heapAfterGC()

	for _, sc := range clients {
		require.NoError(t, sc.c.Close())
		sc.c = nil // its buffers are not the server's
	}
	testkit.Eventually(t, "every session stored", func() bool { return ad.Stats().Sessions == n })
	want = want[:0]
	for i := range missed {
		require.NoError(t, io.To("r").Emit("m", missed+i, payload))
		want = append(want, fmt.Sprintf(`42["m",%d,"%s"]`, missed+i, payload))
	}
	stats := ad.Stats()

	start := time.Now()
	back := make([]*testkit.Client, n)
	run(n, func(i int) (err error) {
		back[i], err = recoverStorm(ctx, ts.URL, clients[i], want)
		return err
	})
	took := time.Since(start)
	after := heapAfterGC()
	growth := int64(after) - int64(before)
	end := ad.Stats()
	t.Logf("%d clients recovered with %d events each in %v; heap %d -> %d bytes (%+d); log %d packets, %d bytes (%d, %d bytes, before the storm)",
		n, missed, took, before, after, growth, end.Packets, end.Bytes, stats.Packets, stats.Bytes)
	require.Zero(t, end.Sessions, "every session spent")
	// The log as it stands (with the "hello" each recovered socket
	// emitted), plus 1.5 KiB a client for what a recovered socket keeps
	// that a new one does not (its auth with pid and offset), the session
	// map's buckets (maps do not shrink) and the in-process test clients'
	// noise (larger under -race): less than half of what one replay kept
	// per client (n * missed * ~230 bytes) would add.
	bound := int64(end.Bytes) + int64(n)*1536
	require.LessOrEqual(t, growth, bound, "heap growth beyond the log's bound")
	for _, c := range back {
		_ = c.Close()
	}
}

package emitter_test

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/emitter"
	"github.com/gosio/sio/internal/testkit/clustertest"
	"github.com/gosio/sio/internal/testkit/redistest"
)

// TestWireMatchesReference publishes each operation with the official
// Node.js emitter and with ours, and compares what Redis carried: the
// same channel and the same bytes.
func TestWireMatchesReference(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	key := redistest.UniqueKey(t.Name())
	n := startNodeServer(t, r.URL(), key)
	nc := clustertest.Dial(t, n.url, "nc")
	nc.Join(t, "keep") // out of the disconnections below

	ctx := context.Background()
	ps := client.PSubscribe(ctx, redisGlob(key)+"*")
	t.Cleanup(func() { _ = ps.Close() })
	_, err := ps.Receive(ctx) // the subscription's confirmation
	require.NoError(t, err)
	msgs := ps.Channel()
	next := func(t *testing.T) *redis.Message {
		t.Helper()
		select {
		case m := <-msgs:
			return m
		case <-time.After(5 * time.Second):
			t.Fatal("nothing published")
			return nil
		}
	}

	// Not compared: the numbers notepack.io writes wrong, the integral
	// ones of 2^64 and more (1e21, 1e300), which it wraps into a uint64;
	// ours are float64s.
	long := strings.Repeat("x", 300)
	big := make([]byte, 300)
	for i := range big {
		big[i] = byte(i)
	}
	cases := []struct {
		name string
		op   op
	}{
		{"emit to all", op{"op": "emit", "event": "hello", "args": []any{1, "two", 1.5, -3, true, nil, map[string]any{"a": 1, "b": []any{"c"}}}}},
		{"emit without arguments", op{"op": "emit", "event": "ping"}},
		{"emit numbers and strings of every size", op{"op": "emit", "event": "sizes", "args": []any{127, 128, 255, 256, 65535, 65536, 1 << 40, -32, -33, -129, -32769, -1 << 40, 1 << 53, 0.1, -2.5e-7, long, "é✓😀"}}},
		{"emit to one room", op{"op": "emit", "event": "e", "rooms": []string{"a"}}},
		{"emit to one room named twice", op{"op": "emit", "event": "e", "rooms": []string{"a", "a"}}},
		{"emit to rooms except rooms", op{"op": "emit", "event": "e", "rooms": []string{"a", "b"}, "except": []string{"c", "d", "c"}}},
		{"emit volatile", op{"op": "emit", "event": "e", "volatile": true}},
		{"emit uncompressed", op{"op": "emit", "event": "e", "compress": false}},
		{"emit compressed", op{"op": "emit", "event": "e", "compress": true, "volatile": true}},
		{"emit to a namespace", op{"op": "emit", "event": "e", "nsp": "admin", "rooms": []string{"r"}}},
		{"emit binary", op{"op": "emit", "event": "bin", "args": []any{"text"}, "binary": big, "nestedBinary": []byte{1, 2}}},
		{"socketsJoin", op{"op": "socketsJoin", "rooms": []string{"a"}, "except": []string{"b"}, "join": "c"}},
		{"socketsJoin everyone", op{"op": "socketsJoin", "join": "c"}},
		{"socketsLeave", op{"op": "socketsLeave", "nsp": "/admin", "rooms": []string{"a", "b"}, "leave": "c"}},
		{"disconnectSockets", op{"op": "disconnectSockets", "rooms": []string{"a"}, "except": []string{"keep"}}},
		{"disconnectSockets and close", op{"op": "disconnectSockets", "except": []string{"keep"}, "close": true}},
		{"serverSideEmit", op{"op": "serverSideEmit", "event": "note", "args": []any{1, 1.5, "é✓😀\n\"", map[string]any{"k": nil}}}},
		{"serverSideEmit binary", op{"op": "serverSideEmit", "nsp": "/admin", "event": "note", "binary": []byte{0, 1, 255}}},
	}
	em := emitter.New(client, &emitter.Options{Key: key})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := maps(c.op)
			for _, k := range []string{"binary", "nestedBinary"} {
				if b, ok := o[k].([]byte); ok {
					o[k] = ints(b)
				}
			}
			nodeDo(t, nc, o, nil)
			want := next(t)
			goDo(t, em, c.op)
			got := next(t)
			assert.Equal(t, want.Channel, got.Channel)
			if want.Payload != got.Payload {
				t.Errorf("payload differs:\nnode %s\ngo   %s", show(want.Payload), show(got.Payload))
			}
		})
	}

	t.Run("operators are immutable", func(t *testing.T) {
		base := em.To("a")
		two := base.To("b")
		flagged := base.Volatile().Compress(false)
		_ = base.Except("x")
		require.NoError(t, base.Emit("e"))
		assert.Equal(t, key+"#/#a#", next(t).Channel)
		require.NoError(t, two.Emit("e"))
		assert.Equal(t, key+"#/#", next(t).Channel)
		require.NoError(t, flagged.Emit("e"))
		m := next(t)
		assert.Equal(t, key+"#/#a#", m.Channel)
		assert.Contains(t, m.Payload, "volatile")
		require.NoError(t, em.Emit("e"))
		assert.Equal(t, key+"#/#", next(t).Channel)
	})
}

// show prints a payload as text if it is JSON, in hex otherwise.
func show(p string) string {
	if strings.HasPrefix(p, "{") {
		return p
	}
	return hex.EncodeToString([]byte(p))
}

// redisGlob escapes the characters of a PSUBSCRIBE pattern.
func redisGlob(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`, `\`, `\\`)
	return r.Replace(s)
}

// TestErrors checks the errors returned before anything is published, and
// Redis's.
func TestErrors(t *testing.T) {
	r := redistest.Shared(t)
	client := r.NewClient(t)
	em := emitter.New(client, nil)
	for _, ev := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		assert.ErrorIs(t, em.Emit(ev), emitter.ErrReservedEvent, ev)
		assert.ErrorIs(t, em.To("a").Emit(ev), emitter.ErrReservedEvent, ev)
		assert.ErrorIs(t, em.ServerSideEmit(ev), emitter.ErrReservedEvent, ev)
	}
	assert.ErrorIs(t, em.SocketsJoin(), emitter.ErrNoRooms)
	assert.ErrorIs(t, em.In("a").SocketsLeave(), emitter.ErrNoRooms)
	assert.ErrorIs(t, em.Emit("e", func() {}), emitter.ErrEncoding)
	assert.ErrorIs(t, em.ServerSideEmit("e", make(chan int)), emitter.ErrEncoding)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, em.WithContext(ctx).Emit("e"), context.Canceled)
	assert.ErrorIs(t, em.WithContext(ctx).Of("/admin").To("a").DisconnectSockets(false), context.Canceled)

	closed := r.NewClient(t)
	require.NoError(t, closed.Close())
	err := emitter.New(closed, nil).Emit("e")
	assert.True(t, errors.Is(err, redis.ErrClosed), "%v", err)
	assert.Equal(t, "/", em.Namespace())
	assert.Equal(t, "/admin", em.Of("admin").Namespace())
}

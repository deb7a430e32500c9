package socketio

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/testkit"
)

// strippingAdapter stands for an adapter written outside this module that
// delivers packets without their encoding, as one that forgets
// Namespace.Prepare would.
type strippingAdapter struct{ adapter.Adapter }

func (a strippingAdapter) Broadcast(p *adapter.Packet, opts adapter.BroadcastOptions) error {
	q := *p
	q.Encoded = nil
	return a.Adapter.Broadcast(&q, opts)
}

func (a strippingAdapter) BroadcastWithAck(p *adapter.Packet, opts adapter.BroadcastOptions, id uint64, onCount func(int), onAck func(adapter.AckArgs)) error {
	q := *p
	q.Encoded = nil
	return a.Adapter.BroadcastWithAck(&q, opts, id, onCount, onAck)
}

// A packet delivered without its encoding is encoded for each recipient:
// the server neither panics nor loses the event or its ack ID.
func TestBroadcastWithoutEncodingIsEncodedPerRecipient(t *testing.T) {
	io, ts := newTestServer(t, &Options{Adapter: func(nsp adapter.Namespace) adapter.Adapter {
		return strippingAdapter{adapter.NewInMemory(nsp)}
	}}, nil)
	a := testkit.MustDial(t, ts.URL, nil)
	a.MustConnect(t, "/", "")
	require.NoError(t, io.Emit("news", "hi"))
	assert.Equal(t, `42["news","hi"]`, a.MustRead(t))

	done := make(chan []Raw, 1)
	go func() {
		resp, err := io.Timeout(5*time.Second).EmitWithAck(context.Background(), "q")
		assert.NoError(t, err)
		done <- resp
	}()
	got := a.MustRead(t)
	id := strings.TrimSuffix(strings.TrimPrefix(got, "42"), `["q"]`)
	require.NotEqual(t, got, id, "an ack request: %q", got)
	a.MustSend(t, "43"+id+`["yes"]`)
	resp := testkit.Receive(t, done)
	require.Len(t, resp, 1)
	assert.Equal(t, `"yes"`, resp[0].String())
}

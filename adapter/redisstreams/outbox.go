package redisstreams

import (
	"errors"
	"net"

	"github.com/redis/go-redis/v9"
)

// outMsg is an XADD of values to the namespace's stream when channel is
// empty, a PUBLISH of payload on channel otherwise. The adapter's outbox
// (a workq.Batches) writes them in the order queued, several per round
// trip; callers never wait for Redis.
type outMsg struct {
	channel string
	payload []byte
	values  []any
	size    int
	// onFail, when set, runs on the outbox's goroutine if the XADD
	// surely failed (notAdded): a broadcast that the stream's reader
	// would have delivered locally is then delivered without it.
	onFail func()
}

// outSize is what m counts against Options.MaxPendingBytes.
func outSize(m outMsg) int { return m.size }

// send writes a batch, on the outbox's goroutine, and returns how many of
// its messages failed. A batch that fails is dropped and logged.
func (a *Adapter) send(batch []outMsg) (failed int) {
	if a.window > 0 {
		// With recovery on, the reader delivers this server's broadcasts:
		// an entry added before it knows where it starts could be taken
		// for an older one and never delivered here.
		select {
		case <-a.reader.ready:
		case <-a.ctx.Done():
		}
	}
	adds := make([]*redis.StringCmd, len(batch))
	cmds, err := a.client.Pipelined(a.ctx, func(p redis.Pipeliner) error {
		for i, m := range batch {
			if m.channel != "" {
				p.Publish(a.ctx, m.channel, m.payload)
				continue
			}
			adds[i] = p.XAdd(a.ctx, &redis.XAddArgs{
				Stream: a.stream,
				MaxLen: a.opts.MaxLen,
				Approx: true,
				Values: m.values,
			})
		}
		return nil
	})
	if err != nil && a.ctx.Err() == nil {
		a.log.Warn("redis streams adapter: write failed, messages dropped", "nsp", a.nsp.Name(), "messages", len(batch), "err", err)
	}
	for i, m := range batch {
		if m.onFail != nil && adds[i] != nil && notAdded(adds[i].Err()) {
			m.onFail()
		}
	}
	for _, c := range cmds { // a failed pipeline sets the error of each
		if c.Err() != nil {
			failed++
		}
	}
	return failed
}

// notAdded reports whether err says for sure that an XADD was not
// applied: Redis answered with an error, or no connection could be made.
// After other errors (a reply lost with its connection) the entry may
// well be in the stream, and the reader will deliver it.
func notAdded(err error) bool {
	if err == nil {
		return false
	}
	var re redis.Error
	if errors.As(err, &re) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

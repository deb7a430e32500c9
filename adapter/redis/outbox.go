package redis

import "github.com/redis/go-redis/v9"

// outMsg is a message for Redis: payload published on channel. The
// adapter's outbox (a workq.Batches) publishes them in the order queued,
// several per round trip; callers never wait for Redis.
type outMsg struct {
	channel string
	payload []byte
}

// size is what m counts against Options.MaxPendingBytes.
func (m outMsg) size() int { return len(m.channel) + len(m.payload) }

// send publishes a batch, on the outbox's goroutine, and returns how
// many of its messages failed. A batch that fails is dropped and logged:
// delivery between servers is at most once.
func (a *Adapter) send(batch []outMsg) (failed int) {
	shard := a.proto.sharded()
	cmds, err := a.client.Pipelined(a.ctx, func(p redis.Pipeliner) error {
		for _, m := range batch {
			if shard {
				p.SPublish(a.ctx, m.channel, m.payload)
			} else {
				p.Publish(a.ctx, m.channel, m.payload)
			}
		}
		return nil
	})
	if err != nil && a.ctx.Err() == nil {
		a.log.Warn("redis adapter: publish failed, messages dropped", "nsp", a.nsp.Name(), "messages", len(batch), "err", err)
	}
	for _, c := range cmds { // a failed pipeline sets the error of each
		if c.Err() != nil {
			failed++
		}
	}
	return failed
}

package redisstreams

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// outbox writes a namespace's messages to Redis in the order they were
// queued (XADD for the stream's messages, PUBLISH for the others), from
// one goroutine that runs while there is work, several messages per round
// trip. Callers never wait for Redis; the queue is bounded in bytes.
type outbox struct {
	a   *Adapter
	max int // bytes

	mu      sync.Mutex
	queue   []outMsg
	size    int // bytes in queue
	running bool
	idle    chan struct{} // closed when the goroutine stops; nil while stopped
}

// outMsg is an XADD of values to the namespace's stream when channel is
// empty, a PUBLISH of payload on channel otherwise.
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

// maxBatch bounds the messages of one pipelined round trip.
const maxBatch = 256

// push queues a message. It fails with ErrQueueFull when the queue is at
// its bound (a message larger than the bound still goes alone), and with
// adapter.ErrClosed after Close.
func (o *outbox) push(m outMsg) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.size+m.size > o.max && o.size > 0 {
		return ErrQueueFull
	}
	if !o.running {
		if !o.a.spawn(o.run) {
			return errClosed
		}
		o.running = true
		o.idle = make(chan struct{})
	}
	o.queue = append(o.queue, m)
	o.size += m.size
	return nil
}

func (o *outbox) run() {
	for {
		o.mu.Lock()
		n := min(len(o.queue), maxBatch)
		if n == 0 {
			o.running = false
			close(o.idle)
			o.idle = nil
			o.queue = nil
			o.size = 0
			o.mu.Unlock()
			return
		}
		batch := o.queue[:n:n]
		o.queue = o.queue[n:]
		for _, m := range batch {
			o.size -= m.size
		}
		o.mu.Unlock()
		o.send(batch)
	}
}

// send writes a batch. A batch that fails is dropped and logged.
func (o *outbox) send(batch []outMsg) {
	a := o.a
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
	_, err := a.client.Pipelined(a.ctx, func(p redis.Pipeliner) error {
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

// drain waits until the queue is empty, at most d.
func (o *outbox) drain(d time.Duration) {
	o.mu.Lock()
	idle := o.idle
	o.mu.Unlock()
	if idle == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	select {
	case <-idle:
	case <-ctx.Done():
	}
}

// serial runs functions one at a time in the order queued, on a goroutine
// that runs while there is work.
type serial struct {
	a       *Adapter
	mu      sync.Mutex
	queue   []func()
	running bool
}

// push queues fn; it reports false after Close.
func (s *serial) push(fn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		if !s.a.spawn(s.run) {
			return false
		}
		s.running = true
	}
	s.queue = append(s.queue, fn)
	return true
}

func (s *serial) run() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 || s.a.ctx.Err() != nil {
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

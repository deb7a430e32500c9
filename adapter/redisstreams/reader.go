package redisstreams

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// A reader reads one stream with XREAD BLOCK on a connection of its own,
// from the last entry ID it has seen, and hands each entry to the hub. It
// starts from the stream's last entry at the time it starts (what "$"
// means to the reference, resolved once with XINFO STREAM so that no entry
// added between two XREADs is skipped). When the connection fails it dials
// again with a backoff and goes on from the last ID it saw: an entry still
// in the stream is never lost to a reconnect.
type reader struct {
	h      *hub
	stream string
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns
	ready  chan struct{} // closed once the start ID is known

	mu      sync.Mutex
	unblock func(context.Context) // CLIENT UNBLOCK of the current connection; nil without one
	connID  int64                 // CLIENT ID of the current connection, for the tests
	last    string                // the last ID read; "" before the start
	begin   string                // the ID it started after, set before ready is closed
	down    bool                  // the connection is lost: log its recovery once
}

const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

func newReader(h *hub, stream string) *reader {
	r := &reader{h: h, stream: stream, done: make(chan struct{}), ready: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

func (r *reader) start() { go r.run() }

// stop ends the reader and waits for it. A blocked XREAD is interrupted
// with CLIENT UNBLOCK when the reader has a connection of its own.
func (r *reader) stop() {
	r.cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		r.mu.Lock()
		unblock := r.unblock
		r.mu.Unlock()
		if unblock != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			unblock(ctx)
			cancel()
		}
		select {
		case <-r.done:
			return
		case <-t.C:
		}
	}
}

// lastID returns the last entry ID read, for the tests.
func (r *reader) lastID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// startID returns the ID the reader started after: entries up to it were
// never delivered by this reader. Valid once ready is closed.
func (r *reader) startID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.begin
}

// conn returns a connection for XREAD: for a *redis.Client or a
// *redis.ClusterClient, a client of its own with one connection to the
// node of the stream (so that stop can unblock it with CLIENT UNBLOCK);
// the client itself otherwise. release gives it back.
//
// The reader's client is made from a copy of the node's options rather
// than with Client.Conn: a go-redis Conn shares its client's options
// without their lock, which the race detector reports when both dial.
func (r *reader) conn() (cmd redis.Cmdable, release func(), err error) {
	var node *redis.Client
	switch c := r.h.client.(type) {
	case *redis.Client:
		node = c
	case *redis.ClusterClient:
		if node, err = c.MasterForKey(r.ctx, r.stream); err != nil {
			return nil, nil, err
		}
	default:
		return r.h.client, func() {}, nil
	}
	o := *node.Options()
	// A plain connection: no maintenance notifications to register.
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	o.PoolSize, o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns = 1, 0, 1, 1
	o.MaxRetries = -1 // a retried XREAD on a new connection would escape CLIENT UNBLOCK
	own := redis.NewClient(&o)
	id, err := own.ClientID(r.ctx).Result()
	if err != nil {
		_ = own.Close()
		return nil, nil, err
	}
	r.mu.Lock()
	r.unblock = func(ctx context.Context) { _ = node.ClientUnblock(ctx, id).Err() }
	r.connID = id
	r.mu.Unlock()
	return own, func() {
		r.mu.Lock()
		r.unblock, r.connID = nil, 0
		r.mu.Unlock()
		_ = own.Close()
	}, nil
}

func (r *reader) run() {
	defer close(r.done)
	log := r.h.opts.Logger
	backoff := time.Duration(0)
	for r.ctx.Err() == nil {
		err := r.session()
		if r.ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		if !r.down {
			r.down = true
			log.Warn("redis streams adapter: stream connection lost", "stream", r.stream, "err", err)
		}
		r.mu.Unlock()
		if cc, ok := r.h.client.(*redis.ClusterClient); ok {
			cc.ReloadState(r.ctx) // the stream's slot may have moved
		}
		backoff = min(max(2*backoff, minBackoff), maxBackoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
			return
		}
		if hook := r.h.beforeReconnect.Load(); hook != nil {
			(*hook)()
		}
	}
}

// session reads on one connection until it fails.
func (r *reader) session() error {
	c, release, err := r.conn()
	if err != nil {
		return err
	}
	defer release()
	r.mu.Lock()
	last := r.last
	r.mu.Unlock()
	if last == "" {
		if last, err = startID(r.ctx, c, r.stream); err != nil {
			return err
		}
		r.mu.Lock()
		r.last, r.begin = last, last
		r.mu.Unlock()
		close(r.ready)
	}
	o := &r.h.opts
	for r.ctx.Err() == nil {
		res, err := c.XRead(r.ctx, &redis.XReadArgs{
			Streams: []string{r.stream, last},
			Count:   o.ReadCount,
			Block:   o.BlockTime,
		}).Result()
		if errors.Is(err, redis.Nil) {
			r.recovered()
			continue // BLOCK timed out, or CLIENT UNBLOCK
		}
		if err != nil {
			return err
		}
		r.recovered()
		for _, s := range res {
			for _, e := range s.Messages {
				// Offset hook: e.ID is the offset that connection state
				// recovery hands to clients with a broadcast.
				m, err := decodeEntry(e.Values)
				if err != nil {
					o.Logger.Debug("redis streams adapter: malformed entry ignored", "stream", r.stream, "id", e.ID, "err", err)
				} else if m != nil {
					r.h.deliver(r.stream, m, e.ID)
				}
				last = e.ID
			}
		}
		r.mu.Lock()
		r.last = last
		r.mu.Unlock()
	}
	return nil
}

func (r *reader) recovered() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		r.down = false
		r.h.opts.Logger.Info("redis streams adapter: reading the stream again", "stream", r.stream)
	}
}

// startID returns the ID of the stream's last entry ("0-0" for a stream
// that does not exist yet): reading from there is reading from "$", with
// no gap before the first XREAD.
func startID(ctx context.Context, c redis.Cmdable, stream string) (string, error) {
	info, err := c.XInfoStream(ctx, stream).Result()
	if err != nil {
		if isNoSuchKey(err) {
			return "0-0", nil
		}
		return "", err
	}
	if info.LastGeneratedID == "" {
		return "0-0", nil
	}
	return info.LastGeneratedID, nil
}

func isNoSuchKey(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && re.Error() == "ERR no such key"
}

package redis

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// A listener owns one subscribed Redis connection (a go-redis PubSub) and
// the goroutine that reads it. go-redis dials again and subscribes again
// to every channel after the connection breaks; the listener retries with
// a backoff while Redis is away, and replaces a connection that stops
// answering pings.
type listener struct {
	a      *Adapter
	client redis.UniversalClient // the client subscriptions are made with
	// perChannel is set for shard channels on a Redis Cluster, where one
	// SSUBSCRIBE may only name channels of one slot: each channel is
	// subscribed alone, and a broken connection is replaced by a new one
	// subscribed the same way (go-redis would subscribe again to all the
	// channels in one command).
	perChannel bool

	mu   sync.Mutex
	ps   *redis.PubSub
	subs map[subscription]struct{}
	down bool // the connection is broken: log its recovery once
}

const (
	// healthInterval is how long a silent connection waits before it is
	// pinged; a second silent interval replaces it.
	healthInterval = 15 * time.Second
	minBackoff     = 50 * time.Millisecond
	maxBackoff     = 2 * time.Second
)

func newListener(a *Adapter, client redis.UniversalClient) *listener {
	_, cluster := client.(*redis.ClusterClient)
	return &listener{a: a, client: client, subs: make(map[subscription]struct{}), perChannel: cluster && a.proto.sharded()}
}

// newPubSub returns a PubSub with no subscription and no connection yet;
// the first subscription dials.
//
// On a Redis Cluster a PubSub connects to the master of its first
// channel's slot; the adapter gives each master's shard channels a
// listener of their own.
func (l *listener) newPubSub() *redis.PubSub { return l.client.Subscribe(l.a.ctx) }

// add subscribes to subs. It may do network I/O: call it off the
// callers' goroutines.
func (l *listener) add(subs ...subscription) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range subs {
		l.subs[s] = struct{}{}
	}
	if l.ps != nil {
		l.apply(l.ps, subs, false)
	}
}

// remove unsubscribes from subs.
func (l *listener) remove(subs ...subscription) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range subs {
		delete(l.subs, s)
	}
	if l.ps != nil {
		l.apply(l.ps, subs, true)
	}
}

// apply sends (un)subscriptions on ps. Errors are left to the read loop:
// go-redis keeps the list and subscribes again when it reconnects.
func (l *listener) apply(ps *redis.PubSub, subs []subscription, remove bool) {
	ctx := l.a.ctx
	var names [3][]string // by subMode
	for _, s := range subs {
		names[s.mode] = append(names[s.mode], s.name)
	}
	do := [3]func(context.Context, ...string) error{ps.Subscribe, ps.PSubscribe, ps.SSubscribe}
	if remove {
		do = [3]func(context.Context, ...string) error{ps.Unsubscribe, ps.PUnsubscribe, ps.SUnsubscribe}
	}
	for mode, list := range names {
		switch {
		case len(list) == 0:
		case mode == int(subShard) && l.perChannel:
			for _, name := range list {
				_ = do[mode](ctx, name)
			}
		default:
			_ = do[mode](ctx, list...)
		}
	}
}

// connect makes a new PubSub subscribed to every subscription, replacing
// the current one.
func (l *listener) connect() *redis.PubSub {
	ps := l.newPubSub()
	l.mu.Lock()
	old := l.ps
	l.ps = ps
	subs := make([]subscription, 0, len(l.subs))
	for s := range l.subs {
		subs = append(subs, s)
	}
	l.apply(ps, subs, false)
	l.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	return ps
}

// close closes the connection, which ends the read loop.
func (l *listener) close() {
	l.mu.Lock()
	ps := l.ps
	l.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
}

// run reads messages until the adapter closes.
func (l *listener) run() {
	a := l.a
	ps := l.connect()
	// Close may have run before connect: the connection is closed here
	// whichever ends first.
	defer l.close()
	backoff := time.Duration(0)
	pinged := false
	for a.ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(a.ctx, healthInterval)
		if a.ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if !pinged {
					pinged = true
					_ = ps.Ping(a.ctx)
					continue
				}
				a.log.Warn("redis adapter: subscription connection silent, reconnecting", "nsp", a.nsp.Name())
				ps = l.connect()
				pinged = false
				continue
			}
			l.mu.Lock()
			if !l.down {
				l.down = true
				a.log.Warn("redis adapter: subscription connection lost", "nsp", a.nsp.Name(), "err", err)
			}
			l.mu.Unlock()
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-a.ctx.Done():
				t.Stop()
				return
			}
			if l.perChannel {
				ps = l.connect()
			}
			continue
		}
		backoff, pinged = 0, false
		switch m := msg.(type) {
		case *redis.Message:
			a.handle(m.Channel, m.Pattern, []byte(m.Payload))
		case *redis.Subscription:
			l.mu.Lock()
			if l.down {
				l.down = false
				a.log.Info("redis adapter: subscribed again", "nsp", a.nsp.Name())
			}
			l.mu.Unlock()
		}
	}
}

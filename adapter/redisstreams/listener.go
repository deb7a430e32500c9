package redisstreams

import (
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// healthInterval is how long a silent subscription connection waits
// before it is pinged; a second silent interval replaces it.
const healthInterval = 15 * time.Second

// listen reads the namespace's two pub/sub channels (its requests and the
// answers to this server) until the adapter closes. go-redis dials again
// and subscribes again after the connection breaks; the loop backs off
// while Redis is away. Pub/sub keeps nothing: a request published while
// this server was not subscribed is not seen (its sender times out).
func (a *Adapter) listen() {
	ps := a.client.Subscribe(a.ctx, a.public, a.private)
	a.mu.Lock()
	a.ps = ps
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		ps := a.ps
		a.mu.Unlock()
		_ = ps.Close()
	}()
	backoff := time.Duration(0)
	pinged, down := false, false
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
				a.log.Warn("redis streams adapter: subscription connection silent, reconnecting", "nsp", a.nsp.Name())
				_ = ps.Close()
				ps = a.client.Subscribe(a.ctx, a.public, a.private)
				a.mu.Lock()
				a.ps = ps
				a.mu.Unlock()
				pinged = false
				continue
			}
			if !down {
				down = true
				a.log.Warn("redis streams adapter: subscription connection lost", "nsp", a.nsp.Name(), "err", err)
			}
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-a.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		backoff, pinged = 0, false
		switch m := msg.(type) {
		case *redis.Message:
			a.onPubSub(m.Channel, []byte(m.Payload))
		case *redis.Subscription:
			if down {
				down = false
				a.log.Info("redis streams adapter: subscribed again", "nsp", a.nsp.Name())
			}
		}
	}
}

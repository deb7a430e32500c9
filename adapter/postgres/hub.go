package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosio/sio/adapter"
)

// pingInterval is how long the listening connection waits for a
// notification before it checks the connection with a ping.
const pingInterval = 15 * time.Second

// hub is what the adapters of one factory share, as the reference's
// PubSubClient: the pool, the one connection that LISTENs to every
// namespace's channel (made again when lost), the periodic cleanup of the
// attachments table, and the counters. Its goroutines run while it has
// namespaces.
type hub struct {
	pool  *pgxpool.Pool
	opts  Options
	log   *slog.Logger
	stats adapter.ClusterCounters

	mu      sync.Mutex
	nsps    map[string]*Adapter // by channel
	wake    context.CancelFunc  // interrupts the listener's wait, to LISTEN anew
	cancel  context.CancelFunc  // stops the goroutines; nil while stopped
	wg      *sync.WaitGroup     // the goroutines of the current run
	lost    bool                // the listening connection was lost (logged once per loss)
	running bool
}

func newHub(pool *pgxpool.Pool, o Options) *hub {
	return &hub{pool: pool, opts: o, log: o.Logger, nsps: make(map[string]*Adapter)}
}

// register adds a namespace's adapter; the listener LISTENs to its
// channel and then calls a.onListening. The first namespace starts the
// goroutines.
func (h *hub) register(a *Adapter) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nsps[a.channel] = a
	if !h.running {
		h.running = true
		ctx, cancel := context.WithCancel(context.Background())
		h.cancel = cancel
		wg := &sync.WaitGroup{}
		h.wg = wg
		wg.Add(2)
		go func() { defer wg.Done(); h.listen(ctx) }()
		go func() { defer wg.Done(); h.cleanup(ctx) }()
		return
	}
	if h.wake != nil {
		h.wake()
	}
}

// unregister removes a namespace's adapter; the last one stops the
// goroutines and waits for them.
func (h *hub) unregister(a *Adapter) {
	h.mu.Lock()
	if h.nsps[a.channel] == a {
		delete(h.nsps, a.channel)
	}
	if len(h.nsps) > 0 || !h.running {
		if h.wake != nil {
			h.wake()
		}
		h.mu.Unlock()
		return
	}
	h.running = false
	cancel, wg := h.cancel, h.wg
	h.cancel, h.wg = nil, nil
	h.mu.Unlock()
	cancel()
	wg.Wait()
}

// listen keeps a connection that LISTENs to the channels of the
// namespaces, and dispatches their notifications, until ctx is done.
func (h *hub) listen(ctx context.Context) {
	for {
		err := h.session(ctx)
		if ctx.Err() != nil {
			return
		}
		h.mu.Lock()
		first := !h.lost
		h.lost = true
		h.mu.Unlock()
		if first {
			h.log.Warn("postgres adapter: listening connection lost; notifications sent until it is back are lost", "err", err)
		}
		d := time.Duration(float64(h.opts.ReconnectDelay) * (0.5 + rand.Float64()))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// session runs one listening connection: it returns when the connection
// fails, or ctx is done.
func (h *hub) session(ctx context.Context) error {
	pc, err := h.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection LISTENs: it must not go back to the pool.
	conn := pc.Hijack()
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = conn.Close(cctx)
		cancel()
	}()
	listened := make(map[string]bool)
	for {
		h.mu.Lock()
		want := make(map[string]*Adapter, len(h.nsps))
		for ch, a := range h.nsps {
			want[ch] = a
		}
		waitCtx, wake := context.WithTimeout(ctx, pingInterval)
		h.wake = wake
		h.mu.Unlock()
		err := h.sync(ctx, conn, listened, want)
		if err == nil {
			err = h.wait(ctx, waitCtx, conn)
		}
		wake()
		h.mu.Lock()
		h.wake = nil
		h.mu.Unlock()
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// sync LISTENs to the channels in want that are not listened yet, and
// UNLISTENs the others; each namespace newly listened hears about it.
func (h *hub) sync(ctx context.Context, conn *pgx.Conn, listened map[string]bool, want map[string]*Adapter) error {
	var fresh []*Adapter
	for ch, a := range want {
		if listened[ch] {
			continue
		}
		if _, err := conn.Exec(ctx, "LISTEN "+quoteChannel(ch)); err != nil {
			return err
		}
		listened[ch] = true
		fresh = append(fresh, a)
	}
	for ch := range listened {
		if want[ch] == nil {
			if _, err := conn.Exec(ctx, "UNLISTEN "+quoteChannel(ch)); err != nil {
				return err
			}
			delete(listened, ch)
		}
	}
	if len(fresh) > 0 {
		h.mu.Lock()
		back := h.lost
		h.lost = false
		h.mu.Unlock()
		if back {
			h.log.Info("postgres adapter: listening again")
		}
	}
	for _, a := range fresh {
		a.onListening()
	}
	return nil
}

// wait dispatches notifications until waitCtx is done (a new namespace,
// or time for a ping) or the connection fails.
func (h *hub) wait(ctx, waitCtx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(waitCtx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if waitCtx.Err() != nil && !conn.IsClosed() {
				if errors.Is(waitCtx.Err(), context.DeadlineExceeded) {
					pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					err = conn.Ping(pctx)
					cancel()
					return err
				}
				return nil
			}
			return err
		}
		h.dispatch(ctx, n.Channel, n.Payload)
	}
}

// dispatch hands a notification to its namespace, reading the message
// from the table when the notification is only its header.
func (h *hub) dispatch(ctx context.Context, channel, payload string) {
	h.mu.Lock()
	a := h.nsps[channel]
	h.mu.Unlock()
	if a == nil {
		return
	}
	m, att, err := decodeNotification(payload)
	if err != nil {
		a.malformed(err)
		return
	}
	if att != "" {
		if m.uid == a.uid {
			return
		}
		if m, err = h.fetchAttachment(ctx, att); err != nil {
			if ctx.Err() == nil {
				h.log.Warn("postgres adapter: attachment not read, message lost", "channel", channel, "id", att, "err", err)
			}
			return
		}
	}
	a.onMessage(m)
}

// fetchAttachment reads and decodes the message of row id of the table.
func (h *hub) fetchAttachment(ctx context.Context, id string) (*message, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("attachment id %q: %w", id, err)
	}
	qctx, cancel := context.WithTimeout(ctx, h.opts.RequestsTimeout)
	defer cancel()
	var b []byte
	if err := h.pool.QueryRow(qctx, "SELECT payload FROM "+h.opts.TableName+" WHERE id = $1", n).Scan(&b); err != nil {
		return nil, err
	}
	return decodeAttachment(b)
}

// cleanup deletes the table's rows older than CleanupInterval, every
// CleanupInterval, as the reference does.
func (h *hub) cleanup(ctx context.Context) {
	t := time.NewTicker(h.opts.CleanupInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, h.opts.RequestsTimeout)
		_, err := h.pool.Exec(qctx, "DELETE FROM "+h.opts.TableName+" WHERE created_at < now() - $1::interval",
			strconv.FormatInt(h.opts.CleanupInterval.Milliseconds(), 10)+" milliseconds")
		cancel()
		if err != nil && ctx.Err() == nil {
			h.log.Warn("postgres adapter: cleanup of the attachments table failed", "table", h.opts.TableName, "err", err)
		}
	}
}

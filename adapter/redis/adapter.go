package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/adapter/internal/workq"
	"github.com/gosio/sio/room"
)

var errClosed = adapter.ErrClosed

// NewAdapter returns the factory of adapters that join the servers of a
// cluster through Redis pub/sub, speaking the protocol of the reference's
// @socket.io/redis-adapter createAdapter (8.x): Go and Node servers with
// the same Key form one cluster, and @socket.io/redis-emitter reaches
// them. Pass it as socketio.Options.Adapter.
//
// client is shared by every namespace: publishes go through its pool and
// each namespace holds one more connection of its own, for its
// subscriptions. It may be a *redis.Client, a *redis.ClusterClient or a
// failover client. The adapter does not close it.
func NewAdapter(client redis.UniversalClient, opts *Options) adapter.Factory {
	o := opts.withDefaults()
	stats := new(adapter.ClusterCounters)
	return func(nsp adapter.Namespace) adapter.Adapter {
		return newAdapter(nsp, client, o, newClassic(client, nsp.Name(), &o), stats)
	}
}

// NewShardedAdapter returns the factory of adapters that join a cluster
// through Redis 7 sharded pub/sub (SPUBLISH and SSUBSCRIBE), speaking the
// protocol of the reference's createShardedAdapter: the ClusterAdapter
// messages of socket.io-adapter. Options.SubscriptionMode must be the same
// on every server. The Redis emitter does not speak this protocol (nor
// does it reach the Node servers of such a cluster).
//
// client is shared as with [NewAdapter]; with a *redis.ClusterClient each
// namespace holds one subscription connection per master that serves its
// channels.
func NewShardedAdapter(client redis.UniversalClient, opts *Options) adapter.Factory {
	o := opts.withDefaults()
	stats := new(adapter.ClusterCounters)
	return func(nsp adapter.Namespace) adapter.Adapter {
		return newAdapter(nsp, client, o, newSharded(client, nsp.Name(), &o), stats)
	}
}

// Adapter is the adapter of one namespace of one server. It keeps the
// namespace's local rooms as the in-memory adapter does, publishes every
// operation that is not Local to the other servers, and applies theirs.
//
// Its traffic is counted, with that of every adapter of its factory: see
// [Adapter.ClusterStats].
//
// Concurrency: its methods are safe for concurrent use. Methods that send
// to other servers queue the message and return without waiting for Redis
// (those that wait for answers, FetchSockets, ServerSideEmitWithAck and
// ServerCount, wait at most their context's deadline and the request
// timeout). Messages from other servers are read on the adapter's own
// goroutine, which delivers broadcasts to the local sockets; the
// namespace's server-side-emit handlers run one at a time on another
// goroutine, in the order the events arrived, so a handler may itself call
// FetchSockets or ServerSideEmitWithAck.
type Adapter struct {
	nsp    adapter.Namespace
	local  *adapter.InMemory
	client redis.UniversalClient
	opts   Options
	proto  protocol
	uid    string
	log    *slog.Logger
	stats  *adapter.ClusterCounters // the factory's

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine of the adapter

	out    workq.Batches[outMsg]
	events workq.Serial // server-side-emit handlers
	subs   workq.Serial // room subscription changes (sharded dynamic modes)

	mu        sync.Mutex
	closed    bool
	requests  map[string]*request
	ackWaits  map[string]*ackWait
	timers    map[*time.Timer]struct{}
	listeners map[string]*listener // by master address; "" without a cluster
	roomSubs  map[room.Room]subscription
}

// request is a request waiting for the other servers' answers.
type request struct {
	kind      kind
	expected  int
	answered  int
	sockets   []adapter.SocketDetails
	responses []any
	done      chan struct{}
}

// ackWait routes the answers to a broadcast with acks sent by this server.
type ackWait struct {
	onCount func(int)
	onAck   func(adapter.AckArgs)
}

func newAdapter(nsp adapter.Namespace, client redis.UniversalClient, o Options, p protocol, stats *adapter.ClusterCounters) *Adapter {
	a := &Adapter{
		stats:     stats,
		nsp:       nsp,
		client:    client,
		opts:      o,
		proto:     p,
		log:       o.Logger,
		requests:  make(map[string]*request),
		ackWaits:  make(map[string]*ackWait),
		timers:    make(map[*time.Timer]struct{}),
		listeners: make(map[string]*listener),
		roomSubs:  make(map[room.Room]subscription),
	}
	switch p := p.(type) {
	case *classic:
		a.uid = p.uid
	case *sharded:
		a.uid = p.uid
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.out = workq.Batches[outMsg]{Max: o.MaxPendingBytes, Size: outMsg.size, Send: a.send,
		Spawn: a.spawn, ErrFull: ErrQueueFull, ErrClosed: errClosed, Stats: stats}
	a.events = workq.Serial{Ctx: a.ctx, Spawn: a.spawn}
	a.subs = workq.Serial{Ctx: a.ctx, Spawn: a.spawn}
	// The in-memory adapter keeps the rooms; its room events pass through
	// here first, for the dynamic room channels.
	a.local = adapter.NewInMemory(eventTap{nsp, a}).(*adapter.InMemory)
	// Subscribing may wait for Redis (a cluster's slot map): not here.
	a.subs.Push(func() { a.subscribe(p.subscriptions()) })
	return a
}

var (
	_ adapter.Adapter       = (*Adapter)(nil)
	_ adapter.StatsReporter = (*Adapter)(nil)
)

// ClusterStats implements [adapter.StatsReporter]: the messages published
// and the requests made by every adapter of the factory (NewAdapter or
// NewShardedAdapter) that made a, with their round trips.
func (a *Adapter) ClusterStats() adapter.ClusterStats { return a.stats.Stats() }

// UID returns the adapter's ID in the cluster: the uid field of its
// messages.
func (a *Adapter) UID() string { return a.uid }

// spawn starts fn on a goroutine the adapter owns; it reports false after
// Close.
func (a *Adapter) spawn(fn func()) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		fn()
	}()
	return true
}

// afterFunc runs fn after d unless the adapter closes first.
func (a *Adapter) afterFunc(d time.Duration, fn func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		a.mu.Lock()
		_, live := a.timers[t]
		delete(a.timers, t)
		a.mu.Unlock()
		if live {
			fn()
		}
	})
	a.timers[t] = struct{}{}
}

// subscribe adds subscriptions, on the listener of their master.
func (a *Adapter) subscribe(subs []subscription) {
	for key, group := range a.groupByListener(subs) {
		a.mu.Lock()
		l := a.listeners[key]
		fresh := l == nil && !a.closed
		if fresh {
			l = newListener(a, a.client)
			a.listeners[key] = l
		}
		a.mu.Unlock()
		if l == nil {
			return
		}
		l.add(group...)
		if fresh {
			a.spawn(l.run)
		}
	}
}

// unsubscribe removes subscriptions.
func (a *Adapter) unsubscribe(subs []subscription) {
	for key, group := range a.groupByListener(subs) {
		a.mu.Lock()
		l := a.listeners[key]
		a.mu.Unlock()
		if l != nil {
			l.remove(group...)
		}
	}
}

// groupByListener groups subscriptions by the listener that takes them:
// one listener, except for shard channels on a Redis Cluster, grouped by
// the master of their slot.
func (a *Adapter) groupByListener(subs []subscription) map[string][]subscription {
	cc, ok := a.client.(*redis.ClusterClient)
	if !ok || !a.proto.sharded() {
		return map[string][]subscription{"": subs}
	}
	out := make(map[string][]subscription)
	for _, s := range subs {
		key := ""
		if node, err := cc.MasterForKey(a.ctx, s.name); err == nil {
			key = node.Options().Addr
		}
		out[key] = append(out[key], s)
	}
	return out
}

// eventTap is the namespace as the in-memory adapter sees it: room events
// update the dynamic room channels before they reach the namespace.
type eventTap struct {
	adapter.Namespace
	a *Adapter
}

// OnAdapterEvent implements adapter.Namespace.
func (t eventTap) OnAdapterEvent(ev adapter.Event) {
	switch ev.Type {
	case adapter.CreateRoom, adapter.DeleteRoom:
		if !t.a.proto.sharded() {
			break
		}
		t.a.onRoomEvent(ev)
	}
	t.Namespace.OnAdapterEvent(ev)
}

// onRoomEvent keeps a channel for each room that needs one (sharded
// adapter, dynamic modes) while the room exists here.
func (a *Adapter) onRoomEvent(ev adapter.Event) {
	var (
		sub    subscription
		ok     bool
		create = ev.Type == adapter.CreateRoom
	)
	if create {
		_, isSocket := a.local.Index().Member(room.SocketID(ev.Room))
		if sub, ok = a.proto.roomSubscription(ev.Room, isSocket); !ok {
			return
		}
	}
	a.mu.Lock()
	if create {
		a.roomSubs[ev.Room] = sub
	} else if sub, ok = a.roomSubs[ev.Room]; ok {
		delete(a.roomSubs, ev.Room)
	}
	a.mu.Unlock()
	if !ok {
		return
	}
	// Subscribing waits for Redis: not on the joining goroutine.
	a.subs.Push(func() {
		if create {
			a.subscribe([]subscription{sub})
		} else {
			a.unsubscribe([]subscription{sub})
		}
	})
}

// publish queues m for the other servers.
func (a *Adapter) publish(m *message) error {
	channel, payload, err := a.proto.encode(m)
	if err != nil {
		return err
	}
	return a.out.Push(outMsg{channel, payload})
}

// publishLogged queues an answer; a failure is logged, as nobody waits
// for it here.
func (a *Adapter) publishLogged(m *message) {
	if err := a.publish(m); err != nil && err != errClosed {
		a.log.Warn("redis adapter: answer dropped", "nsp", a.nsp.Name(), "err", err)
	}
}

func (a *Adapter) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// timeout returns the request timeout of opts.
func (a *Adapter) timeout(flags adapter.Flags) time.Duration {
	if flags.Timeout > 0 {
		return flags.Timeout
	}
	return a.opts.RequestsTimeout
}

// --- adapter.Adapter: local state -------------------------------------------

// AddAll implements [adapter.Adapter].
func (a *Adapter) AddAll(id room.SocketID, m adapter.Member, rooms ...room.Room) {
	a.local.AddAll(id, m, rooms...)
}

// Del implements [adapter.Adapter].
func (a *Adapter) Del(id room.SocketID, r room.Room) { a.local.Del(id, r) }

// DelAll implements [adapter.Adapter].
func (a *Adapter) DelAll(id room.SocketID) { a.local.DelAll(id) }

// SocketRooms implements [adapter.Adapter].
func (a *Adapter) SocketRooms(id room.SocketID) []room.Room { return a.local.SocketRooms(id) }

// Sockets implements [adapter.Adapter]: the local sockets only, as the
// reference's allSockets in 8.x.
func (a *Adapter) Sockets(rooms []room.Room) []room.SocketID { return a.local.Sockets(rooms) }

// Index returns the room index of the local sockets.
func (a *Adapter) Index() *room.Index[adapter.Member] { return a.local.Index() }

// PersistSession implements [adapter.Adapter]: connection-state recovery
// is not supported by the reference's Redis adapter either.
func (a *Adapter) PersistSession(*adapter.Session) error { return adapter.ErrNotSupported }

// RestoreSession implements [adapter.Adapter]; it returns
// [adapter.ErrNotSupported].
func (a *Adapter) RestoreSession(string, string) (*adapter.Session, []*adapter.Packet, error) {
	return nil, nil, adapter.ErrNotSupported
}

// --- adapter.Adapter: cluster operations ------------------------------------

// Broadcast implements [adapter.Adapter]: p goes to the local sockets and,
// unless the Local flag is set, is published to the other servers. The
// local delivery happens even when publishing fails (the error is then
// returned).
func (a *Adapter) Broadcast(p *adapter.Packet, opts adapter.BroadcastOptions) error {
	var err error
	if !opts.Flags.Local {
		err = a.publish(&message{kind: kBroadcast, packet: p, opts: opts})
	}
	_ = a.local.Broadcast(p, opts)
	return err
}

// BroadcastWithAck implements [adapter.Adapter]. The other servers report
// their client counts and their clients' acks until the broadcast's
// timeout (or Options.RequestsTimeout when it has none).
func (a *Adapter) BroadcastWithAck(p *adapter.Packet, opts adapter.BroadcastOptions, ackID uint64, onClientCount func(int), onAck func(adapter.AckArgs)) error {
	if !opts.Flags.Local {
		id := a.proto.requestID()
		a.mu.Lock()
		if a.closed {
			a.mu.Unlock()
			return errClosed
		}
		a.ackWaits[id] = &ackWait{onCount: onClientCount, onAck: onAck}
		a.mu.Unlock()
		a.afterFunc(a.timeout(opts.Flags), func() {
			a.mu.Lock()
			delete(a.ackWaits, id)
			a.mu.Unlock()
		})
		if err := a.publish(&message{kind: kBroadcastWithAck, requestID: id, packet: p, opts: opts}); err != nil {
			a.mu.Lock()
			delete(a.ackWaits, id)
			a.mu.Unlock()
			return err
		}
	}
	return a.local.BroadcastWithAck(p, opts, ackID, onClientCount, onAck)
}

// FetchSockets implements [adapter.Adapter]: the local sockets, and those
// of every other server. It fails with an error wrapping [ErrTimeout] when
// not every server answered within the timeout.
func (a *Adapter) FetchSockets(ctx context.Context, opts adapter.BroadcastOptions) (_ []adapter.SocketDetails, err error) {
	local, _ := a.local.FetchSockets(ctx, opts)
	if opts.Flags.Local {
		return local, nil
	}
	defer a.timed(adapter.RequestFetchSockets, time.Now(), &err)
	n, err := a.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	if n <= 1 {
		return local, nil
	}
	r := &request{kind: kFetch, expected: n - 1, sockets: local, done: make(chan struct{})}
	id, err := a.sendRequest(r, &message{kind: kFetch, opts: opts})
	if err != nil {
		return nil, err
	}
	if err := a.await(ctx, id, r, a.timeout(opts.Flags), "fetchSockets"); err != nil {
		return nil, err
	}
	return r.sockets, nil
}

// AddSockets implements [adapter.Adapter].
func (a *Adapter) AddSockets(ctx context.Context, opts adapter.BroadcastOptions, rooms []room.Room) error {
	var err error
	if !opts.Flags.Local {
		err = a.publish(&message{kind: kJoin, opts: opts, rooms: rooms})
	}
	_ = a.local.AddSockets(ctx, opts, rooms)
	return err
}

// DelSockets implements [adapter.Adapter].
func (a *Adapter) DelSockets(ctx context.Context, opts adapter.BroadcastOptions, rooms []room.Room) error {
	var err error
	if !opts.Flags.Local {
		err = a.publish(&message{kind: kLeave, opts: opts, rooms: rooms})
	}
	_ = a.local.DelSockets(ctx, opts, rooms)
	return err
}

// DisconnectSockets implements [adapter.Adapter].
func (a *Adapter) DisconnectSockets(ctx context.Context, opts adapter.BroadcastOptions, close bool) error {
	var err error
	if !opts.Flags.Local {
		err = a.publish(&message{kind: kDisconnect, opts: opts, close: close})
	}
	_ = a.local.DisconnectSockets(ctx, opts, close)
	return err
}

// ServerSideEmit implements [adapter.Adapter]: args (the event name and
// its arguments) go to the other servers. Arguments are sent as JSON
// (binary []byte values as binary with the sharded adapter, as the
// reference does).
func (a *Adapter) ServerSideEmit(_ context.Context, args []any) error {
	tree, err := fromGo(args)
	if err != nil {
		return err
	}
	return a.publish(&message{kind: kServerSideEmit, value: tree})
}

// ServerSideEmitWithAck implements [adapter.Adapter]: it returns one
// answer from each other server, decoded as encoding/json decodes into an
// interface. When not every server answers within
// Options.RequestsTimeout, it returns the answers that came with an error
// wrapping [ErrTimeout].
func (a *Adapter) ServerSideEmitWithAck(ctx context.Context, args []any) (_ []any, err error) {
	defer a.timed(adapter.RequestServerSideEmit, time.Now(), &err)
	tree, err := fromGo(args)
	if err != nil {
		return nil, err
	}
	n, err := a.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	if n <= 1 {
		return []any{}, nil
	}
	r := &request{kind: kServerSideEmit, expected: n - 1, responses: []any{}, done: make(chan struct{})}
	id, err := a.sendRequest(r, &message{kind: kServerSideEmit, value: tree})
	if err != nil {
		return nil, err
	}
	err = a.await(ctx, id, r, a.opts.RequestsTimeout, "serverSideEmit")
	a.mu.Lock()
	out := r.responses
	a.mu.Unlock()
	return out, err
}

// ServerCount implements [adapter.Adapter]: the number of servers
// subscribed to the namespace's request channel (PUBSUB NUMSUB), or to
// its channel with the sharded adapter (PUBSUB SHARDNUMSUB), this one
// included.
func (a *Adapter) ServerCount(ctx context.Context) (_ int, err error) {
	if a.isClosed() {
		return 0, errClosed
	}
	defer a.timed(adapter.RequestServerCount, time.Now(), &err)
	n, err := a.proto.serverCount(ctx)
	if err != nil {
		return 0, fmt.Errorf("redis adapter: server count: %w", err)
	}
	return n, nil
}

// timed records a request of kind k that started at start and ended with
// *err; defer it.
func (a *Adapter) timed(k adapter.RequestKind, start time.Time, err *error) {
	a.stats.Request(k, time.Since(start), *err)
}

// sendRequest registers r under a new request ID and publishes m with that
// ID; if the publish fails, r is forgotten.
func (a *Adapter) sendRequest(r *request, m *message) (string, error) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return "", errClosed
	}
	id := a.proto.requestID()
	a.requests[id] = r
	a.mu.Unlock()
	m.requestID = id
	if err := a.publish(m); err != nil {
		a.dropRequest(id)
		return "", err
	}
	return id, nil
}

func (a *Adapter) dropRequest(id string) {
	a.mu.Lock()
	delete(a.requests, id)
	a.mu.Unlock()
}

// await waits for the answers to request id.
func (a *Adapter) await(ctx context.Context, id string, r *request, timeout time.Duration, what string) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	var err error
	select {
	case <-r.done:
		return nil
	case <-t.C:
		a.mu.Lock()
		err = fmt.Errorf("%w: %s: %d of %d servers answered within %v", ErrTimeout, what, r.answered, r.expected, timeout)
		a.mu.Unlock()
	case <-ctx.Done():
		err = ctx.Err()
	case <-a.ctx.Done():
		err = errClosed
	}
	a.dropRequest(id)
	return err
}

// Close implements [adapter.Adapter]: it publishes what is queued (for at
// most a second), unsubscribes, and waits for the adapter's goroutines,
// including a server-side-emit handler that is running. Requests waiting
// for answers fail with [adapter.ErrClosed]. It does not close the Redis
// client. Close is idempotent.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	for t := range a.timers {
		t.Stop()
	}
	a.timers = nil
	listeners := a.listeners
	a.mu.Unlock()

	a.out.Drain(time.Second)
	a.cancel()
	for _, l := range listeners {
		l.close()
	}
	a.wg.Wait()
	return a.local.Close()
}

// --- messages from the other servers -----------------------------------------

// handle applies a message received on channel (matched by pattern, for
// the classic broadcasts).
func (a *Adapter) handle(channel, pattern string, payload []byte) {
	m, err := a.proto.decode(channel, pattern, payload)
	if err != nil {
		a.log.Debug("redis adapter: malformed message ignored", "nsp", a.nsp.Name(), "channel", channel, "err", err)
		return
	}
	if m == nil {
		return
	}
	if m.kind.isResponse() {
		a.onResponse(m)
		return
	}
	if m.uid == a.uid {
		return // our own request, already applied here
	}
	switch m.kind {
	case kBroadcast:
		if m.channelRoom != "" && !a.hasRoom(room.Room(m.channelRoom)) {
			return
		}
		a.nsp.Prepare(m.packet)
		_ = a.local.Broadcast(m.packet, m.opts)
	case kBroadcastWithAck:
		a.onBroadcastWithAck(m)
	case kJoin:
		_ = a.local.AddSockets(a.ctx, m.opts, m.rooms)
	case kLeave:
		_ = a.local.DelSockets(a.ctx, m.opts, m.rooms)
	case kDisconnect:
		_ = a.local.DisconnectSockets(a.ctx, m.opts, m.close)
	case kFetch:
		details, _ := a.local.FetchSockets(a.ctx, m.opts)
		sockets := make([]any, len(details))
		for i, d := range details {
			sockets[i] = socketTree(d)
		}
		a.publishLogged(&message{kind: kFetchResponse, uid: m.uid, requestID: m.requestID, sockets: sockets})
	case kServerSideEmit:
		a.onServerSideEmit(m)
	case kSockets:
		ids := a.local.Sockets(m.opts.Rooms)
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = string(id)
		}
		a.publishLogged(&message{kind: kSocketsResponse, uid: m.uid, requestID: m.requestID, ids: out})
	case kAllRooms:
		a.publishLogged(&message{kind: kAllRoomsResponse, uid: m.uid, requestID: m.requestID, rooms: a.local.Index().AllRooms()})
	case kLegacyJoin, kLegacyLeave, kLegacyDisconnect:
		member, ok := a.local.Index().Member(room.SocketID(m.sid))
		if !ok {
			return
		}
		switch m.kind {
		case kLegacyJoin:
			a.local.AddAll(room.SocketID(m.sid), member, room.Room(m.room))
		case kLegacyLeave:
			a.local.Del(room.SocketID(m.sid), room.Room(m.room))
		default:
			member.Disconnect(m.close)
		}
		a.publishLogged(&message{kind: kLegacyResponse, uid: m.uid, requestID: m.requestID})
	}
}

// hasRoom reports whether a room has local members.
func (a *Adapter) hasRoom(r room.Room) bool {
	found := false
	a.local.Index().ForEach([]room.Room{r}, nil, func(room.SocketID, adapter.Member) bool {
		found = true
		return false
	})
	return found
}

// onBroadcastWithAck delivers another server's broadcast with acks to the
// local sockets, under an ack ID of this namespace, and sends the client
// count and each ack back.
func (a *Adapter) onBroadcastWithAck(m *message) {
	prep, ok := a.nsp.(adapter.AckPreparer)
	if !ok {
		a.publishLogged(&message{kind: kClientCount, uid: m.uid, requestID: m.requestID, count: 0})
		return
	}
	id := prep.PrepareWithAck(m.packet)
	requester, reqID := m.uid, m.requestID
	_ = a.local.BroadcastWithAck(m.packet, m.opts, id,
		func(n int) {
			a.publishLogged(&message{kind: kClientCount, uid: requester, requestID: reqID, count: n})
		},
		func(args adapter.AckArgs) {
			// As in the reference, only the first argument travels.
			first, has := any(nil), false
			atts := args.Attachments
			if atts == nil {
				atts = [][]byte{}
			}
			if t, err := parseJSON(args.Data, atts); err == nil {
				if arr, ok := t.([]any); ok && len(arr) > 0 {
					first, has = arr[0], true
				}
			}
			a.publishLogged(&message{kind: kAck, uid: requester, requestID: reqID, value: first, hasValue: has})
		})
	// The requester stops listening after its timeout; so do the sockets.
	a.afterFunc(a.timeout(m.opts.Flags), func() {
		a.local.Members(adapter.BroadcastOptions{}, func(mb adapter.Member) { mb.CancelAck(id) })
	})
}

// onServerSideEmit passes another server's event to the namespace's
// handlers, on the events goroutine.
func (a *Adapter) onServerSideEmit(m *message) {
	args, _ := toGo(m.value).([]any)
	var ack func(any)
	if m.requestID != "" {
		var once sync.Once
		requester, reqID := m.uid, m.requestID
		ack = func(v any) {
			once.Do(func() {
				tree, err := fromGo(v)
				if err != nil {
					a.log.Warn("redis adapter: server-side emit answer not encodable", "nsp", a.nsp.Name(), "err", err)
					tree = nil
				}
				a.publishLogged(&message{kind: kServerSideEmitResponse, uid: requester, requestID: reqID, value: tree, hasValue: true})
			})
		}
	}
	a.events.Push(func() { a.nsp.OnServerSideEmit(args, ack) })
}

// onResponse routes another server's answer to the request waiting for
// it.
func (a *Adapter) onResponse(m *message) {
	a.mu.Lock()
	switch m.kind {
	case kClientCount, kAck:
		w := a.ackWaits[m.requestID]
		a.mu.Unlock()
		if w == nil {
			return
		}
		if m.kind == kClientCount {
			w.onCount(m.count)
			return
		}
		var atts [][]byte
		data := appendJSON([]byte{'['}, m.value, jsonPlaceholders, &atts)
		w.onAck(adapter.AckArgs{Data: append(data, ']'), Attachments: atts})
		return
	}
	defer a.mu.Unlock()
	r := a.requests[m.requestID]
	if r == nil {
		return
	}
	switch {
	case m.kind == kFetchResponse && r.kind == kFetch:
		for _, s := range m.sockets {
			if d, ok := decodeSocket(s); ok {
				r.sockets = append(r.sockets, d)
			}
		}
	case m.kind == kServerSideEmitResponse && r.kind == kServerSideEmit:
		r.responses = append(r.responses, toGo(m.value))
	default:
		return
	}
	r.answered++
	if r.answered == r.expected {
		close(r.done)
		delete(a.requests, m.requestID)
	}
}

package redisstreams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/adapter/internal/workq"
	"github.com/gosio/sio/internal/clustermsg"
	"github.com/gosio/sio/room"
)

var errClosed = adapter.ErrClosed

// NewAdapter returns the factory of adapters that join the servers of a
// cluster through Redis Streams, speaking the protocol of the reference's
// @socket.io/redis-streams-adapter (0.3.x): Go and Node servers with the
// same StreamName and ChannelPrefix form one cluster. Pass it as
// socketio.Options.Adapter.
//
// client is shared by every namespace: writes go through its pool; each
// stream in use has one more connection for its reader, and each namespace
// one for its pub/sub channels. It may be a *redis.Client, a
// *redis.ClusterClient or another [redis.UniversalClient] (with one that
// is neither, the reader uses the client's pool, and Close may wait for a
// blocked XREAD up to Options.BlockTime). The adapter does not close it.
func NewAdapter(client redis.UniversalClient, opts *Options) adapter.Factory {
	o := opts.withDefaults()
	h := newHub(client, o)
	return func(nsp adapter.Namespace) adapter.Adapter {
		return newAdapter(h, nsp)
	}
}

// Adapter is the adapter of one namespace of one server. It keeps the
// namespace's local rooms as the in-memory adapter does, sends every
// operation that is not Local to the other servers, and applies theirs.
//
// Broadcasts without acks, SocketsJoin, SocketsLeave and DisconnectSockets
// are added to the stream; broadcasts with acks, FetchSockets and
// ServerSideEmit are published on the namespace's channel
// (<prefix>#<nsp>#) and answered on the requester's
// (<prefix>#<nsp>#<uid>#), as the reference does.
//
// Concurrency: its methods are safe for concurrent use. Methods that send
// to other servers queue the message and return without waiting for Redis
// (those that wait for answers, FetchSockets, ServerSideEmitWithAck and
// ServerCount, wait at most their context's deadline and the request
// timeout; so do PersistSession and RestoreSession, which need Redis's
// answer, at most Options.RequestsTimeout). The stream's entries are
// applied on its reader's goroutine, in stream order; pub/sub messages on
// the namespace's listener goroutine; the namespace's server-side-emit
// handlers run one at a time on a third goroutine, in the order the events
// arrived, so a handler may itself call FetchSockets or
// ServerSideEmitWithAck. No user code runs with the adapter's locks held.
type Adapter struct {
	hub     *hub
	nsp     adapter.Namespace
	local   *adapter.InMemory
	client  redis.UniversalClient
	opts    *Options
	uid     string
	stream  string
	public  string // <prefix>#<nsp>#: requests
	private string // <prefix>#<nsp>#<uid>#: answers to this server
	log     *slog.Logger
	reader  *reader
	window  time.Duration // the server's recovery window; 0: recovery off

	// dmu is held while the reader delivers a broadcast entry locally
	// and while a restored socket joins its rooms, so that each entry
	// is either replayed to the socket or delivered to it, never both.
	// It comes before the room index's lock; no user code runs under it.
	dmu  sync.Mutex
	seen streamID // the last broadcast entry of the namespace delivered here

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine of the adapter

	out    workq.Batches[outMsg]
	events workq.Serial // server-side-emit handlers

	mu          sync.Mutex
	closed      bool
	ps          *redis.PubSub
	requests    map[string]*request
	ackWaits    map[string]*ackWait
	timers      map[*time.Timer]struct{}
	warnedPeers bool // a classic adapter's message was seen
}

// request is a request waiting for the other servers' answers.
type request struct {
	typ       int
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

func newAdapter(h *hub, nsp adapter.Namespace) *Adapter {
	o := &h.opts
	a := &Adapter{
		hub:      h,
		nsp:      nsp,
		client:   h.client,
		opts:     o,
		uid:      randomID(),
		stream:   streamName(o, nsp.Name()),
		log:      o.Logger,
		window:   recoveryWindow(nsp),
		requests: make(map[string]*request),
		ackWaits: make(map[string]*ackWait),
		timers:   make(map[*time.Timer]struct{}),
	}
	a.public = o.ChannelPrefix + "#" + nsp.Name() + "#"
	a.private = a.public + a.uid + "#"
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.out = workq.Batches[outMsg]{Max: o.MaxPendingBytes, Size: outSize, Send: a.send,
		Spawn: a.spawn, ErrFull: ErrQueueFull, ErrClosed: errClosed, Stats: &h.stats}
	a.events = workq.Serial{Ctx: a.ctx, Spawn: a.spawn}
	a.local = adapter.NewInMemory(nsp).(*adapter.InMemory)
	a.spawn(a.listen)
	a.reader = h.register(a)
	return a
}

var (
	_ adapter.Adapter       = (*Adapter)(nil)
	_ adapter.StatsReporter = (*Adapter)(nil)
)

// ClusterStats implements [adapter.StatsReporter]: the entries added,
// the messages published and the requests made by every adapter of the
// factory (NewAdapter) that made a, with their round trips.
func (a *Adapter) ClusterStats() adapter.ClusterStats { return a.hub.stats.Stats() }

// timed records a request of kind k that started at start and ended with
// *err; defer it.
func (a *Adapter) timed(k adapter.RequestKind, start time.Time, err *error) {
	a.hub.stats.Request(k, time.Since(start), *err)
}

// UID returns the adapter's ID in the cluster: the uid field of its
// messages.
func (a *Adapter) UID() string { return a.uid }

// Stream returns the name of the namespace's stream.
func (a *Adapter) Stream() string { return a.stream }

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

// newMessage returns a message of this server.
func (a *Adapter) newMessage(typ int, data clustermsg.Object) *message {
	return &message{uid: a.uid, nsp: a.nsp.Name(), typ: typ, data: data}
}

// addEntry queues m for the stream.
func (a *Adapter) addEntry(m *message) error {
	values, err := entryValues(m)
	if err != nil {
		return err
	}
	size := 0
	for _, v := range values {
		size += len(v.(string))
	}
	return a.out.Push(outMsg{values: values, size: size})
}

// publish queues m for channel.
func (a *Adapter) publish(channel string, m *message) error {
	payload, err := encodePubSub(m)
	if err != nil {
		return err
	}
	return a.out.Push(outMsg{channel: channel, payload: payload, size: len(channel) + len(payload)})
}

// respond queues an answer to the server requester; a failure is logged,
// as nobody waits for it here.
func (a *Adapter) respond(requester string, typ int, data clustermsg.Object) {
	err := a.publish(a.opts.ChannelPrefix+"#"+a.nsp.Name()+"#"+requester+"#", a.newMessage(typ, data))
	if err != nil && !errors.Is(err, errClosed) {
		a.log.Warn("redis streams adapter: answer dropped", "nsp", a.nsp.Name(), "err", err)
	}
}

func (a *Adapter) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// timeout returns the request timeout of flags.
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

// Sockets implements [adapter.Adapter]: the local sockets only.
func (a *Adapter) Sockets(rooms []room.Room) []room.SocketID { return a.local.Sockets(rooms) }

// Index returns the room index of the local sockets.
func (a *Adapter) Index() *room.Index[adapter.Member] { return a.local.Index() }

// --- adapter.Adapter: cluster operations ------------------------------------

// broadcastData is the data of a BROADCAST message.
func (a *Adapter) broadcastData(p *adapter.Packet, opts adapter.BroadcastOptions) (clustermsg.Object, error) {
	pkt, err := clustermsg.PacketTree(p, a.nsp.Name(), true)
	if err != nil {
		return nil, err
	}
	return clustermsg.Object{{"packet", pkt}, {"opts", clustermsg.OptsTree(opts, true)}}, nil
}

// Broadcast implements [adapter.Adapter]: p goes to the local sockets and,
// unless the Local flag is set, is added to the stream for the other
// servers. The local delivery happens even when queuing fails (the error
// is then returned).
//
// With the server's recovery on, a broadcast that is neither Local nor
// Volatile is delivered locally by the stream's reader once its entry is
// in the stream, with the entry's ID as its last argument (the offset),
// encoded once for every local recipient: the call does not wait for
// Redis, and the broadcasts of a namespace reach every server's sockets in
// stream order, so two broadcasts from one goroutine arrive in order
// everywhere. If the entry is surely not added (queue full, Redis
// refusing, no connection), the broadcast is delivered locally without an
// offset, as the reference does.
func (a *Adapter) Broadcast(p *adapter.Packet, opts adapter.BroadcastOptions) error {
	if a.window > 0 && !opts.Flags.Local && !opts.Flags.Volatile {
		return a.broadcastLogged(p, opts)
	}
	if p.Encoded == nil {
		a.nsp.Prepare(p) // a Local broadcast of a server with recovery on
	}
	var err error
	if !opts.Flags.Local {
		var data clustermsg.Object
		if data, err = a.broadcastData(p, opts); err == nil {
			err = a.addEntry(a.newMessage(typeBroadcast, data))
		}
	}
	_ = a.local.Broadcast(p, opts)
	return err
}

// broadcastLogged adds a broadcast to the stream, for the reader to
// deliver here too. p.Data is read before it returns, as
// [adapter.OffsetLogger] requires.
func (a *Adapter) broadcastLogged(p *adapter.Packet, opts adapter.BroadcastOptions) error {
	data, err := a.broadcastData(p, opts)
	var values []any
	if err == nil {
		values, err = entryValues(a.newMessage(typeBroadcast, data))
	}
	if err == nil {
		size := 0
		for _, v := range values {
			size += len(v.(string))
		}
		err = a.out.Push(outMsg{values: values, size: size, onFail: func() { a.deliverUnlogged(values) }})
	}
	if err != nil {
		if p.Encoded == nil {
			a.nsp.Prepare(p)
		}
		_ = a.local.Broadcast(p, opts)
	}
	return err
}

// deliverUnlogged delivers locally, without an offset, a broadcast whose
// entry could not be added.
func (a *Adapter) deliverUnlogged(values []any) {
	fields := make(map[string]any, len(values)/2)
	for i := 0; i+1 < len(values); i += 2 {
		fields[values[i].(string)] = values[i+1]
	}
	m, err := decodeEntry(fields)
	if err != nil || m == nil {
		return
	}
	p, err := clustermsg.DecodePacket(m.data.Get("packet"), a.nsp.Name())
	if err != nil || p == nil {
		return
	}
	a.nsp.Prepare(p)
	_ = a.local.Broadcast(p, clustermsg.DecodeOpts(m.data.Get("opts")))
}

// BroadcastWithAck implements [adapter.Adapter]. The broadcast goes on
// the pub/sub channel (acks cannot be replayed); the other servers report
// their client counts and their clients' acks until the broadcast's
// timeout (or Options.RequestsTimeout when it has none).
func (a *Adapter) BroadcastWithAck(p *adapter.Packet, opts adapter.BroadcastOptions, ackID uint64, onClientCount func(int), onAck func(adapter.AckArgs)) error {
	if !opts.Flags.Local {
		data, err := a.broadcastData(p, opts)
		if err != nil {
			return err
		}
		id := randomID()
		a.mu.Lock()
		if a.closed {
			a.mu.Unlock()
			return errClosed
		}
		a.ackWaits[id] = &ackWait{onCount: onClientCount, onAck: onAck}
		a.mu.Unlock()
		forget := func() {
			a.mu.Lock()
			delete(a.ackWaits, id)
			a.mu.Unlock()
		}
		a.afterFunc(a.timeout(opts.Flags), forget)
		data = append(data, clustermsg.Member{Key: "requestId", Val: id})
		if err := a.publish(a.public, a.newMessage(typeBroadcast, data)); err != nil {
			forget()
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
	r := &request{typ: typeFetchSockets, expected: n - 1, sockets: local, done: make(chan struct{})}
	id, err := a.sendRequest(r, clustermsg.Object{{"opts", clustermsg.OptsTree(opts, true)}})
	if err != nil {
		return nil, err
	}
	if err := a.await(ctx, id, r, a.timeout(opts.Flags), "fetchSockets"); err != nil {
		return nil, err
	}
	return r.sockets, nil
}

// remoteOp adds a SOCKETS_JOIN, SOCKETS_LEAVE or DISCONNECT_SOCKETS entry
// unless opts is Local.
func (a *Adapter) remoteOp(typ int, opts adapter.BroadcastOptions, data clustermsg.Object) error {
	if opts.Flags.Local {
		return nil
	}
	return a.addEntry(a.newMessage(typ, append(clustermsg.Object{{"opts", clustermsg.OptsTree(opts, true)}}, data...)))
}

// AddSockets implements [adapter.Adapter].
func (a *Adapter) AddSockets(ctx context.Context, opts adapter.BroadcastOptions, rooms []room.Room) error {
	err := a.remoteOp(typeSocketsJoin, opts, clustermsg.Object{{"rooms", clustermsg.RoomsTree(rooms)}})
	_ = a.local.AddSockets(ctx, opts, rooms)
	return err
}

// DelSockets implements [adapter.Adapter].
func (a *Adapter) DelSockets(ctx context.Context, opts adapter.BroadcastOptions, rooms []room.Room) error {
	err := a.remoteOp(typeSocketsLeave, opts, clustermsg.Object{{"rooms", clustermsg.RoomsTree(rooms)}})
	_ = a.local.DelSockets(ctx, opts, rooms)
	return err
}

// DisconnectSockets implements [adapter.Adapter].
func (a *Adapter) DisconnectSockets(ctx context.Context, opts adapter.BroadcastOptions, close bool) error {
	err := a.remoteOp(typeDisconnectSockets, opts, clustermsg.Object{{"close", close}})
	_ = a.local.DisconnectSockets(ctx, opts, close)
	return err
}

// ServerSideEmit implements [adapter.Adapter]: args (the event name and
// its arguments) go to the other servers; []byte arguments travel as
// binary.
func (a *Adapter) ServerSideEmit(_ context.Context, args []any) error {
	tree, err := clustermsg.FromGo(args)
	if err != nil {
		return err
	}
	return a.publish(a.public, a.newMessage(typeServerSideEmit, clustermsg.Object{{"packet", tree}}))
}

// ServerSideEmitWithAck implements [adapter.Adapter]: it returns one
// answer from each other server, decoded as encoding/json decodes into an
// interface. When not every server answers within
// Options.RequestsTimeout, it returns the answers that came with an error
// wrapping [ErrTimeout].
func (a *Adapter) ServerSideEmitWithAck(ctx context.Context, args []any) (_ []any, err error) {
	defer a.timed(adapter.RequestServerSideEmit, time.Now(), &err)
	tree, err := clustermsg.FromGo(args)
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
	r := &request{typ: typeServerSideEmit, expected: n - 1, responses: []any{}, done: make(chan struct{})}
	id, err := a.sendRequest(r, clustermsg.Object{{"packet", tree}})
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
// subscribed to the namespace's channel (PUBSUB NUMSUB, summed over the
// masters of a Redis Cluster), this one included, as the reference counts
// them.
func (a *Adapter) ServerCount(ctx context.Context) (_ int, err error) {
	if a.isClosed() {
		return 0, errClosed
	}
	defer a.timed(adapter.RequestServerCount, time.Now(), &err)
	n, err := numSub(ctx, a.client, a.public)
	if err != nil {
		return 0, fmt.Errorf("redis streams adapter: server count: %w", err)
	}
	return n, nil
}

// numSub runs PUBSUB NUMSUB for channel; on a Redis Cluster it sums the
// answers of every master.
func numSub(ctx context.Context, client redis.UniversalClient, channel string) (int, error) {
	one := func(ctx context.Context, c redis.Cmdable) (int, error) {
		res, err := c.PubSubNumSub(ctx, channel).Result()
		return int(res[channel]), err
	}
	cc, ok := client.(*redis.ClusterClient)
	if !ok {
		return one(ctx, client)
	}
	var (
		mu    sync.Mutex
		total int
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		n, err := one(ctx, node)
		mu.Lock()
		total += n
		mu.Unlock()
		return err
	})
	return total, err
}

// sendRequest registers r under a new request ID and publishes a message
// of r's type with data and that ID; if the publish fails, r is
// forgotten.
func (a *Adapter) sendRequest(r *request, data clustermsg.Object) (string, error) {
	id := randomID()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return "", errClosed
	}
	a.requests[id] = r
	a.mu.Unlock()
	data = append(clustermsg.Object{{"requestId", id}}, data...)
	if err := a.publish(a.public, a.newMessage(r.typ, data)); err != nil {
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

// Close implements [adapter.Adapter]: it writes what is queued (for at
// most a second), stops the namespace's goroutines (and the stream's
// reader when no other namespace of the factory reads that stream) and
// waits for them, including a server-side-emit handler that is running.
// Requests waiting for answers fail with [adapter.ErrClosed]. It does not
// close the Redis client. Close is idempotent.
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
	a.mu.Unlock()

	a.hub.unregister(a)
	a.out.Drain(time.Second)
	a.cancel()
	a.mu.Lock()
	ps := a.ps
	a.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
	a.wg.Wait()
	return a.local.Close()
}

// --- messages from the other servers -----------------------------------------

// onEntry applies a stream entry of this namespace, on the reader's
// goroutine. id is the entry's ID.
//
// With recovery on, this server's own broadcasts are delivered here too
// (except the volatile ones, delivered when sent), with id as their
// offset.
func (a *Adapter) onEntry(m *message, id string) {
	own := m.uid == a.uid
	if (own && (a.window <= 0 || m.typ != typeBroadcast)) || a.isClosed() {
		return
	}
	switch m.typ {
	case typeBroadcast:
		if m.requestID() != "" {
			if !own {
				// Not written to the stream by the reference; taken anyway.
				a.onBroadcastWithAck(m)
			}
			return
		}
		opts := clustermsg.DecodeOpts(m.data.Get("opts"))
		if own && opts.Flags.Volatile {
			return
		}
		p, err := clustermsg.DecodePacket(m.data.Get("packet"), a.nsp.Name())
		if err != nil || p == nil {
			a.malformed(err)
			return
		}
		a.deliverEntry(p, opts, id)
	default:
		a.apply(m)
	}
}

// onPubSub applies a message received on one of the namespace's channels,
// on the listener goroutine.
func (a *Adapter) onPubSub(channel string, payload []byte) {
	m, err := decodePubSub(payload)
	if errors.Is(err, errClassicPeer) {
		a.mu.Lock()
		warn := !a.warnedPeers
		a.warnedPeers = true
		a.mu.Unlock()
		if warn {
			a.log.Warn("redis streams adapter: a server with the classic (pub/sub) Redis adapter publishes on this namespace's channel; "+
				"the two kinds do not see each other's broadcasts: use one adapter kind per cluster", "nsp", a.nsp.Name(), "channel", channel)
		}
		return
	}
	if err != nil {
		a.malformed(err)
		return
	}
	if m.nsp != a.nsp.Name() {
		return
	}
	if m.isResponse() {
		if channel == a.private {
			a.onResponse(m)
		}
		return
	}
	if m.uid == a.uid {
		return
	}
	if m.typ == typeBroadcast {
		if m.requestID() != "" {
			a.onBroadcastWithAck(m)
			return
		}
		p, err := clustermsg.DecodePacket(m.data.Get("packet"), a.nsp.Name())
		if err != nil || p == nil {
			a.malformed(err)
			return
		}
		a.nsp.Prepare(p)
		_ = a.local.Broadcast(p, clustermsg.DecodeOpts(m.data.Get("opts")))
		return
	}
	a.apply(m)
}

func (a *Adapter) malformed(err error) {
	if err != nil {
		a.log.Debug("redis streams adapter: malformed message ignored", "nsp", a.nsp.Name(), "err", err)
	}
}

// apply runs another server's request, other than a broadcast.
func (a *Adapter) apply(m *message) {
	opts := clustermsg.DecodeOpts(m.data.Get("opts"))
	switch m.typ {
	case typeSocketsJoin:
		_ = a.local.AddSockets(a.ctx, opts, clustermsg.DecodeRooms(m.data.Get("rooms")))
	case typeSocketsLeave:
		_ = a.local.DelSockets(a.ctx, opts, clustermsg.DecodeRooms(m.data.Get("rooms")))
	case typeDisconnectSockets:
		close, _ := m.data.Get("close").(bool)
		_ = a.local.DisconnectSockets(a.ctx, opts, close)
	case typeFetchSockets:
		details, _ := a.local.FetchSockets(a.ctx, opts)
		sockets := make([]any, len(details))
		for i, d := range details {
			sockets[i] = clustermsg.SocketTree(d)
		}
		a.respond(m.uid, typeFetchSocketsResponse, clustermsg.Object{{"requestId", m.requestID()}, {"sockets", sockets}})
	case typeServerSideEmit:
		a.onServerSideEmit(m)
	case typeFetchSocketsResponse, typeServerSideEmitResponse, typeBroadcastClientCount, typeBroadcastAck:
		a.onResponse(m)
	}
}

// onBroadcastWithAck delivers another server's broadcast with acks to the
// local sockets, under an ack ID of this namespace, and sends the client
// count and each ack back.
func (a *Adapter) onBroadcastWithAck(m *message) {
	requester, reqID := m.uid, m.requestID()
	p, err := clustermsg.DecodePacket(m.data.Get("packet"), a.nsp.Name())
	if err != nil || p == nil {
		a.malformed(err)
		return
	}
	opts := clustermsg.DecodeOpts(m.data.Get("opts"))
	prep, ok := a.nsp.(adapter.AckPreparer)
	if !ok {
		a.respond(requester, typeBroadcastClientCount, clustermsg.Object{{"requestId", reqID}, {"clientCount", int64(0)}})
		return
	}
	id := prep.PrepareWithAck(p)
	_ = a.local.BroadcastWithAck(p, opts, id,
		func(n int) {
			a.respond(requester, typeBroadcastClientCount, clustermsg.Object{{"requestId", reqID}, {"clientCount", int64(n)}})
		},
		func(args adapter.AckArgs) {
			// As in the reference, only the first argument travels.
			data := clustermsg.Object{{"requestId", reqID}}
			atts := args.Attachments
			if atts == nil {
				atts = [][]byte{}
			}
			if t, err := clustermsg.ParseJSON(args.Data, atts); err == nil {
				if arr, ok := t.([]any); ok && len(arr) > 0 {
					data = append(data, clustermsg.Member{Key: "packet", Val: arr[0]})
				}
			}
			a.respond(requester, typeBroadcastAck, data)
		})
	// The requester stops listening after its timeout; so do the sockets.
	a.afterFunc(a.timeout(opts.Flags), func() {
		a.local.Members(adapter.BroadcastOptions{}, func(mb adapter.Member) { mb.CancelAck(id) })
	})
}

// onServerSideEmit passes another server's event to the namespace's
// handlers, on the events goroutine.
func (a *Adapter) onServerSideEmit(m *message) {
	packet, ok := m.data.Get("packet").([]any)
	if !ok {
		a.malformed(fmt.Errorf("%w: server-side emit without packet", clustermsg.ErrMalformed))
		return
	}
	args, _ := clustermsg.ToGo(packet).([]any)
	var ack func(any)
	if reqID := m.requestID(); reqID != "" {
		var once sync.Once
		requester := m.uid
		ack = func(v any) {
			once.Do(func() {
				tree, err := clustermsg.FromGo(v)
				if err != nil {
					a.log.Warn("redis streams adapter: server-side emit answer not encodable", "nsp", a.nsp.Name(), "err", err)
					tree = nil
				}
				a.respond(requester, typeServerSideEmitResponse, clustermsg.Object{{"requestId", reqID}, {"packet", tree}})
			})
		}
	}
	a.events.Push(func() { a.nsp.OnServerSideEmit(args, ack) })
}

// onResponse routes another server's answer to the request waiting for
// it. The callbacks of a broadcast with acks run with no lock held.
func (a *Adapter) onResponse(m *message) {
	reqID := m.requestID()
	a.mu.Lock()
	switch m.typ {
	case typeBroadcastClientCount, typeBroadcastAck:
		w := a.ackWaits[reqID]
		a.mu.Unlock()
		if w == nil {
			return
		}
		if m.typ == typeBroadcastClientCount {
			n, _ := clustermsg.Integer(m.data.Get("clientCount"))
			w.onCount(n)
			return
		}
		var atts [][]byte
		data := []byte{'['}
		if m.data.Has("packet") {
			data = clustermsg.AppendJSON(data, m.data.Get("packet"), clustermsg.JSONPlaceholders, &atts)
		}
		w.onAck(adapter.AckArgs{Data: append(data, ']'), Attachments: atts})
		return
	}
	defer a.mu.Unlock()
	r := a.requests[reqID]
	if r == nil {
		return
	}
	switch {
	case m.typ == typeFetchSocketsResponse && r.typ == typeFetchSockets:
		sockets, _ := m.data.Get("sockets").([]any)
		for _, s := range sockets {
			if d, ok := clustermsg.DecodeSocket(s); ok {
				r.sockets = append(r.sockets, d)
			}
		}
	case m.typ == typeServerSideEmitResponse && r.typ == typeServerSideEmit:
		r.responses = append(r.responses, clustermsg.ToGo(m.data.Get("packet")))
	default:
		return
	}
	r.answered++
	if r.answered == r.expected {
		close(r.done)
		delete(a.requests, reqID)
	}
}

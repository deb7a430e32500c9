package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/adapter/internal/workq"
	"github.com/gosio/sio/internal/clustermsg"
	"github.com/gosio/sio/room"
)

var errClosed = adapter.ErrClosed

// NewAdapter returns the factory of adapters that join the servers of a
// cluster through Postgres LISTEN/NOTIFY, speaking the protocol of the
// reference's @socket.io/postgres-adapter (0.5.x): Go and Node servers
// with the same ChannelPrefix and TableName on one database form one
// cluster. Pass it as socketio.Options.Adapter.
//
// pool is shared by every namespace: notifications and the table's rows
// go through it, and one of its connections is taken out of it for good
// (while the factory has namespaces) to LISTEN. The attachments table
// must exist ([CreateTable]). The adapter does not close the pool.
func NewAdapter(pool *pgxpool.Pool, opts *Options) adapter.Factory {
	h := newHub(pool, opts.withDefaults())
	return func(nsp adapter.Namespace) adapter.Adapter {
		return newAdapter(h, nsp)
	}
}

// Adapter is the adapter of one namespace of one server. It keeps the
// namespace's local rooms as the in-memory adapter does, sends every
// operation that is not Local to the other servers as a notification on
// the namespace's channel, and applies theirs.
//
// Concurrency: its methods are safe for concurrent use. Methods that send
// to other servers queue the message and return without waiting for
// Postgres (those that wait for answers, FetchSockets and
// ServerSideEmitWithAck, wait at most their context's deadline and the
// request timeout). Notifications are applied on the factory's listening
// goroutine, in the order Postgres delivers them; the namespace's
// server-side-emit handlers run one at a time on another goroutine, in the
// order the events arrived, so a handler may itself call FetchSockets or
// ServerSideEmitWithAck. No user code runs with the adapter's locks held.
type Adapter struct {
	hub     *hub
	nsp     adapter.Namespace
	local   *adapter.InMemory
	opts    *Options
	uid     string
	channel string
	log     *slog.Logger

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine of the adapter

	out    workq.Batches[outMsg]
	events workq.Serial // server-side-emit handlers

	listening     chan struct{} // closed once the channel is first listened
	listeningOnce sync.Once

	// lastPublish is when this server last queued a message (UnixNano),
	// for tick's heartbeats; set per message, without mu.
	lastPublish atomic.Int64

	mu       sync.Mutex
	closed   bool
	nodes    map[string]time.Time // the other servers: uid -> last message
	requests map[string]*request
	ackWaits map[string]*ackWait
	timers   map[*time.Timer]struct{}
}

// request is a request waiting for the other servers' answers.
type request struct {
	typ       int
	missing   map[string]bool // the uids that have not answered
	expected  int
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
		hub:       h,
		nsp:       nsp,
		opts:      o,
		uid:       randomID(),
		channel:   channelName(o.ChannelPrefix, nsp.Name()),
		log:       o.Logger,
		listening: make(chan struct{}),
		nodes:     make(map[string]time.Time),
		requests:  make(map[string]*request),
		ackWaits:  make(map[string]*ackWait),
		timers:    make(map[*time.Timer]struct{}),
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.out = workq.Batches[outMsg]{Max: o.MaxPendingBytes, Size: outSize, Send: a.send,
		Spawn: a.spawn, ErrFull: ErrQueueFull, ErrClosed: errClosed, Stats: &h.stats}
	a.events = workq.Serial{Ctx: a.ctx, Spawn: a.spawn}
	a.local = adapter.NewInMemory(nsp).(*adapter.InMemory)
	a.spawn(a.tick)
	h.register(a)
	return a
}

var (
	_ adapter.Adapter       = (*Adapter)(nil)
	_ adapter.StatsReporter = (*Adapter)(nil)
)

// ClusterStats implements [adapter.StatsReporter]: the notifications sent
// and the requests made by every adapter of the factory (NewAdapter) that
// made a, with their round trips.
func (a *Adapter) ClusterStats() adapter.ClusterStats { return a.hub.stats.Stats() }

// timed records a request of kind k that started at start and ended with
// *err; defer it.
func (a *Adapter) timed(k adapter.RequestKind, start time.Time, err *error) {
	a.hub.stats.Request(k, time.Since(start), *err)
}

// UID returns the adapter's ID in the cluster: the uid field of its
// messages.
func (a *Adapter) UID() string { return a.uid }

// Channel returns the name of the namespace's notification channel.
func (a *Adapter) Channel() string { return a.channel }

// Listening returns a channel closed once the namespace's channel is
// listened to for the first time: from then on this server receives the
// other servers' messages.
func (a *Adapter) Listening() <-chan struct{} { return a.listening }

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

// publish queues a message of this server of type typ with data.
func (a *Adapter) publish(typ int, data clustermsg.Object) error {
	m := &message{uid: a.uid, nsp: a.nsp.Name(), typ: typ, data: data}
	payload, att, err := encode(m, a.opts.PayloadThreshold)
	if err != nil {
		return err
	}
	a.lastPublish.Store(time.Now().UnixNano())
	return a.out.Push(outMsg{payload: payload, attachment: att, typ: typ})
}

// respond queues an answer; a failure is logged, as nobody waits for it
// here. Answers go on the namespace's channel, as in the reference.
func (a *Adapter) respond(typ int, data clustermsg.Object) {
	if err := a.publish(typ, data); err != nil && !errors.Is(err, errClosed) {
		a.log.Warn("postgres adapter: answer dropped", "nsp", a.nsp.Name(), "err", err)
	}
}

// onListening runs on the listening goroutine each time the namespace's
// channel is listened to (first, and after a reconnection): the server
// announces itself, and the others answer with a heartbeat.
func (a *Adapter) onListening() {
	a.listeningOnce.Do(func() { close(a.listening) })
	_ = a.publish(typeInitialHeartbeat, nil)
}

// tick sends heartbeats when the server has been quiet for
// HeartbeatInterval, and forgets the servers not heard of for
// HeartbeatTimeout, as ClusterAdapterWithHeartbeat does.
func (a *Adapter) tick() {
	period := min(time.Second, a.opts.HeartbeatInterval/4, a.opts.HeartbeatTimeout/4)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		a.mu.Lock()
		quiet := now.Sub(time.Unix(0, a.lastPublish.Load())) >= a.opts.HeartbeatInterval
		var gone []string
		for uid, seen := range a.nodes {
			if now.Sub(seen) > a.opts.HeartbeatTimeout {
				gone = append(gone, uid)
			}
		}
		for _, uid := range gone {
			a.removeNodeLocked(uid)
		}
		a.mu.Unlock()
		if quiet {
			select {
			case <-a.listening:
				_ = a.publish(typeHeartbeat, nil)
			default:
			}
		}
	}
}

// removeNodeLocked forgets server uid: requests stop waiting for it.
func (a *Adapter) removeNodeLocked(uid string) {
	delete(a.nodes, uid)
	for id, r := range a.requests {
		if r.missing[uid] {
			delete(r.missing, uid)
			if len(r.missing) == 0 {
				close(r.done)
				delete(a.requests, id)
			}
		}
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

// PersistSession implements [adapter.Adapter]: connection-state recovery
// is not supported, as with the reference.
func (a *Adapter) PersistSession(*adapter.Session) error { return adapter.ErrNotSupported }

// RestoreSession implements [adapter.Adapter]; it returns
// [adapter.ErrNotSupported].
func (a *Adapter) RestoreSession(string, string) (*adapter.Session, []*adapter.Packet, error) {
	return nil, nil, adapter.ErrNotSupported
}

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
// unless the Local flag is set, to the other servers: as a notification,
// or through the attachments table when it holds binary data or its JSON
// reaches Options.PayloadThreshold bytes. The local delivery happens even
// when queuing fails (the error is then returned).
func (a *Adapter) Broadcast(p *adapter.Packet, opts adapter.BroadcastOptions) error {
	if p.Encoded == nil {
		a.nsp.Prepare(p)
	}
	var err error
	if !opts.Flags.Local {
		var data clustermsg.Object
		if data, err = a.broadcastData(p, opts); err == nil {
			err = a.publish(typeBroadcast, data)
		}
	}
	_ = a.local.Broadcast(p, opts)
	return err
}

// BroadcastWithAck implements [adapter.Adapter]: the other servers report
// their client counts and their clients' acks until the broadcast's
// timeout (or Options.RequestsTimeout when it has none).
func (a *Adapter) BroadcastWithAck(p *adapter.Packet, opts adapter.BroadcastOptions, ackID uint64, onClientCount func(int), onAck func(adapter.AckArgs)) error {
	if !opts.Flags.Local {
		pkt, err := clustermsg.PacketTree(p, a.nsp.Name(), true)
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
		data := clustermsg.Object{{"packet", pkt}, {"requestId", id}, {"opts", clustermsg.OptsTree(opts, true)}}
		if err := a.publish(typeBroadcast, data); err != nil {
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
	if a.isClosed() {
		return nil, errClosed
	}
	defer a.timed(adapter.RequestFetchSockets, time.Now(), &err)
	r := &request{typ: typeFetchSockets, sockets: local}
	id, err := a.sendRequest(r, func(id string) clustermsg.Object {
		return clustermsg.Object{{"opts", clustermsg.OptsTree(opts, true)}, {"requestId", id}}
	})
	if err != nil || id == "" {
		return local, err
	}
	if err := a.await(ctx, id, r, a.timeout(opts.Flags), "fetchSockets"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return r.sockets, nil
}

// remoteOp publishes a SOCKETS_JOIN, SOCKETS_LEAVE or DISCONNECT_SOCKETS
// message unless opts is Local.
func (a *Adapter) remoteOp(typ int, opts adapter.BroadcastOptions, data clustermsg.Object) error {
	if opts.Flags.Local {
		return nil
	}
	return a.publish(typ, append(clustermsg.Object{{"opts", clustermsg.OptsTree(opts, true)}}, data...))
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
// binary, through the attachments table.
func (a *Adapter) ServerSideEmit(_ context.Context, args []any) error {
	tree, err := clustermsg.FromGo(args)
	if err != nil {
		return err
	}
	return a.publish(typeServerSideEmit, clustermsg.Object{{"packet", tree}})
}

// ServerSideEmitWithAck implements [adapter.Adapter]: it returns one
// answer from each other server, decoded as encoding/json decodes into an
// interface. When not every server answers within
// Options.RequestsTimeout, it returns the answers that came with an error
// wrapping [ErrTimeout].
func (a *Adapter) ServerSideEmitWithAck(ctx context.Context, args []any) (_ []any, err error) {
	if a.isClosed() {
		return nil, errClosed
	}
	defer a.timed(adapter.RequestServerSideEmit, time.Now(), &err)
	tree, err := clustermsg.FromGo(args)
	if err != nil {
		return nil, err
	}
	r := &request{typ: typeServerSideEmit, responses: []any{}}
	id, err := a.sendRequest(r, func(id string) clustermsg.Object {
		return clustermsg.Object{{"requestId", id}, {"packet", tree}}
	})
	if err != nil || id == "" {
		return []any{}, err
	}
	err = a.await(ctx, id, r, a.opts.RequestsTimeout, "serverSideEmit")
	a.mu.Lock()
	out := r.responses
	a.mu.Unlock()
	return out, err
}

// ServerCount implements [adapter.Adapter]: this server and the others
// heard from within Options.HeartbeatTimeout, as
// ClusterAdapterWithHeartbeat counts them. It makes no round trip.
func (a *Adapter) ServerCount(context.Context) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return 0, errClosed
	}
	return 1 + len(a.nodes), nil
}

// sendRequest registers r, waiting for every server known now, under a
// new request ID and publishes a message of r's type with data(id). It
// returns "" when there is no other server to ask; if the publish fails,
// r is forgotten.
func (a *Adapter) sendRequest(r *request, data func(id string) clustermsg.Object) (string, error) {
	id := randomID()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return "", errClosed
	}
	if len(a.nodes) == 0 {
		a.mu.Unlock()
		return "", nil
	}
	r.missing = make(map[string]bool, len(a.nodes))
	for uid := range a.nodes {
		r.missing[uid] = true
	}
	r.expected = len(r.missing)
	r.done = make(chan struct{})
	a.requests[id] = r
	a.mu.Unlock()
	if err := a.publish(r.typ, data(id)); err != nil {
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
		err = fmt.Errorf("%w: %s: %d of %d servers did not answer within %v", ErrTimeout, what, len(r.missing), r.expected, timeout)
		a.mu.Unlock()
	case <-ctx.Done():
		err = ctx.Err()
	case <-a.ctx.Done():
		err = errClosed
	}
	a.dropRequest(id)
	return err
}

// Close implements [adapter.Adapter]: it tells the other servers that
// this one leaves (ADAPTER_CLOSE), sends what is queued (for at most a
// second), stops the namespace's goroutines (and the factory's listening
// connection with its last namespace) and waits for them, including a
// server-side-emit handler that is running. Requests waiting for answers
// fail with [adapter.ErrClosed]. It does not close the pool. Close is
// idempotent.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.mu.Unlock()
	_ = a.publish(typeAdapterClose, nil)
	a.mu.Lock()
	a.closed = true
	for t := range a.timers {
		t.Stop()
	}
	a.timers = nil
	a.mu.Unlock()

	a.hub.unregister(a)
	a.out.Drain(time.Second)
	a.cancel()
	a.wg.Wait()
	return a.local.Close()
}

// --- messages from the other servers -----------------------------------------

// onMessage applies another server's message, on the listening
// goroutine.
func (a *Adapter) onMessage(m *message) {
	if m.uid == a.uid {
		return
	}
	// @socket.io/postgres-emitter (0.1.x) sends no nsp: its messages are
	// taken for the channel's namespace, which is theirs, where the
	// reference's servers (0.5.x) drop them.
	if m.nsp != a.nsp.Name() && !(m.nsp == "" && m.uid == emitterUID) {
		return
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	if m.uid != "" && m.uid != emitterUID {
		a.nodes[m.uid] = time.Now()
	}
	a.mu.Unlock()
	switch m.typ {
	case typeInitialHeartbeat:
		_ = a.publish(typeHeartbeat, nil)
	case typeHeartbeat:
	case typeAdapterClose:
		a.mu.Lock()
		a.removeNodeLocked(m.uid)
		a.mu.Unlock()
	case typeBroadcast:
		if m.data.Has("requestId") {
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
	case typeSocketsJoin:
		_ = a.local.AddSockets(a.ctx, clustermsg.DecodeOpts(m.data.Get("opts")), clustermsg.DecodeRooms(m.data.Get("rooms")))
	case typeSocketsLeave:
		_ = a.local.DelSockets(a.ctx, clustermsg.DecodeOpts(m.data.Get("opts")), clustermsg.DecodeRooms(m.data.Get("rooms")))
	case typeDisconnectSockets:
		close, _ := m.data.Get("close").(bool)
		_ = a.local.DisconnectSockets(a.ctx, clustermsg.DecodeOpts(m.data.Get("opts")), close)
	case typeFetchSockets:
		details, _ := a.local.FetchSockets(a.ctx, clustermsg.DecodeOpts(m.data.Get("opts")))
		sockets := make([]any, len(details))
		for i, d := range details {
			sockets[i] = clustermsg.SocketTree(d)
		}
		a.respond(typeFetchSocketsResponse, clustermsg.Object{{"requestId", m.requestID()}, {"sockets", sockets}})
	case typeServerSideEmit:
		a.onServerSideEmit(m)
	case typeFetchSocketsResponse, typeServerSideEmitResponse, typeBroadcastClientCount, typeBroadcastAck:
		a.onResponse(m)
	}
}

func (a *Adapter) malformed(err error) {
	if err != nil {
		a.log.Debug("postgres adapter: malformed message ignored", "nsp", a.nsp.Name(), "err", err)
	}
}

// onBroadcastWithAck delivers another server's broadcast with acks to the
// local sockets, under an ack ID of this namespace, and sends the client
// count and each ack back.
func (a *Adapter) onBroadcastWithAck(m *message) {
	reqID := m.requestID()
	p, err := clustermsg.DecodePacket(m.data.Get("packet"), a.nsp.Name())
	if err != nil || p == nil {
		a.malformed(err)
		return
	}
	opts := clustermsg.DecodeOpts(m.data.Get("opts"))
	prep, ok := a.nsp.(adapter.AckPreparer)
	if !ok {
		a.respond(typeBroadcastClientCount, clustermsg.Object{{"requestId", reqID}, {"clientCount", int64(0)}})
		return
	}
	id := prep.PrepareWithAck(p)
	_ = a.local.BroadcastWithAck(p, opts, id,
		func(n int) {
			a.respond(typeBroadcastClientCount, clustermsg.Object{{"requestId", reqID}, {"clientCount", int64(n)}})
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
			a.respond(typeBroadcastAck, data)
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
	if m.data.Has("requestId") {
		reqID := m.requestID()
		var once sync.Once
		ack = func(v any) {
			once.Do(func() {
				tree, err := clustermsg.FromGo(v)
				if err != nil {
					a.log.Warn("postgres adapter: server-side emit answer not encodable", "nsp", a.nsp.Name(), "err", err)
					tree = nil
				}
				a.respond(typeServerSideEmitResponse, clustermsg.Object{{"requestId", reqID}, {"packet", tree}})
			})
		}
	}
	a.events.Push(func() { a.nsp.OnServerSideEmit(args, ack) })
}

// onResponse routes another server's answer to the request waiting for
// it; answers to other servers' requests are ignored. The callbacks of a
// broadcast with acks run with no lock held.
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
	if r == nil || !r.missing[m.uid] {
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
	delete(r.missing, m.uid)
	if len(r.missing) == 0 {
		close(r.done)
		delete(a.requests, reqID)
	}
}

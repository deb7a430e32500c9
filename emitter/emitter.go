package emitter

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Options configure an emitter. The zero value (or a nil *Options) gives
// the reference's defaults.
type Options struct {
	// Key is the prefix of every channel name, the key option of the
	// reference's emitter: it must be the Key (Go) or key (Node) of the
	// servers' Redis adapters. Zero value means "socket.io".
	Key string
}

const defaultKey = "socket.io"

// An Emitter sends to the sockets of one namespace of a Socket.IO cluster,
// through the servers' adapter. Its methods act on every socket of the
// namespace; To, In, Except, Volatile and Compress narrow or flag the
// target and return an [Operator]. An Emitter is safe for concurrent use.
type Emitter struct {
	t   transport
	all *Operator
}

// New returns an emitter for the main namespace "/" that publishes with
// client, which stays the caller's to close: a *redis.Client, or a
// *redis.ClusterClient (a PUBLISH reaches the subscribers of every node of
// a Redis Cluster), as the servers' adapter/redis takes.
func New(client redis.UniversalClient, opts *Options) *Emitter {
	key := defaultKey
	if opts != nil && opts.Key != "" {
		key = opts.Key
	}
	return newEmitter(context.Background(), &redisTransport{client: client, key: key}, "/")
}

func newEmitter(ctx context.Context, t transport, nsp string) *Emitter {
	return &Emitter{t: t, all: &Operator{t: t, nsp: nsp, ctx: ctx}}
}

// Of returns an emitter for namespace nsp, on the same Redis client or
// Postgres pool and options (the reference's Postgres emitter forgets its
// options there; this one keeps them); a missing leading "/" is added, as the reference does.
func (e *Emitter) Of(nsp string) *Emitter {
	if !strings.HasPrefix(nsp, "/") {
		nsp = "/" + nsp
	}
	return newEmitter(e.all.ctx, e.t, nsp)
}

// Namespace returns the name of the emitter's namespace, such as "/".
func (e *Emitter) Namespace() string { return e.all.nsp }

// WithContext returns an emitter of the same namespace whose operations,
// and those of its operators and of its Of, publish under ctx
// (context.Background by default): its cancellation or deadline cuts the
// wait for Redis or Postgres.
func (e *Emitter) WithContext(ctx context.Context) *Emitter { return newEmitter(ctx, e.t, e.all.nsp) }

// To returns an operator that targets the sockets in rooms (a socket's ID
// is a room too). Several rooms make a union: a socket in two of them gets
// an event once.
func (e *Emitter) To(rooms ...string) *Operator { return e.all.To(rooms...) }

// In is an alias of [Emitter.To].
func (e *Emitter) In(rooms ...string) *Operator { return e.all.In(rooms...) }

// Except returns an operator that leaves out the sockets in rooms.
func (e *Emitter) Except(rooms ...string) *Operator { return e.all.Except(rooms...) }

// Volatile returns an operator whose events the servers drop for the
// clients that cannot take them at once.
func (e *Emitter) Volatile() *Operator { return e.all.Volatile() }

// Compress returns an operator that asks the servers to compress its
// events (on) or not; without it, the servers' default applies
// (compression on).
func (e *Emitter) Compress(on bool) *Operator { return e.all.Compress(on) }

// Emit sends an event to every socket of the namespace. See
// [Operator.Emit].
func (e *Emitter) Emit(event string, args ...any) error { return e.all.Emit(event, args...) }

// SocketsJoin makes every socket of the namespace join rooms. See
// [Operator.SocketsJoin].
func (e *Emitter) SocketsJoin(rooms ...string) error { return e.all.SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the namespace leave rooms. See
// [Operator.SocketsLeave].
func (e *Emitter) SocketsLeave(rooms ...string) error { return e.all.SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the namespace; with close,
// their underlying connections are closed too. See
// [Operator.DisconnectSockets].
func (e *Emitter) DisconnectSockets(close bool) error { return e.all.DisconnectSockets(close) }

// ServerSideEmit sends an event to the servers of the cluster themselves,
// not to their clients: the handlers of the namespace's server-side
// events get it (socketio's Namespace.OnServerSideEmit, Node's
// namespace.on(event)). Arguments are encoded as JSON, the []byte ones as
// Node.js writes a Buffer to JSON ({"type":"Buffer","data":[...]}), as the
// reference does. Acknowledgements are not supported, as with the
// reference: no server answers an emitter.
func (e *Emitter) ServerSideEmit(event string, args ...any) error {
	return e.all.serverSideEmit(event, args)
}

// An Operator is a target of an emitter: the sockets of a namespace in
// some rooms and not in others, with flags. It is immutable: every
// selector returns a new operator, and an Operator is safe for concurrent
// use.
type Operator struct {
	t      transport
	nsp    string
	ctx    context.Context
	rooms  []string
	except []string
	flags  flags
}

// flags are the broadcast flags the reference's emitter sends: only the
// ones set, so that a server applies its defaults to the others.
type flags struct {
	volatile    bool
	compress    bool
	compressSet bool
}

func (o *Operator) clone() *Operator {
	c := *o
	c.rooms = append([]string(nil), o.rooms...)
	c.except = append([]string(nil), o.except...)
	return &c
}

// WithContext returns an operator whose operations publish under ctx: its
// cancellation or deadline cuts the wait for Redis or
// Postgres.
func (o *Operator) WithContext(ctx context.Context) *Operator {
	c := o.clone()
	c.ctx = ctx
	return c
}

// To returns an operator that also targets the sockets in rooms.
func (o *Operator) To(rooms ...string) *Operator {
	c := o.clone()
	c.rooms = appendUnique(c.rooms, rooms)
	return c
}

// In is an alias of [Operator.To].
func (o *Operator) In(rooms ...string) *Operator { return o.To(rooms...) }

// Except returns an operator that also leaves out the sockets in rooms.
func (o *Operator) Except(rooms ...string) *Operator {
	c := o.clone()
	c.except = appendUnique(c.except, rooms)
	return c
}

// Volatile returns an operator whose events the servers drop for the
// clients that cannot take them at once (a polling client between two
// requests, a slow network).
func (o *Operator) Volatile() *Operator {
	c := o.clone()
	c.flags.volatile = true
	return c
}

// Compress returns an operator that asks the servers to compress its
// events (on) or not.
func (o *Operator) Compress(on bool) *Operator {
	c := o.clone()
	c.flags.compress, c.flags.compressSet = on, true
	return c
}

// appendUnique appends the rooms of add that dst does not hold yet, in
// order: the reference keeps rooms in a Set.
func appendUnique(dst, add []string) []string {
	for _, r := range add {
		dup := false
		for _, have := range dst {
			if have == r {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, r)
		}
	}
	return dst
}

// Emit sends an event to the target sockets, on every server. Arguments
// are encoded as the socketio package encodes a server's emit: []byte
// values (at any depth of []any and map[string]any) travel as binary,
// json.RawMessage as it is, anything else through encoding/json. It
// returns an error wrapping [ErrReservedEvent] or [ErrEncoding] without
// publishing, or Redis's or Postgres' error.
func (o *Operator) Emit(event string, args ...any) error {
	if reservedEvents[event] {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	data, err := eventTree(event, args)
	if err != nil {
		return err
	}
	return o.wrap("emit", o.t.broadcast(o.ctx, &broadcast{
		nsp: o.nsp, data: data, rooms: o.rooms, except: o.except, flags: o.flags,
	}))
}

// SocketsJoin makes the target sockets join rooms, on every server.
func (o *Operator) SocketsJoin(rooms ...string) error {
	return o.roomRequest("socketsJoin", reqJoin, rooms)
}

// SocketsLeave makes the target sockets leave rooms, on every server.
func (o *Operator) SocketsLeave(rooms ...string) error {
	return o.roomRequest("socketsLeave", reqLeave, rooms)
}

func (o *Operator) roomRequest(op string, typ requestType, rooms []string) error {
	if len(rooms) == 0 {
		return fmt.Errorf("%w: %s", ErrNoRooms, op)
	}
	return o.wrap(op, o.t.request(o.ctx, &request{
		typ: typ, nsp: o.nsp, targetRooms: o.rooms, targetExcept: o.except, rooms: rooms,
	}))
}

// DisconnectSockets disconnects the target sockets, on every server; with
// close, their underlying connections are closed too (and so the client's
// other namespaces).
func (o *Operator) DisconnectSockets(close bool) error {
	return o.wrap("disconnectSockets", o.t.request(o.ctx, &request{
		typ: reqDisconnect, nsp: o.nsp, targetRooms: o.rooms, targetExcept: o.except, close: close,
	}))
}

func (o *Operator) serverSideEmit(event string, args []any) error {
	if reservedEvents[event] {
		return fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	data, err := eventTree(event, args)
	if err != nil {
		return err
	}
	return o.wrap("serverSideEmit", o.t.request(o.ctx, &request{typ: reqServerSideEmit, nsp: o.nsp, data: data}))
}

func (o *Operator) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("emitter: %s on %s: %w", op, o.nsp, err)
}

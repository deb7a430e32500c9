package adapter

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/room"
)

// Errors returned by adapters.
var (
	// ErrNotSupported is returned for an operation the adapter cannot do,
	// such as ServerSideEmit on the in-memory adapter, which has no other
	// server to reach.
	ErrNotSupported = errors.New("adapter: not supported by this adapter")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("adapter: closed")
)

// Packet is an EVENT to broadcast.
type Packet struct {
	// Namespace is the namespace's name.
	Namespace string
	// Data is the JSON array [event, args...]; binary arguments appear as
	// {"_placeholder":true,"num":N} objects referring to Attachments.
	Data []byte
	// Attachments are the binary arguments.
	Attachments [][]byte
	// Encoded is the packet ready for local delivery, set by the layer
	// above when it builds the packet, or by [Namespace.Prepare] for a
	// packet from another server; adapters pass it on untouched. It is
	// what lets one encoding serve every recipient.
	Encoded Encoded
}

// Encoded is a packet as the server writes it to its clients, encoded once
// so that every local recipient of a broadcast is sent the same bytes. The
// socketio package builds it; its method names a type internal to this
// module, so no other module can implement it, and an adapter has nothing
// to do with it but pass it on.
type Encoded interface {
	// Frames returns the frames to queue: the text packet, then one per
	// binary attachment. Without compress they are marked to be written
	// uncompressed; every recipient of one broadcast asks alike.
	Frames(compress bool) []*engine.Packet
}

// Flags modify a broadcast.
type Flags struct {
	// Volatile packets are dropped for clients that cannot take them now.
	Volatile bool
	// Compress asks for compression where the transport supports it.
	Compress bool
	// Local restricts the operation to this server.
	Local bool
	// Timeout bounds a broadcast with acks or a cluster request; zero
	// means the adapter's default.
	Timeout time.Duration
}

// BroadcastOptions select the sockets of an operation: those in any of
// Rooms (every socket when Rooms is empty) and in none of Except.
type BroadcastOptions struct {
	Rooms  []room.Room
	Except []room.Room
	Flags  Flags
}

// AckArgs are the arguments of one client's ack: the JSON array of its
// arguments and their binary attachments.
type AckArgs struct {
	Data        []byte
	Attachments [][]byte
}

// Member is a socket on this server, as an adapter sees it. The socketio
// package's sockets implement it.
type Member interface {
	// Deliver queues p to the client; it must not block.
	Deliver(p *Packet, flags Flags)
	// DeliverWithAck queues p with an ack request; onAck runs once with
	// the client's answer. It reports whether the packet was queued.
	DeliverWithAck(p *Packet, flags Flags, ackID uint64, onAck func(AckArgs)) bool
	// CancelAck forgets a pending ack, when its broadcast timed out.
	CancelAck(ackID uint64)
	// Disconnect disconnects the socket; with close, its whole connection.
	Disconnect(close bool)
	// Details describes the socket for FetchSockets.
	Details() SocketDetails
}

// SocketDetails describe a socket found by FetchSockets, on this server or
// another one.
type SocketDetails struct {
	ID        room.SocketID
	Handshake Handshake
	Rooms     []room.Room
	Data      any
	// Member is the local socket, or nil for a socket on another server.
	Member Member
}

// Handshake is a socket's handshake as FetchSockets reports it: a local
// socket's own value (the socketio package's *Handshake), or the JSON
// object another server sent ([HandshakeJSON]). Either encodes to the
// reference's socket.handshake object, which is all an adapter needs to
// send it on.
type Handshake interface {
	json.Marshaler
}

// HandshakeJSON is a handshake received from another server: the JSON
// object it sent.
type HandshakeJSON []byte

// MarshalJSON returns h, or null when h is empty.
func (h HandshakeJSON) MarshalJSON() ([]byte, error) {
	if len(h) == 0 {
		return []byte("null"), nil
	}
	return h, nil
}

// EventType is the kind of an adapter [Event].
type EventType int

// The adapter events of the reference.
const (
	CreateRoom EventType = iota // "create-room": a room got its first member
	DeleteRoom                  // "delete-room": a room lost its last member
	JoinRoom                    // "join-room": a socket joined a room
	LeaveRoom                   // "leave-room": a socket left a room
)

// String returns the event's name in the reference.
func (t EventType) String() string {
	switch t {
	case CreateRoom:
		return "create-room"
	case DeleteRoom:
		return "delete-room"
	case JoinRoom:
		return "join-room"
	case LeaveRoom:
		return "leave-room"
	}
	return "unknown"
}

// Event is a change to the rooms of a namespace.
type Event struct {
	Type EventType
	Room room.Room
	ID   room.SocketID // empty for create-room and delete-room
}

// Namespace is what an adapter needs from the namespace it serves.
type Namespace interface {
	// Name returns the namespace's name.
	Name() string
	// OnAdapterEvent receives the room events, synchronously; it must not
	// call back into the adapter.
	OnAdapterEvent(ev Event)
	// OnServerSideEmit receives an event that another server sent with
	// ServerSideEmit; ack, when not nil, answers it.
	OnServerSideEmit(args []any, ack func(any))
	// Prepare sets p.Encoded for a packet that came from another server;
	// an adapter calls it once before delivering such a packet locally.
	Prepare(p *Packet)
}

// AckPreparer is implemented by a [Namespace] that can deliver a packet
// from another server with an ack request, as a cluster adapter needs for
// a broadcast with acks that entered the cluster elsewhere. The socketio
// package's namespaces implement it.
type AckPreparer interface {
	// PrepareWithAck takes a new ack ID of the namespace, sets p.Encoded
	// to the packet with that ID for local delivery, and returns the ID.
	// The clients' answers reach the onAck given to the adapter's local
	// BroadcastWithAck with that ID.
	PrepareWithAck(p *Packet) uint64
}

// RecoveryWindow is implemented by a [Namespace] whose server has
// connection-state recovery on, for a cluster adapter that stores sessions
// itself with the server's window (the reference's adapters read
// nsp.server.opts.connectionStateRecovery). The socketio package's
// namespaces implement it.
type RecoveryWindow interface {
	// MaxDisconnectionDuration returns how long a session is kept, and
	// false when recovery is off.
	MaxDisconnectionDuration() (time.Duration, bool)
}

// Factory creates the adapter of a namespace.
type Factory func(nsp Namespace) Adapter

// Session is a disconnected socket's state kept for connection-state
// recovery.
type Session struct {
	SID   room.SocketID
	PID   string
	Rooms []room.Room
	Data  any
}

// Adapter routes the broadcasts and cluster-wide operations of one
// namespace. Implementations are safe for concurrent use.
type Adapter interface {
	// AddAll puts the local socket id, with its member handle, in rooms.
	AddAll(id room.SocketID, m Member, rooms ...room.Room)
	// Del takes the socket out of a room.
	Del(id room.SocketID, r room.Room)
	// DelAll takes the socket out of every room and forgets it.
	DelAll(id room.SocketID)
	// SocketRooms returns the rooms of a local socket.
	SocketRooms(id room.SocketID) []room.Room
	// Sockets returns the IDs of the local sockets in any of rooms (all
	// when rooms is empty).
	Sockets(rooms []room.Room) []room.SocketID

	// Broadcast delivers p to the selected sockets of every server.
	Broadcast(p *Packet, opts BroadcastOptions) error
	// BroadcastWithAck delivers p with ack ID ackID; onClientCount runs
	// once per server with its number of recipients, and onAck once per
	// client ack.
	BroadcastWithAck(p *Packet, opts BroadcastOptions, ackID uint64, onClientCount func(int), onAck func(AckArgs)) error

	// FetchSockets returns the selected sockets of every server.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]SocketDetails, error)
	// AddSockets makes the selected sockets of every server join rooms.
	AddSockets(ctx context.Context, opts BroadcastOptions, rooms []room.Room) error
	// DelSockets makes the selected sockets of every server leave rooms.
	DelSockets(ctx context.Context, opts BroadcastOptions, rooms []room.Room) error
	// DisconnectSockets disconnects the selected sockets of every server.
	DisconnectSockets(ctx context.Context, opts BroadcastOptions, close bool) error

	// ServerSideEmit sends an event to the other servers of the cluster.
	ServerSideEmit(ctx context.Context, args []any) error
	// ServerSideEmitWithAck sends an event to the other servers and
	// returns one answer from each.
	ServerSideEmitWithAck(ctx context.Context, args []any) ([]any, error)
	// ServerCount returns the number of servers in the cluster.
	ServerCount(ctx context.Context) (int, error)

	// PersistSession keeps a disconnected socket's state for recovery.
	PersistSession(s *Session) error
	// RestoreSession returns a persisted session and the packets it missed
	// since offset, or ErrNotSupported.
	RestoreSession(pid, offset string) (*Session, []*Packet, error)

	// Close releases the adapter's resources.
	Close() error
}

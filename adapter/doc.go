// Package adapter defines the Adapter interface, through which every
// broadcast and every cluster-wide operation of a namespace goes, and the
// default in-memory adapter, which serves one server on its own. An
// adapter for a cluster (such as the Redis adapter) implements the same
// interface, so that user code does not change when a server joins a
// cluster.
//
// The interface follows the reference's socket.io-adapter: AddAll, Del,
// DelAll, Broadcast, BroadcastWithAck, Sockets, SocketRooms, FetchSockets,
// AddSockets, DelSockets, DisconnectSockets, ServerSideEmit, ServerCount,
// PersistSession, RestoreSession and Close, with the create-room,
// delete-room, join-room and leave-room events.
//
// An adapter reaches the sockets of its own server only through the small
// [Member] interface, which the socketio package's sockets satisfy; this
// package does not import socketio.
package adapter

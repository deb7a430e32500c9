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
// package does not import socketio. What travels through an adapter
// untouched has a named type rather than any: a packet's [Encoded] form,
// built once by the socketio package and queued as is to every local
// recipient, and a socket's [Handshake], which an adapter only needs to
// encode to JSON.
//
// [SessionAware] is the in-memory adapter with connection-state recovery
// (the reference's SessionAwareAdapter): it appends an offset to each
// broadcast it logs ([OffsetLogger]), keeps disconnected sockets' sessions
// and the packet log for the recovery window, bounded in bytes, and
// restores a session and its rooms in one step with broadcasts
// ([Restorer]).
//
// A cluster adapter may count its traffic with the other servers (the
// messages it publishes, the requests it waits for and how long both take)
// and report it as a [StatsReporter]; [ClusterCounters] does the counting
// for it, without a lock. adapter/redis and adapter/redisstreams do.
//
// An adapter never calls a [Member] or its [Namespace] while it holds a
// lock of its own (SessionAware prepares a packet and builds a restored
// member under its store's lock, which run no user code): the in-memory adapter collects the recipients from the
// room index, releases it, then delivers. Member.Deliver only queues, so a
// broadcast does not wait for any client.
package adapter

// Package redis is a cluster adapter on Redis pub/sub: the servers of a
// cluster, Go and Node.js alike, broadcast to each other's sockets and
// answer each other's requests through Redis, so that clients spread over
// several servers behind a load balancer form one application.
//
// Two factories give the two protocols of the reference's
// @socket.io/redis-adapter (8.x), byte for byte:
//
//   - [NewAdapter] is createAdapter: classic pub/sub. Broadcasts are
//     msgpack [uid, packet, {rooms, except, flags}] on socket.io#<nsp>#
//     (socket.io#<nsp>#<room># when they target exactly one room), which
//     every server reads with PSUBSCRIBE socket.io#<nsp>#*; requests
//     (remote joins, leaves and disconnects, fetchSockets, serverSideEmit,
//     broadcasts with acks) go to socket.io-request#<nsp>#, answers to
//     socket.io-response#<nsp># or the requester's
//     socket.io-response#<nsp>#<uid>#. The number of servers is PUBSUB
//     NUMSUB of the request channel. @socket.io/redis-emitter (5.x) speaks
//     this protocol, so an emitter reaches the Go servers too, and so does
//     package github.com/gosio/sio/emitter, its Go counterpart.
//   - [NewShardedAdapter] is createShardedAdapter, for Redis 7 sharded
//     pub/sub (SPUBLISH, SSUBSCRIBE): the ClusterAdapter messages {uid,
//     nsp, type, data} of socket.io-adapter on socket.io#<nsp>#, answers
//     on socket.io#<nsp>#<uid>#, and in the dynamic subscription modes a
//     channel per room. The number of servers is PUBSUB SHARDNUMSUB.
//
// Messages are JSON or msgpack where the reference uses each; binary
// arguments travel as msgpack bin values, which Node's notepack.io reads as
// Buffers, and come back as the binary attachments of a Go packet.
//
// Use it as the server's adapter factory:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	io := socketio.NewServer(&socketio.Options{
//		Adapter: redisadapter.NewAdapter(rdb, nil),
//	})
//
// Every cluster operation of the socketio package then spans the servers:
// broadcasts with rooms, except and flags (Local stays on this server),
// broadcasts with acks (the wait counts every server's clients, from
// ServerCount), FetchSockets (the sockets of other servers come as remote
// sockets whose emit, join, leave and disconnect go back through Redis),
// SocketsJoin, SocketsLeave, DisconnectSockets, ServerSideEmit with and
// without acks, and ServerCount. Requests that wait for the other servers
// give up after Options.RequestsTimeout (5 s by default) with an error
// wrapping [ErrTimeout] that says how many servers answered.
//
// # Redis going away
//
// Each namespace subscribes on a connection of its own (with the sharded
// adapter on a Redis Cluster, one per master that holds its channels; a
// resharding that moves them needs a restart). When that connection
// breaks (Redis restarts, the network drops) the adapter dials again with
// a backoff and subscribes again to every channel by itself; local
// broadcasts go on meanwhile. Delivery between servers is at most once: a
// message published while Redis is away, or received by Redis while this
// server was not subscribed, is lost and never replayed (the reference
// behaves the same way), and a request in flight fails with its timeout.
// Publishing never blocks the caller: messages wait in a queue bounded by
// Options.MaxPendingBytes, and a batch that Redis refuses is dropped and
// logged. Close stops every goroutine the adapter started.
//
// Every server of a cluster must use the same protocol, Key and (sharded)
// SubscriptionMode, as with the reference. A broadcast with acks that has
// no timeout takes the other servers' acks for Options.RequestsTimeout
// only.
//
// Connection-state recovery is not supported, as in the reference's Redis
// adapter.
//
// The adapters of a factory count what they publish and the requests they
// wait for, with the round trips of both ([Adapter.ClusterStats]); the
// package metrics/prometheus exports these counters.
package redis

// Package emitter sends events to the clients of a Socket.IO cluster from
// a process that is not a Socket.IO server: a worker, a cron job, an HTTP
// API. It speaks the protocol of the reference's @socket.io/redis-emitter
// (5.x), so its messages reach every server of the cluster that uses the
// classic Redis adapter: Go servers on adapter/redis (NewAdapter) and
// Node.js servers on @socket.io/redis-adapter's createAdapter alike.
// [NewPostgres] makes an emitter for a cluster on Postgres instead
// (adapter/postgres, @socket.io/postgres-adapter 0.5.x), in the protocol
// of the reference's @socket.io/postgres-emitter: see "On Postgres".
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	e := emitter.New(rdb, nil)
//	err := e.To("room1").Emit("news", "hello")
//
// An [Emitter] targets one namespace ("/" unless [Emitter.Of] says
// otherwise). Its selectors (To, In, Except, Volatile, Compress) return an
// [Operator], which is immutable like the socketio package's
// BroadcastOperator: every selector returns a new one, so operators can be
// kept and shared between goroutines.
//
// # On the wire
//
// On Redis, with the default key "socket.io" and namespace nsp:
//
//   - Emit publishes the msgpack array ["emitter", packet, opts] on
//     socket.io#<nsp># (socket.io#<nsp>#<room># when it targets exactly
//     one room), where packet is {type: 2, data: [event, args...], nsp}
//     and opts is {rooms, flags, except}. Binary arguments ([]byte, at any
//     depth of []any and map[string]any) are msgpack bin values, which the
//     servers hand to their clients as binary attachments.
//   - SocketsJoin, SocketsLeave and DisconnectSockets publish a JSON
//     request (types 2, 3 and 4) on socket.io-request#<nsp>#, and
//     ServerSideEmit one of type 6 with uid "emitter". No answer is
//     awaited: as with the reference, an emitter cannot know how many
//     servers there are.
//
// Delivery is at most once, as with Redis pub/sub: a server that is not
// subscribed when a message is published never sees it. A nil error from
// an operation means Redis took the message, not that any server or
// client received it.
//
// # On Postgres
//
// [NewPostgres] speaks the protocol of the reference's
// @socket.io/postgres-emitter (0.1.x) to the servers of a cluster on
// Postgres LISTEN/NOTIFY: Go servers on adapter/postgres and Node.js
// servers on @socket.io/postgres-adapter 0.5.x. Every operation is one
// ClusterAdapter message {type, data, uid: "emitter", nsp}, sent with
// SELECT pg_notify(<prefix>#<nsp>, <JSON>) on the namespace's channel
// ("socket.io#/" by default): a broadcast (type 3, data {packet, opts}),
// SocketsJoin and SocketsLeave (4 and 5, {opts, rooms}),
// DisconnectSockets (6, {opts, close}) and ServerSideEmit (9, {packet}).
// A broadcast or server-side event with binary arguments, and any
// message whose JSON reaches PostgresOptions.PayloadThreshold (8000
// bytes, Postgres' NOTIFY limit), goes as msgpack to a row of the
// attachments table, and the notification carries only {uid, type,
// attachmentId}; the servers read the row and delete it with the others
// after their cleanup interval.
//
// Two differences from the reference, both on purpose. Its messages have
// no nsp, which @socket.io/postgres-adapter 0.5.x (socket.io-adapter's
// ClusterAdapter) requires: Node servers of that version ignore the
// reference emitter (Go servers on adapter/postgres accept its messages,
// taking the namespace from the channel), while they take this one's. And
// the reference sends a JSON of exactly PayloadThreshold bytes as a
// notification, which Postgres refuses at 8000; this one puts it in the
// table. As with Redis, nothing is awaited from the servers, and a server
// that is not listening when a notification is sent never sees it.
//
// The reference's sharded adapter (createShardedAdapter, adapter/redis's
// NewShardedAdapter) speaks another protocol, which the reference emitter
// does not support, nor does this package.
package emitter

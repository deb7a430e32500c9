// Package postgres is a cluster adapter on PostgreSQL LISTEN/NOTIFY, for
// teams that run Postgres but not Redis: the servers of a cluster, Go and
// Node.js alike, broadcast to each other's sockets and answer each
// other's requests through one database.
//
// [NewAdapter] speaks the protocol of the reference's
// @socket.io/postgres-adapter 0.5.x, which is socket.io-adapter's
// ClusterAdapterWithHeartbeat over Postgres:
//
//   - Every message is a ClusterAdapter message {type, data, uid, nsp},
//     sent with SELECT pg_notify(<channel>, <JSON>) on the namespace's
//     channel, <ChannelPrefix>#<nsp> ("socket.io#/" by default), which
//     every server LISTENs to on one connection for all the namespaces
//     of a factory. Requests and their answers (FetchSockets,
//     ServerSideEmit with acks, broadcasts with acks) travel on the same
//     channel; a server ignores its own messages and answers to other
//     servers' requests.
//   - A broadcast, ServerSideEmit or ack answer that holds binary data,
//     and any message whose JSON reaches Options.PayloadThreshold bytes
//     (8000: Postgres refuses larger NOTIFY payloads), goes as msgpack to
//     a row of the attachments table (Options.TableName,
//     "socket_io_attachments"; [CreateTable] makes it), and the
//     notification carries only {uid, type, attachmentId}. Every server
//     deletes the rows older than Options.CleanupInterval (30 s) every
//     CleanupInterval, as the reference does.
//   - Servers count each other by their messages: each announces itself
//     when it starts listening (INITIAL_HEARTBEAT, which the others
//     answer with a HEARTBEAT), sends a HEARTBEAT when it has sent
//     nothing for Options.HeartbeatInterval (5 s), and says ADAPTER_CLOSE
//     when it closes; a server not heard of for Options.HeartbeatTimeout
//     (10 s) is taken for gone. ServerCount is 1 + the servers heard of,
//     and FetchSockets and ServerSideEmitWithAck wait for an answer from
//     each of them (one that goes meanwhile is no longer waited for).
//
// Messages from emitters (uid "emitter": package emitter's NewPostgres,
// Node's @socket.io/postgres-emitter) are applied like the servers'. The
// official emitter (0.1.x) sends no nsp, and the reference's servers
// ignore its messages; these take them for the namespace of their
// channel.
//
// Use it as the server's adapter factory:
//
//	pool, err := pgxpool.New(ctx, "postgres://user:password@localhost:5432/db")
//	...
//	if err := postgres.CreateTable(ctx, pool, ""); err != nil { ... }
//	io := socketio.NewServer(&socketio.Options{
//		Adapter: postgres.NewAdapter(pool, nil),
//	})
//
// Every cluster operation of the socketio package then spans the servers:
// broadcasts with rooms, except and flags (Local stays on this server),
// broadcasts with acks, FetchSockets, SocketsJoin, SocketsLeave,
// DisconnectSockets, ServerSideEmit with and without acks, and
// ServerCount. Requests that wait for the other servers give up after
// Options.RequestsTimeout (5 s by default) with an error wrapping
// [ErrTimeout] that says how many servers did not answer. Connection
// state recovery is not supported (neither is it by the reference):
// PersistSession and RestoreSession return [adapter.ErrNotSupported].
//
// # Postgres going away: what is and is not lost
//
// LISTEN/NOTIFY keeps nothing for a listener that is not connected. When
// the listening connection breaks (Postgres restarts, the network drops,
// the backend is terminated), the adapter logs it once, takes a new
// connection from the pool after Options.ReconnectDelay (2 s, with
// jitter, as the reference), LISTENs again to every namespace's channel,
// announces itself again (INITIAL_HEARTBEAT) and logs that it is back. A
// connection that stays silent is pinged every 15 s, so a dead network is
// noticed too. What is lost:
//
//   - every notification sent while this server was not listening:
//     broadcasts, room changes and requests of the other servers, and the
//     answers to this server's requests (those fail with their timeout);
//   - what this server sent while Postgres was away: messages wait in a
//     queue bounded by Options.MaxPendingBytes, and each one whose
//     statement fails is dropped and logged (a statement that fails
//     before it reaches a server, such as on a pooled connection that
//     died idle, is tried once more);
//   - an attachment whose row was deleted by the cleanup before a slow
//     server read it.
//
// Servers that heard nothing from each other for HeartbeatTimeout during
// the outage forget each other until their next heartbeat.
//
// Publishing never blocks the caller: messages wait in a queue per
// namespace, sent in order by one goroutine, the notifications queued
// together in one statement while their payloads differ (Postgres
// delivers the NOTIFYs of one transaction with equal channel and payload
// once). Close stops every goroutine the adapter started (the listening
// connection goes with the last namespace of the factory, and is closed,
// not put back into the pool).
//
// # Statistics
//
// The adapters of a factory count the messages they send and the requests
// they wait for (FetchSockets, ServerSideEmitWithAck), with their round
// trips ([Adapter.ClusterStats]); the package metrics/prometheus exports
// these counters.
package postgres

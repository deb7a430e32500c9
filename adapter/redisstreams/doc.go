// Package redisstreams is a cluster adapter on Redis Streams: the servers
// of a cluster, Go and Node.js alike, broadcast to each other's sockets and
// answer each other's requests through Redis, and a broadcast is kept in a
// stream rather than fired and forgotten, so that a server whose Redis
// connection drops catches up when it comes back.
//
// [NewAdapter] speaks the protocol of the reference's
// @socket.io/redis-streams-adapter 0.3.x, byte for byte:
//
//   - Broadcasts without acks, SocketsJoin, SocketsLeave and
//     DisconnectSockets are socket.io-adapter's ClusterAdapter messages
//     {uid, nsp, type, data}, added with XADD <stream> MAXLEN ~ <MaxLen> *
//     as the fields uid, nsp, type (decimal) and data: the JSON of data,
//     or, when it holds binary values, base64 of its msgpack. Every server
//     reads the stream with XREAD BLOCK from the last entry ID it has
//     seen, one reader per stream for all the namespaces of a factory (the
//     stream is "socket.io" by default; with StreamCount > 1 each
//     namespace has one of StreamName-0 … StreamName-<n-1>, by the
//     reference's string hash). A server ignores its own entries (but
//     for its broadcasts with connection state recovery on: see below).
//   - Broadcasts with acks, FetchSockets and ServerSideEmit, which make no
//     sense to replay, go by pub/sub as msgpack ClusterAdapter messages on
//     <ChannelPrefix>#<nsp>#, and their answers on the requester's
//     <ChannelPrefix>#<nsp>#<uid>#.
//   - The number of servers is PUBSUB NUMSUB of <ChannelPrefix>#<nsp>#
//     (summed over the masters of a Redis Cluster). The 0.3.x reference
//     sends no heartbeats (0.2.x did).
//
// Use it as the server's adapter factory:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	io := socketio.NewServer(&socketio.Options{
//		Adapter: redisstreams.NewAdapter(rdb, nil),
//	})
//
// Every cluster operation of the socketio package then spans the servers,
// as with adapter/redis: broadcasts with rooms, except and flags (Local
// stays on this server), broadcasts with acks, FetchSockets, SocketsJoin,
// SocketsLeave, DisconnectSockets, ServerSideEmit with and without acks,
// and ServerCount. Requests that wait for the other servers give up after
// Options.RequestsTimeout (5 s by default) with an error wrapping
// [ErrTimeout] that says how many servers answered.
//
// # Redis going away: what is and is not lost
//
// A reader starts at the stream's last entry when its first namespace is
// created (entries added before are not delivered) and then remembers the
// ID of the last entry it read. When its connection breaks (Redis
// restarts, the network drops, the connection is killed) it dials again
// with a backoff and goes on from that ID: every entry still in the
// stream is delivered, once and in order. What is lost:
//
//   - entries trimmed by MAXLEN ~ MaxLen before a lagging reader read
//     them;
//   - with a Redis that keeps no data across a restart (no RDB or AOF),
//     the entries the reader had not read when Redis went down;
//   - whatever a server tried to write while Redis was away: writes wait
//     in a queue bounded by Options.MaxPendingBytes and a batch that
//     Redis refuses is dropped and logged (at most once, as with
//     adapter/redis);
//   - pub/sub traffic (broadcasts with acks, FetchSockets, ServerSideEmit
//     and every answer) published while a server was not subscribed:
//     pub/sub keeps nothing, and the requests in flight fail with their
//     timeout.
//
// What may come twice: an entry whose XADD Redis applied but whose reply
// the broken connection lost, when the client retries it (go-redis's
// MaxRetries, 3 by default); a client with MaxRetries -1 adds each entry
// at most once.
//
// Publishing never blocks the caller, and Close stops every goroutine the
// adapter started (a stream's reader with the last namespace reading it).
//
// # One adapter kind per cluster
//
// Every server of a cluster must use this adapter with the same
// StreamName, StreamCount and ChannelPrefix. A server on the classic
// pub/sub adapter (adapter/redis NewAdapter, the reference's
// @socket.io/redis-adapter) reads no stream, so the two kinds never see
// each other's broadcasts, even though their default channel names
// overlap. Nor do they count each other as servers (each counts the
// subscribers of a channel the other does not subscribe to), so requests
// do not wait for the other kind. This adapter logs a warning, once, when
// a classic server's message arrives on its channel.
//
// # Connection state recovery
//
// With the server's ConnectionStateRecovery on (the adapter reads it from
// its namespace, [adapter.RecoveryWindow], as the reference reads
// nsp.server.opts), the adapter recovers sessions as the reference does,
// so that a client may come back to any server of the cluster, Go or
// Node:
//
//   - The offset a client receives with a broadcast (its last argument)
//     is the ID of the broadcast's stream entry. A server delivers its own
//     broadcasts to its sockets when its reader reads them back from the
//     stream, with that ID, encoded once for all of them; so every
//     recipient on every server gets the same offset, and the broadcasts
//     of a namespace reach sockets in stream order (two broadcasts from
//     one goroutine arrive in order everywhere). Broadcast does not wait
//     for Redis. Local and Volatile broadcasts carry no offset and are
//     delivered at once, as in the reference. A broadcast whose entry was
//     surely not added (the queue is full, Redis answered an error, no
//     connection could be made) is delivered here without an offset; one
//     whose XADD reply was lost with its connection is left to the reader,
//     which delivers it if it is in the stream.
//   - A disconnected socket's session {sid, pid, rooms, data} is stored as
//     base64 of its msgpack with SET sio:session:<pid> … PX <window in
//     ms> (Options.SessionKeyPrefix); PersistSession waits for Redis. A nil
//     Data is stored as {} (Node's default socket.data), and {} is read
//     back as nil; other data comes back as encoding/json would decode it into an
//     interface (map[string]any, []any, float64, …), []byte for binary.
//   - A restore reads and deletes the session in one MULTI (GET, DEL), so
//     a pid restores once; checks that the offset's entry is still in the
//     stream (trimmed by MAXLEN, it gives a new session: later entries may
//     be gone too, and a partial replay is never presented as complete);
//     then replays, with XRANGE after the offset, the broadcasts of the
//     namespace to the session's rooms and not to its except (neither
//     volatile ones nor those with acks), each with its entry ID. The
//     socket joins its rooms in one step with the reader: the broadcasts
//     up to the last one the reader delivered here are replayed, the later
//     ones are delivered live, so each comes exactly once, in order.
//   - A pid or offset that is malformed, unknown, expired, foreign or
//     already used, and a session that does not decode, give a plain new
//     session. A replay longer than 100 XRANGE calls of 1000 entries gives
//     a new session too.
//
// What a restart of Redis keeps is what it persisted (RDB or AOF): with
// AOF and fsync always, both the sessions and the entries survive it.
//
// # Statistics
//
// The adapters of a factory count the entries they add and the messages
// they publish, and the requests they wait for (FetchSockets,
// ServerSideEmitWithAck, ServerCount, PersistSession, RestoreSession),
// with the round trips of both ([Adapter.ClusterStats]); the package
// metrics/prometheus exports these counters.
package redisstreams

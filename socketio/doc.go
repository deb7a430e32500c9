// Package socketio is a Socket.IO server: it speaks the Engine.IO v4 and
// Socket.IO v5 protocols, so every official Socket.IO client (JavaScript in
// browsers and Node.js, Swift, Java/Kotlin, Python, C++) can talk to a Go
// program without any change on the client side.
//
// A [Server] is an [net/http.Handler]. Clients connect to namespaces
// ([Server.Of]); each connection to a namespace is a [Socket], on which
// handlers receive events with their arguments decoded into Go values
// ([Socket.On]) and through which the server emits events, with or without
// acknowledgements.
//
// The API follows the Node.js reference server (npm "socket.io" 4.8): the
// same defaults, error messages and disconnect reasons, in Go form.
//
// # Connection-state recovery
//
// With [Options.ConnectionStateRecovery] set, a client whose connection
// dropped gets its socket back (ID, rooms, data) with the events it
// missed, as with the reference: the CONNECT answer carries a private
// session ID, each event sent through the adapter without an ack and not
// volatile carries an offset as its last argument (encoded once for every
// recipient), and the official clients send both back when they reconnect.
// recovery.go restores a socket; the default adapter then is
// [adapter.SessionAware], which keeps the sessions and the packet log.
//
// # Layers
//
// Imports point one way, from this package down:
//
//   - socketio (this package): the public API. server.go (the Server, an
//     http.Handler), namespace.go and parent.go (namespace handles),
//     socket.go (a socket's state), events.go (handlers, any-listeners,
//     packet middleware), emitter.go (emitting to one socket, delivery of
//     broadcasts), ack.go, rooms.go, lifecycle.go (connect and disconnect),
//     broadcast.go (BroadcastOperator, RemoteSocket), client.go (one
//     Engine.IO connection: decoding, routing to its sockets), exec.go (the
//     connection's handler goroutine), encode.go and args.go (packets out
//     and arguments in), handshake.go, options.go, errors.go, reason.go,
//     health.go (the readiness and liveness probes), stats.go and
//     enginestats.go (the counters behind Server.Stats,
//     Server.NamespaceStats and Server.EngineStats).
//   - namespace: the registry of static and dynamic namespaces (regular
//     expression and function matchers, their children, the bound on
//     them, the cleanup of empty children) and the routing of a CONNECT to
//     its namespace.
//   - adapter: the Adapter interface through which every broadcast and
//     cluster-wide operation goes, and the in-memory adapter; adapter/redis
//     is the cluster adapter, compatible with the Node.js one.
//   - room: room and socket IDs and the socket-to-room index that
//     broadcasts are resolved against.
//   - internal/engine: Engine.IO sessions and transports (long-polling,
//     WebSocket, upgrade, heartbeat), the bounded send queues and writers.
//   - internal/parser: Socket.IO packet encoding and decoding, binary
//     attachments.
//   - parser: the Parser interface of [Options.Parser] (the wire format of
//     packets) and the default JSON parser; parser/msgpack is the format
//     of socket.io-msgpack-parser. A parser other than JSON translates
//     between its messages and the JSON form everything above works on,
//     once per packet (once per broadcast).
//
// # Statistics
//
// [Server.Stats] and [Server.NamespaceStats] return the server's counters
// (connections by transport, bytes and packets each way, sockets,
// connections and disconnections by reason, events, broadcasts, ack
// timeouts, refusals, slow clients) without a lock; the package
// metrics/prometheus exports them to Prometheus, and anything else (an
// admin page) may read them as often as it likes. Counting costs the hot
// paths an atomic add each, in a slot of the connection's so that
// connections served on different CPUs seldom share a cache line, and no
// allocation. The children of a [ParentNamespace] count together under the
// parent's name, so that clients cannot make the set of names grow.
//
// # Concurrency
//
// Every exported method is safe to call from any goroutine.
//
// The user code of one client connection runs one call at a time, in the
// order the packets arrived, on the connection's handler goroutine (see
// [Socket]): event handlers, namespace middleware ([Namespace.Use]) and
// connection handlers, packet middleware ([Socket.Use]), incoming
// any-listeners, disconnecting and disconnect handlers, error handlers,
// the dynamic matchers of [Server.OfFunc], and the callbacks of
// [Socket.Emit] with an ack. Acks from clients are resolved on the
// connection's reader, so a handler may wait in [Socket.EmitWithAck] for
// its own client. Other calls run where the work happens:
//
//   - outgoing any-listeners ([Socket.OnAnyOutgoing]) on the goroutine that
//     emits;
//   - [Server.OnNewNamespace] hooks and the adapter factory on the goroutine
//     that creates the namespace (the caller of [Server.Of], or the
//     connection's handler goroutine for a dynamic namespace);
//   - [Namespace.OnRoomEvent] listeners synchronously where the rooms
//     change (Join, Leave, a disconnect, or the adapter's goroutine for a
//     change asked by another server);
//   - [Namespace.OnServerSideEmit] listeners on the adapter's goroutine
//     (the Redis adapter's subscriber);
//   - Options.AllowRequest, InitialHeaders, Headers and OnConnectionError on
//     the HTTP request's goroutine.
//
// An adapter calls its namespace ([adapter.Namespace]) and the sockets
// ([adapter.Member]) from the goroutine of the operation (the broadcaster,
// or its own for what comes from another server); a socket's Deliver only
// queues.
//
// No handler, hook, listener, middleware, matcher or adapter callback ever
// runs while a lock of the library is held: the state it needs is copied
// under the lock, which is released before the call. They may therefore
// call back into the server, the namespace or the socket, and may block
// (blocking delays that client's later events and nothing else).
//
// The locks, and their order where one is taken under another:
//
//   - Server.hookMu (the OnNewNamespace hooks), ParentNamespace.mu (the
//     parent's middleware and handlers), Namespace.mu (its middleware,
//     handlers, listeners and sockets), client.mu (a connection's sockets
//     and pending CONNECTs), the namespace.Registry's lock, the room
//     index's lock (room.Index) and the lock of the list of namespace
//     counters (statGroups, taken when a namespace or parent is declared)
//     are leaves: nothing is locked under them.
//   - The lock of adapter.SessionAware's store comes before the room
//     index's: a broadcast is logged and its recipients chosen in one
//     step, and so are a session's restore and the joining of its rooms.
//   - Socket.mu (a socket's handlers, hooks, pending acks, data and the
//     packets held behind its CONNECT answer) comes before the engine's
//     session locks: the held packets are handed to the engine under it,
//     so that nothing sent meanwhile can pass them.
//   - The executor's lock (a connection's job queue) comes before the
//     tracker's and the worker pool's.
//   - An adapter's own locks (the Redis adapter's) are never held while it
//     calls into this package, with one exception that runs no user code
//     and takes no lock: adapter.SessionAware builds a restored socket
//     (newSocket, an allocation) under its store's lock.
//
// # Logging
//
// The server reports through log/slog, to Options.Logger (slog.Default()
// when nil), with attributes rather than formatted text: sid (the
// Engine.IO session), socket (the socket ID), nsp, transport, reason (the
// reference's reason text, "transport close"), remote, err.
//
//   - Error: nothing today; the server has no failure of its own that
//     it does not report to the caller as an error value.
//   - Warn: what an operator must act on, rate-limited where clients
//     could cause it, so that a flood of clients cannot flood the log: a
//     client closed for being too slow (its send queue full, a stalled
//     websocket, a write timeout; one line every 10 s for the whole server,
//     with the count of the others); a handler error or an undecodable
//     event argument on a socket without Socket.OnError (one line per
//     socket and event every 10 s); a Redis adapter that lost Redis (once
//     per loss) or dropped a batch of messages it could not write.
//   - Info: the server's own life: Shutdown starting (with the number of
//     connections it closes), a Redis adapter back on Redis.
//   - Debug: every client's life: a session opened, upgraded, closed (with
//     its reason), a request refused (with its error code), a socket
//     connected to or disconnected from a namespace, a packet that does not
//     decode. Each is checked with Logger.Enabled first, so the level costs
//     nothing while it is off.
package socketio

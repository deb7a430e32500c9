// Package engine implements the server side of the Engine.IO protocol,
// version 4: the handshake, HTTP long-polling, WebSocket, the
// polling-to-WebSocket upgrade, server heartbeats, payload limits, CORS and
// the protocol's error responses. It behaves like the Node.js engine.io 6.6
// server. With [Config.AllowEIO3] it also speaks version 3 to the clients
// that ask for it (EIO=3), per session: their payload framing, binary
// frames and client-driven heartbeat (eio3.go); v4 sessions are unchanged.
//
// A [Server] is an [http.Handler]. Each client that completes a handshake gets
// a [Session], which carries Engine.IO message packets in both directions
// whatever the transport underneath. The layer above (Socket.IO) receives a
// session through [Config.OnConnection] and returns the [Handler] that gets
// the session's messages and its close.
//
// # Concurrency
//
// Every session has at most one writer at a time. [Session.Send] and most
// other send methods only append already-encoded [Packet] values to the
// session's queue, which is bounded in bytes; the transport drains the queue
// in batches: a pending long-polling GET returns every queued packet in one
// payload, and over WebSocket every pending frame goes out in one vectored
// write. On Linux those writes are made, without waiting, by a few pooled
// goroutines (one per CPU at most) that take the sessions with something to
// write in turn; what a socket cannot take at once is finished by a writer
// goroutine of the session's own, which waits within the write timeout, as
// every WebSocket writer does elsewhere. An idle session holds no writer. A
// client that stops reading is found by the queue's bound and by watching
// whether it takes the bytes written to it. A [Packet] is immutable once
// built, so one packet can be queued to any number of sessions without
// being encoded again; broadcasting relies on this. [Session.SendNow], for
// replies, writes on the caller's goroutine when the connection is free,
// without ever waiting for the network.
//
// Messages from one session reach its [Handler] one at a time, in the order
// they arrived, on the goroutine that read them (a WebSocket reader or the
// HTTP handler of a POST). A handler that blocks stops its session from
// reading further messages, and nothing else; a [BurstHandler] is also told
// when a burst of messages read together has been delivered.
//
// # Deadlines
//
// Only a write that waits for the peer has a deadline: the write timeout,
// set on the connection by the waiting writer before it writes and moved
// lazily (wsConn.writeBatch). Writes and reads that never wait (the
// flusher's, the poller's) go through syscall.RawConn.Control, which does
// not look at the connection's deadlines, so a deadline left in the past
// by the last waiting write can never fail them: an idle connection, or
// one whose writes never fill the socket, never times out. The stall
// detector's patience is half the write timeout. A long-polling GET that
// waits for something to send pushes an http.Server's read and write
// deadlines past the longest it may wait (a heartbeat) plus the write
// timeout. lifetime_test.go holds connections open many times longer than
// each of these timeouts over every transport and write path.
//
// Heartbeats use one timer per session and no goroutine. In a v3 session
// the client pings and the server answers; the timer then is the deadline
// of the client's next ping. On Linux an idle
// WebSocket session has no goroutine either: an epoll set, itself waiting
// in the Go runtime's network poller, says which connections have bytes,
// and a pooled goroutine reads a connection only while it has some. TLS
// connections, permessage-deflate and other platforms keep one reader
// goroutine per WebSocket. A long-polling session has no goroutine of its
// own. Every goroutine ends when its session closes (pooled writers
// are parked for at most two seconds), and
// [Server.Shutdown] returns only after every session has closed.
//
// # Files
//
// One file per concern; a Session's state is split the same way, each part
// a type of its own in the file of its concern (see [Session]):
//
//   - server.go: the [Server], routing a request to its session, refusals.
//   - handshake.go: opening a session over either transport, and starting it.
//   - session.go: the [Session], its [Handler], and delivery of packets to it.
//   - longpoll.go: long-polling GET and POST (longPoll), response
//     compression, sessions that linger after a client's close.
//   - writer.go: the queue (outQueue), the writer role (writerRole, with its
//     state diagram), Send, SendNow and the writer loop.
//   - flush_linux.go, flush_other.go: the flusher, which writes websockets
//     without waiting, on behalf of their writer role.
//   - heartbeat.go: pings, pong timeouts and stall detection (heartbeat).
//   - close.go: graceful close, abort, finalizing a session; Server.Shutdown
//     and Server.Close.
//   - upgrade.go: the upgrade from long-polling to websocket (upgradeState).
//   - websocket.go: a websocket connection (wsConn) and how a session reads it.
//   - wswire.go: the two wires of a websocket behind one interface (wsWire):
//     our own frames (ownFrames) and gorilla's, for permessage-deflate.
//   - wsaccept.go: accepting a websocket (the RFC 6455 handshake).
//   - wsframe.go: parsing the frames a client sends.
//   - poll_linux.go, poll_other.go: the poller, which reads idle websockets
//     without a goroutine each.
//   - outq_linux.go, outq_other.go: how much the kernel still holds of what
//     was written, for stall detection.
//   - packet.go: Engine.IO packets, pre-encoded as websocket frames, and
//     long-polling payloads.
//   - eio3.go: Engine.IO v3's long-polling payloads (lengths in UTF-16
//     units, base64 binary, XHR2 binary) and binary packets with a type
//     byte, built once per packet for every v3 session.
//   - config.go, cors.go, errors.go: options, CORS, errors and close reasons.
//   - stats.go: the server's counters ([Server.Stats]): sessions by
//     transport, bytes and messages each way, refusals by code, slow
//     clients. Traffic is added without a lock to one of a few
//     cache-line-sized slots, the session's, and summed when read.
package engine

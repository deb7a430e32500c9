// Package admin instruments a [socketio.Server] for the official Socket.IO
// admin UI (npm @socket.io/admin-ui 0.5: the hosted page at
// https://admin.socket.io, or the files of its ui/dist folder served by
// the application). It speaks the protocol of the package's Node.js
// server side, so the UI cannot tell a Go server from a Node one, and Go
// and Node servers of one cluster show up side by side.
//
//	in, err := admin.Instrument(io, admin.Options{
//		Auth: &admin.BasicAuth{Username: "admin", PasswordHash: hash}, // bcrypt
//	})
//	defer in.Close()
//
// # The protocol
//
// The UI is a Socket.IO client of the admin namespace ("/admin"). Its
// middleware checks the login from the CONNECT's auth payload
// ({username, password}, or {sessionId} from an earlier login) and
// refuses a wrong one with the CONNECT_ERROR message "invalid
// credentials", which the UI looks for; a login gets a "session" event
// with a new session ID. On connect the UI gets "config"
// ({supportedFeatures}: the actions it may offer, none when read-only) and,
// in development mode, "all_sockets": every socket of the instrumented
// namespaces on every server (FetchSockets), each with its ID, the
// connection's ID and transport, namespace, data, handshake and rooms.
// Every StatsInterval each server sends "server_stats" (its ID, host,
// pid, uptime, connections and those on long-polling, the connections,
// disconnections, messages and bytes since the last stats, and each
// namespace's sockets). In development mode the UI also gets
// "socket_connected", "socket_updated", "socket_disconnected",
// "room_joined", "room_left", "event_received" and "event_sent" as they
// happen. Unless read-only, the UI's "emit", "join", "leave" and
// "_disconnect" events act on the sockets of a namespace, or of one room
// or socket, on every server.
//
// Everything sent to the UIs is a broadcast on the admin namespace, so in
// a cluster a UI connected to any server gets the events of all of them,
// as with the reference. The sockets of another server are found with
// FetchSockets; the connection details of each (its connection's ID and
// transport), which FetchSockets does not carry, come from the server
// that holds it: a Node server instrumented by @socket.io/admin-ui keeps
// them in the socket's data, and a Go one answers a server-side event
// ("sio-admin:sockets").
//
// # Differences from the reference
//
// A socket's data changes and its transport's upgrade are seen at the
// next stats rather than at once (socket_updated): the reference wraps
// socket.data in a proxy, and a Go value cannot be watched. The
// aggregated counts are those of the interval, dated at its end. The
// "session" event comes after the CONNECT answer (this server holds what
// a middleware emits until then), which lets the UI, which listens for it
// only once connected, keep its session across a reload. A UI action on a
// namespace that does not exist does not create it. Sockets that were
// connected before Instrument are watched too.
//
// # Security
//
// The admin namespace shows every socket's handshake headers (cookies
// included) and data, and, unless read-only, lets the UI disconnect any
// client and send any event to it. Never expose it without
// authentication, and serve it over TLS: the login travels in the
// CONNECT packet. Each failed login costs the server a bcrypt comparison.
//
// # Concurrency
//
// [Instrument] and the methods of [Instrumentation] are safe to call from
// any goroutine. See [Instrumentation] for the goroutines it runs and
// where its listeners run.
package admin

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
package socketio

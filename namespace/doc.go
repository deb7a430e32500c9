// Package namespace is the registry of Socket.IO namespaces: it maps a
// namespace name to the value that handles it, whether the namespace was
// declared statically ("/chat") or is created on first use by a dynamic
// matcher (a regular expression or a function), in the way the reference
// server's io.of() does.
//
// The registry is generic over the namespace value so that it does not
// depend on the layer above: the socketio package stores its *Namespace in
// it.
package namespace

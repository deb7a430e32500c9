// Package namespace is the registry of Socket.IO namespaces and the
// routing of a client's CONNECT to one of them: it maps a namespace name to
// the value that handles it, whether the namespace was declared statically
// ("/chat") or is created on first use by a dynamic parent (a regular
// expression or a function matcher), in the way the reference server's
// io.of() does.
//
// A [Registry] keeps the static namespaces and, for each [Parent], the
// children it created; it bounds the children that clients may cause to
// be created (MaxDynamic) and removes a child when its last socket has
// left, if asked to (CleanupEmptyChildren). [Registry.Resolve] finds or
// creates the namespace of an incoming CONNECT; [Registry.Of] does the
// same for the server's own requests.
//
// The registry is generic over the namespace value so that it does not
// depend on the layer above: the socketio package stores its *Namespace in
// it. It runs no create function, matcher or OnCreate hook while it holds
// its lock, so that they may call back into it; a name being created is
// marked pending, and a concurrent request for it waits for the one
// creation.
package namespace

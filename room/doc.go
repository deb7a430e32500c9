// Package room holds the room and socket ID types and the index of which
// sockets are in which rooms, against which broadcasts are resolved: the
// union of the target rooms (or every socket), minus the sockets in the
// excepted rooms, each socket at most once.
//
// The index is generic over the value kept for each member, so that a
// broadcast reaches the member's handle directly, with no second lookup
// per recipient. Its one lock is a leaf: Add, Remove and RemoveAll return
// the room changes for the caller to report once the lock is released,
// and ForEach's function runs under a read lock, so it must only collect
// (it must not call back into the index or into user code).
package room

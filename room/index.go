package room

import "sync"

// Room is the name of a room. Every socket is in the room named after its
// own ID.
type Room string

// SocketID identifies a socket.
type SocketID string

// An Index records which sockets are in which rooms. M is the value kept
// for each member (a handle to deliver packets to). It is safe for
// concurrent use; callbacks given to its methods run under its read lock
// and must not call back into the index.
type Index[M any] struct {
	mu    sync.RWMutex
	rooms map[Room]map[SocketID]M
	sids  map[SocketID]*member[M]
}

type member[M any] struct {
	m     M
	rooms map[Room]struct{}
}

// ChangeKind is the kind of a [Change].
type ChangeKind uint8

// The changes an index reports, in the order of the reference adapter's
// events.
const (
	Created ChangeKind = iota // a room got its first member
	Joined                    // the socket joined a room
	Left                      // the socket left a room
	Deleted                   // a room lost its last member and was removed
)

// A Change is one effect of a call on the index, for the adapter's
// create-room, join-room, leave-room and delete-room events.
type Change struct {
	Kind ChangeKind
	Room Room
}

// Add puts the socket id, with its member value m, in rooms.
func (x *Index[M]) Add(id SocketID, m M, rooms ...Room) []Change {
	var ch []Change
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.rooms == nil {
		x.rooms = make(map[Room]map[SocketID]M)
		x.sids = make(map[SocketID]*member[M])
	}
	mem := x.sids[id]
	if mem == nil {
		mem = &member[M]{m: m, rooms: make(map[Room]struct{}, len(rooms))}
		x.sids[id] = mem
	}
	for _, r := range rooms {
		if _, in := mem.rooms[r]; in {
			continue
		}
		mem.rooms[r] = struct{}{}
		set := x.rooms[r]
		if set == nil {
			set = make(map[SocketID]M)
			x.rooms[r] = set
			ch = append(ch, Change{Created, r})
		}
		set[id] = mem.m
		ch = append(ch, Change{Joined, r})
	}
	return ch
}

// Remove takes the socket id out of room.
func (x *Index[M]) Remove(id SocketID, r Room) []Change {
	var ch []Change
	x.mu.Lock()
	defer x.mu.Unlock()
	mem := x.sids[id]
	if mem == nil {
		return ch
	}
	if _, in := mem.rooms[r]; !in {
		return ch
	}
	delete(mem.rooms, r)
	x.leaveLocked(id, r, &ch)
	return ch
}

// RemoveAll takes the socket id out of every room and forgets it.
func (x *Index[M]) RemoveAll(id SocketID) []Change {
	var ch []Change
	x.mu.Lock()
	defer x.mu.Unlock()
	mem := x.sids[id]
	if mem == nil {
		return ch
	}
	delete(x.sids, id)
	for r := range mem.rooms {
		x.leaveLocked(id, r, &ch)
	}
	return ch
}

func (x *Index[M]) leaveLocked(id SocketID, r Room, ch *[]Change) {
	*ch = append(*ch, Change{Left, r})
	set := x.rooms[r]
	delete(set, id)
	if len(set) == 0 {
		delete(x.rooms, r)
		*ch = append(*ch, Change{Deleted, r})
	}
}

// Rooms returns the rooms the socket id is in.
func (x *Index[M]) Rooms(id SocketID) []Room {
	x.mu.RLock()
	defer x.mu.RUnlock()
	mem := x.sids[id]
	if mem == nil {
		return nil
	}
	out := make([]Room, 0, len(mem.rooms))
	for r := range mem.rooms {
		out = append(out, r)
	}
	return out
}

// Has reports whether the socket id is in room r.
func (x *Index[M]) Has(id SocketID, r Room) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	mem := x.sids[id]
	if mem == nil {
		return false
	}
	_, in := mem.rooms[r]
	return in
}

// Member returns the member value of socket id.
func (x *Index[M]) Member(id SocketID) (M, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	mem := x.sids[id]
	if mem == nil {
		var zero M
		return zero, false
	}
	return mem.m, true
}

// AllRooms returns every room that has members.
func (x *Index[M]) AllRooms() []Room {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]Room, 0, len(x.rooms))
	for r := range x.rooms {
		out = append(out, r)
	}
	return out
}

// Len returns the number of sockets in the index.
func (x *Index[M]) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.sids)
}

// ForEach calls fn for every socket in any of rooms (every socket when
// rooms is empty) and in none of except, each socket once, until fn
// returns false. fn runs under the index's read lock.
func (x *Index[M]) ForEach(rooms, except []Room, fn func(id SocketID, m M) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	excluded := func(id SocketID) bool {
		if len(except) == 0 {
			return false
		}
		mem := x.sids[id]
		for _, r := range except {
			if _, in := mem.rooms[r]; in {
				return true
			}
		}
		return false
	}
	switch len(rooms) {
	case 0:
		for id, mem := range x.sids {
			if !excluded(id) && !fn(id, mem.m) {
				return
			}
		}
	case 1:
		for id, m := range x.rooms[rooms[0]] {
			if !excluded(id) && !fn(id, m) {
				return
			}
		}
	default:
		seen := make(map[SocketID]struct{})
		for _, r := range rooms {
			for id, m := range x.rooms[r] {
				if _, dup := seen[id]; dup {
					continue
				}
				seen[id] = struct{}{}
				if !excluded(id) && !fn(id, m) {
					return
				}
			}
		}
	}
}

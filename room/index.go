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
//
// It is laid out for many sockets in few rooms each: a room with a single
// member (such as every socket's own-ID room) costs one entry of a shared
// map rather than a map of its own, and a socket's own list of rooms is a
// short slice until it grows long.
type Index[M any] struct {
	mu sync.RWMutex
	// rooms holds the rooms that have had two members or more at once,
	// single those with one member that have not.
	rooms  map[Room]map[SocketID]M
	single map[Room]SocketID
	sids   map[SocketID]*member[M]
}

type member[M any] struct {
	m     M
	rooms roomSet
}

// maxRoomList is the number of rooms a socket's roomSet keeps in a slice;
// past it, they move to a map.
const maxRoomList = 8

// roomSet is the set of rooms of one socket: a slice, in the order joined,
// while it is short, and a map beyond maxRoomList rooms.
type roomSet struct {
	list []Room
	set  map[Room]struct{}
}

func (s *roomSet) has(r Room) bool {
	if s.set != nil {
		_, in := s.set[r]
		return in
	}
	for _, x := range s.list {
		if x == r {
			return true
		}
	}
	return false
}

// add adds r, which must not be in the set.
func (s *roomSet) add(r Room, hint int) {
	switch {
	case s.set != nil:
		s.set[r] = struct{}{}
	case len(s.list) < maxRoomList:
		if s.list == nil {
			s.list = make([]Room, 0, min(max(hint, 1), maxRoomList))
		}
		s.list = append(s.list, r)
	default:
		s.set = make(map[Room]struct{}, 2*maxRoomList)
		for _, x := range s.list {
			s.set[x] = struct{}{}
		}
		s.set[r] = struct{}{}
		s.list = nil
	}
}

// remove removes r and reports whether it was in the set.
func (s *roomSet) remove(r Room) bool {
	if s.set != nil {
		if _, in := s.set[r]; !in {
			return false
		}
		delete(s.set, r)
		return true
	}
	for i, x := range s.list {
		if x == r {
			n := len(s.list) - 1
			copy(s.list[i:], s.list[i+1:])
			s.list[n] = "" // release the name
			s.list = s.list[:n]
			return true
		}
	}
	return false
}

func (s *roomSet) len() int {
	if s.set != nil {
		return len(s.set)
	}
	return len(s.list)
}

// each calls fn for each room of the set.
func (s *roomSet) each(fn func(r Room)) {
	if s.set != nil {
		for r := range s.set {
			fn(r)
		}
		return
	}
	for _, r := range s.list {
		fn(r)
	}
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
	if x.sids == nil {
		x.rooms = make(map[Room]map[SocketID]M)
		x.single = make(map[Room]SocketID)
		x.sids = make(map[SocketID]*member[M])
	}
	mem := x.sids[id]
	if mem == nil {
		mem = &member[M]{m: m}
		x.sids[id] = mem
	}
	for i, r := range rooms {
		if mem.rooms.has(r) {
			continue
		}
		mem.rooms.add(r, len(rooms)-i)
		if set := x.rooms[r]; set != nil {
			set[id] = mem.m
		} else if other, ok := x.single[r]; ok {
			// The room gets its second member: it moves to a map.
			set = map[SocketID]M{other: x.sids[other].m, id: mem.m}
			x.rooms[r] = set
			delete(x.single, r)
		} else {
			x.single[r] = id
			ch = append(ch, Change{Created, r})
		}
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
	if !mem.rooms.remove(r) {
		return ch
	}
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
	mem.rooms.each(func(r Room) { x.leaveLocked(id, r, &ch) })
	return ch
}

func (x *Index[M]) leaveLocked(id SocketID, r Room, ch *[]Change) {
	*ch = append(*ch, Change{Left, r})
	if set := x.rooms[r]; set != nil {
		delete(set, id)
		if len(set) > 0 {
			return
		}
		delete(x.rooms, r)
	} else {
		delete(x.single, r)
	}
	*ch = append(*ch, Change{Deleted, r})
}

// Rooms returns the rooms the socket id is in.
func (x *Index[M]) Rooms(id SocketID) []Room {
	x.mu.RLock()
	defer x.mu.RUnlock()
	mem := x.sids[id]
	if mem == nil {
		return nil
	}
	out := make([]Room, 0, mem.rooms.len())
	mem.rooms.each(func(r Room) { out = append(out, r) })
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
	return mem.rooms.has(r)
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
	out := make([]Room, 0, len(x.rooms)+len(x.single))
	for r := range x.rooms {
		out = append(out, r)
	}
	for r := range x.single {
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
			if mem.rooms.has(r) {
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
		// The common case, without eachInLocked's indirection per member.
		if set := x.rooms[rooms[0]]; set != nil {
			for id, m := range set {
				if !excluded(id) && !fn(id, m) {
					return
				}
			}
		} else if id, ok := x.single[rooms[0]]; ok && !excluded(id) {
			fn(id, x.sids[id].m)
		}
	default:
		seen := make(map[SocketID]struct{})
		for _, r := range rooms {
			if !x.eachInLocked(r, func(id SocketID, m M) bool {
				if _, dup := seen[id]; dup {
					return true
				}
				seen[id] = struct{}{}
				return excluded(id) || fn(id, m)
			}) {
				return
			}
		}
	}
}

// eachInLocked calls fn for each member of room r until fn returns false;
// it reports whether fn never did.
func (x *Index[M]) eachInLocked(r Room, fn func(id SocketID, m M) bool) bool {
	if set := x.rooms[r]; set != nil {
		for id, m := range set {
			if !fn(id, m) {
				return false
			}
		}
		return true
	}
	if id, ok := x.single[r]; ok {
		return fn(id, x.sids[id].m)
	}
	return true
}

package socketio

import (
	"github.com/gosio/sio/room"
)

// Join adds the socket to rooms. It returns [ErrDisconnected] for a
// disconnected socket, and [ErrTooManyRooms] (joining none of rooms) if the
// socket would be in more than Options.MaxRoomsPerSocket rooms.
func (s *Socket) Join(rooms ...string) error {
	if !s.Connected() {
		return ErrDisconnected
	}
	id := room.SocketID(s.id)
	if limit := s.nsp.srv.maxRoomsPerSocket(); len(s.nsp.adapter.SocketRooms(id))+len(rooms) > limit {
		current := s.nsp.adapter.SocketRooms(id)
		in := make(map[room.Room]bool, len(current))
		for _, r := range current {
			in[r] = true
		}
		n := len(current)
		for _, r := range rooms {
			if !in[room.Room(r)] {
				in[room.Room(r)] = true
				n++
			}
		}
		if n > limit {
			return ErrTooManyRooms
		}
	}
	s.nsp.adapter.AddAll(id, s, toRooms(rooms)...)
	if !s.live.Load() {
		// Disconnected meanwhile: its rooms may already have been left.
		s.nsp.adapter.DelAll(id)
		return ErrDisconnected
	}
	return nil
}

// Leave removes the socket from rooms. It returns [ErrDisconnected] for a
// disconnected socket, which is in no room.
func (s *Socket) Leave(rooms ...string) error {
	if !s.Connected() {
		return ErrDisconnected
	}
	for _, r := range rooms {
		s.nsp.adapter.Del(room.SocketID(s.id), room.Room(r))
	}
	return nil
}

// Rooms returns the rooms the socket is in, its own-ID room included.
func (s *Socket) Rooms() []string {
	return fromRooms(s.nsp.adapter.SocketRooms(room.SocketID(s.id)))
}

// InRoom reports whether the socket is in room r.
func (s *Socket) InRoom(r string) bool {
	for _, x := range s.nsp.adapter.SocketRooms(room.SocketID(s.id)) {
		if string(x) == r {
			return true
		}
	}
	return false
}

func toRooms(rs []string) []room.Room {
	out := make([]room.Room, len(rs))
	for i, r := range rs {
		out[i] = room.Room(r)
	}
	return out
}

func fromRooms(rs []room.Room) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

package admin

import (
	"github.com/gosio/sio/socketio"
)

// handleActions registers the handlers of the UI's actions on an admin
// socket: the events of the reference's ClientEvents. Each applies to the
// sockets of a namespace on every server, or to those in one room (a
// socket's ID, for one socket) when a filter is given. A namespace that
// is not instrumented, or does not exist, is left alone, and so is an
// event whose arguments are not of the right types.
func (in *Instrumentation) handleActions(s *socketio.Socket) {
	// emit(nsp, filter, event, ...args): an event to the clients.
	s.On("emit", func(args ...socketio.Raw) {
		n, op := in.selected(args, 0, 1)
		ev, ok := str(args, 2)
		if n == nil || !ok || ev == "" {
			return
		}
		rest := make([]any, 0, len(args)-3)
		for _, a := range args[3:] {
			rest = append(rest, a)
		}
		_ = op.Emit(ev, rest...)
	})
	// join(nsp, room, filter) and leave(nsp, room, filter).
	s.On("join", func(args ...socketio.Raw) {
		n, op := in.selected(args, 0, 2)
		if room, ok := str(args, 1); n != nil && ok && room != "" {
			_ = op.SocketsJoin(room)
		}
	})
	s.On("leave", func(args ...socketio.Raw) {
		n, op := in.selected(args, 0, 2)
		if room, ok := str(args, 1); n != nil && ok && room != "" {
			_ = op.SocketsLeave(room)
		}
	})
	// _disconnect(nsp, close, filter).
	s.On("_disconnect", func(args ...socketio.Raw) {
		n, op := in.selected(args, 0, 2)
		var closeConn bool
		if n == nil || len(args) < 2 || args[1].Decode(&closeConn) != nil {
			return
		}
		_ = op.DisconnectSockets(closeConn)
	})
}

// selected returns the namespace named by args[nspAt] and an operator on
// its sockets, on every server, in the room args[filterAt] if that is a
// non-empty string (the reference's truthy filter), or nil if there is no
// such instrumented namespace.
func (in *Instrumentation) selected(args []socketio.Raw, nspAt, filterAt int) (*socketio.Namespace, *socketio.BroadcastOperator) {
	name, ok := str(args, nspAt)
	if !ok {
		return nil, nil
	}
	n := in.target(name)
	if n == nil {
		return nil, nil
	}
	if filter, _ := str(args, filterAt); filter != "" {
		return n, n.In(filter)
	}
	return n, n.Except()
}

// str returns args[i] if it is a string.
func str(args []socketio.Raw, i int) (string, bool) {
	var s string
	if i >= len(args) || args[i].Decode(&s) != nil {
		return "", false
	}
	return s, true
}

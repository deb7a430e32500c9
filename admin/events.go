package admin

import (
	"bytes"
	"encoding/json"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/socketio"
)

// watchedSocket is a socket of this server that development mode reports
// on: what the UI was last told of it, and how to remove the listeners
// added to it.
type watchedSocket struct {
	nsp       string
	transport string
	data      json.RawMessage
	off       []func()
}

// onAdmin runs for each UI that connects: the config, then (development
// mode) the list of sockets, and the handlers of the UI's actions.
func (in *Instrumentation) onAdmin(s *socketio.Socket) {
	if in.closed.Load() {
		s.Disconnect(false)
		return
	}
	if !in.opts.ReadOnly {
		in.handleActions(s)
	}
	_ = s.Emit("config", map[string]any{"supportedFeatures": in.features})
	if in.opts.Mode == Development {
		// Listing waits for the other servers: not on the connection's
		// handler goroutine, which holds the CONNECT answer until the
		// connection handlers return.
		in.goWork(func() {
			list := in.allSockets(in.ctx)
			if !in.closed.Load() {
				_ = s.Emit("all_sockets", list)
			}
		})
	}
}

// watch reports a socket to the UIs (socket_connected) and adds the
// listeners that report its events and its disconnection. Sockets that
// were there before the instrumentation are watched without being
// announced: the UI lists them when it connects.
func (in *Instrumentation) watch(n *socketio.Namespace, s *socketio.Socket, announce bool) {
	if in.closed.Load() {
		return
	}
	sj := serializeLocal(s)
	w := &watchedSocket{nsp: n.Name(), transport: sj.Transport, data: sj.Data}
	in.mu.Lock()
	if _, dup := in.watched[s]; dup || in.done {
		in.mu.Unlock()
		return
	}
	in.watched[s] = w
	in.mu.Unlock()

	nsp, id := n.Name(), s.ID()
	var off []func()
	if n != in.nsp { // the UI's own traffic is not reported, as in the reference
		off = append(off,
			s.OnAny(func(event string, args socketio.Args) {
				in.emit("event_received", nsp, id, eventArgs(event, args), now())
			}),
			s.OnAnyOutgoing(func(event string, args socketio.Args) {
				in.emit("event_sent", nsp, id, eventArgs(event, args), now())
			}),
		)
	}
	in.mu.Lock()
	if in.watched[s] == w {
		w.off = off
		off = nil
	}
	in.mu.Unlock()
	for _, f := range off { // closed meanwhile
		f()
	}
	s.OnDisconnect(func(reason socketio.DisconnectReason) {
		in.forget(s)
		in.emit("socket_disconnected", nsp, id, reason.String(), now())
	})
	if !s.Connected() { // gone before OnDisconnect was registered
		in.forget(s)
		return
	}
	if announce {
		in.emit("socket_connected", sj, now())
	}
}

// forget stops watching s.
func (in *Instrumentation) forget(s *socketio.Socket) {
	in.mu.Lock()
	w := in.watched[s]
	delete(in.watched, s)
	in.mu.Unlock()
	if w != nil {
		for _, f := range w.off {
			f()
		}
	}
}

// eventArgs is an event as the UI shows it: its name, then its arguments.
func eventArgs(event string, args socketio.Args) []any {
	out := make([]any, 0, 1+len(args))
	out = append(out, event)
	for _, a := range args {
		out = append(out, a)
	}
	return out
}

// roomListener reports the rooms joined and left in n, own-ID rooms
// included, as the reference does.
func (in *Instrumentation) roomListener(n *socketio.Namespace) func(adapter.Event) {
	nsp := n.Name()
	return func(ev adapter.Event) {
		switch ev.Type {
		case adapter.JoinRoom:
			in.emit("room_joined", nsp, string(ev.Room), string(ev.ID), now())
		case adapter.LeaveRoom:
			in.emit("room_left", nsp, string(ev.Room), string(ev.ID), now())
		}
	}
}

// checkUpdates tells the UIs of the watched sockets whose transport
// (an upgrade) or data changed since they were last told (socket_updated).
// The reference learns of both at once, through a proxy on socket.data
// and the upgrade event; here they are seen at the next stats.
func (in *Instrumentation) checkUpdates() {
	type change struct {
		s         *socketio.Socket
		w         *watchedSocket
		transport string
		data      json.RawMessage
	}
	in.mu.Lock()
	all := make([]change, 0, len(in.watched))
	for s, w := range in.watched {
		all = append(all, change{s: s, w: w})
	}
	in.mu.Unlock()
	for _, c := range all {
		c.transport = c.s.Transport()
		c.data, _ = dataJSON(c.s.Data())
		in.mu.Lock()
		newTransport := c.transport != c.w.transport
		newData := !bytes.Equal(c.data, c.w.data)
		c.w.transport, c.w.data = c.transport, c.data
		in.mu.Unlock()
		if newTransport {
			in.emit("socket_updated", map[string]any{"id": c.s.ID(), "nsp": c.w.nsp, "transport": c.transport})
		}
		if newData {
			in.emit("socket_updated", map[string]any{"id": c.s.ID(), "nsp": c.w.nsp, "data": c.data})
		}
	}
}

package socketio

import (
	"context"
	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/internal/parser"
	"github.com/gosio/sio/room"
	"log/slog"
)

// heldPackets are the packets for a socket's client queued while its
// CONNECT is answered only once its connection handlers have run, so that
// a client that sees "connect" is in every room they joined, and gets what
// they emitted after the CONNECT, in order. connect is the answer, set once
// the middleware accepted the socket; until then nothing is released.
type heldPackets struct {
	before  []*engine.Packet // a recovered socket's missed packets
	connect *engine.Packet
	pkts    []*engine.Packet
	bytes   int
}

// closedChan is the Done channel of a socket that disconnected before
// anyone asked for it.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// hold keeps pkts back if the socket's CONNECT answer is held, and reports
// whether it did. Past the connection's queue bound (MaxQueueBytes) the
// answer and what is held go out at once, where the bound applies.
func (s *Socket) hold(pkts []*engine.Packet) bool {
	s.mu.Lock()
	h := s.held.Load()
	if h == nil {
		s.mu.Unlock()
		return false
	}
	h.pkts = append(h.pkts, pkts...)
	for _, p := range pkts {
		h.bytes += len(p.Payload())
	}
	over := h.bytes > s.client.srv.maxQueueBytes()
	s.mu.Unlock()
	if over {
		s.release()
	}
	return true
}

// release sends the CONNECT answer and what was held behind it, and stops
// holding; nothing sent meanwhile can pass them. Before the middleware
// has accepted the socket it does nothing.
func (s *Socket) release() {
	if s.held.Load() == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.held.Load()
	if h == nil || h.connect == nil {
		return
	}
	pkts := make([]*engine.Packet, 0, len(h.before)+1+len(h.pkts))
	pkts = append(append(append(pkts, h.before...), h.connect), h.pkts...)
	// Under mu: a sender that finds held set waits for it, and one that
	// finds it nil comes after these. The engine calls back into nothing
	// of the socket's from here.
	_ = s.client.sendNow(pkts...)
	s.held.Store(nil)
}

// accepted makes connect the answer that release sends, after before.
func (s *Socket) accepted(connect *engine.Packet, before []*engine.Packet) {
	s.mu.Lock()
	if h := s.held.Load(); h != nil {
		h.connect = connect
		h.before = before
	}
	s.mu.Unlock()
}

// refused drops what was held for a socket its namespace did not accept,
// and ends it for whoever kept it (a middleware may have asked for Done or
// Context).
func (s *Socket) refused() {
	s.mu.Lock()
	s.live.Store(false)
	s.held.Store(nil)
	done := s.done
	s.mu.Unlock()
	if done != nil {
		close(done)
	}
}

// OnDisconnecting registers fn to run when the socket is disconnecting,
// while it is still in its rooms.
func (s *Socket) OnDisconnecting(fn func(reason DisconnectReason)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooksLocked()
	h.onDisconnecting = append(h.onDisconnecting, fn)
}

// OnDisconnect registers fn to run when the socket has disconnected and
// left its rooms.
func (s *Socket) OnDisconnect(fn func(reason DisconnectReason)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDisconnect = append(s.onDisconnect, fn)
}

// Disconnect disconnects the socket from its namespace: the client gets a
// DISCONNECT packet (and does not reconnect by itself) and the socket's
// disconnect handlers run with "server namespace disconnect". With close,
// every socket of the client is disconnected and the connection closed.
func (s *Socket) Disconnect(close bool) {
	if close {
		s.client.closeAll()
		return
	}
	s.disconnect(ReasonServerNamespaceDisconnect, true)
}

// disconnect marks the socket disconnected, optionally sending a
// DISCONNECT packet; its disconnecting handlers, the leaving of its rooms
// and its disconnect handlers then run in order on the executor.
func (s *Socket) disconnect(reason DisconnectReason, notify bool) {
	s.mu.Lock()
	if !s.live.Load() {
		s.mu.Unlock()
		return
	}
	s.live.Store(false)
	s.acks = nil
	done := s.done
	s.mu.Unlock()
	if done != nil {
		close(done)
	}
	if l := s.nsp.srv.debugLogger(); l != nil {
		l.LogAttrs(context.Background(), slog.LevelDebug, "socketio: socket disconnected", slog.String("socket", s.id), slog.String("nsp", s.nsp.name),
			slog.String("sid", s.client.sess.ID()), slog.String("reason", reason.String()))
	}
	if notify {
		s.release() // the CONNECT first
		_ = s.client.send(encodeControl(s.nsp.srv.codec, parser.Disconnect, s.nsp.name, nil))
	}
	s.client.removeSocket(s)
	s.client.exec.run(func() {
		s.mu.Lock()
		var disconnecting []func(DisconnectReason)
		if s.hooks != nil {
			disconnecting = s.hooks.onDisconnecting
		}
		s.mu.Unlock()
		for _, fn := range disconnecting {
			fn(reason)
		}
		id := room.SocketID(s.id)
		var session *adapter.Session
		if s.pid != "" && reason.recoverable() {
			session = &adapter.Session{SID: id, PID: s.pid, Rooms: s.nsp.adapter.SocketRooms(id), Data: s.Data()}
		}
		s.nsp.adapter.DelAll(id)
		s.nsp.remove(s)
		s.nsp.stats.disconnected(reason)
		if session != nil {
			// After the socket left its rooms, so that a restore of
			// this session cannot be undone by the DelAll above.
			_ = s.nsp.adapter.PersistSession(session)
		}
		s.mu.Lock()
		disconnected := s.onDisconnect
		s.mu.Unlock()
		for _, fn := range disconnected {
			fn(reason)
		}
	})
}

package socketio

import (
	"encoding/json"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/room"
)

// recoveryAuth returns the pid and offset of a CONNECT's auth object when
// both are strings, as the reference requires (typeof === "string"). The
// keys match exactly; of a repeated key the last counts, as in
// JSON.parse. Anything else means no recovery, never an error. The auth
// is kept whole in the handshake, pid and offset included, as in the
// reference.
func recoveryAuth(auth []byte) (pid, offset string, ok bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(auth, &m) != nil {
		return "", "", false
	}
	p, po := jsonString(m["pid"])
	o, oo := jsonString(m["offset"])
	if !po || !oo {
		return "", "", false
	}
	return p, o, true
}

func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// restore gives back the socket of session pid with the frames of the
// packets it missed since offset, or nil for a new session. The socket is
// back in its rooms on return; with an adapter that is an
// [adapter.Restorer], in one step with the replay, so that no broadcast
// is missed or sent twice. A replay larger than the connection's queue
// bound (MaxQueueBytes), which would only disconnect the client again,
// gives a new session too. It also returns how many events the frames
// carry.
func (n *Namespace) restore(c *client, auth []byte, pid, offset string) (*Socket, []*engine.Packet, int) {
	var s *Socket
	newMember := func(sess *adapter.Session) adapter.Member {
		s = newSocket(n, c, auth)
		s.id, s.pid, s.data, s.recovered = string(sess.SID), sess.PID, sess.Data, true
		s.indexed.Store(true)
		return s
	}
	var sess *adapter.Session
	var missed []*adapter.Packet
	var err error
	if r, ok := n.adapter.(adapter.Restorer); ok {
		sess, missed, err = r.RestoreSessionAndJoin(pid, offset, newMember)
	} else if sess, missed, err = n.adapter.RestoreSession(pid, offset); err == nil && sess != nil {
		newMember(sess)
		n.adapter.AddAll(sess.SID, s, sess.Rooms...)
	}
	if err != nil || sess == nil || s == nil {
		return nil, nil, 0
	}
	var frames []*engine.Packet
	size := 0
	for _, p := range missed {
		for _, f := range s.delivered(p, 0, false).Frames(true) {
			frames = append(frames, f)
			size += len(f.Payload())
		}
	}
	if size > n.srv.maxQueueBytes() {
		n.adapter.DelAll(room.SocketID(s.id))
		return nil, nil, 0
	}
	return s, frames, len(missed)
}

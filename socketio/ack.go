package socketio

import (
	"sync/atomic"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/parser"
)

// Ack sends the acknowledgement of an event back to the client that asked
// for it, with the given arguments (binary data as []byte). Only the first
// call sends; later calls return [ErrAckAlreadySent]. For an event sent
// without an ack request it returns [ErrNoAck].
type Ack func(args ...any) error

// ackFunc receives a client's ack: the JSON array of its arguments.
type ackFunc func(data []byte, atts [][]byte)

// ackFor returns the Ack that answers p.
func (s *Socket) ackFor(p *parser.Packet) Ack {
	if !p.HasID {
		return func(...any) error { return ErrNoAck }
	}
	var sent atomic.Bool
	id := p.ID
	return func(args ...any) error {
		if !sent.CompareAndSwap(false, true) {
			return ErrAckAlreadySent
		}
		enc, err := encode(s.nsp.srv.codec, parser.Ack, s.nsp.name, id, true, "", args)
		if err != nil {
			return err
		}
		if !s.Connected() {
			return ErrDisconnected
		}
		return s.client.sendNow(enc.pkts...)
	}
}

// onAck delivers a client's ack to whoever waits for it. An ack with an
// unknown ID is ignored, as in the reference.
func (s *Socket) onAck(p *parser.Packet) {
	s.mu.Lock()
	fn := s.acks[p.ID]
	delete(s.acks, p.ID)
	s.mu.Unlock()
	if fn != nil {
		fn(p.Data, p.Attachments)
	}
}

// addAck registers fn for ack id; it reports false if the socket is
// disconnected.
func (s *Socket) addAck(id uint64, fn ackFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.live.Load() {
		return false
	}
	if s.acks == nil {
		s.acks = make(map[uint64]ackFunc)
	}
	s.acks[id] = fn
	return true
}

// DeliverWithAck implements [adapter.Member].
func (s *Socket) DeliverWithAck(p *adapter.Packet, flags adapter.Flags, id uint64, onAck func(adapter.AckArgs)) bool {
	if !s.addAck(id, func(data []byte, atts [][]byte) { onAck(adapter.AckArgs{Data: data, Attachments: atts}) }) {
		return false
	}
	// Someone waits for this client's answer, maybe its own connection
	// handler: the CONNECT must be out.
	s.release()
	if err := s.send(s.delivered(p, id, true), flags.Compress, flags.Volatile); err != nil {
		s.CancelAck(id)
		return false
	}
	return true
}

// CancelAck implements [adapter.Member].
func (s *Socket) CancelAck(id uint64) {
	s.mu.Lock()
	delete(s.acks, id)
	s.mu.Unlock()
}

package socketio

import (
	"bytes"
	"sync"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/internal/parser"
	sioparser "github.com/gosio/sio/parser"
)

var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// appendArgs appends the JSON array [event?, args...] to dst. Args given
// alone are the arguments.
func appendArgs(dst []byte, event string, args []any) ([]byte, [][]byte, error) {
	var atts [][]byte
	var err error
	dst = append(dst, '[')
	if event != "" {
		dst = parser.AppendString(dst, event)
	}
	if len(args) == 1 {
		if as, ok := args[0].(Args); ok {
			if dst, atts, err = appendRaws(dst, as, atts, event != ""); err != nil {
				return dst, nil, err
			}
			return append(dst, ']'), atts, nil
		}
	}
	for i, a := range args {
		if i > 0 || event != "" {
			dst = append(dst, ',')
		}
		if dst, atts, err = parser.AppendValueFunc(dst, a, atts, appendRawArg); err != nil {
			return dst, nil, err
		}
	}
	return append(dst, ']'), atts, nil
}

// appendRawArg writes a Raw, or Args as a JSON array, wherever it stands
// in an argument: at the top or inside a []any or map[string]any.
func appendRawArg(dst []byte, v any, atts [][]byte) ([]byte, [][]byte, bool, error) {
	switch x := v.(type) {
	case Raw:
		d, a, err := x.appendTo(dst, atts)
		return d, a, true, err
	case Args:
		if x == nil {
			return append(dst, "null"...), atts, true, nil
		}
		dst, atts, err := appendRaws(append(dst, '['), x, atts, false)
		if err != nil {
			return dst, atts, true, err
		}
		return append(dst, ']'), atts, true, nil
	}
	return dst, atts, false, nil
}

// appendRaws appends rs separated by commas, each with its attachments
// renumbered; comma puts one before the first too.
func appendRaws(dst []byte, rs Args, atts [][]byte, comma bool) ([]byte, [][]byte, error) {
	for i, r := range rs {
		if i > 0 || comma {
			dst = append(dst, ',')
		}
		var err error
		if dst, atts, err = r.appendTo(dst, atts); err != nil {
			return dst, atts, err
		}
	}
	return dst, atts, nil
}

// encoded is a Socket.IO packet ready to be queued: the text packet
// followed by its binary attachments, and the parts the adapter and the
// outgoing listeners need. It is immutable and shared by every recipient.
type encoded struct {
	pkts  []*engine.Packet // the text packet, then one per attachment
	event string
	data  []byte   // the JSON array, a view into the text packet
	atts  [][]byte // binary attachments
	// plain marks the packets uncompressed, once, before the first
	// recipient queues them (Compress(false)).
	plain sync.Once
}

// uncompressed marks the packets to be sent without compression; it is
// safe to call from every recipient of a broadcast.
func (e *encoded) uncompressed() {
	e.plain.Do(func() {
		for _, p := range e.pkts {
			p.DisableCompression()
		}
	})
}

// Frames implements [adapter.Encoded].
func (e *encoded) Frames(compress bool) []*engine.Packet {
	if !compress {
		e.uncompressed()
	}
	return e.pkts
}

var _ adapter.Encoded = (*encoded)(nil)

// args returns the packet's arguments (after the event name, if any).
func (e *encoded) args() Args {
	elems, err := parser.SplitArray(e.data)
	if err != nil {
		return nil
	}
	if e.event != "" && len(elems) > 0 {
		elems = elems[1:]
	}
	return newArgs(elems, e.atts)
}

// encode builds a packet of type typ (EVENT or ACK; promoted to its binary
// form when args hold binary data) for namespace nsp, in the format of cd
// (nil: the built-in JSON).
func encode(cd sioparser.Parser, typ parser.Type, nsp string, id uint64, hasID bool, event string, args []any) (*encoded, error) {
	sp := scratchPool.Get().(*[]byte)
	data, atts, err := appendArgs((*sp)[:0], event, args)
	defer func() {
		if cap(data) <= 64<<10 {
			*sp = data[:0]
			scratchPool.Put(sp)
		}
	}()
	if err != nil {
		return nil, err
	}
	if len(atts) > 0 {
		if typ == parser.Event {
			typ = parser.BinaryEvent
		} else if typ == parser.Ack {
			typ = parser.BinaryAck
		}
	}
	if cd != nil {
		return frameWith(cd, typ, nsp, id, hasID, event, data, atts)
	}
	return frame(nil, typ, nsp, id, hasID, event, data, atts), nil
}

// encodeRaw builds an EVENT from a JSON array received from another
// server (see adapter.Namespace.Prepare).
func encodeRaw(cd sioparser.Parser, nsp string, id uint64, hasID bool, data []byte, atts [][]byte) *encoded {
	typ := parser.Event
	if len(atts) > 0 {
		typ = parser.BinaryEvent
	}
	event := ""
	if elems, err := parser.SplitArray(data); err == nil && len(elems) > 0 {
		event, _ = parser.EventName(elems[0])
	}
	return frame(cd, typ, nsp, id, hasID, event, data, atts)
}

// frame writes a packet whose data is the JSON array data into the text
// frame the engine sends, followed by one frame per binary attachment; or
// into the messages of cd when it is not nil. A packet cd cannot encode
// (data from another server that is not JSON) has no frames: it is sent to
// nobody.
func frame(cd sioparser.Parser, typ parser.Type, nsp string, id uint64, hasID bool, event string, data []byte, atts [][]byte) *encoded {
	if cd != nil {
		e, _ := frameWith(cd, typ, nsp, id, hasID, event, data, atts)
		return e
	}
	buf := engine.NewMessageBuffer(len(data) + len(nsp) + 24)
	buf = parser.AppendPacket(buf, &parser.Packet{Type: typ, Namespace: nsp, ID: id, HasID: hasID, Data: data, Attachments: atts})
	text := engine.NewMessageFromBuffer(buf)
	payload := text.Payload()
	e := &encoded{
		pkts:  make([]*engine.Packet, 1, 1+len(atts)),
		event: event,
		data:  payload[len(payload)-len(data):],
		atts:  atts,
	}
	e.pkts[0] = text
	for _, a := range atts {
		e.pkts = append(e.pkts, engine.NewBinaryMessage(a))
	}
	return e
}

// frameWith is frame for the parser cd. The encoded keeps its own copy of
// data, the JSON form that outgoing listeners, adapters and recovery read.
func frameWith(cd sioparser.Parser, typ parser.Type, nsp string, id uint64, hasID bool, event string, data []byte, atts [][]byte) (*encoded, error) {
	e := &encoded{event: event, data: bytes.Clone(data), atts: atts}
	pkt := &parser.Packet{Type: typ, Namespace: nsp, ID: id, HasID: hasID, Data: e.data, Attachments: atts}
	if ba, ok := cd.(sioparser.BinaryAppender); ok {
		hint := len(data) + len(nsp) + 32
		for _, a := range atts {
			hint += len(a) + 5
		}
		buf, err := ba.AppendBinary(engine.NewBinaryMessageBuffer(hint), pkt)
		if err != nil {
			return e, err
		}
		e.pkts = []*engine.Packet{engine.NewBinaryMessageFromBuffer(buf)}
		return e, nil
	}
	msgs, err := cd.Encode(nil, pkt)
	if err != nil {
		return e, err
	}
	e.pkts = make([]*engine.Packet, len(msgs))
	for i, m := range msgs {
		e.pkts[i] = engineMessage(m)
	}
	return e, nil
}

// engineMessage makes the engine packet of a parser's message.
func engineMessage(m sioparser.Message) *engine.Packet {
	if m.Binary {
		return engine.NewBinaryMessage(m.Data)
	}
	return engine.NewMessageFromBuffer(append(engine.NewMessageBuffer(len(m.Data)), m.Data...))
}

// encodeControl builds a CONNECT, DISCONNECT or CONNECT_ERROR packet, in
// the format of cd (nil: the built-in JSON). data, which the server makes,
// is always valid JSON.
func encodeControl(cd sioparser.Parser, typ parser.Type, nsp string, data []byte) *engine.Packet {
	if cd != nil {
		msgs, err := cd.Encode(nil, &parser.Packet{Type: typ, Namespace: nsp, Data: data})
		if err == nil && len(msgs) == 1 {
			return engineMessage(msgs[0])
		}
	}
	buf := engine.NewMessageBuffer(len(data) + len(nsp) + 4)
	buf = parser.AppendPacket(buf, &parser.Packet{Type: typ, Namespace: nsp, Data: data})
	return engine.NewMessageFromBuffer(buf)
}

// encodeArgs writes the JSON array [event, args...] into a pooled buffer,
// for a packet an adapter encodes with its offset (adapter.OffsetLogger);
// putScratch gives the buffer back once the adapter is done with it.
func encodeArgs(event string, args []any) (sp *[]byte, data []byte, atts [][]byte, err error) {
	sp = scratchPool.Get().(*[]byte)
	data, atts, err = appendArgs((*sp)[:0], event, args)
	if err != nil {
		putScratch(sp, data)
		return nil, nil, nil, err
	}
	return sp, data, atts, nil
}

func putScratch(sp *[]byte, data []byte) {
	if cap(data) <= 64<<10 {
		*sp = data[:0]
		scratchPool.Put(sp)
	}
}

// frameWithOffset encodes an EVENT whose arguments are the JSON array
// data followed by the string offset, which needs no escaping.
func frameWithOffset(cd sioparser.Parser, nsp string, data []byte, atts [][]byte, offset string) *encoded {
	sp := scratchPool.Get().(*[]byte)
	d := (*sp)[:0]
	if len(data) < 2 || data[len(data)-1] != ']' {
		data = []byte("[]")
	}
	d = append(d, data[:len(data)-1]...)
	if len(data) > 2 {
		d = append(d, ',')
	}
	d = append(d, '"')
	d = append(d, offset...)
	d = append(d, '"', ']')
	typ := parser.Event
	if len(atts) > 0 {
		typ = parser.BinaryEvent
	}
	event, _ := parser.LeadingString(d)
	enc := frame(cd, typ, nsp, 0, false, event, d, atts)
	putScratch(sp, d)
	return enc
}

package socketio

import (
	"reflect"
	"sync"

	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/internal/parser"
)

// Raw is one event or ack argument as the client sent it: its JSON text and
// the binary attachments it refers to. Decode it into a Go value with
// [Raw.Decode], or emit it again unchanged (binary included), on its own
// or anywhere inside a []any or map[string]any argument; inside other
// types encoding/json writes it through [Raw.MarshalJSON].
type Raw struct {
	data []byte
	atts [][]byte
}

// Decode decodes the argument into v, like json.Unmarshal; binary data
// goes into []byte values.
func (r Raw) Decode(v any) error { return parser.DecodeInto(r.data, r.atts, v) }

// JSON returns the argument's JSON text. Binary attachments appear in it as
// {"_placeholder":true,"num":N} objects.
func (r Raw) JSON() []byte { return r.data }

// String returns the argument's JSON text.
func (r Raw) String() string { return string(r.data) }

// MarshalJSON returns the argument's JSON text, for encoding/json. Its
// binary attachments become base64 strings there, as a []byte does.
func (r Raw) MarshalJSON() ([]byte, error) {
	if len(r.data) == 0 {
		return []byte("null"), nil
	}
	return parser.AppendRawInline(nil, r.data, r.atts)
}

// appendTo lets the encoder write r with its attachments renumbered.
func (r Raw) appendTo(dst []byte, atts [][]byte) ([]byte, [][]byte, error) {
	return parser.AppendRaw(dst, r.data, r.atts, atts)
}

// Args are the arguments of an event or an ack as received. Passed alone
// to Emit, an Ack or any other call taking event arguments, they are sent
// as the arguments, unchanged (binary included); anywhere else they are
// one JSON array.
type Args []Raw

// Decode decodes the arguments, in order, into the values that vs point
// to. Missing arguments leave their target untouched.
func (a Args) Decode(vs ...any) error {
	for i, v := range vs {
		if i >= len(a) {
			return nil
		}
		if err := a[i].Decode(v); err != nil {
			return err
		}
	}
	return nil
}

func newArgs(elems [][]byte, atts [][]byte) Args {
	args := make(Args, len(elems))
	for i, e := range elems {
		args[i] = Raw{e, atts}
	}
	return args
}

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
// form when args hold binary data) for namespace nsp.
func encode(typ parser.Type, nsp string, id uint64, hasID bool, event string, args []any) (*encoded, error) {
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
	return e, nil
}

// encodeRaw builds an EVENT from a JSON array received from another
// server (see adapter.Namespace.Prepare).
func encodeRaw(nsp string, id uint64, hasID bool, data []byte, atts [][]byte) *encoded {
	typ := parser.Event
	if len(atts) > 0 {
		typ = parser.BinaryEvent
	}
	buf := engine.NewMessageBuffer(len(data) + len(nsp) + 24)
	buf = parser.AppendPacket(buf, &parser.Packet{Type: typ, Namespace: nsp, ID: id, HasID: hasID, Data: data, Attachments: atts})
	text := engine.NewMessageFromBuffer(buf)
	payload := text.Payload()
	e := &encoded{pkts: []*engine.Packet{text}, data: payload[len(payload)-len(data):], atts: atts}
	if elems, err := parser.SplitArray(data); err == nil && len(elems) > 0 {
		e.event, _ = parser.EventName(elems[0])
	}
	for _, a := range atts {
		e.pkts = append(e.pkts, engine.NewBinaryMessage(a))
	}
	return e
}

// encodeControl builds a CONNECT, DISCONNECT or CONNECT_ERROR packet.
func encodeControl(typ parser.Type, nsp string, data []byte) *engine.Packet {
	buf := engine.NewMessageBuffer(len(data) + len(nsp) + 4)
	buf = parser.AppendPacket(buf, &parser.Packet{Type: typ, Namespace: nsp, Data: data})
	return engine.NewMessageFromBuffer(buf)
}

var reservedEvents = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true,
	"disconnecting": true, "newListener": true, "removeListener": true,
}

var (
	argsType  = reflect.TypeFor[Args]()
	ackType   = reflect.TypeFor[Ack]()
	errorType = reflect.TypeFor[error]()
)

package socketio

import (
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

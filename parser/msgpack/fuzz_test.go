package msgpack

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/gosio/sio/parser"
)

// FuzzMsgpackDecode feeds the decoder arbitrary messages: it must never
// panic, and a packet it accepts must encode and decode again to the same
// packet (the JSON form byte for byte).
func FuzzMsgpackDecode(f *testing.F) {
	if b, err := os.ReadFile("testdata/golden.json"); err == nil {
		var cases []goldenCase
		if json.Unmarshal(b, &cases) == nil {
			for _, c := range cases {
				if m, err := hex.DecodeString(c.Msgpack); err == nil {
					f.Add(m)
				}
			}
		}
	}
	f.Add([]byte{0x83, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa3, 'n', 's', 'p', 0xa1, '/', 0xa4, 'd', 'a', 't', 'a', 0x92, 0xa1, 'e', 0xd6, 0xff, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, msg []byte) {
		p, err := Parser{}.NewDecoder().Add(msg, true)
		if err != nil {
			return
		}
		// The decoder skips the JSON parser's full check where it knows
		// what it wrote: the check must agree.
		if err := parser.CheckPayload(p.Type, p.Data, len(p.Attachments), 0); err != nil {
			t.Fatalf("accepted a packet the full check refuses: %v\ndata %s", err, p.Data)
		}
		again, err := AppendPacket(nil, p)
		if err != nil {
			t.Fatalf("AppendPacket of an accepted packet: %v\ndata %s", err, p.Data)
		}
		q, err := Parser{}.NewDecoder().Add(again, true)
		if err != nil {
			t.Fatalf("decoding the re-encoded packet: %v\ndata %s\n% x", err, p.Data, again)
		}
		if q.Type != p.Type || q.Namespace != p.Namespace || q.ID != p.ID || q.HasID != p.HasID || !bytes.Equal(q.Data, p.Data) || len(q.Attachments) != len(p.Attachments) {
			t.Fatalf("round trip changed the packet:\n%v %q %d %s\n%v %q %d %s", p.Type, p.Namespace, p.ID, p.Data, q.Type, q.Namespace, q.ID, q.Data)
		}
		for i := range p.Attachments {
			if !bytes.Equal(p.Attachments[i], q.Attachments[i]) {
				t.Fatalf("binary %d changed", i)
			}
		}
	})
}

// FuzzMsgpackEncode feeds the encoder arbitrary payloads: it must never
// panic, and must accept valid JSON without placeholders.
func FuzzMsgpackEncode(f *testing.F) {
	for _, s := range []string{`["e",1,{"a":[1.5,"x",null,true]}]`, `{"_placeholder":true,"num":0}`, `[[[]]]`, `"\ud800"`, `-0.0e+1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := AppendJSON(nil, data, [][]byte{{1}})
		if two, err2 := appendJSONCounted(data, [][]byte{{1}}); (err == nil) != (err2 == nil) || err == nil && !bytes.Equal(out, two) {
			t.Fatalf("one pass and two differ: %v, %v: %s", err, err2, data)
		}
		if err != nil && json.Valid(data) && !bytes.Contains(data, []byte("_placeholder")) && len(data) < 5000 {
			t.Fatalf("valid JSON refused: %v: %s", err, data)
		}
	})
}

package parser

import (
	"bytes"
	"fmt"
	"testing"
)

func ph(n int) string { return fmt.Sprintf(`{"_placeholder":true,"num":%d}`, n) }

// makeAtts returns n distinct attachments.
func makeAtts(n int) [][]byte {
	a := make([][]byte, n)
	for i := range a {
		a[i] = []byte{byte(i), 0xff, byte(i + 1)}
	}
	return a
}

// examples are the packets of the protocol description with their wire
// form; each must encode to and decode from it.
var examples = []struct {
	wire string
	p    Packet
}{
	{`0`, Packet{Type: Connect, Namespace: "/"}},
	{`0/admin,{"sid":"x"}`, Packet{Type: Connect, Namespace: "/admin", Data: []byte(`{"sid":"x"}`)}},
	{`0{"token":"abc"}`, Packet{Type: Connect, Namespace: "/", Data: []byte(`{"token":"abc"}`)}},
	{`0/admin,`, Packet{Type: Connect, Namespace: "/admin"}},
	{`1`, Packet{Type: Disconnect, Namespace: "/"}},
	{`1/admin,`, Packet{Type: Disconnect, Namespace: "/admin"}},
	{`2["foo"]`, Packet{Type: Event, Namespace: "/", Data: []byte(`["foo"]`)}},
	{`2/admin,["bar"]`, Packet{Type: Event, Namespace: "/admin", Data: []byte(`["bar"]`)}},
	{`212["foo"]`, Packet{Type: Event, Namespace: "/", ID: 12, HasID: true, Data: []byte(`["foo"]`)}},
	{`2/admin,0["x",1]`, Packet{Type: Event, Namespace: "/admin", ID: 0, HasID: true, Data: []byte(`["x",1]`)}},
	{`2[42,{"a":[1,2]}]`, Packet{Type: Event, Namespace: "/", Data: []byte(`[42,{"a":[1,2]}]`)}},
	{`3/admin,13["bar"]`, Packet{Type: Ack, Namespace: "/admin", ID: 13, HasID: true, Data: []byte(`["bar"]`)}},
	{`31[]`, Packet{Type: Ack, Namespace: "/", ID: 1, HasID: true, Data: []byte(`[]`)}},
	{`4{"message":"Not authorized"}`, Packet{Type: ConnectError, Namespace: "/", Data: []byte(`{"message":"Not authorized"}`)}},
	{`4/admin,"Not authorized"`, Packet{Type: ConnectError, Namespace: "/admin", Data: []byte(`"Not authorized"`)}},
	{`51-["baz",` + ph(0) + `]`, Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["baz",` + ph(0) + `]`), Attachments: makeAtts(1)}},
	{`52-/admin,["baz",` + ph(0) + `,` + ph(1) + `]`, Packet{Type: BinaryEvent, Namespace: "/admin", Data: []byte(`["baz",` + ph(0) + `,` + ph(1) + `]`), Attachments: makeAtts(2)}},
	{`51-/admin,7["baz",` + ph(0) + `]`, Packet{Type: BinaryEvent, Namespace: "/admin", ID: 7, HasID: true, Data: []byte(`["baz",` + ph(0) + `]`), Attachments: makeAtts(1)}},
	{`50-["baz"]`, Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["baz"]`), Attachments: [][]byte{}}},
	{`61-15["bar",` + ph(0) + `]`, Packet{Type: BinaryAck, Namespace: "/", ID: 15, HasID: true, Data: []byte(`["bar",` + ph(0) + `]`), Attachments: makeAtts(1)}},
	{`610-/a,1[` + ph(9) + `]`, Packet{Type: BinaryAck, Namespace: "/a", ID: 1, HasID: true, Data: []byte(`[` + ph(9) + `]`), Attachments: makeAtts(10)}},
	{`29007199254740991["max"]`, Packet{Type: Event, Namespace: "/", ID: 1<<53 - 1, HasID: true, Data: []byte(`["max"]`)}},
}

func TestAppendPacket(t *testing.T) {
	for _, tc := range examples {
		got := AppendPacket(nil, &tc.p)
		if string(got) != tc.wire {
			t.Errorf("AppendPacket(%+v) = %q, want %q", tc.p, got, tc.wire)
		}
	}
	// Appends to dst; "" namespace is "/".
	got := AppendPacket([]byte("4"), &Packet{Type: Event, Data: []byte(`["a"]`)})
	if string(got) != `42["a"]` {
		t.Errorf("got %q", got)
	}
	// A binary packet without attachments has count 0.
	got = AppendPacket(nil, &Packet{Type: BinaryAck, Namespace: "/x", Data: []byte(`[]`)})
	if string(got) != `60-/x,[]` {
		t.Errorf("got %q", got)
	}
}

func TestTypeString(t *testing.T) {
	want := []string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK", "Type(7)"}
	for i, w := range want {
		if got := Type(i).String(); got != w {
			t.Errorf("Type(%d).String() = %q, want %q", i, got, w)
		}
	}
	if got := Type(255).String(); got != "Type(255)" {
		t.Errorf("got %q", got)
	}
}

func equalPackets(a, b *Packet) bool {
	if a.Type != b.Type || a.Namespace != b.Namespace || a.HasID != b.HasID || a.ID != b.ID ||
		!bytes.Equal(a.Data, b.Data) || (a.Data == nil) != (b.Data == nil) || len(a.Attachments) != len(b.Attachments) {
		return false
	}
	if a.Type.isBinary() != (a.Attachments != nil) || b.Type.isBinary() != (b.Attachments != nil) {
		return false
	}
	for i := range a.Attachments {
		if !bytes.Equal(a.Attachments[i], b.Attachments[i]) {
			return false
		}
	}
	return true
}

// decodeAll feeds the text message and the attachments to d and returns the
// final result.
func decodeAll(d *Decoder, text string, attachments [][]byte) (*Packet, error) {
	p, err := d.Add([]byte(text), false)
	if err != nil || p != nil {
		if len(attachments) > 0 && err == nil {
			return nil, fmt.Errorf("packet complete before its %d attachments", len(attachments))
		}
		return p, err
	}
	for i, a := range attachments {
		p, err = d.Add(a, true)
		if err != nil {
			return nil, err
		}
		if (p != nil) != (i == len(attachments)-1) {
			return nil, fmt.Errorf("attachment %d of %d: packet = %v", i+1, len(attachments), p)
		}
	}
	if p == nil {
		return nil, fmt.Errorf("no packet after %d attachments", len(attachments))
	}
	return p, nil
}

func TestDecodeExamples(t *testing.T) {
	var d Decoder
	for _, tc := range examples {
		p, err := decodeAll(&d, tc.wire, tc.p.Attachments)
		if err != nil {
			t.Errorf("%q: %v", tc.wire, err)
			continue
		}
		if !equalPackets(p, &tc.p) {
			t.Errorf("%q: got %+v, want %+v", tc.wire, p, tc.p)
		}
	}
}

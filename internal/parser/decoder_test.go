package parser

import (
	"errors"
	"strings"
	"testing"
)

// Other accepted inputs, with what they decode to.
var accepted = []struct {
	wire string
	p    Packet
}{
	// The namespace runs to the end when there is no comma.
	{`0/custom`, Packet{Type: Connect, Namespace: "/custom"}},
	{`1/custom`, Packet{Type: Disconnect, Namespace: "/custom"}},
	// An explicit "/" namespace.
	{`2/,["a"]`, Packet{Type: Event, Namespace: "/", Data: []byte(`["a"]`)}},
	// A namespace may hold anything but a comma.
	{`2/a b[c],["a"]`, Packet{Type: Event, Namespace: "/a b[c]", Data: []byte(`["a"]`)}},
	// Ack ids with leading zeros; an id on any type.
	{`2007["a"]`, Packet{Type: Event, Namespace: "/", ID: 7, HasID: true, Data: []byte(`["a"]`)}},
	{`01`, Packet{Type: Connect, Namespace: "/", ID: 1, HasID: true}},
	// JSON white space around the payload (JSON.parse accepts it).
	{`2 ["a"] `, Packet{Type: Event, Namespace: "/", Data: []byte(` ["a"] `)}},
	{"3\t[]\n", Packet{Type: Ack, Namespace: "/", Data: []byte("\t[]\n")}},
	// Event names: numbers, escapes, non-reserved strings.
	{`2[-1.5e3]`, Packet{Type: Event, Namespace: "/", Data: []byte(`[-1.5e3]`)}},
	{`2["conn\u0065ction"]`, Packet{Type: Event, Namespace: "/", Data: []byte(`["conn\u0065ction"]`)}},
	{`2["connected"]`, Packet{Type: Event, Namespace: "/", Data: []byte(`["connected"]`)}},
	{`2[""]`, Packet{Type: Event, Namespace: "/", Data: []byte(`[""]`)}},
	{`2["Connect"]`, Packet{Type: Event, Namespace: "/", Data: []byte(`["Connect"]`)}},
	// Objects that are not placeholders.
	{`2["a",{"_placeholder":false,"num":5}]`, Packet{Type: Event, Namespace: "/", Data: []byte(`["a",{"_placeholder":false,"num":5}]`)}},
	{`2["a",{"_placeholder":"true","num":5}]`, Packet{Type: Event, Namespace: "/", Data: []byte(`["a",{"_placeholder":"true","num":5}]`)}},
	{`2["a",{"_placeholder":true,"_placeholder":false}]`, Packet{Type: Event, Namespace: "/", Data: []byte(`["a",{"_placeholder":true,"_placeholder":false}]`)}},
	// A binary count with leading zeros.
	{`501-["a",` + ph(0) + `]`, Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["a",` + ph(0) + `]`), Attachments: makeAtts(1)}},
	// Placeholder indexes spelled like JavaScript numbers, and escaped keys.
	{`52-["a",{"_placeholder":true,"num":1.0},{"num":0e0,"_placeholder":true}]`, Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["a",{"_placeholder":true,"num":1.0},{"num":0e0,"_placeholder":true}]`), Attachments: makeAtts(2)}},
	{`51-["a",{"_placeholde\u0072":true,"n\u0075m":-0}]`, Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["a",{"_placeholde\u0072":true,"n\u0075m":-0}]`), Attachments: makeAtts(1)}},
	// Like socket.io-parser, which resolves placeholders in the parsed
	// value: what a placeholder contains and members overwritten by a
	// later duplicate key do not count.
	{`51-["a",{"_placeholder":true,"num":0,"x":` + ph(9) + `}]`, Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["a",{"_placeholder":true,"num":0,"x":` + ph(9) + `}]`), Attachments: makeAtts(1)}},
	{`2["a",{"x":{"_placeholder":true},"x":1}]`, Packet{Type: Event, Namespace: "/", Data: []byte(`["a",{"x":{"_placeholder":true},"x":1}]`)}},
	{`2["a",{"x":{"y":[{"_placeholder":true}]},"\u0078":null}]`, Packet{Type: Event, Namespace: "/", Data: []byte(`["a",{"x":{"y":[{"_placeholder":true}]},"\u0078":null}]`)}},
	// A placeholder anywhere, including a CONNECT payload.
	{`61-/x,0[{"deep":[[` + ph(0) + `]]}]`, Packet{Type: BinaryAck, Namespace: "/x", ID: 0, HasID: true, Data: []byte(`[{"deep":[[` + ph(0) + `]]}]`), Attachments: makeAtts(1)}},
	// Invalid UTF-8 inside strings is accepted, as json.Valid does.
	{"2[\"\xff\xfe\"]", Packet{Type: Event, Namespace: "/", Data: []byte("[\"\xff\xfe\"]")}},
}

func TestDecodeAccepted(t *testing.T) {
	var d Decoder
	for _, tc := range accepted {
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

func nest(open, close string, n int, inner string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// rejected are text messages the decoder must refuse.
var rejected = []struct {
	wire string
	err  error
}{
	{``, ErrEmptyMessage},
	// Type.
	{`9`, ErrUnknownType},
	{`7["a"]`, ErrUnknownType},
	{`a`, ErrUnknownType},
	{`/admin,`, ErrUnknownType},
	{`-1`, ErrUnknownType},
	// Attachment count.
	{`5`, ErrInvalidAttachments},
	{`5["a"]`, ErrInvalidAttachments},
	{`5-["a"]`, ErrInvalidAttachments},
	{`51["a"]`, ErrInvalidAttachments},
	{`51`, ErrInvalidAttachments},
	{`5a-["a"]`, ErrInvalidAttachments},
	{`5 1-["a"]`, ErrInvalidAttachments},
	{`51.0-["a"]`, ErrInvalidAttachments},
	{`6/admin,1-[]`, ErrInvalidAttachments},
	{`511-["a"]`, ErrTooManyAttachments},
	{`6999999999999999999999999999-[]`, ErrTooManyAttachments},
	// Ack id beyond 2^53-1.
	{`29007199254740992["a"]`, ErrInvalidAckID},
	{`3/admin,99999999999999999999999999999[]`, ErrInvalidAckID},
	// Payload JSON.
	{`2abc["x"]`, ErrInvalidJSON},
	{`4abc`, ErrInvalidJSON},
	{`2["foo"`, ErrInvalidJSON},
	{`2["foo"]x`, ErrInvalidJSON},
	{`2["foo"]]`, ErrInvalidJSON},
	{`2["foo"] ["bar"]`, ErrInvalidJSON},
	{`2["a",]`, ErrInvalidJSON},
	{`2[,"a"]`, ErrInvalidJSON},
	{`2["a" "b"]`, ErrInvalidJSON},
	{`2[01]`, ErrInvalidJSON},
	{`2[1.]`, ErrInvalidJSON},
	{`2[.5]`, ErrInvalidJSON},
	{`2[-]`, ErrInvalidJSON},
	{`2[1e]`, ErrInvalidJSON},
	{`2[+1]`, ErrInvalidJSON},
	{`2[tru]`, ErrInvalidJSON},
	{`2["a",nul]`, ErrInvalidJSON},
	{`2["a",True]`, ErrInvalidJSON},
	{"2[\"a\x01\"]", ErrInvalidJSON},
	{`2["\q"]`, ErrInvalidJSON},
	{`2["\u12"]`, ErrInvalidJSON},
	{`2["a\"]`, ErrInvalidJSON},
	{`2["a",'b']`, ErrInvalidJSON},
	{`0{"a"}`, ErrInvalidJSON},
	{`0{a:1}`, ErrInvalidJSON},
	{`0{"a":1,}`, ErrInvalidJSON},
	{`0{"a":1 "b":2}`, ErrInvalidJSON},
	{`0{"a"::1}`, ErrInvalidJSON},
	{`0 `, ErrInvalidJSON},
	{`2[`, ErrInvalidJSON},
	{`2[[`, ErrInvalidJSON},
	{`2["a",{`, ErrInvalidJSON},
	{`2["a",{"b":`, ErrInvalidJSON},
	// Payload shape.
	{`2{}`, ErrInvalidPayload},
	{`2`, ErrInvalidPayload},
	{`2/admin`, ErrInvalidPayload},
	{`2/admin,`, ErrInvalidPayload},
	{`212`, ErrInvalidPayload},
	{`2[]`, ErrInvalidPayload},
	{`2 [ ]`, ErrInvalidPayload},
	{`2"foo"`, ErrInvalidPayload},
	{`21`, ErrInvalidPayload},
	{`2[null]`, ErrInvalidPayload},
	{`2[true,1]`, ErrInvalidPayload},
	{`2[{}]`, ErrInvalidPayload},
	{`2[["a"]]`, ErrInvalidPayload},
	{`0[]`, ErrInvalidPayload},
	{`0"x"`, ErrInvalidPayload},
	{`0null`, ErrInvalidPayload},
	{`1{}`, ErrInvalidPayload},
	{`1/admin,[]`, ErrInvalidPayload},
	{`1x`, ErrInvalidPayload},
	{`4`, ErrInvalidPayload},
	{`4/admin,`, ErrInvalidPayload},
	{`4[]`, ErrInvalidPayload},
	{`4null`, ErrInvalidPayload},
	{`4/a,1`, ErrInvalidPayload},
	{`3`, ErrInvalidPayload},
	{`3/admin,13`, ErrInvalidPayload},
	{`3{}`, ErrInvalidPayload},
	{`3"x"`, ErrInvalidPayload},
	{`50-`, ErrInvalidPayload},
	{`50-{}`, ErrInvalidPayload},
	{`50-[]`, ErrInvalidPayload},
	{`60-{}`, ErrInvalidPayload},
	// Reserved event names, also when escaped.
	{`2["connect"]`, ErrReservedEvent},
	{`2["connect_error"]`, ErrReservedEvent},
	{`2["disconnect",1]`, ErrReservedEvent},
	{`2/admin,["disconnecting"]`, ErrReservedEvent},
	{`2["newListener"]`, ErrReservedEvent},
	{`2["removeListener"]`, ErrReservedEvent},
	{`2["\u0063onnect"]`, ErrReservedEvent},
	{`51-["connect",` + ph(0) + `]`, ErrReservedEvent},
	// Placeholders that refer to no attachment.
	{`51-["a",` + ph(1) + `]`, ErrIllegalAttachments},
	{`51-["a",` + ph(-1) + `]`, ErrIllegalAttachments},
	{`52-["a",{"_placeholder":true,"num":0.5}]`, ErrIllegalAttachments},
	{`51-["a",{"_placeholder":true,"num":"0"}]`, ErrIllegalAttachments},
	{`51-["a",{"_placeholder":true}]`, ErrIllegalAttachments},
	{`51-["a",{"_placeholder":true,"num":null}]`, ErrIllegalAttachments},
	{`51-["a",{"_placeholder":true,"num":1e400}]`, ErrIllegalAttachments},
	{`51-["a",{"_placeholder":true,"num":0,"num":1}]`, ErrIllegalAttachments},
	{`50-["a",` + ph(0) + `]`, ErrIllegalAttachments},
	{`2["a",` + ph(0) + `]`, ErrIllegalAttachments},
	{`0` + ph(0), ErrIllegalAttachments},
	{`52-["a",{"x":[` + ph(2) + `]}]`, ErrIllegalAttachments},
	{`2["a",{"x":1,"x":{"_placeholder":true}}]`, ErrIllegalAttachments},
	{`2["a",{"x":{"_placeholder":true},"y":1}]`, ErrIllegalAttachments},
	{`2["a",{"x":{"_placeholder":true},"x":{"_placeholder":true}}]`, ErrIllegalAttachments},
	{`2["a",{"x":[{"_placeholder":true},{"_placeholder":true}],"y":{"_placeholder":true},"x":1}]`, ErrIllegalAttachments},
	// Syntax errors take precedence over bad placeholders.
	{`51-["a",` + ph(5) + ``, ErrInvalidJSON},
	{`2[` + ph(0) + `,]`, ErrInvalidJSON},
	// Nesting depth (default 32).
	{`2["a",` + nest("[", "]", 32, "") + `]`, ErrMaxDepth},
	{`2["a",` + nest("[", "]", 10000, "") + `]`, ErrMaxDepth},
	{`2["a",` + nest(`{"a":`, "}", 10000, "1") + `]`, ErrMaxDepth},
	{`2["a",` + strings.Repeat("[", 10000), ErrMaxDepth},
	{`0` + nest(`{"a":`, "}", 33, "1"), ErrMaxDepth},
}

func TestDecodeRejected(t *testing.T) {
	var d Decoder
	for _, tc := range rejected {
		p, err := d.Add([]byte(tc.wire), false)
		if !errors.Is(err, tc.err) || p != nil {
			w := tc.wire
			if len(w) > 60 {
				w = w[:60] + "..."
			}
			t.Errorf("%q: got (%v, %v), want error %v", w, p, err, tc.err)
		}
		// The decoder is usable after the error.
		if p, err := d.Add([]byte(`2["ok"]`), false); err != nil || p == nil {
			t.Fatalf("after %q: (%v, %v)", tc.wire, p, err)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	var d Decoder
	// 31 levels inside the top-level array are fine, 32 are not.
	ok := `2["a",` + nest("[", "]", 31, "") + `]`
	if _, err := d.Add([]byte(ok), false); err != nil {
		t.Errorf("depth 32: %v", err)
	}
	obj := `0` + nest(`{"a":`, "}", 32, "1")
	if _, err := d.Add([]byte(obj), false); err != nil {
		t.Errorf("object depth 32: %v", err)
	}
	// Depth counts open containers, not all of them: siblings do not add up.
	wide := `2["a",` + strings.Repeat(nest("[", "]", 31, "")+",", 100) + `1]`
	if _, err := d.Add([]byte(wide), false); err != nil {
		t.Errorf("wide: %v", err)
	}

	d.MaxDepth = 3
	if _, err := d.Add([]byte(`2["a",[[1]]]`), false); err != nil {
		t.Errorf("MaxDepth 3, depth 3: %v", err)
	}
	if _, err := d.Add([]byte(`2["a",[[[1]]]]`), false); !errors.Is(err, ErrMaxDepth) {
		t.Errorf("MaxDepth 3, depth 4: %v", err)
	}
	d.MaxDepth = 20000
	deep := `2["a",` + nest("[", "]", 10000, "") + `]`
	if _, err := d.Add([]byte(deep), false); err != nil {
		t.Errorf("MaxDepth 20000, depth 10001: %v", err)
	}
}

func TestDeepNestingCheap(t *testing.T) {
	inputs := []string{
		`2["a",` + nest("[", "]", 10000, "") + `]`,
		`2["a",` + nest(`{"a":`, "}", 10000, "1") + `]`,
	}
	var d Decoder
	measure := func(in string) float64 {
		msg := []byte(in)
		return testing.AllocsPerRun(10, func() {
			if _, err := d.Add(msg, false); !errors.Is(err, ErrMaxDepth) {
				t.Fatalf("got %v", err)
			}
		})
	}
	// The scanner's stack stops growing at MaxDepth: the cost of
	// rejecting does not depend on how deep the input goes.
	base := measure(`2["a",` + nest("[", "]", 40, "") + `]`)
	if base > 2 {
		t.Errorf("rejecting 41 levels allocates %v times", base)
	}
	for _, in := range inputs {
		if allocs := measure(in); allocs != base {
			t.Errorf("rejecting deep nesting allocates %v times, %v for 41 levels", allocs, base)
		}
	}
}

func TestMaxAttachments(t *testing.T) {
	d := Decoder{MaxAttachments: 2}
	if _, err := d.Add([]byte(`53-["a"]`), false); !errors.Is(err, ErrTooManyAttachments) {
		t.Errorf("got %v", err)
	}
	if p, err := decodeAll(&d, `52-["a",`+ph(1)+`]`, makeAtts(2)); err != nil || len(p.Attachments) != 2 {
		t.Errorf("got (%v, %v)", p, err)
	}
	d.MaxAttachments = -1
	if _, err := d.Add([]byte(`51-["a"]`), false); !errors.Is(err, ErrTooManyAttachments) {
		t.Errorf("got %v", err)
	}
	if p, err := d.Add([]byte(`50-["a"]`), false); err != nil || p == nil {
		t.Errorf("got (%v, %v)", p, err)
	}
	d.MaxAttachments = 0 // default 10
	if _, err := d.Add([]byte(`510-["a"]`), false); err != nil {
		t.Errorf("got %v", err)
	}
	d.Reset()
	if _, err := d.Add([]byte(`511-["a"]`), false); !errors.Is(err, ErrTooManyAttachments) {
		t.Errorf("got %v", err)
	}
}

func TestBinaryReassembly(t *testing.T) {
	var d Decoder
	a := makeAtts(3)

	// Attachments complete the packet one by one, in order.
	p, err := d.Add([]byte(`53-/x,9["up",`+ph(2)+`,{"k":`+ph(0)+`},[`+ph(1)+`]]`), false)
	if p != nil || err != nil {
		t.Fatalf("header: (%v, %v)", p, err)
	}
	for i := range 2 {
		if p, err := d.Add(a[i], true); p != nil || err != nil {
			t.Fatalf("attachment %d: (%v, %v)", i, p, err)
		}
	}
	p, err = d.Add(a[2], true)
	if err != nil || p == nil {
		t.Fatalf("last attachment: (%v, %v)", p, err)
	}
	want := Packet{Type: BinaryEvent, Namespace: "/x", ID: 9, HasID: true,
		Data: []byte(`["up",` + ph(2) + `,{"k":` + ph(0) + `},[` + ph(1) + `]]`), Attachments: a}
	if !equalPackets(p, &want) {
		t.Fatalf("got %+v", p)
	}
	// The attachments are the messages themselves.
	if &p.Attachments[1][0] != &a[1][0] {
		t.Error("attachment copied")
	}
	v, err := DecodeAny(p.Data, p.Attachments)
	if err != nil {
		t.Fatal(err)
	}
	args := v.([]any)
	if string(args[1].([]byte)) != string(a[2]) || string(args[2].(map[string]any)["k"].([]byte)) != string(a[0]) ||
		string(args[3].([]any)[0].([]byte)) != string(a[1]) {
		t.Errorf("DecodeAny = %#v", v)
	}

	// A binary message when none is awaited.
	if p, err := d.Add([]byte{1}, true); !errors.Is(err, ErrUnexpectedBinary) || p != nil {
		t.Errorf("stray binary: (%v, %v)", p, err)
	}

	// A text message while attachments are awaited resets the decoder.
	if p, err := d.Add([]byte(`62-[`+ph(0)+`]`), false); p != nil || err != nil {
		t.Fatalf("header: (%v, %v)", p, err)
	}
	if p, err := d.Add(a[0], true); p != nil || err != nil {
		t.Fatalf("attachment: (%v, %v)", p, err)
	}
	if p, err := d.Add([]byte(`2["a"]`), false); !errors.Is(err, ErrUnexpectedText) || p != nil {
		t.Errorf("text while awaiting: (%v, %v)", p, err)
	}
	if p, err := d.Add(a[1], true); !errors.Is(err, ErrUnexpectedBinary) || p != nil {
		t.Errorf("binary after reset: (%v, %v)", p, err)
	}
	if p, err := d.Add([]byte(`2["a"]`), false); err != nil || p == nil {
		t.Errorf("text after reset: (%v, %v)", p, err)
	}

	// Reset drops a partial packet.
	if p, err := d.Add([]byte(`61-[`+ph(0)+`]`), false); p != nil || err != nil {
		t.Fatalf("header: (%v, %v)", p, err)
	}
	d.Reset()
	if p, err := d.Add(a[0], true); !errors.Is(err, ErrUnexpectedBinary) || p != nil {
		t.Errorf("binary after Reset: (%v, %v)", p, err)
	}

	// No attachments: the packet is complete at once.
	p, err = d.Add([]byte(`60-3[]`), false)
	if err != nil || p == nil || p.Type != BinaryAck || len(p.Attachments) != 0 || p.Attachments == nil {
		t.Errorf("0 attachments: (%+v, %v)", p, err)
	}

	// Empty attachments are attachments.
	p, err = decodeAll(&d, `51-["e",`+ph(0)+`]`, [][]byte{{}})
	if err != nil || len(p.Attachments) != 1 || len(p.Attachments[0]) != 0 {
		t.Errorf("empty attachment: (%+v, %v)", p, err)
	}
}

func TestDataAliasesMessage(t *testing.T) {
	var d Decoder
	msg := []byte(`2/chat,5["msg","hi"]`)
	p, err := d.Add(msg, false)
	if err != nil {
		t.Fatal(err)
	}
	if &p.Data[0] != &msg[len(`2/chat,5`)] {
		t.Error("Data is a copy")
	}
	// The namespace string survives changes to the message.
	msg[3] = 'X'
	if p.Namespace != "/chat" {
		t.Errorf("Namespace = %q", p.Namespace)
	}
}

func TestDecodeTextAllocs(t *testing.T) {
	var d Decoder
	for _, s := range []string{`2["message",{"text":"hello"}]`, `2/chat,42["message","hi"]`, `3/chat,42["ok"]`} {
		msg := []byte(s)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := d.Add(msg, false); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 1 {
			t.Errorf("%s: %v allocs, want 1 (the Packet)", s, allocs)
		}
	}
}

func TestAppendPacketAllocs(t *testing.T) {
	p := &Packet{Type: BinaryEvent, Namespace: "/chat", ID: 42, HasID: true, Data: []byte(`["a",` + ph(0) + `]`), Attachments: makeAtts(1)}
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() { buf = AppendPacket(buf[:0], p) })
	if allocs != 0 {
		t.Errorf("%v allocs", allocs)
	}
}

func TestSplitArray(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{`[]`, []string{}, nil},
		{` [ ] `, []string{}, nil},
		{`["a"]`, []string{`"a"`}, nil},
		{`[ "a" , 1 ,{"b":[1,2]} , [ ] ,null,true,false,-1.5e-3]`, []string{`"a"`, `1`, `{"b":[1,2]}`, `[ ]`, `null`, `true`, `false`, `-1.5e-3`}, nil},
		{`["a,]",{"x":"]"}]`, []string{`"a,]"`, `{"x":"]"}`}, nil},
		{`{}`, nil, ErrNotArray},
		{`"a"`, nil, ErrNotArray},
		{`1`, nil, ErrNotArray},
		{``, nil, ErrInvalidJSON},
		{`[`, nil, ErrInvalidJSON},
		{`[1,]`, nil, ErrInvalidJSON},
		{`[1] x`, nil, ErrInvalidJSON},
		{nest("[", "]", 10001, ""), nil, ErrMaxDepth},
	}
	for _, tc := range tests {
		got, err := SplitArray([]byte(tc.in))
		if !errors.Is(err, tc.err) {
			t.Errorf("%.40q: error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if len(got) != len(tc.want) || got == nil {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if string(got[i]) != tc.want[i] {
				t.Errorf("%q: element %d = %q, want %q", tc.in, i, got[i], tc.want[i])
			}
		}
	}
	// Elements are sub-slices of the input.
	in := []byte(`["abc",1]`)
	got, _ := SplitArray(in)
	if &got[0][0] != &in[1] {
		t.Error("SplitArray copied")
	}
}

func TestEventName(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{`"foo"`, "foo", nil},
		{` "foo" `, "foo", nil},
		{`""`, "", nil},
		{`"a\"b\\c\/d\n\u00e9\ud83d\ude00"`, "a\"b\\c/d\né😀", nil},
		{`"\ud800x"`, "\ufffdx", nil},
		{"\"\xff\"", "\ufffd", nil},
		{`"héllo"`, "héllo", nil},
		{`12`, "12", nil},
		{`-1.5e3`, "-1.5e3", nil},
		{`1.0`, "1.0", nil},
		{``, "", ErrInvalidEventName},
		{`"foo`, "", ErrInvalidEventName},
		{`"foo"x`, "", ErrInvalidEventName},
		{`"a"b"`, "", ErrInvalidEventName},
		{`01`, "", ErrInvalidEventName},
		{`null`, "", ErrInvalidEventName},
		{`{}`, "", ErrInvalidEventName},
		{`["a"]`, "", ErrInvalidEventName},
		{`true`, "", ErrInvalidEventName},
	}
	for _, tc := range tests {
		got, err := EventName([]byte(tc.in))
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("EventName(%q) = (%q, %v), want (%q, %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
	// With SplitArray on a decoded packet.
	var d Decoder
	p, _ := d.Add([]byte(`2["chat message","hi"]`), false)
	elems, err := SplitArray(p.Data)
	if err != nil {
		t.Fatal(err)
	}
	if name, err := EventName(elems[0]); name != "chat message" || err != nil {
		t.Errorf("got (%q, %v)", name, err)
	}
}

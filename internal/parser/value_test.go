package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestAppendValue(t *testing.T) {
	tests := []struct {
		v    any
		want string
		atts int
	}{
		{nil, `null`, 0},
		{true, `true`, 0},
		{false, `false`, 0},
		{"hi", `"hi"`, 0},
		{"<a&b>\"\\/\n\r\t\b\f\x01\x1f\u2028\u2029é😀", `"<a&b>\"\\/\n\r\t\b\f\u0001\u001f\u2028\u2029é😀"`, 0},
		{"a\xffb", `"a\ufffdb"`, 0},
		{42, `42`, 0},
		{int8(-8), `-8`, 0},
		{int16(-16), `-16`, 0},
		{int32(-32), `-32`, 0},
		{int64(-1 << 63), `-9223372036854775808`, 0},
		{uint(7), `7`, 0},
		{uint8(8), `8`, 0},
		{uint16(16), `16`, 0},
		{uint32(32), `32`, 0},
		{uint64(1<<64 - 1), `18446744073709551615`, 0},
		{1.5, `1.5`, 0},
		{float64(1e21), `1e+21`, 0},
		{float64(1e20), `100000000000000000000`, 0},
		{1e-7, `1e-7`, 0},
		{float32(0.1), `0.1`, 0},
		{math.Copysign(0, -1), `-0`, 0},
		{[]byte("x"), ph(0), 1},
		{[]byte(nil), ph(0), 1},
		{json.RawMessage(`{"raw" : 1}`), `{"raw" : 1}`, 0},
		{json.RawMessage(nil), `null`, 0},
		{[]any(nil), `null`, 0},
		{map[string]any(nil), `null`, 0},
		{[][]byte(nil), `null`, 0},
		{[]any{}, `[]`, 0},
		{map[string]any{}, `{}`, 0},
		{[][]byte{{1}, {2}}, `[` + ph(0) + `,` + ph(1) + `]`, 2},
		{[]any{"ev", []byte{1}, map[string]any{"b": []byte{2}, "a": []any{[]byte{3}, 1}}},
			`["ev",` + ph(0) + `,{"a":[` + ph(1) + `,1],"b":` + ph(2) + `}]`, 3},
		// Other types go through encoding/json, without HTML escaping;
		// []byte in structs is base64.
		{struct {
			A string `json:"a"`
			B []byte `json:"b"`
		}{"<x>", []byte("hi")}, `{"a":"<x>","b":"aGk="}`, 0},
		{[]string{"a", "b"}, `["a","b"]`, 0},
		{map[string][]byte{"k": []byte("hi")}, `{"k":"aGk="}`, 0},
		{json.Number("12.5"), `12.5`, 0},
		{&[]any{1}, `[1]`, 0},
	}
	for _, tc := range tests {
		dst, atts, err := AppendValue([]byte("pre"), tc.v, nil)
		if err != nil {
			t.Errorf("AppendValue(%#v): %v", tc.v, err)
			continue
		}
		if string(dst) != "pre"+tc.want || len(atts) != tc.atts {
			t.Errorf("AppendValue(%#v) = %s, %d attachments; want pre%s, %d", tc.v, dst, len(atts), tc.want, tc.atts)
		}
		if !json.Valid(dst[3:]) {
			t.Errorf("AppendValue(%#v) = %s: invalid JSON", tc.v, dst)
		}
	}
}

// TestAppendValueMatchesJSON checks the direct encoders against
// encoding/json (without HTML escaping).
func TestAppendValueMatchesJSON(t *testing.T) {
	values := []any{
		"", "plain", "\x00\x7f\u00ff\u2027\u2028\u2029\u202a\ufffd\U0010ffff", "\xed\xa0\x80", "\xc3",
		0.0, 1.0, -1.0, 0.1, 1e-6, 9.999999e-7, 1e20, 1e21, 123456789.123, math.MaxFloat64, math.SmallestNonzeroFloat64,
		float32(1e-6), float32(1e21), float32(3.4e38), float32(1.1),
		map[string]any{"z": 1.0, "a\"": []any{nil, true, "x"}, "": map[string]any{}},
	}
	for _, v := range values {
		got, _, err := AppendValue(nil, v, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := appendJSON(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%#v: got %s, encoding/json %s", v, got, want)
		}
	}
}

func TestAppendValueErrors(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	cyclicMap := map[string]any{}
	cyclicMap["m"] = cyclicMap
	for _, v := range []any{math.NaN(), math.Inf(1), float32(math.Inf(-1)), []any{"a", []byte{1}, math.NaN()},
		make(chan int), cyclic, cyclicMap, map[string]any{"a": []any{func() {}}}} {
		prior := [][]byte{{9}}
		dst, atts, err := AppendValue([]byte("pre"), v, prior)
		if err == nil {
			t.Errorf("%T: no error", v)
		}
		if string(dst) != "pre" || len(atts) != 1 {
			t.Errorf("%T: dst %q, %d attachments after error", v, dst, len(atts))
		}
	}
	_, _, err := AppendValue(nil, cyclic, nil)
	if !errors.Is(err, ErrMaxDepth) {
		t.Errorf("cycle: %v", err)
	}
}

func TestAppendValueNumbering(t *testing.T) {
	dst, atts, err := AppendValue(nil, []any{[]byte{1}}, [][]byte{{0}})
	if err != nil || string(dst) != `[`+ph(1)+`]` || len(atts) != 2 {
		t.Errorf("got %s, %d, %v", dst, len(atts), err)
	}
}

func TestAppendValueAllocs(t *testing.T) {
	var v any = []any{"message", map[string]any{"text": "hello", "n": 1.0}, []byte{1, 2}}
	buf := make([]byte, 0, 256)
	atts := make([][]byte, 0, 4)
	allocs := testing.AllocsPerRun(100, func() {
		buf, atts, _ = AppendValue(buf[:0], v, atts[:0])
	})
	if allocs != 0 {
		t.Errorf("%v allocs", allocs)
	}
}

type payload struct {
	Name  string         `json:"name"`
	File  []byte         `json:"file"`
	Parts [][]byte       `json:"parts"`
	Meta  map[string]any `json:"meta"`
	Inner *struct {
		Blob []byte `json:"blob"`
	} `json:"inner"`
}

func TestRoundTrip(t *testing.T) {
	a, b, c, d := []byte("alpha"), []byte{0, 1, 2, 255}, []byte{}, []byte("delta")
	v := map[string]any{
		"name":  "report",
		"file":  a,
		"parts": [][]byte{b, c},
		"meta":  map[string]any{"n": 3.0, "deep": []any{[]any{map[string]any{"x": d}}}},
		"inner": map[string]any{"blob": d},
	}
	raw, atts, err := AppendValue(nil, v, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 5 {
		t.Fatalf("%d attachments", len(atts))
	}

	// Through the wire.
	msg := AppendPacket(nil, &Packet{Type: BinaryEvent, Namespace: "/up", Data: append([]byte(`["upload",`), append(raw, ']')...), Attachments: atts})
	var dec Decoder
	p, err := decodeAll(&dec, string(msg), atts)
	if err != nil {
		t.Fatal(err)
	}
	elems, err := SplitArray(p.Data)
	if err != nil || len(elems) != 2 {
		t.Fatal(elems, err)
	}

	// [][]byte comes back as []any.
	want := map[string]any{}
	for k, x := range v {
		want[k] = x
	}
	want["parts"] = []any{b, c}

	got, err := DecodeAny(elems[1], p.Attachments)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeAny = %#v\nwant %#v", got, want)
	}

	var anyV any
	if err := DecodeInto(elems[1], p.Attachments, &anyV); err != nil || !reflect.DeepEqual(anyV, want) {
		t.Errorf("DecodeInto(*any) = %#v, %v", anyV, err)
	}
	var m map[string]any
	if err := DecodeInto(elems[1], p.Attachments, &m); err != nil || !reflect.DeepEqual(m, want) {
		t.Errorf("DecodeInto(*map) = %#v, %v", m, err)
	}
	var all []any
	if err := DecodeInto(p.Data, p.Attachments, &all); err != nil || !reflect.DeepEqual(all[1], want) {
		t.Errorf("DecodeInto(*[]any) = %#v, %v", all, err)
	}

	var s payload
	if err := DecodeInto(elems[1], p.Attachments, &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "report" || !bytes.Equal(s.File, a) || len(s.Parts) != 2 || !bytes.Equal(s.Parts[0], b) ||
		len(s.Parts[1]) != 0 || s.Inner == nil || !bytes.Equal(s.Inner.Blob, d) || s.Meta["n"] != 3.0 {
		t.Errorf("DecodeInto(struct) = %+v", s)
	}
	// Placeholders decoded into interfaces inside a struct become base64.
	deep := s.Meta["deep"].([]any)[0].([]any)[0].(map[string]any)["x"]
	if deep != "ZGVsdGE=" {
		t.Errorf("deep = %#v", deep)
	}

	// Struct values with []byte fields take the encoding/json path.
	raw2, atts2, err := AppendValue(nil, s, nil)
	if err != nil || len(atts2) != 0 {
		t.Fatal(err, len(atts2))
	}
	var s2 payload
	if err := DecodeInto(raw2, nil, &s2); err != nil || !reflect.DeepEqual(s, s2) {
		t.Errorf("struct round trip: %+v, %v", s2, err)
	}
}

func TestDecodeIntoBytes(t *testing.T) {
	atts := makeAtts(2)
	var b []byte
	if err := DecodeInto([]byte(" "+ph(1)+" "), atts, &b); err != nil || &b[0] != &atts[1][0] {
		t.Errorf("got %v, %v", b, err)
	}
	// Without a placeholder, a base64 string as usual.
	if err := DecodeInto([]byte(`"aGk="`), atts, &b); err != nil || string(b) != "hi" {
		t.Errorf("got %q, %v", b, err)
	}
	var bs [][]byte
	if err := DecodeInto([]byte(`[`+ph(1)+`,`+ph(0)+`,"aGk="]`), atts, &bs); err != nil || len(bs) != 3 ||
		!bytes.Equal(bs[0], atts[1]) || !bytes.Equal(bs[1], atts[0]) || string(bs[2]) != "hi" {
		t.Errorf("got %v, %v", bs, err)
	}
	// A string target receives the base64 text.
	var str string
	if err := DecodeInto([]byte(ph(0)), atts, &str); err != nil || str != "AP8B" {
		t.Errorf("got %q, %v", str, err)
	}
	// Nested placeholders: only the outer one counts.
	var outer []byte
	if err := DecodeInto([]byte(`{"_placeholder":true,"x":`+ph(0)+`,"num":1}`), atts, &outer); err != nil || &outer[0] != &atts[1][0] {
		t.Errorf("got %v, %v", outer, err)
	}
}

func TestDecodeIntoErrors(t *testing.T) {
	atts := makeAtts(1)
	var b []byte
	var v any
	var s struct{ A int }
	var sl []any
	for _, raw := range []string{ph(1), `[` + ph(-1) + `]`, `{"a":{"_placeholder":true}}`} {
		if err := DecodeInto([]byte(raw), atts, &b); !errors.Is(err, ErrIllegalAttachments) {
			t.Errorf("%s into []byte: %v", raw, err)
		}
		if err := DecodeInto([]byte(raw), atts, &v); !errors.Is(err, ErrIllegalAttachments) {
			t.Errorf("%s into any: %v", raw, err)
		}
	}
	var syntax *json.SyntaxError
	if err := DecodeInto([]byte(`{"A":`), atts, &s); !errors.As(err, &syntax) {
		t.Errorf("syntax error: %v", err)
	}
	var typ *json.UnmarshalTypeError
	if err := DecodeInto([]byte(`{"A":"x"}`), atts, &s); !errors.As(err, &typ) {
		t.Errorf("type error: %v", err)
	}
	if err := DecodeInto([]byte(`{"A":1}`), atts, &sl); !errors.As(err, &typ) {
		t.Errorf("type error into []any: %v", err)
	}
	sl = []any{1}
	if err := DecodeInto([]byte(`null`), atts, &sl); err != nil || len(sl) != 1 {
		t.Errorf("null into []any: %v, %v", sl, err)
	}
	if err := DecodeInto([]byte(`{"A":2}`), atts, &s); err != nil || s.A != 2 {
		t.Errorf("plain: %+v, %v", s, err)
	}
	if err := DecodeInto([]byte(`1`), atts, nil); err == nil {
		t.Error("nil target: no error")
	}
}

func TestDecodeAnyMatchesJSON(t *testing.T) {
	inputs := []string{
		`null`, `true`, `false`, `0`, `-0`, `1.5e300`, `-1e-400`, `"x"`, `""`, ` [ ] `, `{}`,
		`{"a":1,"a":2}`, `[1,"2",[3,{"4":[null]}],{"":{}}]`,
		`"\u00e9\ud83d\ude00\ud800\udc00\ud800x\udc00\ud800\ud800\\\/\b\f\n\r\t\""`, "\"\xff\xc3(\xe2\x82\"",
		`{"_placeholder":false,"num":0}`, `{"_placeholder":"true","num":0}`, `{"_placeholder":1,"num":0}`,
	}
	for _, in := range inputs {
		got, err := DecodeAny([]byte(in), nil)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		var want any
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, encoding/json %#v", in, got, want)
		}
	}
}

func TestDecodeAnyErrors(t *testing.T) {
	tests := []struct {
		in  string
		err error
	}{
		{``, ErrInvalidJSON},
		{` `, ErrInvalidJSON},
		{`[1,]`, ErrInvalidJSON},
		{`{"a" 1}`, ErrInvalidJSON},
		{`{"a":1`, ErrInvalidJSON},
		{`{1:1}`, ErrInvalidJSON},
		{`[1] [2]`, ErrInvalidJSON},
		{`nul`, ErrInvalidJSON},
		{`"\x"`, ErrInvalidJSON},
		{`1e400`, ErrNumberRange},
		{`[-1e400]`, ErrNumberRange},
		{ph(0), ErrIllegalAttachments},
		{`[{"x":` + ph(3) + `}]`, ErrIllegalAttachments},
		{`{"_placeholder":true,"num":"0"}`, ErrIllegalAttachments},
		{`{"_placeholder":true,"num":0.5}`, ErrIllegalAttachments},
		{`[{"_placeholder":true}`, ErrInvalidJSON},
		{`{"x":1,"x":{"_placeholder":true}}`, ErrIllegalAttachments},
		{`{"x":[{"_placeholder":true},{"_placeholder":true}],"y":{"_placeholder":true},"x":1}`, ErrIllegalAttachments},
		{`[1e400,` + ph(7) + `]`, ErrNumberRange},
		{`[1e400,` + ph(7) + `,]`, ErrInvalidJSON},
		{nest("[", "]", 10001, ""), ErrMaxDepth},
		{nest(`{"a":`, "}", 10001, "1"), ErrMaxDepth},
	}
	for _, tc := range tests {
		got, err := DecodeAny([]byte(tc.in), makeAtts(1)[:0])
		if !errors.Is(err, tc.err) || got != nil {
			t.Errorf("%.40s: got (%v, %v), want %v", tc.in, got, err, tc.err)
		}
	}
	// Values nesting deeper than AppendValue's cycle guard.
	v, err := DecodeAny([]byte(nest("[", "]", 1500, "")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := AppendValue(nil, v, nil); !errors.Is(err, ErrMaxDepth) {
		t.Errorf("AppendValue of 1500 levels: %v", err)
	}

	// Deep but allowed nesting works without recursion.
	v, err = DecodeAny([]byte(nest("[", "]", 10000, `"x"`)), nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 9999 {
		v = v.([]any)[0]
	}
	if !reflect.DeepEqual(v, []any{"x"}) {
		t.Errorf("innermost = %#v", v)
	}
}

func TestDecodeAnyPlaceholders(t *testing.T) {
	// What a placeholder contains and overwritten members do not count.
	for _, in := range []string{`{"_placeholder":true,"num":0,"x":` + ph(9) + `}`, `{"x":{"_placeholder":true},"x":1}`,
		`{"x":{"y":[{"_placeholder":true}]},"\u0078":null}`, `[{"x":[{"_placeholder":true}],"x":{}},1]`} {
		if _, err := DecodeAny([]byte(in), makeAtts(1)); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
	// A nil attachment is an attachment.
	if v, err := DecodeAny([]byte(ph(0)), [][]byte{nil}); err != nil || v.([]byte) != nil {
		t.Errorf("nil attachment: %#v, %v", v, err)
	}

	atts := makeAtts(3)
	got, err := DecodeAny([]byte(`[{"num":2,"_placeholder":true,"extra":1},{"_placeholder":true,"num":1e0},{"_placeholde\u0072":true,"num":-0}]`), atts)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{atts[2], atts[1], atts[0]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
}

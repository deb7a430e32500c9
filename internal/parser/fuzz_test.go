package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// maxFuzzLen bounds the fuzzers' inputs. Minimizing a new interesting
// input costs the fuzzer a number of runs quadratic in its length, during
// which it makes no progress (golang/go#48820), so long inputs waste the
// fuzzing time; large and deeply nested inputs have their own tests.
const maxFuzzLen = 1024

// checkPacket verifies the invariants of a packet the decoder accepted and
// that it survives AppendPacket and a second decoding unchanged.
func checkPacket(t *testing.T, p *Packet) {
	t.Helper()
	if p.Type > BinaryAck {
		t.Fatalf("type %d", p.Type)
	}
	if !strings.HasPrefix(p.Namespace, "/") || strings.Contains(p.Namespace, ",") {
		t.Fatalf("namespace %q", p.Namespace)
	}
	if p.HasID && p.ID > maxAckID || !p.HasID && p.ID != 0 {
		t.Fatalf("id %d (%v)", p.ID, p.HasID)
	}
	if p.Type.isBinary() != (p.Attachments != nil) {
		t.Fatalf("%v with attachments %v", p.Type, p.Attachments)
	}
	if len(p.Attachments) > defaultMaxAttachments {
		t.Fatalf("%d attachments", len(p.Attachments))
	}
	if p.Data != nil {
		if len(p.Data) == 0 || !json.Valid(p.Data) {
			t.Fatalf("invalid data %q", p.Data)
		}
		v, err := DecodeAny(p.Data, p.Attachments)
		if err != nil && !errors.Is(err, ErrNumberRange) {
			t.Fatalf("DecodeAny(%q): %v", p.Data, err)
		}
		if err == nil {
			switch p.Type {
			case Connect:
				_, ok := v.(map[string]any)
				if !ok {
					t.Fatalf("CONNECT payload %#v", v)
				}
			case ConnectError:
				switch v.(type) {
				case string, map[string]any:
				default:
					t.Fatalf("CONNECT_ERROR payload %#v", v)
				}
			case Disconnect:
				t.Fatalf("DISCONNECT payload %q", p.Data)
			default:
				args, ok := v.([]any)
				if !ok {
					t.Fatalf("%v payload %#v", p.Type, v)
				}
				if p.Type == Event || p.Type == BinaryEvent {
					if len(args) == 0 {
						t.Fatalf("empty %v", p.Type)
					}
					switch name := args[0].(type) {
					case float64:
					case string:
						for _, r := range reservedEvents {
							if name == r {
								t.Fatalf("reserved name %q", name)
							}
						}
					default:
						t.Fatalf("event name %#v", name)
					}
				}
			}
		}
		if p.Type == Event || p.Type == BinaryEvent {
			elems, err := SplitArray(p.Data)
			if err != nil || len(elems) == 0 {
				t.Fatalf("SplitArray(%q) = %q, %v", p.Data, elems, err)
			}
			if _, err := EventName(elems[0]); err != nil {
				t.Fatalf("EventName(%q): %v", elems[0], err)
			}
		}
	} else if p.Type != Connect && p.Type != Disconnect {
		t.Fatalf("%v without payload", p.Type)
	}

	// Round trip.
	wire := AppendPacket(nil, p)
	var d Decoder
	q, err := decodeAll(&d, string(wire), p.Attachments)
	if err != nil {
		t.Fatalf("re-decoding %q: %v", wire, err)
	}
	if !equalPackets(p, q) {
		t.Fatalf("round trip through %q: %+v != %+v", wire, q, p)
	}
}

// feed passes msgs to d, checking every packet it returns and completing a
// binary packet left waiting at the end with made-up attachments.
func feed(t *testing.T, d *Decoder, msgs [][]byte, binary []bool) {
	t.Helper()
	for i, m := range msgs {
		p, err := d.Add(m, binary[i])
		if err != nil {
			if p != nil {
				t.Fatalf("packet and error")
			}
			continue
		}
		if p != nil {
			checkPacket(t, p)
		}
	}
	for i := 0; d.pending != nil; i++ {
		if i > defaultMaxAttachments {
			t.Fatalf("decoder still awaiting attachments after %d", i)
		}
		p, err := d.Add([]byte{byte(i)}, true)
		if err != nil {
			t.Fatal(err)
		}
		if p != nil {
			checkPacket(t, p)
		}
	}
}

func addDecoderSeeds(f *testing.F) {
	for _, tc := range examples {
		msg := []byte(tc.wire)
		for _, a := range tc.p.Attachments {
			msg = append(append(msg, 0x1e), a...)
		}
		f.Add(msg)
	}
	for _, tc := range accepted {
		f.Add([]byte(tc.wire))
	}
	for _, tc := range rejected {
		if len(tc.wire) < 200 {
			f.Add([]byte(tc.wire))
		}
	}
	for _, s := range []string{`40/custom`, `41/custom`, `42abc["x"]`, `42{}`, "51-[\"a\",{\"_placeholder\":true,\"num\":0}]\x1e\x01\x1e\x02",
		"52-[\"a\",{\"_placeholder\":true,\"num\":1}]\x1e\x1e2[\"x\"]", "\x1e\x1e", "2[\"a\"]\x1e"} {
		f.Add([]byte(s))
	}
}

// FuzzDecoder feeds arbitrary input to a Decoder, both as one text message
// and split at 0x1e bytes into a text message followed by binary messages.
// Decoding must not panic, and every accepted packet must re-encode and
// decode to an equal packet.
func FuzzDecoder(f *testing.F) {
	addDecoderSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzLen {
			return
		}
		var d Decoder
		feed(t, &d, [][]byte{data}, []bool{false})

		parts := bytes.Split(data, []byte{0x1e})
		binary := make([]bool, len(parts))
		for i := 1; i < len(parts); i++ {
			binary[i] = true
		}
		d.Reset()
		feed(t, &d, parts, binary)

		// The same parts, each one text.
		d.Reset()
		feed(t, &d, parts, make([]bool, len(parts)))
	})
}

// FuzzBinaryReassembly builds a binary packet whose payload holds
// placeholders with fuzzed indexes and feeds its header and attachments (the
// blob cut in pieces) to a Decoder, checking that it is accepted exactly
// when every placeholder is valid and that the placeholders resolve to the
// right pieces.
func FuzzBinaryReassembly(f *testing.F) {
	f.Add("/", uint64(0), false, uint8(1), []byte{0}, []byte("hello"), uint8(2), false)
	f.Add("/admin", uint64(15), true, uint8(2), []byte{1, 0, 1}, []byte{0, 1, 2, 3, 4, 5}, uint8(1), true)
	f.Add("", uint64(1<<53), true, uint8(3), []byte{2, 5}, []byte{}, uint8(0), false)
	f.Add("/x,y", uint64(7), false, uint8(0), []byte{}, []byte("zz"), uint8(3), true)
	f.Add("/n", uint64(1), true, uint8(11), []byte{10}, []byte("abcdefghijkl"), uint8(1), false)
	f.Add("/n", uint64(1), true, uint8(2), []byte{0xff}, []byte("ab"), uint8(1), true)
	f.Fuzz(func(t *testing.T, nsp string, id uint64, hasID bool, declared uint8, nums []byte, blob []byte, chunk uint8, ack bool) {
		if len(nums) > 64 || len(blob) > maxFuzzLen {
			return
		}
		nsp = "/" + strings.ReplaceAll(strings.TrimPrefix(nsp, "/"), ",", "")
		n := int(declared % 16)

		// Attachments: blob cut in n pieces of up to chunk bytes.
		attachments := make([][]byte, n)
		for i := range attachments {
			k := min(int(chunk), len(blob))
			attachments[i] = blob[:k:k]
			blob = blob[k:]
		}

		// Payload: placeholders at various depths; index byte k means
		// num k-1 when odd positions, so -1 appears too.
		data := []byte(`["bin"`)
		if ack {
			data = []byte(`[`)
		}
		if hasID {
			id %= 1<<53 + 16
		} else {
			id = 0
		}
		valid := n <= defaultMaxAttachments && (!hasID || id <= maxAckID)
		for i, k := range nums {
			num := int(k)
			if i%2 == 1 {
				num = int(int8(k))
			}
			// In case 2 the placeholder is inside another one, where
			// it does not count.
			if (num < 0 || num >= n) && i%3 != 2 {
				valid = false
			}
			if len(data) > 1 {
				data = append(data, ',')
			}
			switch i % 3 {
			case 0:
				data = appendPlaceholder(data, num)
			case 1:
				data = append(data, `{"k":[`...)
				data = appendPlaceholder(data, num)
				data = append(data, `]}`...)
			case 2:
				data = append(data, `{"num":`...)
				data = appendPlaceholder(data, num)
				data = append(data, `,"_placeholder":true,"num":0}`...)
				if n == 0 {
					valid = false
				}
			}
		}
		data = append(data, ']')
		typ := BinaryEvent
		if ack {
			typ = BinaryAck
		}
		p := &Packet{Type: typ, Namespace: nsp, ID: id, HasID: hasID, Data: data, Attachments: attachments}
		wire := AppendPacket(nil, p)

		var d Decoder
		got, err := d.Add(wire, false)
		if !valid {
			if err == nil {
				t.Fatalf("%q accepted", wire)
			}
			if !errors.Is(err, ErrIllegalAttachments) && !errors.Is(err, ErrTooManyAttachments) && !errors.Is(err, ErrInvalidAckID) {
				t.Fatalf("%q: %v", wire, err)
			}
			if d.pending != nil {
				t.Fatal("decoder not reset after error")
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", wire, err)
		}
		for i, a := range attachments {
			if got != nil {
				t.Fatalf("packet complete after %d of %d attachments", i, n)
			}
			if got, err = d.Add(a, true); err != nil {
				t.Fatal(err)
			}
		}
		if got == nil {
			t.Fatal("no packet")
		}
		if !equalPackets(got, p) {
			t.Fatalf("got %+v, want %+v", got, p)
		}
		checkPacket(t, got)

		// Placeholders resolve to their attachments.
		v, err := DecodeAny(got.Data, got.Attachments)
		if err != nil {
			t.Fatal(err)
		}
		args := v.([]any)
		if !ack {
			args = args[1:]
		}
		for i, k := range nums {
			num := int(k)
			if i%2 == 1 {
				num = int(int8(k))
			}
			var b any
			switch i % 3 {
			case 0:
				b = args[i]
			case 1:
				b = args[i].(map[string]any)["k"].([]any)[0]
			case 2:
				b = args[i]
				num = 0
			}
			if bb, ok := b.([]byte); !ok || !bytes.Equal(bb, attachments[num]) {
				t.Fatalf("placeholder %d: %#v, want attachment %d", i, b, num)
			}
		}

		// The decoder is ready for the next packet.
		if q, err := d.Add([]byte(`2["next"]`), false); err != nil || q == nil {
			t.Fatalf("next packet: %v, %v", q, err)
		}
		if _, err := d.Add([]byte{1}, true); !errors.Is(err, ErrUnexpectedBinary) {
			t.Fatalf("stray binary: %v", err)
		}
	})
}

// resolveRef is a reference implementation of placeholder resolution on
// the output of encoding/json, top-down like socket.io-parser's
// reconstructPacket.
func resolveRef(v any, atts [][]byte) (any, error) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			r, err := resolveRef(e, atts)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
	case map[string]any:
		if ph, _ := x["_placeholder"].(bool); ph {
			num, ok := x["num"].(float64)
			if !ok || num < 0 || num >= float64(len(atts)) || num != math.Trunc(num) {
				return nil, ErrIllegalAttachments
			}
			return atts[int(num)], nil
		}
		for k, e := range x {
			r, err := resolveRef(e, atts)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
	}
	return v, nil
}

// FuzzDecodeAny checks DecodeAny, DecodeInto, SplitArray, EventName and the
// validator against encoding/json, and AppendValue→DecodeAny round trips.
func FuzzDecodeAny(f *testing.F) {
	for _, s := range []string{
		`null`, `true`, `-0.5e-3`, `"a\u00e9\ud83d\ude00"`, `[]`, `{}`, `["a",1,{"b":[null,false]}]`,
		ph(0), `[` + ph(1) + `,{"x":` + ph(0) + `}]`, `{"_placeholder":true,"num":1.0}`, `{"_placeholder":true,"num":-1}`,
		`{"_placeholder":true,"x":` + ph(9) + `,"num":0}`, `[1e400]`, `[1,]`, `{"a":}`, "\"\xff\"", `"\ud800"`,
		nest("[", "]", 40, ""), ` [ 1 , 2 ] `, `{"a":1,"a":{"_placeholder":true,"num":0}}`,
	} {
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, raw []byte, n uint8) {
		if len(raw) > maxFuzzLen/2 {
			return
		}
		atts := makeAtts(int(n % 12))

		// The validator agrees with json.Valid.
		s := scanner{maxDepth: unboundedDepth}
		serr := s.scan(raw)
		if !errors.Is(serr, ErrMaxDepth) && (serr == nil) != json.Valid(raw) {
			t.Fatalf("scan(%q) = %v, json.Valid = %v", raw, serr, json.Valid(raw))
		}

		v, err := DecodeAny(raw, atts)
		if errors.Is(err, ErrMaxDepth) {
			return
		}

		// The decoder's placeholder check agrees with DecodeAny.
		s = scanner{maxDepth: unboundedDepth, checkPH: true, nAtts: len(atts)}
		serr = s.scan(raw)
		if !errors.Is(err, ErrNumberRange) && (serr == ErrIllegalAttachments) != (err == ErrIllegalAttachments) {
			t.Fatalf("scan(%q) = %v, DecodeAny %v", raw, serr, err)
		}
		if (err == nil || !errors.Is(err, ErrInvalidJSON)) != json.Valid(raw) {
			t.Fatalf("DecodeAny(%q): %v, json.Valid = %v", raw, err, json.Valid(raw))
		}

		// Against encoding/json plus reference resolution.
		var ref any
		jerr := json.Unmarshal(raw, &ref)
		var typeErr *json.UnmarshalTypeError
		switch {
		case jerr == nil:
			ref, rerr := resolveRef(ref, atts)
			if !errors.Is(err, rerr) {
				t.Fatalf("DecodeAny(%q): %v, reference %v", raw, err, rerr)
			}
			if err == nil && !reflect.DeepEqual(v, ref) {
				t.Fatalf("DecodeAny(%q) = %#v, reference %#v", raw, v, ref)
			}
		case errors.As(jerr, &typeErr):
			if !errors.Is(err, ErrNumberRange) && !errors.Is(err, ErrIllegalAttachments) {
				t.Fatalf("DecodeAny(%q): %v, encoding/json %v", raw, err, jerr)
			}
		default:
			if err == nil {
				t.Fatalf("DecodeAny(%q) succeeded, encoding/json: %v", raw, jerr)
			}
		}

		// DecodeInto(*any) is DecodeAny.
		var into any
		ierr := DecodeInto(raw, atts, &into)
		if ierr != err || !reflect.DeepEqual(into, v) {
			t.Fatalf("DecodeInto(%q) = %#v, %v; DecodeAny %#v, %v", raw, into, ierr, v, err)
		}
		// Other targets must not panic.
		var st struct {
			A []byte
			B [][]byte
			C string
		}
		_ = DecodeInto(raw, atts, &st)
		var b []byte
		_ = DecodeInto(raw, atts, &b)

		// SplitArray agrees.
		elems, serr := SplitArray(raw)
		if arr, ok := v.([]any); ok && err == nil {
			if serr != nil || len(elems) != len(arr) {
				t.Fatalf("SplitArray(%q) = %q, %v; DecodeAny %d elements", raw, elems, serr, len(arr))
			}
			for i, e := range elems {
				ev, err := DecodeAny(e, atts)
				if err != nil || !reflect.DeepEqual(ev, arr[i]) {
					t.Fatalf("element %d %q: %#v, %v; want %#v", i, e, ev, err, arr[i])
				}
			}
		}

		// EventName agrees with encoding/json for strings.
		if name, err := EventName(raw); err == nil {
			var want any
			if jerr := json.Unmarshal(raw, &want); jerr == nil {
				if str, ok := want.(string); ok && name != str {
					t.Fatalf("EventName(%q) = %q, want %q", raw, name, str)
				}
			}
		}

		if err != nil {
			return
		}
		// Round trip through AppendValue.
		enc, encAtts, aerr := AppendValue(nil, v, nil)
		if errors.Is(aerr, ErrMaxDepth) {
			return // nesting beyond AppendValue's cycle guard
		}
		if aerr != nil {
			t.Fatalf("AppendValue(%#v): %v", v, aerr)
		}
		w, err := DecodeAny(enc, encAtts)
		if err != nil || !reflect.DeepEqual(w, v) {
			t.Fatalf("round trip of %q through %q: %#v, %v", raw, enc, w, err)
		}
	})
}

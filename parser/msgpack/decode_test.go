package msgpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	iparser "github.com/gosio/sio/internal/parser"
	"github.com/gosio/sio/parser"
)

// packet builds a msgpack packet map from its key/value pairs, each value
// being msgpack bytes.
func packet(kv ...any) []byte {
	b := appendMapHeader(nil, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		b = appendStr(b, kv[i].(string))
		b = append(b, kv[i+1].([]byte)...)
	}
	return b
}

func u(v uint64) []byte   { return appendUint(nil, v) }
func i(v int64) []byte    { return appendInt(nil, v) }
func s(v string) []byte   { return appendStr(nil, v) }
func bin(v []byte) []byte { return appendBin(nil, v) }
func arr(elems ...[]byte) []byte {
	b := appendArrayHeader(nil, len(elems))
	for _, e := range elems {
		b = append(b, e...)
	}
	return b
}
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
func f64(f float64) []byte { return binary.BigEndian.AppendUint64([]byte{0xcb}, math.Float64bits(f)) }
func f32(f float32) []byte { return binary.BigEndian.AppendUint32([]byte{0xca}, math.Float32bits(f)) }
func nested(n int) []byte {
	b := []byte{}
	for range n {
		b = append(b, 0x91)
	}
	return append(b, 0xc0)
}

func TestDecodeAccepts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		msg  []byte
		typ  parser.Type
		nsp  string
		id   int64 // -1: none
		data string
		bins int
	}{
		{"event", packet("type", u(2), "data", arr(s("e"), u(1)), "nsp", s("/")), parser.Event, "/", -1, `["e",1]`, 0},
		{"client options ignored", packet("type", u(2), "data", arr(s("e")), "options", cat([]byte{0x81}, s("compress"), []byte{0xc3}), "nsp", s("/a")), parser.Event, "/a", -1, `["e"]`, 0},
		{"type as float", packet("type", f64(2), "nsp", s("/"), "data", arr(s("e"))), parser.Event, "/", -1, `["e"]`, 0},
		{"id as float", packet("type", u(3), "nsp", s("/"), "data", arr(), "id", f64(12)), parser.Ack, "/", 12, `[]`, 0},
		{"largest id", packet("type", u(3), "nsp", s("/"), "data", arr(), "id", u(1<<53-1)), parser.Ack, "/", 1<<53 - 1, `[]`, 0},
		{"binary event", packet("type", u(2), "nsp", s("/"), "data", arr(s("e"), bin([]byte{1, 2}), arr(bin(nil)))), parser.BinaryEvent, "/", -1, `["e",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}]]`, 2},
		{"binary ack", packet("type", u(3), "nsp", s("/"), "data", arr(bin([]byte{1})), "id", u(4)), parser.BinaryAck, "/", 4, `[{"_placeholder":true,"num":0}]`, 1},
		{"connect", packet("type", u(0), "nsp", s("/")), parser.Connect, "/", -1, "", 0},
		{"connect auth", packet("type", u(0), "nsp", s("/"), "data", cat([]byte{0x81}, s("token"), s("x"))), parser.Connect, "/", -1, `{"token":"x"}`, 0},
		{"connect, data undefined", packet("type", u(0), "data", []byte{0xd4, 0, 0}, "nsp", s("/")), parser.Connect, "/", -1, "", 0},
		{"id undefined", packet("type", u(2), "data", arr(s("e")), "id", []byte{0xd4, 0, 0}, "nsp", s("/")), parser.Event, "/", -1, `["e"]`, 0},
		{"undefined members dropped", packet("type", u(2), "nsp", s("/"), "data", arr(s("e"), []byte{0xd4, 0, 0}, cat([]byte{0x83}, s("a"), []byte{0xd4, 0, 0}, s("b"), u(1), s("c"), []byte{0xd4, 0, 0}))), parser.Event, "/", -1, `["e",null,{"b":1}]`, 0},
		{"disconnect", packet("type", u(1), "nsp", s("/b")), parser.Disconnect, "/b", -1, "", 0},
		{"numbers", packet("type", u(2), "nsp", s("/"), "data", arr(s("e"), i(-5), i(-200), u(1<<63), []byte{0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}, f32(1.5), f64(0.1), f64(math.NaN()), f64(math.Inf(-1)))), parser.Event, "/", -1, `["e",-5,-200,9223372036854775808,-9223372036854775808,1.5,0.1,null,null]`, 0},
		{"literals", packet("type", u(2), "nsp", s("/"), "data", arr(s("e"), []byte{0xc0}, []byte{0xc2}, []byte{0xc3})), parser.Event, "/", -1, `["e",null,false,true]`, 0},
		{"keys", packet("type", u(2), "nsp", s("/"), "data", arr(s("e"), cat([]byte{0x84}, u(1), u(2), i(-1), u(3), []byte{0xc0}, u(4), []byte{0xc3}, u(5)))), parser.Event, "/", -1, `["e",{"1":2,"-1":3,"null":4,"true":5}]`, 0},
		{"escapes", packet("type", u(2), "nsp", s("/"), "data", arr(s("e"), s("a\"\\\n<\u2028"), s("\xff"))), parser.Event, "/", -1, "[\"e\",\"a\\\"\\\\\\n<\\u2028\",\"\ufffd\"]", 0},
		{"timestamps", packet("type", u(2), "nsp", s("/"), "data", arr(s("e"),
			[]byte{0xd6, 0xff, 0, 0, 0, 1},
			binary.BigEndian.AppendUint64([]byte{0xd7, 0xff}, 500_000_000<<34|2),
			binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32([]byte{0xc7, 12, 0xff}, 0), 86400),
			[]byte{0xd7, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe9})), parser.Event, "/", -1,
			`["e","1970-01-01T00:00:01.000Z","1970-01-01T00:00:02.500Z","1970-01-02T00:00:00.000Z","1970-01-01T00:00:01.001Z"]`, 0},
		{"extensions", packet("type", u(2), "nsp", s("/"), "data", arr(s("e"), []byte{0xd4, 0, 0}, []byte{0xd5, 5, 1, 2}, []byte{0xc7, 1, 0, 9})), parser.BinaryEvent, "/", -1,
			`["e",null,[5,{"_placeholder":true,"num":0}],{"_placeholder":true,"num":1}]`, 2},
		{"16-bit headers", packet("type", u(2), "nsp", s("/"), "data", cat([]byte{0xdc, 0, 2}, []byte{0xda, 0, 1, 'e'}, []byte{0xde, 0, 0})), parser.Event, "/", -1, `["e",{}]`, 0},
		{"depth 32", packet("type", u(2), "nsp", s("/"), "data", arr(s("e"), nested(31))), parser.Event, "/", -1, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parser{}.NewDecoder().Add(tc.msg, true)
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			if p.Type != tc.typ || p.Namespace != tc.nsp || p.HasID != (tc.id >= 0) || tc.id >= 0 && p.ID != uint64(tc.id) {
				t.Errorf("got %v %q %d %v", p.Type, p.Namespace, p.ID, p.HasID)
			}
			if tc.data != "" && string(p.Data) != tc.data {
				t.Errorf("data %s, want %s", p.Data, tc.data)
			}
			if len(p.Attachments) != tc.bins {
				t.Errorf("%d binaries, want %d", len(p.Attachments), tc.bins)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	ev := func(data []byte) []byte { return packet("type", u(2), "nsp", s("/"), "data", data) }
	for _, tc := range []struct {
		name string
		msg  []byte
		want error
		text bool
	}{
		{"text message", ev(arr(s("e"))), ErrTextMessage, true},
		{"empty", nil, ErrInvalidPacket, false},
		{"not a map", arr(u(2)), ErrInvalidPacket, false},
		{"no type", packet("nsp", s("/"), "data", arr(s("e"))), ErrInvalidType, false},
		{"type 5", packet("type", u(5), "nsp", s("/"), "data", arr(s("e"))), ErrInvalidType, false},
		{"type -1", packet("type", i(-1), "nsp", s("/")), ErrInvalidType, false},
		{"type string", packet("type", s("2"), "nsp", s("/"), "data", arr(s("e"))), ErrInvalidType, false},
		{"type 2.5", packet("type", f64(2.5), "nsp", s("/"), "data", arr(s("e"))), ErrInvalidType, false},
		{"no nsp", packet("type", u(2), "data", arr(s("e"))), ErrInvalidNamespace, false},
		{"nsp number", packet("type", u(2), "nsp", u(1), "data", arr(s("e"))), ErrInvalidNamespace, false},
		{"nsp without slash", packet("type", u(2), "nsp", s("a"), "data", arr(s("e"))), ErrInvalidNamespace, false},
		{"id nil", packet("type", u(3), "nsp", s("/"), "data", arr(), "id", []byte{0xc0}), iparser.ErrInvalidAckID, false},
		{"id negative", packet("type", u(3), "nsp", s("/"), "data", arr(), "id", i(-1)), iparser.ErrInvalidAckID, false},
		{"id 1.5", packet("type", u(3), "nsp", s("/"), "data", arr(), "id", f64(1.5)), iparser.ErrInvalidAckID, false},
		{"id beyond 2^53", packet("type", u(3), "nsp", s("/"), "data", arr(), "id", u(1<<53)), iparser.ErrInvalidAckID, false},
		{"event without data", packet("type", u(2), "nsp", s("/")), iparser.ErrInvalidPayload, false},
		{"event data object", ev([]byte{0x80}), iparser.ErrInvalidPayload, false},
		{"event empty", ev(arr()), iparser.ErrInvalidPayload, false},
		{"event name bool", ev(arr([]byte{0xc3})), iparser.ErrInvalidPayload, false},
		{"reserved event", ev(arr(s("connect"))), iparser.ErrReservedEvent, false},
		{"connect null", packet("type", u(0), "nsp", s("/"), "data", []byte{0xc0}), iparser.ErrInvalidPayload, false},
		{"disconnect with data", packet("type", u(1), "nsp", s("/"), "data", []byte{0x80}), iparser.ErrInvalidPayload, false},
		{"ack object", packet("type", u(3), "nsp", s("/"), "id", u(1), "data", []byte{0x80}), iparser.ErrInvalidPayload, false},
		{"trailing bytes", append(ev(arr(s("e"))), 0), ErrTrailingBytes, false},
		{"truncated string", ev(arr([]byte{0xa5, 'a'})), ErrTruncated, false},
		{"huge array", ev([]byte{0xdd, 0xff, 0xff, 0xff, 0xff}), ErrTruncated, false},
		{"huge map", ev(arr(s("e"), []byte{0xdf, 0xff, 0xff, 0xff, 0xff})), ErrTruncated, false},
		{"huge bin", ev(arr(s("e"), []byte{0xc6, 0xff, 0xff, 0xff, 0xff})), ErrTruncated, false},
		{"huge packet map", []byte{0xdf, 0xff, 0xff, 0xff, 0xff}, ErrInvalidPacket, false},
		{"0xc1", ev(arr(s("e"), []byte{0xc1})), ErrInvalidValue, false},
		{"float key", ev(arr(s("e"), cat([]byte{0x81}, f64(1.5), u(1)))), ErrInvalidKey, false},
		{"array key", ev(arr(s("e"), cat([]byte{0x81}, arr(), u(1)))), ErrInvalidKey, false},
		{"too deep", ev(arr(s("e"), nested(32))), iparser.ErrMaxDepth, false},
		{"very deep", ev(nested(100000)), iparser.ErrMaxDepth, false},
		{"placeholder out of range", ev(arr(s("e"), cat([]byte{0x82}, s("_placeholder"), []byte{0xc3}, s("num"), u(0)))), iparser.ErrIllegalAttachments, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parser{}.NewDecoder().Add(tc.msg, !tc.text)
			if !errors.Is(err, tc.want) {
				t.Errorf("Add: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeMaxBinaries(t *testing.T) {
	t.Parallel()
	msg := packet("type", u(2), "nsp", s("/"), "data", arr(s("e"), bin(nil), bin(nil), bin(nil)))
	if _, err := (Parser{MaxBinaries: 2}).NewDecoder().Add(msg, true); !errors.Is(err, ErrTooManyBinaries) {
		t.Errorf("3 binaries, MaxBinaries 2: %v", err)
	}
	if _, err := (Parser{MaxBinaries: 3}).NewDecoder().Add(msg, true); err != nil {
		t.Errorf("3 binaries, MaxBinaries 3: %v", err)
	}
	deep := packet("type", u(2), "nsp", s("/"), "data", arr(s("e"), nested(40)))
	if _, err := (Parser{MaxDepth: 50}).NewDecoder().Add(deep, true); err != nil {
		t.Errorf("depth 42, MaxDepth 50: %v", err)
	}
}

func TestAppendJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		json string
		want []byte
	}{
		{` [ 1 , { "a" : [ ] } , "x" ] `, cat([]byte{0x93, 1, 0x81}, s("a"), []byte{0x90}, s("x"))},
		{`[1.0,2e0,-0,-0.0,1e-7,18446744073709551615,18446744073709551616,-9223372036854775809]`, cat([]byte{0x98, 1, 2, 0, 0}, f64(1e-7), u(math.MaxUint64), f64(18446744073709551616), []byte{0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0})}, // the last one rounds to -2^63
		{`"\u00e9\ud83d\ude80\n"`, s("é🚀\n")},
		{`{"_placeholder":true,"num":0}`, bin([]byte{7})},
		{`[{"_placeholder":false,"num":0}]`, cat([]byte{0x91, 0x82}, s("_placeholder"), []byte{0xc2}, s("num"), u(0))},
	} {
		got, err := AppendJSON(nil, []byte(tc.json), [][]byte{{7}})
		if err != nil {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if string(got) != string(tc.want) {
			t.Errorf("%s: % x, want % x", tc.json, got, tc.want)
		}
	}
	for _, bad := range []string{``, `[`, `]`, `[1,]`, `[1 2]`, `{"a"}`, `{"a":1,}`, `{1:2}`, `tru`, `"`, `[1]]`, `01`, `{"_placeholder":true,"num":1}`} {
		if _, err := AppendJSON(nil, []byte(bad), [][]byte{{7}}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// appendJSONCounted is AppendJSON always in two passes, the way it
// encodes payloads nested deeper than singlePassDepth.
func appendJSONCounted(data []byte, atts [][]byte) ([]byte, error) {
	e := encoder{data: data, atts: atts, hasPH: bytes.Contains(data, []byte(`"_placeholder"`)), counted: true}
	if err := e.count(); err != nil {
		return nil, err
	}
	out, i, err := e.value(nil, skipSpace(data, 0), 0)
	if err == nil && skipSpace(data, i) != len(data) {
		err = ErrInvalidJSON
	}
	return out, err
}

// TestAppendJSONOnePassAndTwo checks that the single pass, which moves
// the elements of containers of 16 elements and more to make room for
// their header, writes what the counting pass writes.
func TestAppendJSONOnePassAndTwo(t *testing.T) {
	t.Parallel()
	list := func(n int, elem string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = elem
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	obj := func(n int, val string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"k%d":%s`, i, val)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	deep := func(levels int, inner string) string {
		return strings.Repeat(`[1,`, levels) + inner + strings.Repeat(`]`, levels)
	}
	cases := []string{
		list(15, "1"), list(16, "1"), list(17, `"x"`), list(65535, "0"), list(65536, "0"), list(70000, "true"),
		obj(15, "1"), obj(16, `"v"`), obj(65536, "0"),
		list(20, list(20, obj(17, `[1,2,{"_placeholder":true,"num":0}]`))),
		`[{"_placeholder":true,"num":0},` + obj(16, list(16, "null")) + `]`,
		deep(63, list(16, "1")), deep(64, list(16, "1")), deep(65, list(17, "1")), deep(300, obj(20, list(18, "2.5"))),
		` [ ` + list(16, ` { } `) + ` , [ ] ] `,
	}
	for _, c := range cases {
		one, err1 := AppendJSON([]byte{0xff}, []byte(c), [][]byte{{7}})
		two, err2 := appendJSONCounted([]byte(c), [][]byte{{7}})
		if err1 != nil || err2 != nil {
			t.Errorf("%.60s: errors %v, %v", c, err1, err2)
			continue
		}
		if !bytes.Equal(one[1:], two) || one[0] != 0xff {
			t.Errorf("%.60s: one pass and two differ (%d and %d bytes)", c, len(one)-1, len(two))
		}
	}
}

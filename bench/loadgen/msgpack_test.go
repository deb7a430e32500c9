package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/gosio/sio/parser"
	"github.com/gosio/sio/parser/msgpack"
)

// TestMsgpackPackets: what the load generator sends decodes, with the
// server's msgpack decoder, to the packet it means, and what a msgpack
// server sends back comes out of fromMsgpack in the text form the
// scenarios check.
func TestMsgpackPackets(t *testing.T) {
	t.Parallel()
	emit, ack := echoPackets(7, echoPayload(3, 7, 100))
	tests := []struct {
		name string
		sent []byte // the text form, with the Engine.IO '4'
	}{
		{"connect", []byte("40")},
		{"broadcast", payload('m', 7, 12345, 100)},
		{"echo", emit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := toMsgpack(nil, tc.sent[1:])
			if err != nil {
				t.Fatal(err)
			}
			// Byte for byte what the library (socket.io-msgpack-parser's
			// twin, golden-tested against it) writes.
			want, err := msgpack.AppendPacket(nil, textPacket(t, tc.sent[1:]))
			if err != nil || !bytes.Equal(b, want) {
				t.Fatalf("toMsgpack: % x\nthe library: % x (%v)", b, want, err)
			}
			// The server's decoder reads it back.
			got, err := serverText(b)
			if err != nil {
				t.Fatalf("decoding %x: %v", b, err)
			}
			if !bytes.Equal(got, tc.sent[1:]) {
				t.Fatalf("round trip: got %q, want %q", got, tc.sent[1:])
			}
			// So does the load generator's.
			if got, err = fromMsgpack(nil, b); err != nil || !bytes.Equal(got, tc.sent[1:]) {
				t.Fatalf("fromMsgpack: got %q, %v; want %q", got, err, tc.sent[1:])
			}
		})
	}

	t.Run("replies", func(t *testing.T) {
		t.Parallel()
		body := string(payload('m', 7, 12345, 20))[len(`42["broadcast",`):]
		msg, err := msgpack.AppendPacket(nil, &parser.Packet{Type: parser.Event, Namespace: "/", Data: []byte(`["msg",` + body)})
		if err != nil {
			t.Fatal(err)
		}
		var buf []byte
		if buf, err = fromMsgpack(buf, msg); err != nil {
			t.Fatal(err)
		}
		if tag, seq, ts, ok := parseMsg(buf, 20, false); !ok || tag != 'm' || seq != 7 || ts != 12345 {
			t.Fatalf("parseMsg(%q) = %c %d %d %v", buf, tag, seq, ts, ok)
		}
		msg, err = msgpack.AppendPacket(nil, &parser.Packet{Type: parser.Ack, Namespace: "/", ID: 7, HasID: true,
			Data: ack[len("37"):]})
		if err != nil {
			t.Fatal(err)
		}
		if buf, err = fromMsgpack(buf, msg); err != nil || !bytes.Equal(buf, ack) {
			t.Fatalf("ack: got %q, %v; want %q", buf, err, ack)
		}
		msg, _ = msgpack.AppendPacket(nil, &parser.Packet{Type: parser.Connect, Namespace: "/", Data: []byte(`{"sid":"abc"}`)})
		if buf, err = fromMsgpack(buf, msg); err != nil || string(buf) != `0{"sid":"abc"}` {
			t.Fatalf("connect: got %q, %v", buf, err)
		}
		if _, err = fromMsgpack(buf, []byte{0xc1}); err == nil {
			t.Fatal("no error for a malformed message")
		}
	})
}

// serverText is fromMsgpack done by the server's decoder: the text form
// of the packet it decodes.
func serverText(msg []byte) ([]byte, error) {
	p, err := msgpack.Parser{}.NewDecoder().Add(msg, true)
	if err != nil {
		return nil, err
	}
	dst := []byte{'0' + byte(p.Type)}
	if p.HasID {
		dst = strconv.AppendUint(dst, p.ID, 10)
	}
	return append(dst, p.Data...), nil
}

// TestFromMsgpackAgreesWithTheServer: for the values the scenarios'
// packets hold, fromMsgpack writes the text the server's decoder makes.
func TestFromMsgpackAgreesWithTheServer(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("y", 70000)
	many := "[" + strings.Repeat(`1,`, 20) + `70000,"` + long + `"]`
	for _, p := range []parser.Packet{
		{Type: parser.Event, Namespace: "/", Data: []byte(`["msg","a\"b\\c\u0001\n\t\r\b\f\u001f é",0,127,128,65535,65536,4294967296,-1,-33,-200,-40000,-3000000000,true,false,null,{"k":[{}],"":[]}]`)},
		{Type: parser.Event, Namespace: "/", Data: []byte(many)},
		{Type: parser.Ack, Namespace: "/", ID: 1 << 40, HasID: true, Data: []byte(`[]`)},
		{Type: parser.Connect, Namespace: "/", Data: []byte(`{"sid":"x","pid":"y"}`)},
		{Type: parser.Disconnect, Namespace: "/"},
	} {
		msg, err := msgpack.AppendPacket(nil, &p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := serverText(msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fromMsgpack(nil, msg)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%.60s: got %.80q, %v; want %.80q", p.Data, got, err, want)
		}
	}
	// What Node's socket.io-msgpack-parser writes for undefined (fixext 1
	// of type 0): the CONNECT answer's pid without recovery, an undefined
	// id, undefined in an array.
	undef := []byte{0xd4, 0, 0}
	str := func(s string) []byte { return append([]byte{0xa0 | byte(len(s))}, s...) }
	for _, msg := range [][]byte{
		cat([]byte{0x83}, str("type"), []byte{0}, str("data"), []byte{0x82}, str("sid"), str("abc"), str("pid"), undef, str("nsp"), str("/")),
		cat([]byte{0x84}, str("type"), []byte{2}, str("data"), []byte{0x93}, str("msg"), undef, str("x"), str("id"), undef, str("nsp"), str("/")),
		cat([]byte{0x83}, str("type"), []byte{1}, str("data"), undef, str("nsp"), str("/")),
	} {
		want, err := serverText(msg)
		if err != nil {
			t.Fatalf("% x: the server's decoder: %v", msg, err)
		}
		got, err := fromMsgpack(nil, msg)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("% x: got %q, %v; want %q", msg, got, err, want)
		}
	}
	for _, bad := range []parser.Packet{
		{Type: parser.Event, Namespace: "/chat", Data: []byte(`["x"]`)},
		{Type: parser.BinaryEvent, Namespace: "/", Data: []byte(`["x",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1}}},
		{Type: parser.Event, Namespace: "/", Data: []byte(`["x",1.5]`)},
	} {
		msg, _ := msgpack.AppendPacket(nil, &bad)
		if _, err := fromMsgpack(nil, msg); err == nil {
			t.Errorf("%s on %s: no error", bad.Data, bad.Namespace)
		}
	}
}

// textPacket parses the text form the scenarios send.
func textPacket(t *testing.T, pkt []byte) *parser.Packet {
	p := &parser.Packet{Type: parser.Type(pkt[0] - '0'), Namespace: "/"}
	i := 1
	for i < len(pkt) && '0' <= pkt[i] && pkt[i] <= '9' {
		i++
	}
	if i > 1 {
		id, err := strconv.ParseUint(string(pkt[1:i]), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		p.ID, p.HasID = id, true
	}
	if i < len(pkt) {
		p.Data = pkt[i:]
	}
	return p
}

// TestToMsgpack: the load generator's encoder writes what the library
// writes, for packets like the scenarios', and refuses what it does not
// translate.
func TestToMsgpack(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("z", 70000)
	for _, text := range []string{`0`, `0{"token":"abc","n":[1,2]}`, `2["a"]`, `2123["echo","x",0,127,128,65536,4294967296,true,false,null]`,
		`3123["x"]`, `2["b","` + long + `"]`, `2["c","` + long[:300] + `",{}]`, `1`} {
		got, err := toMsgpack(nil, []byte(text))
		want, err2 := msgpack.AppendPacket(nil, textPacket(t, []byte(text)))
		if err != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Errorf("%.40s: % .40x (%v), the library % .40x (%v)", text, got, err, want, err2)
		}
	}
	for _, bad := range []string{`x`, `2["a\"b"]`, `2[1.5]`, `2[-1]`, `2[` + strings.Repeat(`1,`, 16) + `1]`, `2["a"`, `2["a"]x`} {
		if _, err := toMsgpack(nil, []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

package main

import (
	"bytes"
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
			// The server's decoder reads it back.
			got, err := fromMsgpack(msgpack.Parser{}.NewDecoder(), nil, b)
			if err != nil {
				t.Fatalf("decoding %x: %v", b, err)
			}
			if !bytes.Equal(got, tc.sent[1:]) {
				t.Fatalf("round trip: got %q, want %q", got, tc.sent[1:])
			}
		})
	}

	t.Run("replies", func(t *testing.T) {
		t.Parallel()
		dec := msgpack.Parser{}.NewDecoder()
		body := string(payload('m', 7, 12345, 20))[len(`42["broadcast",`):]
		msg, err := msgpack.AppendPacket(nil, &parser.Packet{Type: parser.Event, Namespace: "/", Data: []byte(`["msg",` + body)})
		if err != nil {
			t.Fatal(err)
		}
		var buf []byte
		if buf, err = fromMsgpack(dec, buf, msg); err != nil {
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
		if buf, err = fromMsgpack(dec, buf, msg); err != nil || !bytes.Equal(buf, ack) {
			t.Fatalf("ack: got %q, %v; want %q", buf, err, ack)
		}
		msg, _ = msgpack.AppendPacket(nil, &parser.Packet{Type: parser.Connect, Namespace: "/", Data: []byte(`{"sid":"abc"}`)})
		if buf, err = fromMsgpack(dec, buf, msg); err != nil || string(buf) != `0{"sid":"abc"}` {
			t.Fatalf("connect: got %q, %v", buf, err)
		}
		if _, err = fromMsgpack(dec, buf, []byte{0xc1}); err == nil {
			t.Fatal("no error for a malformed message")
		}
	})
}

package engine

import (
	"bytes"
	"testing"
)

// checkPayload decodes payload and verifies the decoder's invariants: every
// packet it yields has a valid type and, rebuilt with NewPacket or
// NewBinaryMessage and joined with encodePayload, gives a payload that
// decodes to the same packets.
func checkPayload(t *testing.T, payload []byte) {
	t.Helper()
	orig := bytes.Clone(payload)
	got, err := decodeAll(payload)
	if !bytes.Equal(payload, orig) {
		t.Fatalf("decodePayload modified its input")
	}
	if len(payload) == 0 && err == nil {
		t.Fatalf("empty payload decoded without error")
	}
	if err == nil && len(got) == 0 {
		t.Fatalf("payload %q: no packet and no error", payload)
	}
	if err != nil && err != errBadPacket {
		t.Fatalf("payload %q: error %v, want errBadPacket", payload, err)
	}
	if len(got) == 0 {
		return
	}
	pkts := make([]*Packet, len(got))
	hasBinary := false
	for i, d := range got {
		if d.typ > PacketNoop {
			t.Fatalf("payload %q: packet %d has type %d", payload, i, d.typ)
		}
		if d.binary {
			hasBinary = true
			if d.typ != PacketMessage {
				t.Fatalf("payload %q: binary packet %d has type %d", payload, i, d.typ)
			}
			pkts[i] = NewBinaryMessage([]byte(d.data))
		} else {
			if bytes.IndexByte([]byte(d.data), recordSeparator) >= 0 {
				t.Fatalf("payload %q: text packet %d contains the record separator", payload, i)
			}
			pkts[i] = NewPacket(d.typ, []byte(d.data))
		}
		if pkts[i].Type() != d.typ || pkts[i].Binary() != d.binary {
			t.Fatalf("rebuilt packet %d: Type()=%d Binary()=%v, want %d %v", i, pkts[i].Type(), pkts[i].Binary(), d.typ, d.binary)
		}
	}
	enc := encodePayload(nil, pkts)
	again, err2 := decodeAll(enc)
	if err2 != nil {
		t.Fatalf("payload %q: re-encoded as %q, which does not decode: %v", payload, enc, err2)
	}
	if len(again) != len(got) {
		t.Fatalf("payload %q: re-encoded as %q, which decodes to %d packets, want %d", payload, enc, len(again), len(got))
	}
	for i := range got {
		if again[i] != got[i] {
			t.Fatalf("payload %q: packet %d re-decoded as %v, want %v", payload, i, again[i], got[i])
		}
	}
	// A valid text-only payload is already canonical: re-encoding it gives
	// the same bytes.
	if err == nil && !hasBinary && !bytes.Equal(enc, payload) {
		t.Fatalf("payload %q: re-encoded as %q", payload, enc)
	}
	// Stopping after k packets yields exactly the first k, without error.
	for k := 1; k <= len(got); k++ {
		n := 0
		if err := decodePayload(payload, func(PacketType, []byte, bool) bool {
			n++
			return n < k
		}); err != nil || n != k {
			t.Fatalf("payload %q: stopping at packet %d: %d calls, error %v", payload, k, n, err)
		}
	}
}

func FuzzDecodePayload(f *testing.F) {
	seeds := []string{
		"",
		"4",
		"4hello",
		"4test1\x1e4test2\x1e4test3",
		"4hello\x1ebAQIDBA==",
		"bAQIDBA==",
		"b",
		"b\x1eb",
		"0{\"sid\":\"x\"}\x1e1\x1e2\x1e3probe\x1e5\x1e6",
		"\x1e",
		"4a\x1e",
		"\x1e4a",
		"abc",
		"7",
		"b!!!",
		"bAQ\nID\rBA==",
		"bAQIDBA=",
		"4€😀\x1e4\xff\xfe",
		"4a\x1e4b\x1ex\x1e4c",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint(i))
	}
	f.Fuzz(func(t *testing.T, payload []byte, split uint) {
		checkPayload(t, payload)
		// The same bytes cut anywhere and read as two separate payloads,
		// as two consecutive POSTs would carry them.
		i := int(split % uint(len(payload)+1))
		checkPayload(t, payload[:i])
		checkPayload(t, payload[i:])
	})
}

package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// wantHeader returns the header of an unmasked, final websocket frame with
// opcode op and a payload of n bytes (RFC 6455 §5.2), built independently
// of the code under test.
func wantHeader(op byte, n int) []byte {
	h := []byte{0x80 | op}
	switch {
	case n <= 125:
		return append(h, byte(n))
	case n <= 0xffff:
		h = append(h, 126)
		return binary.BigEndian.AppendUint16(h, uint16(n))
	default:
		h = append(h, 127)
		return binary.BigEndian.AppendUint64(h, uint64(n))
	}
}

// checkFrame verifies that p's websocket frame is a header for op followed
// by exactly payload, and that Payload returns payload.
func checkFrame(t *testing.T, p *Packet, op byte, payload []byte) {
	t.Helper()
	hdr := wantHeader(op, len(payload))
	if len(p.frame) != len(hdr)+len(payload) {
		t.Fatalf("frame length %d, want %d header + %d payload", len(p.frame), len(hdr), len(payload))
	}
	if got := p.frame[:len(hdr)]; !bytes.Equal(got, hdr) {
		t.Fatalf("frame header % x, want % x", got, hdr)
	}
	if p.hdr != len(hdr) {
		t.Fatalf("hdr = %d, want %d", p.hdr, len(hdr))
	}
	if !bytes.Equal(p.frame[len(hdr):], payload) {
		t.Fatalf("frame payload differs from the expected payload")
	}
	if !bytes.Equal(p.Payload(), payload) {
		t.Fatalf("Payload() differs from the expected payload")
	}
	if p.size() != len(hdr)+len(payload) {
		t.Fatalf("size() = %d, want %d", p.size(), len(hdr)+len(payload))
	}
}

// filler returns n bytes of printable text.
func filler(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

func TestPacketFrameHeaders(t *testing.T) {
	t.Parallel()
	// Payload lengths at the edges of the three websocket length encodings.
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		t.Run(fmt.Sprintf("binary/%d", n), func(t *testing.T) {
			t.Parallel()
			data := filler(n)
			p := NewBinaryMessage(data)
			checkFrame(t, p, opBinary, data)
			if !p.Binary() || p.Type() != PacketMessage || p.ctrl {
				t.Fatalf("Binary()=%v Type()=%v ctrl=%v", p.Binary(), p.Type(), p.ctrl)
			}
		})
		if n == 0 {
			continue // a text packet has at least its type digit
		}
		t.Run(fmt.Sprintf("text/%d", n), func(t *testing.T) {
			t.Parallel()
			data := filler(n - 1)
			p := NewPacket(PacketMessage, data)
			checkFrame(t, p, opText, append([]byte{'4'}, data...))
			if p.Binary() || p.Type() != PacketMessage || p.ctrl {
				t.Fatalf("Binary()=%v Type()=%v ctrl=%v", p.Binary(), p.Type(), p.ctrl)
			}
		})
		t.Run(fmt.Sprintf("buffer/%d", n), func(t *testing.T) {
			t.Parallel()
			data := filler(n - 1)
			buf := NewMessageBuffer(len(data))
			before := cap(buf)
			buf = append(buf, data...)
			if cap(buf) != before {
				t.Fatalf("appending sizeHint bytes reallocated the buffer (cap %d -> %d)", before, cap(buf))
			}
			p := NewMessageFromBuffer(buf)
			checkFrame(t, p, opText, append([]byte{'4'}, data...))
			if p.Binary() || p.Type() != PacketMessage {
				t.Fatalf("Binary()=%v Type()=%v", p.Binary(), p.Type())
			}
		})
	}
}

func TestMessageBufferGrows(t *testing.T) {
	t.Parallel()
	// A size hint that is too small must still give a correct packet.
	buf := NewMessageBuffer(1)
	data := filler(300)
	buf = append(buf, data...)
	checkFrame(t, NewMessageFromBuffer(buf), opText, append([]byte{'4'}, data...))
}

func TestNewMessageFromBufferPanics(t *testing.T) {
	t.Parallel()
	for name, buf := range map[string][]byte{
		"nil":        nil,
		"short":      make([]byte, maxFrameHeader),
		"not a msg":  NewPacket(PacketPing, nil).frame,
		"wrong type": append(make([]byte, maxFrameHeader), '2'),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Fatal("NewMessageFromBuffer did not panic")
				}
			}()
			NewMessageFromBuffer(buf)
		})
	}
}

func TestPacketTypeAndPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ  PacketType
		data string
		want string
	}{
		{PacketOpen, `{"sid":"x"}`, `0{"sid":"x"}`},
		{PacketClose, "", "1"},
		{PacketPing, "", "2"},
		{PacketPong, "probe", "3probe"},
		{PacketMessage, "hello €", "4hello €"},
		{PacketMessage, "", "4"},
		{PacketUpgrade, "", "5"},
		{PacketNoop, "", "6"},
	}
	for _, tt := range tests {
		p := NewPacket(tt.typ, []byte(tt.data))
		if p.Type() != tt.typ {
			t.Errorf("NewPacket(%d, %q).Type() = %d", tt.typ, tt.data, p.Type())
		}
		if string(p.Payload()) != tt.want {
			t.Errorf("NewPacket(%d, %q).Payload() = %q, want %q", tt.typ, tt.data, p.Payload(), tt.want)
		}
		if p.Binary() {
			t.Errorf("NewPacket(%d, %q).Binary() = true", tt.typ, tt.data)
		}
		checkFrame(t, p, opText, []byte(tt.want))
	}
}

func TestPacketCopiesData(t *testing.T) {
	t.Parallel()
	data := []byte{1, 2, 3}
	b := NewBinaryMessage(data)
	txt := NewPacket(PacketMessage, data)
	data[0] = 9
	if !bytes.Equal(b.Payload(), []byte{1, 2, 3}) {
		t.Errorf("NewBinaryMessage aliases its argument: %v", b.Payload())
	}
	if !bytes.Equal(txt.Payload(), []byte{'4', 1, 2, 3}) {
		t.Errorf("NewPacket aliases its argument: %v", txt.Payload())
	}
}

func TestNewControl(t *testing.T) {
	t.Parallel()
	p := newControl(opClose, []byte{0x03, 0xe8})
	checkFrame(t, p, opClose, []byte{0x03, 0xe8})
	if !p.ctrl || p.binary {
		t.Fatalf("ctrl=%v binary=%v", p.ctrl, p.binary)
	}
	p = newControl(opPong, nil)
	checkFrame(t, p, opPong, nil)
}

func TestEncodePayload(t *testing.T) {
	t.Parallel()
	msg := func(s string) *Packet { return NewPacket(PacketMessage, []byte(s)) }
	bin := func(b ...byte) *Packet { return NewBinaryMessage(b) }
	ctrl := newControl(opPong, nil)
	tests := []struct {
		name string
		dst  string
		pkts []*Packet
		want string
	}{
		{"none", "", nil, ""},
		{"one text", "", []*Packet{msg("hello")}, "4hello"},
		{"several", "", []*Packet{msg("test1"), msg("test2"), msg("test3")}, "4test1\x1e4test2\x1e4test3"},
		{"text and binary", "", []*Packet{msg("hello"), bin(1, 2, 3, 4)}, "4hello\x1ebAQIDBA=="},
		{"empty binary", "", []*Packet{bin()}, "b"},
		{"binary needing padding", "", []*Packet{bin(0xff), bin(0xff, 0xfe), bin(0xfb, 0xff, 0xbf)}, "b/w==\x1eb//4=\x1eb+/+/"},
		{"control types", "", []*Packet{NewPacket(PacketPing, nil), NewPacket(PacketNoop, nil), NewPacket(PacketClose, nil)}, "2\x1e6\x1e1"},
		{"ws control first", "", []*Packet{ctrl, msg("a")}, "4a"},
		{"ws control middle", "", []*Packet{msg("a"), ctrl, msg("b")}, "4a\x1e4b"},
		{"ws control last", "", []*Packet{msg("a"), ctrl}, "4a"},
		{"only ws control", "", []*Packet{ctrl, ctrl}, ""},
		{"appends to dst", "prefix:", []*Packet{msg("a"), msg("b")}, "prefix:4a\x1e4b"},
	}
	for _, tt := range tests {
		got := encodePayload([]byte(tt.dst), tt.pkts)
		if string(got) != tt.want {
			t.Errorf("%s: encodePayload = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDecodeText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		typ     PacketType
		data    string
		wantErr bool
	}{
		{"0{}", PacketOpen, "{}", false},
		{"1", PacketClose, "", false},
		{"2", PacketPing, "", false},
		{"3probe", PacketPong, "probe", false},
		{"4hello", PacketMessage, "hello", false},
		{"4", PacketMessage, "", false},
		{"5", PacketUpgrade, "", false},
		{"6", PacketNoop, "", false},
		{"", 0, "", true},
		{"7", 0, "", true},
		{"9x", 0, "", true},
		{"/4", 0, "", true},
		{"a", 0, "", true},
		{"b4", 0, "", true},
		{"\x1e4", 0, "", true},
	}
	for _, tt := range tests {
		typ, data, err := decodeText([]byte(tt.in))
		if tt.wantErr {
			if !errors.Is(err, errBadPacket) {
				t.Errorf("decodeText(%q) error = %v, want errBadPacket", tt.in, err)
			}
			continue
		}
		if err != nil || typ != tt.typ || string(data) != tt.data {
			t.Errorf("decodeText(%q) = %d, %q, %v; want %d, %q", tt.in, typ, data, err, tt.typ, tt.data)
		}
	}
}

// decoded is one packet yielded by decodePayload.
type decoded struct {
	typ    PacketType
	data   string
	binary bool
}

func (d decoded) String() string { return fmt.Sprintf("{%d %q %v}", d.typ, d.data, d.binary) }

// decodeAll collects every packet of payload.
func decodeAll(payload []byte) ([]decoded, error) {
	var out []decoded
	err := decodePayload(payload, func(t PacketType, data []byte, binary bool) bool {
		out = append(out, decoded{t, string(data), binary})
		return true
	})
	return out, err
}

func TestDecodePayload(t *testing.T) {
	t.Parallel()
	msg := func(s string) decoded { return decoded{PacketMessage, s, false} }
	bin := func(s string) decoded { return decoded{PacketMessage, s, true} }
	tests := []struct {
		name    string
		in      string
		want    []decoded
		wantErr bool
	}{
		{"one text", "4hello", []decoded{msg("hello")}, false},
		{"several", "4test1\x1e4test2\x1e4test3", []decoded{msg("test1"), msg("test2"), msg("test3")}, false},
		{"text and binary", "4hello\x1ebAQIDBA==", []decoded{msg("hello"), bin("\x01\x02\x03\x04")}, false},
		{"binary first", "bAQIDBA==\x1e4hello", []decoded{bin("\x01\x02\x03\x04"), msg("hello")}, false},
		{"empty binary", "b", []decoded{bin("")}, false},
		{"empty message", "4", []decoded{msg("")}, false},
		{"pong and message", "3\x1e4x", []decoded{{PacketPong, "", false}, msg("x")}, false},
		{"close", "1", []decoded{{PacketClose, "", false}}, false},
		{"all types", "0\x1e1\x1e2\x1e3\x1e4\x1e5\x1e6", []decoded{{0, "", false}, {1, "", false}, {2, "", false}, {3, "", false}, {4, "", false}, {5, "", false}, {6, "", false}}, false},
		{"utf-8", "4€😀", []decoded{msg("€😀")}, false},
		{"empty payload", "", nil, true},
		{"only separator", "\x1e", nil, true},
		{"leading separator", "\x1e4a", nil, true},
		{"trailing separator", "4a\x1e", []decoded{msg("a")}, true},
		{"empty element", "4a\x1e\x1e4b", []decoded{msg("a")}, true},
		{"bad type char", "abc", nil, true},
		{"type 7", "7", nil, true},
		{"bad type after good", "4a\x1ex\x1e4b", []decoded{msg("a")}, true},
		{"bad base64", "b!!!!", nil, true},
		{"bad base64 padding", "bAQIDBA=", nil, true},
		{"bad base64 after good", "4a\x1ebA\x1e4b", []decoded{msg("a")}, true},
	}
	for _, tt := range tests {
		got, err := decodeAll([]byte(tt.in))
		if tt.wantErr != (err != nil) {
			t.Errorf("%s: decodePayload(%q) error = %v, want error %v", tt.name, tt.in, err, tt.wantErr)
		}
		if err != nil && !errors.Is(err, errBadPacket) {
			t.Errorf("%s: decodePayload(%q) error = %v, want errBadPacket", tt.name, tt.in, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: decodePayload(%q) yielded %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestDecodePayloadStops(t *testing.T) {
	t.Parallel()
	// fn returning false stops the decoding without an error, even before a
	// malformed packet that is never reached.
	for _, in := range []string{"4a\x1e4b\x1e4c", "4a\x1egarbage", "bAQ==\x1e4b", "4a\x1e"} {
		calls := 0
		err := decodePayload([]byte(in), func(PacketType, []byte, bool) bool {
			calls++
			return false
		})
		if err != nil || calls != 1 {
			t.Errorf("decodePayload(%q) stopping at once: %d calls, error %v; want 1 call, nil", in, calls, err)
		}
	}
	calls := 0
	err := decodePayload([]byte("4a\x1e4b\x1e4c"), func(PacketType, []byte, bool) bool {
		calls++
		return calls < 2
	})
	if err != nil || calls != 2 {
		t.Errorf("stopping at the second packet: %d calls, error %v", calls, err)
	}
}

func TestDecodePayloadAliasing(t *testing.T) {
	t.Parallel()
	// Text data aliases the payload (documented); binary data is a new
	// buffer.
	payload := []byte("4abc\x1ebAQI=")
	var text, bin []byte
	if err := decodePayload(payload, func(t PacketType, data []byte, binary bool) bool {
		if binary {
			bin = data
		} else {
			text = data
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if &text[0] != &payload[1] {
		t.Errorf("text data does not alias the payload")
	}
	if !bytes.Equal(bin, []byte{1, 2}) {
		t.Errorf("binary data = %v", bin)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	t.Parallel()
	pkts := []*Packet{
		NewPacket(PacketMessage, []byte("hello")),
		NewBinaryMessage([]byte{0, 1, 2, 0x1e, 0xff}),
		NewPacket(PacketPing, nil),
		NewPacket(PacketMessage, []byte(strings.Repeat("x", 70000))),
		NewBinaryMessage(nil),
	}
	got, err := decodeAll(encodePayload(nil, pkts))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(pkts) {
		t.Fatalf("decoded %d packets, want %d", len(got), len(pkts))
	}
	for i, p := range pkts {
		want := decoded{p.Type(), string(p.Payload()), p.Binary()}
		if !p.Binary() {
			want.data = want.data[1:]
		}
		if got[i] != want {
			t.Errorf("packet %d: got %v, want %v", i, got[i], want)
		}
	}
}

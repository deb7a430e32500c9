package engine

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// --- codec ---------------------------------------------------------------

func TestEncodePayloadV3(t *testing.T) {
	t.Parallel()
	bin := NewBinaryMessage([]byte{1, 2, 3, 4})
	tests := []struct {
		name           string
		pkts           []*Packet
		supportsBinary bool
		want           string
		wantBinary     bool
	}{
		{"one text packet", []*Packet{NewPacket(PacketMessage, []byte("hello"))}, false, "6:4hello", false},
		{"several", []*Packet{NewPacket(PacketMessage, []byte("test1")), NewPacket(PacketMessage, []byte("test2")), NewPacket(PacketNoop, nil)}, false, "6:4test16:4test21:6", false},
		// The lengths count UTF-16 code units, as the reference's
		// string.length does: é is one, 😀 two.
		{"accented", []*Packet{NewPacket(PacketMessage, []byte("é"))}, false, "2:4é", false},
		{"beyond the BMP", []*Packet{NewPacket(PacketMessage, []byte("a😀"))}, false, "4:4a😀", false},
		{"base64 binary", []*Packet{NewPacket(PacketMessage, []byte("hello")), bin}, false, "6:4hello10:b4AQIDBA==", false},
		{"base64 binary in v3 form", []*Packet{bin.v3Binary()}, false, "10:b4AQIDBA==", false},
		{"text only, binary supported", []*Packet{NewPacket(PacketMessage, []byte("hello"))}, true, "6:4hello", false},
		{"XHR2 binary", []*Packet{NewPacket(PacketMessage, []byte("hello")), bin}, true,
			string([]byte{0, 6, 255, '4', 'h', 'e', 'l', 'l', 'o', 1, 5, 255, 4, 1, 2, 3, 4}), true},
		// In an XHR2 payload a text packet's length counts its UTF-8 bytes.
		{"XHR2 binary with UTF-8 text", []*Packet{NewPacket(PacketMessage, []byte("é")), bin.v3Binary()}, true,
			string([]byte{0, 3, 255, '4', 0xc3, 0xa9, 1, 5, 255, 4, 1, 2, 3, 4}), true},
		{"control frames left out", []*Packet{newControl(opPong, nil), NewPacket(PacketPong, nil)}, false, "1:3", false},
		{"empty", nil, false, "0:", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, binary := encodePayloadV3(nil, tt.pkts, tt.supportsBinary)
			if string(got) != tt.want || binary != tt.wantBinary {
				t.Errorf("encodePayloadV3 = %q (binary %v), want %q (binary %v)", got, binary, tt.want, tt.wantBinary)
			}
		})
	}
}

func decodeAllV3(payload []byte, binaryPayload bool) ([]decoded, error) {
	var got []decoded
	decode := decodePayloadV3
	if binaryPayload {
		decode = decodeBinaryPayloadV3
	}
	err := decode(payload, func(t PacketType, data []byte, binary bool) bool {
		got = append(got, decoded{t, string(data), binary})
		return true
	})
	return got, err
}

func TestDecodePayloadV3(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string
		want    []decoded
		wantErr bool
	}{
		{"one", "6:4hello", []decoded{{PacketMessage, "hello", false}}, false},
		{"several", "6:4test16:4test26:4test3", []decoded{{PacketMessage, "test1", false}, {PacketMessage, "test2", false}, {PacketMessage, "test3", false}}, false},
		{"ping", "1:2", []decoded{{PacketPing, "", false}}, false},
		{"base64", "6:4hello10:b4AQIDBA==", []decoded{{PacketMessage, "hello", false}, {PacketMessage, "\x01\x02\x03\x04", true}}, false},
		{"UTF-16 lengths", "2:4é4:4a😀", []decoded{{PacketMessage, "é", false}, {PacketMessage, "a😀", false}}, false},
		{"empty packet skipped", "0:1:6", []decoded{{PacketNoop, "", false}}, false},
		{"empty payload", "", nil, true},
		{"no length", "abc", nil, true},
		{"no colon", "12", nil, true},
		{"length past the end", "7:4hello", nil, true},
		{"length inside a character", "2:4😀", nil, true},
		{"bad type", "1:9", nil, true},
		{"bad base64", "4:b4!!", nil, true},
		{"bad base64 type", "3:bxA", nil, true},
		{"good then bad", "1:2x", []decoded{{PacketPing, "", false}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAllV3([]byte(tt.payload), false)
			if (err != nil) != tt.wantErr || !equalDecoded(got, tt.want) {
				t.Errorf("decodePayloadV3(%q) = %v, %v; want %v (error %v)", tt.payload, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDecodeBinaryPayloadV3(t *testing.T) {
	t.Parallel()
	b := func(v ...byte) string { return string(v) }
	tests := []struct {
		name    string
		payload string
		want    []decoded
		wantErr bool
	}{
		{"text and binary", b(0, 6, 255, '4', 'h', 'e', 'l', 'l', 'o', 1, 5, 255, 4, 1, 2, 3, 4),
			[]decoded{{PacketMessage, "hello", false}, {PacketMessage, "\x01\x02\x03\x04", true}}, false},
		{"two-digit length", b(1, 1, 1, 255, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
			[]decoded{{PacketMessage, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", true}}, false},
		{"ping", b(0, 1, 255, '2'), []decoded{{PacketPing, "", false}}, false},
		{"bad marker", b(2, 1, 255, '2'), nil, true},
		{"no delimiter", b(0, 1, 1), nil, true},
		{"digit out of range", b(0, 10, 255, '2'), nil, true},
		{"no length", b(0, 255, '2'), nil, true},
		{"short", b(1, 5, 255, 4, 1), nil, true},
		{"bad binary type", b(1, 1, 255, 9), nil, true},
		{"bad text type", b(0, 1, 255, 'x'), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAllV3([]byte(tt.payload), true)
			if (err != nil) != tt.wantErr || !equalDecoded(got, tt.want) {
				t.Errorf("decodeBinaryPayloadV3(%v) = %v, %v; want %v (error %v)", []byte(tt.payload), got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func equalDecoded(a, b []decoded) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestV3BinaryFormIsCached(t *testing.T) {
	t.Parallel()
	p := NewBinaryMessage([]byte{1, 2})
	v := p.v3Binary()
	if v != p.v3Binary() {
		t.Error("v3Binary built twice")
	}
	if got := v.Payload(); !bytes.Equal(got, []byte{4, 1, 2}) {
		t.Errorf("v3 payload = %v, want [4 1 2]", got)
	}
	if !bytes.Equal(v.binaryData(), []byte{1, 2}) || !bytes.Equal(p.binaryData(), []byte{1, 2}) {
		t.Error("binaryData differs between the forms")
	}
}

// checkPayloadV3 decodes a v3 payload and verifies the decoder's
// invariants: every packet has a valid type, and the packets re-encoded
// (as text with base64, and as XHR2 binary) decode to the same packets.
func checkPayloadV3(t *testing.T, payload []byte, binaryPayload bool) {
	t.Helper()
	orig := bytes.Clone(payload)
	got, err := decodeAllV3(payload, binaryPayload)
	if !bytes.Equal(payload, orig) {
		t.Fatalf("decoder modified its input")
	}
	if err != nil && err != errBadPacket {
		t.Fatalf("payload %q: error %v, want errBadPacket", payload, err)
	}
	if len(got) == 0 {
		return
	}
	pkts := make([]*Packet, len(got))
	for i, d := range got {
		if d.typ > PacketNoop {
			t.Fatalf("payload %q: packet %d has type %d", payload, i, d.typ)
		}
		if d.binary {
			if d.typ != PacketMessage {
				t.Fatalf("payload %q: binary packet %d has type %d", payload, i, d.typ)
			}
			pkts[i] = NewBinaryMessage([]byte(d.data))
		} else {
			pkts[i] = NewPacket(d.typ, []byte(d.data))
		}
	}
	for _, supportsBinary := range []bool{false, true} {
		enc, isBinary := encodePayloadV3(nil, pkts, supportsBinary)
		again, err := decodeAllV3(enc, isBinary)
		// A packet that came base64-encoded with a type other than message
		// comes back as text; compare what both forms carry.
		if err != nil || len(again) != len(got) {
			t.Fatalf("payload %q: re-encoded as %q (binary %v): %v, %v", payload, enc, isBinary, again, err)
		}
		for i := range got {
			if again[i] != got[i] {
				t.Fatalf("payload %q: packet %d re-decoded as %v, want %v", payload, i, again[i], got[i])
			}
		}
	}
}

func FuzzDecodePayloadV3(f *testing.F) {
	seeds := []struct {
		payload string
		binary  bool
	}{
		{"6:4hello", false},
		{"6:4test16:4test26:4test3", false},
		{"6:4hello10:b4AQIDBA==", false},
		{"2:4é4:4a😀", false},
		{"0:1:6", false},
		{"abc", false},
		{"7:4hello", false},
		{"2:4😀", false},
		{"4:b4!!", false},
		{"1:2\xff", false},
		{string([]byte{0, 6, 255, '4', 'h', 'e', 'l', 'l', 'o', 1, 5, 255, 4, 1, 2, 3, 4}), true},
		{string([]byte{1, 1, 1, 255, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), true},
		{string([]byte{0, 1, 255, '2'}), true},
		{string([]byte{1, 5, 255, 4, 1}), true},
	}
	for i, s := range seeds {
		f.Add([]byte(s.payload), s.binary, uint(i))
	}
	f.Fuzz(func(t *testing.T, payload []byte, binaryPayload bool, split uint) {
		checkPayloadV3(t, payload, binaryPayload)
		// The same bytes cut anywhere and read as two separate payloads.
		i := int(split % uint(len(payload)+1))
		checkPayloadV3(t, payload[:i], binaryPayload)
		checkPayloadV3(t, payload[i:], binaryPayload)
	})
}

// --- sessions ------------------------------------------------------------

func pollQueryV3(sid string) string { return "EIO=3&transport=polling&sid=" + sid }

// openPollingV3 performs a v3 long-polling handshake, with extra query
// parameters (such as "&b64=1"), and returns the session ID.
func (ts *testServer) openPollingV3(t *testing.T, extra string) (string, *testHandler) {
	t.Helper()
	r := ts.mustDo(t, http.MethodGet, "EIO=3&transport=polling"+extra, nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("handshake: %d %q", r.status, r.body)
	}
	n, payload, ok := strings.Cut(r.body, ":")
	if !ok || n != strconv.Itoa(utf16Len([]byte(payload))) {
		t.Fatalf("handshake payload %q is not one v3 packet", r.body)
	}
	sid := parseOpen(t, payload)["sid"].(string)
	h := ts.handler(t, sid)
	if h.s.Protocol() != 3 {
		t.Fatalf("Protocol() = %d, want 3", h.s.Protocol())
	}
	return sid, h
}

func (ts *testServer) postV3(t *testing.T, sid, body string, contentType string) response {
	t.Helper()
	return ts.mustDo(t, http.MethodPost, pollQueryV3(sid), strings.NewReader(body), http.Header{"Content-Type": {contentType}})
}

func (ts *testServer) getV3(t *testing.T, sid string) response {
	t.Helper()
	return ts.mustDo(t, http.MethodGet, pollQueryV3(sid), nil, nil)
}

func TestEIO3RefusedByDefault(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	r := ts.mustDo(t, http.MethodGet, "EIO=3&transport=polling", nil, nil)
	if r.status != 400 || r.body != `{"code":5,"message":"Unsupported protocol version"}` {
		t.Errorf("polling handshake: %d %q", r.status, r.body)
	}
	_, res, err := ts.dial(t, "EIO=3&transport=websocket")
	if err == nil || res == nil || res.StatusCode != 400 {
		t.Errorf("websocket handshake: %v, %v", res, err)
	}
	if n := ts.srv.Count(); n != 0 {
		t.Errorf("%d sessions open", n)
	}
}

func TestEIO3OnlyVersion3(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{AllowEIO3: true})
	for _, q := range []string{"transport=polling", "EIO=abc&transport=polling", "EIO=2&transport=polling"} {
		if r := ts.mustDo(t, http.MethodGet, q, nil, nil); r.status != 400 {
			t.Errorf("?%s: %d %q, want 400", q, r.status, r.body)
		}
	}
}

func TestEIO3Polling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{AllowEIO3: true})
	t.Run("text and base64", func(t *testing.T) {
		sid, h := ts.openPollingV3(t, "&b64=1")
		if r := ts.postV3(t, sid, "6:4hello10:b4AQIDBA==", "text/plain;charset=UTF-8"); r.status != 200 || r.body != "ok" {
			t.Fatalf("POST: %d %q", r.status, r.body)
		}
		if m := h.waitMsg(t); m != (message{"hello", false}) {
			t.Errorf("first message %v", m)
		}
		if m := h.waitMsg(t); m != (message{"\x01\x02\x03\x04", true}) {
			t.Errorf("second message %v", m)
		}
		if r := ts.getV3(t, sid); r.body != "6:4hello10:b4AQIDBA==" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("GET: %q (%s)", r.body, r.header.Get("Content-Type"))
		}
	})
	t.Run("XHR2 binary", func(t *testing.T) {
		sid, h := ts.openPollingV3(t, "")
		body := string([]byte{0, 6, 255, '4', 'h', 'e', 'l', 'l', 'o', 1, 5, 255, 4, 1, 2, 3, 4})
		if r := ts.postV3(t, sid, body, "application/octet-stream"); r.status != 200 {
			t.Fatalf("POST: %d %q", r.status, r.body)
		}
		h.waitMsg(t)
		h.waitMsg(t)
		r := ts.getV3(t, sid)
		if r.body != body || r.header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("GET: %v (%s)", []byte(r.body), r.header.Get("Content-Type"))
		}
		// Without a binary message, the response is text.
		if r := ts.postV3(t, sid, "6:4hello", "text/plain;charset=UTF-8"); r.status != 200 {
			t.Fatalf("POST: %d %q", r.status, r.body)
		}
		if r := ts.getV3(t, sid); r.body != "6:4hello" {
			t.Errorf("GET: %q", r.body)
		}
	})
	t.Run("malformed payload closes", func(t *testing.T) {
		sid, h := ts.openPollingV3(t, "&b64=1")
		ts.do(http.MethodPost, pollQueryV3(sid), strings.NewReader("abc"), nil)
		h.expectClose(t, ReasonParseError, ErrParse)
		if r := ts.getV3(t, sid); r.status != 400 {
			t.Errorf("GET after: %d", r.status)
		}
	})
	t.Run("client close", func(t *testing.T) {
		sid, h := ts.openPollingV3(t, "&b64=1")
		get := ts.asyncGet(sid)
		ts.waitGetPending(t, sid)
		ts.postV3(t, sid, "1:1", "text/plain;charset=UTF-8")
		h.expectClose(t, ReasonTransportClose, nil)
		// asyncGet asks with EIO=4: the query's EIO only matters at the
		// handshake.
		if r := <-get; r.body != "1:6" {
			t.Errorf("pending GET: %q, want the v3 noop", r.body)
		}
	})
}

func TestEIO3PollingHeartbeat(t *testing.T) {
	t.Parallel()
	const interval, timeout = 100 * time.Millisecond, 200 * time.Millisecond
	ts := newTestServer(t, Config{AllowEIO3: true, PingInterval: interval, PingTimeout: timeout})
	sid, h := ts.openPollingV3(t, "&b64=1")
	// The client pings, for longer than interval+timeout in all; the server
	// answers each, and never pings itself.
	for i := 0; i < 4; i++ {
		if r := ts.postV3(t, sid, "1:2", "text/plain;charset=UTF-8"); r.status != 200 {
			t.Fatalf("ping %d: %d", i, r.status)
		}
		if r := ts.getV3(t, sid); r.body != "1:3" {
			t.Fatalf("poll %d: %q, want pong", i, r.body)
		}
		time.Sleep(interval)
	}
	h.noClose(t)
	lastPing := time.Now()
	ev := h.waitClose(t)
	if ev.reason != ReasonPingTimeout {
		t.Errorf("OnClose(%v, %v), want ping timeout", ev.reason, ev.err)
	}
	if d := ev.at.Sub(lastPing); d > interval+timeout+2*time.Second {
		t.Errorf("closed %v after the last ping, want about %v", d, interval+timeout)
	}
	if r := ts.postV3(t, sid, "1:2", "text/plain;charset=UTF-8"); r.status != 400 {
		t.Errorf("ping after the timeout: %d", r.status)
	}
}

func TestEIO3WebSocket(t *testing.T) {
	t.Parallel()
	const interval, timeout = 100 * time.Millisecond, 200 * time.Millisecond
	ts := newTestServer(t, Config{AllowEIO3: true, PingInterval: interval, PingTimeout: timeout})
	open := func(t *testing.T) (*websocket.Conn, *testHandler) {
		c, _, err := ts.dial(t, "EIO=3&transport=websocket")
		if err != nil {
			t.Fatal(err)
		}
		_, data := readWS(t, c)
		o := parseOpen(t, string(data))
		if up := toStrings(o["upgrades"]); len(up) != 0 {
			t.Errorf("upgrades %v", up)
		}
		return c, ts.handler(t, o["sid"].(string))
	}
	t.Run("binary frames carry the type byte", func(t *testing.T) {
		c, h := open(t)
		writeWS(t, c, websocket.BinaryMessage, "\x04\x01\x02")
		if m := h.waitMsg(t); m != (message{"\x01\x02", true}) {
			t.Errorf("message %v", m)
		}
		if op, data := readWS(t, c); op != websocket.BinaryMessage || string(data) != "\x04\x01\x02" {
			t.Errorf("echo: %d %v", op, data)
		}
		writeWS(t, c, websocket.TextMessage, "4hello")
		expectText(t, c, "4hello")
	})
	t.Run("pings answered, then ping timeout", func(t *testing.T) {
		c, h := open(t)
		for i := 0; i < 4; i++ {
			writeWS(t, c, websocket.TextMessage, "2")
			expectText(t, c, "3")
			time.Sleep(interval)
		}
		h.noClose(t)
		expectWSClose(t, c)
		h.expectClose(t, ReasonPingTimeout, nil)
	})
	t.Run("a pong from the client is an error", func(t *testing.T) {
		c, h := open(t)
		writeWS(t, c, websocket.TextMessage, "3")
		expectWSClose(t, c)
		h.expectClose(t, ReasonTransportError, ErrHeartbeatDirection)
	})
	t.Run("empty binary frame", func(t *testing.T) {
		c, h := open(t)
		writeWS(t, c, websocket.BinaryMessage, "")
		expectWSClose(t, c)
		h.expectClose(t, ReasonParseError, ErrParse)
	})
}

func TestEIO3Upgrade(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{AllowEIO3: true})
	sid, h := ts.openPollingV3(t, "&b64=1")
	c, _, err := ts.dial(t, "EIO=3&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	// The probe's roles are v4's: the client sends "2probe".
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")
	if r := ts.getV3(t, sid); r.body != "1:6" {
		t.Errorf("GET during the upgrade: %q", r.body)
	}
	writeWS(t, c, websocket.TextMessage, "5")
	writeWS(t, c, websocket.TextMessage, "4hello")
	expectText(t, c, "4hello")
	// A binary message queued to a v3 session that moved to websocket
	// carries the type byte.
	_ = h.s.Send(NewBinaryMessage([]byte{9}))
	if op, data := readWS(t, c); op != websocket.BinaryMessage || string(data) != "\x04\x09" {
		t.Errorf("binary: %d %v", op, data)
	}
	if r := ts.getV3(t, sid); r.status != 400 {
		t.Errorf("GET after the upgrade: %d", r.status)
	}
}

// A v4 session beside v3 ones is unchanged: the server pings it, a binary
// message has no type byte, and a ping from it is an error.
func TestEIO3BesideV4(t *testing.T) {
	t.Parallel()
	const interval = 50 * time.Millisecond
	ts := newTestServer(t, Config{AllowEIO3: true, PingInterval: interval, PingTimeout: time.Second})
	_, _ = ts.openPollingV3(t, "")
	c, _, h := ts.openWS(t)
	if h.s.Protocol() != 4 {
		t.Errorf("Protocol() = %d, want 4", h.s.Protocol())
	}
	expectText(t, c, "2")
	writeWS(t, c, websocket.TextMessage, "3")
	writeWS(t, c, websocket.BinaryMessage, "\x01\x02")
	for {
		op, data := readWS(t, c)
		if op == websocket.TextMessage && string(data) == "2" {
			writeWS(t, c, websocket.TextMessage, "3")
			continue
		}
		if op != websocket.BinaryMessage || string(data) != "\x01\x02" {
			t.Errorf("echo: %d %v", op, data)
		}
		break
	}
	writeWS(t, c, websocket.TextMessage, "2")
	expectWSClose(t, c)
	h.expectClose(t, ReasonTransportError, ErrHeartbeatDirection)
}

package engine

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestHandshakePolling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling&t=abc", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d %q", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if sc := r.header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("Set-Cookie %q without the Cookie option", sc)
	}
	open := parseOpen(t, r.body)
	if got := open["upgrades"]; !slices.Equal(toStrings(got), []string{"websocket"}) {
		t.Errorf("upgrades = %v, want [websocket]", got)
	}
	if open["pingInterval"] != 300.0 || open["pingTimeout"] != 200.0 || open["maxPayload"] != 1e6 {
		t.Errorf("pingInterval=%v pingTimeout=%v maxPayload=%v, want 300 200 1000000", open["pingInterval"], open["pingTimeout"], open["maxPayload"])
	}
	sid := open["sid"].(string)
	if ts.srv.Session(sid) == nil || ts.srv.Session(sid).ID() != sid {
		t.Errorf("Server.Session(%q) does not find the session", sid)
	}
	if s := ts.srv.Session(sid); s != nil && s.Transport() != TransportPolling {
		t.Errorf("Transport() = %q", s.Transport())
	}
	// Every handshake gets its own sid.
	sid2, _ := ts.openPolling(t)
	if sid2 == sid {
		t.Errorf("two handshakes got the same sid %q", sid)
	}
}

func TestHandshakeWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond, MaxHTTPBufferSize: 5000})
	c, res, err := ts.dial(t, "EIO=4&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", res.StatusCode)
	}
	_, data := readWS(t, c)
	open := parseOpen(t, string(data))
	if got := open["upgrades"]; got == nil || len(toStrings(got)) != 0 {
		t.Errorf("upgrades = %v, want []", got)
	}
	if open["pingInterval"] != 300.0 || open["pingTimeout"] != 200.0 || open["maxPayload"] != 5000.0 {
		t.Errorf("pingInterval=%v pingTimeout=%v maxPayload=%v", open["pingInterval"], open["pingTimeout"], open["maxPayload"])
	}
	if s := ts.srv.Session(open["sid"].(string)); s == nil || s.Transport() != TransportWebSocket {
		t.Errorf("session not found or not on websocket")
	}
}

func TestHandshakeUpgradesOption(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"DisallowUpgrades": {DisallowUpgrades: true},
		"polling only":     {Transports: []string{TransportPolling}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, cfg)
			r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil)
			if got := parseOpen(t, r.body)["upgrades"]; got == nil || len(toStrings(got)) != 0 {
				t.Errorf("upgrades = %v, want []", got)
			}
		})
	}
}

func TestHandshakeInitialPacket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{InitialPacket: []byte("hello")})
	r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil)
	open, rest, ok := strings.Cut(r.body, "\x1e")
	if !ok || rest != "4hello" {
		t.Fatalf("handshake body %q, want open packet then 4hello", r.body)
	}
	parseOpen(t, open)

	c, _, _ := ts.openClient(t)
	if got := c.MustReadText(t); got != "4hello" {
		t.Errorf("websocket: %q after the open packet, want 4hello", got)
	}
}

// --- errors --------------------------------------------------------------

func TestErrorResponses(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	reported := map[string]*RequestError{}
	ts := newTestServer(t, Config{
		AllowRequest: func(r *http.Request) error {
			if msg, ok := r.URL.Query()["deny"]; ok {
				return errors.New(msg[0])
			}
			return nil
		},
		OnConnectionError: func(r *http.Request, err *RequestError) {
			mu.Lock()
			reported[r.URL.Query().Get("case")] = err
			mu.Unlock()
		},
	})
	sid, _ := ts.openPolling(t)

	tests := []struct {
		name    string
		method  string
		q       string
		status  int
		code    ErrorCode
		msg     string
		context string
	}{
		{"missing EIO", "GET", "transport=polling", 400, 5, "Unsupported protocol version", ""},
		{"EIO 3", "GET", "EIO=3&transport=polling", 400, 5, "Unsupported protocol version", ""},
		{"EIO abc", "GET", "EIO=abc&transport=polling", 400, 5, "Unsupported protocol version", ""},
		{"EIO empty", "GET", "EIO=&transport=polling", 400, 5, "Unsupported protocol version", ""},
		{"missing transport", "GET", "EIO=4", 400, 0, "Transport unknown", ""},
		{"unknown transport", "GET", "EIO=4&transport=tobi", 400, 0, "Transport unknown", ""},
		{"webtransport", "GET", "EIO=4&transport=webtransport", 400, 0, "Transport unknown", ""},
		{"unknown sid", "GET", "EIO=4&transport=polling&sid=nope", 400, 1, "Session ID unknown", ""},
		{"unknown sid POST", "POST", "EIO=4&transport=polling&sid=nope", 400, 1, "Session ID unknown", ""},
		{"POST handshake", "POST", "EIO=4&transport=polling", 400, 2, "Bad handshake method", ""},
		{"PUT handshake", "PUT", "EIO=4&transport=polling", 400, 2, "Bad handshake method", ""},
		{"OPTIONS without CORS", "OPTIONS", "EIO=4&transport=polling", 400, 2, "Bad handshake method", ""},
		{"websocket without upgrade", "GET", "EIO=4&transport=websocket", 400, 3, "Bad request", "TRANSPORT_HANDSHAKE_ERROR"},
		{"websocket sid without upgrade", "GET", "EIO=4&transport=websocket&sid=" + sid, 400, 3, "Bad request", "TRANSPORT_MISMATCH"},
		{"AllowRequest refuses", "GET", "EIO=4&transport=polling&deny=custom+deny+message", 403, 4, "custom deny message", ""},
		{"AllowRequest refuses without text", "GET", "EIO=4&transport=polling&deny=", 403, 4, "Forbidden", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ts.mustDo(t, tt.method, tt.q+"&case="+strings.ReplaceAll(tt.name, " ", "_"), nil, nil)
			if r.status != tt.status {
				t.Errorf("status %d, want %d", r.status, tt.status)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			want, _ := json.Marshal(map[string]any{"code": tt.code, "message": tt.msg})
			if r.body != string(want) {
				t.Errorf("body %s, want %s", r.body, want)
			}
			mu.Lock()
			rep := reported[strings.ReplaceAll(tt.name, " ", "_")]
			mu.Unlock()
			if rep == nil {
				t.Fatalf("OnConnectionError not called")
			}
			if rep.Code != tt.code || rep.Message != tt.msg || tt.context != "" && rep.Context != tt.context {
				t.Errorf("OnConnectionError got %+v, want code %d message %q context %q", rep, tt.code, tt.msg, tt.context)
			}
		})
	}
}

func TestErrorResponsesWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{
		AllowRequest: func(r *http.Request) error {
			if r.URL.Query().Has("deny") {
				return errors.New("custom deny message")
			}
			return nil
		},
	})
	sid, _ := ts.openPolling(t)
	tests := []struct {
		name string
		q    string
		msg  string
	}{
		{"missing EIO", "transport=websocket", "Unsupported protocol version"},
		{"EIO 3", "EIO=3&transport=websocket", "Unsupported protocol version"},
		{"missing transport", "EIO=4", "Transport unknown"},
		{"unknown transport", "EIO=4&transport=tobi", "Transport unknown"},
		{"unknown sid", "EIO=4&transport=websocket&sid=nope", "Session ID unknown"},
		{"transport mismatch", "EIO=4&transport=polling&sid=" + sid, "Bad request"},
		{"AllowRequest refuses", "EIO=4&transport=websocket&deny", "custom deny message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, res, err := ts.dial(t, tt.q)
			if err == nil {
				t.Fatalf("websocket handshake succeeded")
			}
			if c != nil || res == nil {
				t.Fatalf("dial: %v", err)
			}
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusBadRequest || string(body) != tt.msg {
				t.Errorf("got %d %q, want 400 %q", res.StatusCode, body, tt.msg)
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/html" {
				t.Errorf("Content-Type %q, want text/html", ct)
			}
		})
	}
}

func TestUnsupportedMethodWithSID(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	r := ts.mustDo(t, http.MethodPut, pollQuery(sid), strings.NewReader("4x"), nil)
	if r.status != http.StatusInternalServerError {
		t.Errorf("PUT with a sid: status %d, want 500", r.status)
	}
	h.noClose(t)
}

// --- CORS and cookie -----------------------------------------------------

func TestCORS(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{CORS: &CORS{Origins: []string{"https://example.com"}, AllowCredentials: true}})
	hdr := http.Header{
		"Origin":                         {"https://example.com"},
		"Access-Control-Request-Method":  {"POST"},
		"Access-Control-Request-Headers": {"content-type,x-custom"},
	}
	r := ts.mustDo(t, http.MethodOptions, "EIO=4&transport=polling", nil, hdr)
	if r.status != http.StatusNoContent || r.body != "" {
		t.Fatalf("preflight: %d %q, want 204 and no body", r.status, r.body)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://example.com",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET,HEAD,PUT,PATCH,POST,DELETE",
		"Access-Control-Allow-Headers":     "content-type,x-custom",
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}
	vary := strings.Join(r.header.Values("Vary"), ", ")
	if !strings.Contains(vary, "Origin") || !strings.Contains(vary, "Access-Control-Request-Headers") {
		t.Errorf("preflight Vary = %q", vary)
	}

	// The handshake and later requests carry the CORS headers too.
	r = ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, http.Header{"Origin": {"https://example.com"}})
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "https://example.com" || r.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("handshake: %d, CORS headers %v", r.status, r.header)
	}
	// An origin that is not allowed gets no Access-Control-Allow-Origin.
	r = ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, http.Header{"Origin": {"https://evil.example"}})
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("disallowed origin got Access-Control-Allow-Origin %q", got)
	}
	// An error response carries them as well.
	r = ts.mustDo(t, http.MethodGet, "EIO=3&transport=polling", nil, http.Header{"Origin": {"https://example.com"}})
	if r.status != 400 || r.header.Get("Access-Control-Allow-Origin") != "https://example.com" {
		t.Errorf("error response: %d, CORS headers %v", r.status, r.header)
	}
}

func TestCORSWildcard(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{CORS: &CORS{Origins: []string{"*"}}})
	r := ts.mustDo(t, http.MethodOptions, "EIO=4&transport=polling", nil, http.Header{"Origin": {"https://a.example"}})
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d, Access-Control-Allow-Origin %q", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
}

func TestCookie(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{Cookie: &Cookie{}})
	r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil)
	sid := parseOpen(t, r.body)["sid"].(string)
	if got := r.header.Values("Set-Cookie"); !slices.Equal(got, []string{"io=" + sid + "; Path=/; HttpOnly; SameSite=Lax"}) {
		t.Errorf("handshake Set-Cookie %q", got)
	}
	// Only the handshake sets it.
	ts.post(t, sid, "4x")
	r = ts.get(t, sid)
	if got := r.header.Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("GET Set-Cookie %q", got)
	}
	// A websocket-only handshake gets none.
	c, res, err := ts.dial(t, "EIO=4&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Header.Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("websocket handshake Set-Cookie %q", got)
	}
	_, data := readWS(t, c)
	parseOpen(t, string(data))
}

// --- long-polling --------------------------------------------------------

func TestWebSocketMalformedUpgrade(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	for _, q := range []string{"EIO=4&transport=websocket", "EIO=4&transport=websocket&sid=" + sid} {
		// An upgrade request gorilla refuses (no Sec-WebSocket-Key): the
		// reference (ws) answers 400 Bad Request.
		hdr := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"}}
		if r := ts.mustDo(t, http.MethodGet, q, nil, hdr); r.status != http.StatusBadRequest {
			t.Errorf("?%s without Sec-WebSocket-Key: %d %q, want 400", q, r.status, r.body)
		}
		hdr = http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"7"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}
		if r := ts.mustDo(t, http.MethodGet, q, nil, hdr); r.status != http.StatusBadRequest {
			t.Errorf("?%s with Sec-WebSocket-Version 7: %d %q, want 400", q, r.status, r.body)
		}
	}
	if n := ts.srv.Count(); n != 1 {
		t.Errorf("Count() = %d, want 1", n)
	}
	h.noClose(t)
}

func TestHeaderHooks(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{
		InitialHeaders: func(h http.Header, r *http.Request) { h.Set("X-Initial", "1") },
		Headers:        func(h http.Header, r *http.Request) { h.Set("X-Every", "1") },
	})
	r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil)
	if r.header.Get("X-Initial") != "1" || r.header.Get("X-Every") != "1" {
		t.Errorf("handshake headers %v", r.header)
	}
	sid := parseOpen(t, r.body)["sid"].(string)
	r = ts.post(t, sid, "4x")
	if r.header.Get("X-Initial") != "" || r.header.Get("X-Every") != "1" {
		t.Errorf("POST headers %v", r.header)
	}
	c, res, err := ts.dial(t, "EIO=4&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Get("X-Initial") != "1" || res.Header.Get("X-Every") != "1" {
		t.Errorf("websocket handshake headers %v", res.Header)
	}
	// Wait for the session to be set up before the test ends: see
	// TestCloseDuringOnConnection.
	_, data := readWS(t, c)
	parseOpen(t, string(data))
}

func TestCORSWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{CORS: &CORS{Origins: []string{"https://example.com"}, AllowCredentials: true}})
	d := websocket.Dialer{HandshakeTimeout: waitTimeout}
	c, res, err := d.Dial(ts.wsURL+"?EIO=4&transport=websocket", http.Header{"Origin": {"https://example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "https://example.com" {
		t.Errorf("101 Access-Control-Allow-Origin %q", got)
	}
	_, data := readWS(t, c)
	parseOpen(t, string(data))
}

func TestWebSocketOnlyTransport(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{Transports: []string{TransportWebSocket}})
	r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil)
	if r.status != 400 || r.body != `{"code":0,"message":"Transport unknown"}` {
		t.Errorf("polling handshake: %d %q", r.status, r.body)
	}
	c, _, _ := ts.openClient(t)
	c.MustSend(t, "4ok")
	if got := c.MustReadText(t); got != "4ok" {
		t.Errorf("echo %q", got)
	}
}

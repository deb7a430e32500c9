package engine

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait for an event; reaching it fails the test.
const waitTimeout = 10 * time.Second

// --- handler -------------------------------------------------------------

type message struct {
	data   string
	binary bool
}

type closeEvent struct {
	reason CloseReason
	err    error
	at     time.Time
}

// testHandler echoes every message back (text as text, binary as binary),
// like the conformance server, and reports messages and closes on channels.
type testHandler struct {
	s      *Session
	echo   bool
	onMsg  func(data []byte, binary bool) // called first, if set
	msgs   chan message
	closed chan closeEvent
	closes atomic.Int32
}

func (h *testHandler) OnMessage(data []byte, binary bool) {
	if h.onMsg != nil {
		h.onMsg(data, binary)
	}
	if h.echo {
		if binary {
			_ = h.s.Send(NewBinaryMessage(data))
		} else {
			_ = h.s.Send(NewPacket(PacketMessage, data))
		}
	}
	select {
	case h.msgs <- message{string(data), binary}:
	default:
	}
}

func (h *testHandler) OnClose(reason CloseReason, err error) {
	h.closes.Add(1)
	select {
	case h.closed <- closeEvent{reason, err, time.Now()}:
	default:
	}
}

// waitClose waits for OnClose and returns its arguments.
func (h *testHandler) waitClose(t *testing.T) closeEvent {
	t.Helper()
	select {
	case ev := <-h.closed:
		return ev
	case <-time.After(waitTimeout):
		t.Fatalf("session %s: OnClose not called within %v", h.s.ID(), waitTimeout)
		return closeEvent{}
	}
}

// expectClose waits for OnClose with reason and an error matching err
// (errors.Is; nil means no error).
func (h *testHandler) expectClose(t *testing.T, reason CloseReason, err error) {
	t.Helper()
	ev := h.waitClose(t)
	if ev.reason != reason {
		t.Errorf("OnClose reason = %v (%v), want %v", ev.reason, ev.err, reason)
	}
	if err == nil && ev.err != nil || err != nil && !errors.Is(ev.err, err) {
		t.Errorf("OnClose error = %v, want %v", ev.err, err)
	}
}

// waitMsg waits for the next message delivered to the handler.
func (h *testHandler) waitMsg(t *testing.T) message {
	t.Helper()
	select {
	case m := <-h.msgs:
		return m
	case <-time.After(waitTimeout):
		t.Fatalf("session %s: no message within %v", h.s.ID(), waitTimeout)
		return message{}
	}
}

// noClose fails if OnClose has been called.
func (h *testHandler) noClose(t *testing.T) {
	t.Helper()
	if n := h.closes.Load(); n != 0 {
		t.Fatalf("session %s closed unexpectedly (%d OnClose calls)", h.s.ID(), n)
	}
}

// --- server --------------------------------------------------------------

type testServer struct {
	srv      *Server
	ts       *httptest.Server
	client   *http.Client
	url      string // http://host/engine.io/
	wsURL    string // ws://host/engine.io/
	mu       sync.Mutex
	handlers map[string]*testHandler
}

// newTestServer starts an engine server with an echo handler behind an
// httptest server; both are closed when the test ends. Unless the test sets
// them, heartbeats are too slow to show up in a test. Each option is applied
// to every new session's handler.
func newTestServer(t *testing.T, cfg Config, opts ...func(*testHandler)) *testServer {
	t.Helper()
	if cfg.PingInterval == 0 {
		cfg.PingInterval = time.Minute
	}
	if cfg.PingTimeout == 0 {
		cfg.PingTimeout = time.Minute
	}
	tsrv := &testServer{handlers: make(map[string]*testHandler)}
	cfg.OnConnection = func(s *Session) Handler {
		h := &testHandler{s: s, echo: true, msgs: make(chan message, 1024), closed: make(chan closeEvent, 8)}
		for _, o := range opts {
			o(h)
		}
		tsrv.mu.Lock()
		tsrv.handlers[s.ID()] = h
		tsrv.mu.Unlock()
		return h
	}
	tsrv.srv = NewServer(cfg)
	tsrv.ts = httptest.NewServer(tsrv.srv)
	tsrv.client = tsrv.ts.Client()
	tsrv.url = tsrv.ts.URL + "/engine.io/"
	tsrv.wsURL = "ws" + strings.TrimPrefix(tsrv.ts.URL, "http") + "/engine.io/"
	t.Cleanup(func() {
		// Close the sessions first: it ends pending GETs, which
		// httptest.Server.Close waits for.
		_ = tsrv.srv.Close()
		tsrv.ts.Close()
	})
	return tsrv
}

// handler returns the handler of session sid.
func (ts *testServer) handler(t *testing.T, sid string) *testHandler {
	t.Helper()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	h := ts.handlers[sid]
	if h == nil {
		t.Fatalf("no handler for session %q", sid)
	}
	return h
}

type response struct {
	status int
	header http.Header
	body   string
	err    error
}

// do sends one HTTP request to the engine path with the query string q.
func (ts *testServer) do(method, q string, body io.Reader, hdr http.Header) response {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, ts.url+"?"+q, body)
	if err != nil {
		return response{err: err}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := ts.client.Do(req)
	if err != nil {
		return response{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b), err: err}
}

func (ts *testServer) mustDo(t *testing.T, method, q string, body io.Reader, hdr http.Header) response {
	t.Helper()
	r := ts.do(method, q, body, hdr)
	if r.err != nil {
		t.Fatalf("%s ?%s: %v", method, q, r.err)
	}
	return r
}

func pollQuery(sid string) string { return "EIO=4&transport=polling&sid=" + sid }

// get sends a long-polling GET for sid.
func (ts *testServer) get(t *testing.T, sid string) response {
	t.Helper()
	return ts.mustDo(t, http.MethodGet, pollQuery(sid), nil, nil)
}

// post sends a long-polling POST for sid.
func (ts *testServer) post(t *testing.T, sid, body string) response {
	t.Helper()
	return ts.mustDo(t, http.MethodPost, pollQuery(sid), strings.NewReader(body), http.Header{"Content-Type": {"text/plain;charset=UTF-8"}})
}

// asyncGet starts a long-polling GET and returns where its response will
// arrive. The request is bounded by waitTimeout.
func (ts *testServer) asyncGet(sid string) <-chan response {
	ch := make(chan response, 1)
	go func() { ch <- ts.do(http.MethodGet, pollQuery(sid), nil, nil) }()
	return ch
}

func awaitResponse(t *testing.T, ch <-chan response) response {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("request failed: %v", r.err)
		}
		return r
	case <-time.After(waitTimeout + time.Second):
		t.Fatal("no response")
		return response{}
	}
}

// waitFor polls cond, for conditions no event announces (such as a GET
// being parked in the server), and fails the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitGetPending waits until a long-polling GET of sid is parked.
func (ts *testServer) waitGetPending(t *testing.T, sid string) {
	t.Helper()
	s := ts.srv.Session(sid)
	if s == nil {
		t.Fatalf("no session %s", sid)
	}
	waitFor(t, "a pending GET", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.getActive
	})
}

var sidRE = regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)

// parseOpen checks an open packet and returns its JSON fields.
func parseOpen(t *testing.T, payload string) map[string]any {
	t.Helper()
	if !strings.HasPrefix(payload, "0{") {
		t.Fatalf("open packet = %q", payload)
	}
	var open map[string]any
	if err := json.Unmarshal([]byte(payload[1:]), &open); err != nil {
		t.Fatalf("open packet %q: %v", payload, err)
	}
	keys := make([]string, 0, len(open))
	for k := range open {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"}; !slices.Equal(keys, want) {
		t.Fatalf("open packet keys %v, want %v", keys, want)
	}
	sid, _ := open["sid"].(string)
	if !sidRE.MatchString(sid) {
		t.Fatalf("sid %q is not 20 URL-safe characters", sid)
	}
	return open
}

// openPolling performs a long-polling handshake.
func (ts *testServer) openPolling(t *testing.T) (string, *testHandler) {
	t.Helper()
	r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("handshake: %d %q", r.status, r.body)
	}
	sid := parseOpen(t, r.body)["sid"].(string)
	return sid, ts.handler(t, sid)
}

// dial opens a websocket to the engine path with the query string q. The
// connection is closed when the test ends.
func (ts *testServer) dial(t *testing.T, q string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: waitTimeout}
	c, res, err := d.Dial(ts.wsURL+"?"+q, nil)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, res, err
}

// openWS performs a websocket handshake and reads the open packet.
func (ts *testServer) openWS(t *testing.T) (*websocket.Conn, string, *testHandler) {
	t.Helper()
	c, _, err := ts.dial(t, "EIO=4&transport=websocket")
	if err != nil {
		t.Fatalf("websocket handshake: %v", err)
	}
	op, data := readWS(t, c)
	if op != websocket.TextMessage {
		t.Fatalf("first frame has opcode %d", op)
	}
	open := parseOpen(t, string(data))
	sid := open["sid"].(string)
	return c, sid, ts.handler(t, sid)
}

// readWS reads one message, failing the test on error or after waitTimeout.
func readWS(t *testing.T, c *websocket.Conn) (int, []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	op, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("websocket read: %v", err)
	}
	return op, data
}

func expectText(t *testing.T, c *websocket.Conn, want string) {
	t.Helper()
	op, data := readWS(t, c)
	if op != websocket.TextMessage || string(data) != want {
		t.Fatalf("websocket read: opcode %d %q, want text %q", op, data, want)
	}
}

// expectWSClose reads until the connection fails and returns the close
// code, or -1 if it ended without a close frame.
func expectWSClose(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	return expectWSCloseWithin(t, c, waitTimeout)
}

// expectWSCloseWithin is expectWSClose with a bound of d.
func expectWSCloseWithin(t *testing.T, c *websocket.Conn, d time.Duration) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	op, data, err := c.ReadMessage()
	if err == nil {
		t.Fatalf("got opcode %d (%d bytes: %.40q), want the connection to close", op, len(data), data)
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", d)
	}
	return -1
}

func writeWS(t *testing.T, c *websocket.Conn, op int, data string) {
	t.Helper()
	_ = c.SetWriteDeadline(time.Now().Add(waitTimeout))
	if err := c.WriteMessage(op, []byte(data)); err != nil {
		t.Fatalf("websocket write: %v", err)
	}
}

// --- handshake -----------------------------------------------------------

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

func toStrings(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := []string{}
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
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

	c, _, _ := ts.openWS(t)
	expectText(t, c, "4hello")
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

func TestPollingEcho(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	for _, payload := range []string{
		"4hello",
		"4test1\x1e4test2\x1e4test3",
		"4hello\x1ebAQIDBA==",
		"bAQIDBA==\x1eb\x1e4€",
	} {
		sid, h := ts.openPolling(t)
		r := ts.post(t, sid, payload)
		if r.status != 200 || r.body != "ok" {
			t.Fatalf("POST %q: %d %q", payload, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "text/html" {
			t.Errorf("POST Content-Type %q", ct)
		}
		r = ts.get(t, sid)
		if r.status != 200 || r.body != payload {
			t.Errorf("GET after POST %q: %d %q", payload, r.status, r.body)
		}
		h.noClose(t)
	}
}

func TestPollingDeliversInOrder(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	h.echo = false
	ts.post(t, sid, "4a\x1ebAQ==\x1e4c")
	for _, want := range []message{{"a", false}, {"\x01", true}, {"c", false}} {
		if got := h.waitMsg(t); got != want {
			t.Errorf("OnMessage %+v, want %+v", got, want)
		}
	}
}

func TestPollingPendingGetReceivesSend(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, _ := ts.openPolling(t)
	ch := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)
	if err := ts.srv.Session(sid).Send(NewPacket(PacketMessage, []byte("pushed"))); err != nil {
		t.Fatal(err)
	}
	if r := awaitResponse(t, ch); r.status != 200 || r.body != "4pushed" {
		t.Errorf("pending GET: %d %q", r.status, r.body)
	}
}

func TestPollingPayloadTooLarge(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxHTTPBufferSize: 100})
	sid, h := ts.openPolling(t)
	big := "4" + strings.Repeat("x", 100) // 101 bytes
	if r := ts.post(t, sid, big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("POST of %d bytes: %d, want 413", len(big), r.status)
	}
	// Without a Content-Length (chunked), the limit holds as well.
	body := io.MultiReader(strings.NewReader(big[:50]), strings.NewReader(big[50:]))
	if r := ts.mustDo(t, http.MethodPost, pollQuery(sid), body, nil); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked POST of %d bytes: %d, want 413", len(big), r.status)
	}
	// Exactly at the limit is fine, and the session still works.
	exact := "4" + strings.Repeat("y", 99)
	if r := ts.post(t, sid, exact); r.status != 200 || r.body != "ok" {
		t.Errorf("POST of 100 bytes: %d %q", r.status, r.body)
	}
	if r := ts.get(t, sid); r.status != 200 || r.body != exact {
		t.Errorf("GET: %d %q", r.status, r.body)
	}
	h.noClose(t)
}

func TestPollingOctetStreamRefused(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	r := ts.mustDo(t, http.MethodPost, pollQuery(sid), strings.NewReader("4hello"), http.Header{"Content-Type": {"application/octet-stream"}})
	if r.status != http.StatusBadRequest {
		t.Errorf("POST application/octet-stream: %d, want 400", r.status)
	}
	h.expectClose(t, ReasonTransportError, ErrInvalidContent)
	if r := ts.get(t, sid); r.status != 400 || !strings.Contains(r.body, `"code":1`) {
		t.Errorf("GET after close: %d %q, want 400 code 1", r.status, r.body)
	}
}

func TestPollingDuplicateGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	first := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)
	if r := ts.get(t, sid); r.status != http.StatusBadRequest {
		t.Errorf("second GET: %d, want 400", r.status)
	}
	if r := awaitResponse(t, first); r.status != 200 || r.body != "1" {
		t.Errorf("first GET: %d %q, want 200 \"1\"", r.status, r.body)
	}
	h.expectClose(t, ReasonTransportError, ErrPollOverlap)
	if r := ts.get(t, sid); r.status != 400 {
		t.Errorf("GET after close: %d %q, want 400", r.status, r.body)
	}
	if ts.srv.Session(sid) != nil {
		t.Errorf("session still registered")
	}
}

func TestPollingInvalidPacket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	for _, payload := range []string{"abc", "4ok\x1e9bad", "b!!!"} {
		sid, h := ts.openPolling(t)
		if r := ts.post(t, sid, payload); r.status != 200 {
			// Like the reference, the POST itself is answered "ok".
			t.Errorf("POST %q: %d %q", payload, r.status, r.body)
		}
		h.expectClose(t, ReasonParseError, ErrParse)
		if r := ts.get(t, sid); r.status != 400 {
			t.Errorf("GET after invalid POST %q: %d %q, want 400", payload, r.status, r.body)
		}
	}
}

func TestPollingClientCloseWithPendingGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)
	if r := ts.post(t, sid, "1"); r.status != 200 {
		t.Errorf("POST close: %d %q", r.status, r.body)
	}
	if r := awaitResponse(t, pending); r.status != 200 || r.body != "6" {
		t.Errorf("pending GET: %d %q, want 200 \"6\"", r.status, r.body)
	}
	h.expectClose(t, ReasonTransportClose, nil)
	if r := ts.get(t, sid); r.status != 400 {
		t.Errorf("GET after close: %d %q, want 400", r.status, r.body)
	}
}

func TestPollingClientCloseWithoutPendingGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	ts.post(t, sid, "1")
	h.expectClose(t, ReasonTransportClose, nil)
	// A GET already on its way gets its noop, then the session is gone.
	if r := ts.get(t, sid); r.status != 200 || r.body != "6" {
		t.Errorf("GET right after close: %d %q, want 200 \"6\"", r.status, r.body)
	}
	if r := ts.get(t, sid); r.status != 400 {
		t.Errorf("second GET after close: %d %q, want 400", r.status, r.body)
	}
}

func TestPollingAbortedGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.url+"?"+pollQuery(sid), nil)
	done := make(chan error, 1)
	go func() {
		res, err := ts.client.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	ts.waitGetPending(t, sid)
	cancel()
	<-done
	h.expectClose(t, ReasonTransportError, ErrPollAborted)
	if r := ts.get(t, sid); r.status != 400 {
		t.Errorf("GET after cancelled GET: %d %q, want 400", r.status, r.body)
	}
}

func TestPollingCompression(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	big := "4" + strings.Repeat("abcdefgh", 200) // 1601 bytes
	tests := []struct {
		accept string
		want   string // Content-Encoding
	}{
		{"gzip", "gzip"},
		{"gzip, deflate, br", "gzip"},
		{"deflate", "deflate"},
		{"gzip;q=0, deflate", "deflate"},
		{"identity", ""},
		{"", ""},
	}
	for _, tt := range tests {
		sid, _ := ts.openPolling(t)
		ts.post(t, sid, big)
		hdr := http.Header{}
		if tt.accept != "" {
			hdr.Set("Accept-Encoding", tt.accept)
		} else {
			// The transport would add gzip itself; ask for nothing.
			hdr.Set("Accept-Encoding", "")
		}
		r := ts.mustDo(t, http.MethodGet, pollQuery(sid), nil, hdr)
		if got := r.header.Get("Content-Encoding"); got != tt.want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.want)
			continue
		}
		body := r.body
		switch tt.want {
		case "gzip":
			zr, err := gzip.NewReader(strings.NewReader(r.body))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			body = string(b)
		case "deflate":
			b, err := io.ReadAll(flate.NewReader(strings.NewReader(r.body)))
			if err != nil {
				t.Fatal(err)
			}
			body = string(b)
		}
		if body != big {
			t.Errorf("Accept-Encoding %q: body of %d bytes, want the %d-byte echo", tt.accept, len(body), len(big))
		}
	}

	// Below the threshold nothing is compressed.
	sid, _ := ts.openPolling(t)
	ts.post(t, sid, "4small")
	r := ts.mustDo(t, http.MethodGet, pollQuery(sid), nil, http.Header{"Accept-Encoding": {"gzip"}})
	if r.header.Get("Content-Encoding") != "" || r.body != "4small" {
		t.Errorf("small response: Content-Encoding %q body %q", r.header.Get("Content-Encoding"), r.body)
	}
}

func TestPollingCompressionDisabled(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{DisableHTTPCompression: true})
	sid, _ := ts.openPolling(t)
	big := "4" + strings.Repeat("x", 4000)
	ts.post(t, sid, big)
	r := ts.mustDo(t, http.MethodGet, pollQuery(sid), nil, http.Header{"Accept-Encoding": {"gzip"}})
	if r.header.Get("Content-Encoding") != "" || r.body != big {
		t.Errorf("Content-Encoding %q, body of %d bytes", r.header.Get("Content-Encoding"), len(r.body))
	}
}

func TestPollingHeartbeat(t *testing.T) {
	t.Parallel()
	const interval, timeout = 100 * time.Millisecond, time.Second
	ts := newTestServer(t, Config{PingInterval: interval, PingTimeout: timeout})
	sid, h := ts.openPolling(t)
	var lastPong time.Time
	for i := 0; i < 3; i++ {
		if r := ts.get(t, sid); r.status != 200 || r.body != "2" {
			t.Fatalf("poll %d: %d %q, want ping", i, r.status, r.body)
		}
		lastPong = time.Now()
		if r := ts.post(t, sid, "3"); r.status != 200 {
			t.Fatalf("pong %d: %d", i, r.status)
		}
	}
	h.noClose(t)
	// Silence: the session closes with "ping timeout", interval+timeout
	// after the last pong reached the server (which is after lastPong).
	start := lastPong
	ev := h.waitClose(t)
	if ev.reason != ReasonPingTimeout || ev.err != nil {
		t.Errorf("OnClose(%v, %v), want ping timeout", ev.reason, ev.err)
	}
	if d := ev.at.Sub(start); d < interval+timeout || d > interval+timeout+2*time.Second {
		t.Errorf("closed %v after the last pong, want about %v", d, interval+timeout)
	}
	if r := ts.get(t, sid); r.status != 400 {
		t.Errorf("GET after ping timeout: %d %q", r.status, r.body)
	}
}

// --- websocket -----------------------------------------------------------

func TestWebSocketEcho(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openWS(t)
	writeWS(t, c, websocket.TextMessage, "4hello")
	expectText(t, c, "4hello")
	writeWS(t, c, websocket.TextMessage, "4€ unicode")
	expectText(t, c, "4€ unicode")
	writeWS(t, c, websocket.BinaryMessage, "\x01\x02\x03\x04")
	op, data := readWS(t, c)
	if op != websocket.BinaryMessage || !bytes.Equal(data, []byte{1, 2, 3, 4}) {
		t.Errorf("binary echo: opcode %d % x", op, data)
	}
	// Large messages use the 16- and 64-bit length encodings.
	for _, n := range []int{125, 126, 65535, 70000} {
		payload := "4" + strings.Repeat("z", n-1)
		writeWS(t, c, websocket.TextMessage, payload)
		expectText(t, c, payload)
	}
	writeWS(t, c, websocket.BinaryMessage, "")
	if op, data := readWS(t, c); op != websocket.BinaryMessage || len(data) != 0 {
		t.Errorf("empty binary echo: opcode %d % x", op, data)
	}
	h.noClose(t)
	got := []message{h.waitMsg(t), h.waitMsg(t), h.waitMsg(t)}
	want := []message{{"hello", false}, {"€ unicode", false}, {"\x01\x02\x03\x04", true}}
	if !slices.Equal(got, want) {
		t.Errorf("OnMessage got %+v, want %+v", got, want)
	}
}

func TestWebSocketClientClose(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openWS(t)
	c.Close()
	// The description is the read error; only the reason is specified.
	if ev := h.waitClose(t); ev.reason != ReasonTransportClose {
		t.Errorf("OnClose(%v, %v), want transport close", ev.reason, ev.err)
	}
}

func TestWebSocketInvalidPacket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openWS(t)
	writeWS(t, c, websocket.TextMessage, "abc")
	expectWSClose(t, c)
	h.expectClose(t, ReasonParseError, ErrParse)
}

func TestWebSocketClientPing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openWS(t)
	writeWS(t, c, websocket.TextMessage, "2")
	expectWSClose(t, c)
	h.expectClose(t, ReasonTransportError, ErrHeartbeatDirection)
}

func TestWebSocketMessageTooLarge(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxHTTPBufferSize: 100})
	c, _, h := ts.openWS(t)
	writeWS(t, c, websocket.TextMessage, "4"+strings.Repeat("y", 99)) // exactly at the limit
	expectText(t, c, "4"+strings.Repeat("y", 99))
	// The close frame is only reliably written while no write is in
	// progress; see TestWebSocketCloseCodeWhileWriting.
	waitWriterIdle(t, h.s)
	writeWS(t, c, websocket.TextMessage, "4"+strings.Repeat("x", 100))
	if code := expectWSClose(t, c); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want 1009", code)
	}
	h.expectClose(t, ReasonTransportError, ErrPayloadTooLarge)
}

func TestWebSocketBinaryTooLarge(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxHTTPBufferSize: 100})
	c, _, h := ts.openWS(t)
	waitWriterIdle(t, h.s)
	writeWS(t, c, websocket.BinaryMessage, strings.Repeat("\x00", 101))
	if code := expectWSClose(t, c); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want 1009", code)
	}
	h.expectClose(t, ReasonTransportError, ErrPayloadTooLarge)
}

// waitWriterIdle waits until no websocket writer goroutine runs for s.
func waitWriterIdle(t *testing.T, s *Session) {
	t.Helper()
	waitFor(t, "the websocket writer to be idle", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return !s.writing
	})
}

// A session closed while a write is in progress must still end with the
// close frame of its reason (1009 for an oversized message, as the
// reference's ws sends after what it is writing), not a bare TCP close.
func TestWebSocketCloseCodeWhileWriting(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxHTTPBufferSize: 100, MaxQueueBytes: 64 << 20, WriteTimeout: time.Minute})
	c, _, h := ts.openWS(t)
	// Larger than the socket buffers: the writer stays busy until the
	// client reads.
	if err := h.s.Send(NewBinaryMessage(make([]byte, 8<<20))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the writer to start", func() bool {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		return h.s.writing
	})
	writeWS(t, c, websocket.TextMessage, "4"+strings.Repeat("x", 100))
	h.expectClose(t, ReasonTransportError, ErrPayloadTooLarge)
	// A frame being written when the session was aborted is finished (the
	// writer may also not have started it yet), then the close frame
	// follows: never a cut frame.
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	op, data, err := c.ReadMessage()
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Code != websocket.CloseMessageTooBig {
			t.Errorf("close code %d, want 1009", ce.Code)
		}
		return
	}
	if err != nil || op != websocket.BinaryMessage || len(data) != 8<<20 {
		t.Fatalf("got op %d, %d bytes, %v; want the whole 8 MiB message or the close", op, len(data), err)
	}
	if code := expectWSClose(t, c); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want 1009 (1006: no close frame)", code)
	}
}

func TestWebSocketHeartbeat(t *testing.T) {
	t.Parallel()
	const interval, timeout = 100 * time.Millisecond, time.Second
	ts := newTestServer(t, Config{PingInterval: interval, PingTimeout: timeout})
	c, _, h := ts.openWS(t)
	const pings = 5
	start := time.Now()
	for i := 0; i < pings; i++ {
		expectText(t, c, "2")
		writeWS(t, c, websocket.TextMessage, "3")
	}
	if d := time.Since(start); d < pings*interval-interval/2 {
		t.Errorf("%d pings in %v, want one per %v", pings, d, interval)
	}
	// Several intervals and timeouts have passed: still open.
	h.noClose(t)
	writeWS(t, c, websocket.TextMessage, "4still here")
	for {
		_, data := readWS(t, c)
		if string(data) == "2" {
			writeWS(t, c, websocket.TextMessage, "3")
			continue
		}
		if string(data) != "4still here" {
			t.Fatalf("got %q", data)
		}
		break
	}
	h.noClose(t)
}

func TestWebSocketPingTimeout(t *testing.T) {
	t.Parallel()
	const interval, timeout = 200 * time.Millisecond, 100 * time.Millisecond
	const margin = 2 * time.Second // generous: the test machine may be loaded
	ts := newTestServer(t, Config{PingInterval: interval, PingTimeout: timeout})
	c, _, h := ts.openWS(t)
	expectText(t, c, "2") // and no pong
	ev := h.waitClose(t)
	d := ev.at.Sub(h.s.Issued())
	if ev.reason != ReasonPingTimeout || ev.err != nil {
		t.Errorf("OnClose(%v, %v), want ping timeout", ev.reason, ev.err)
	}
	if d < interval+timeout || d > interval+timeout+margin {
		t.Errorf("closed after %v, want about %v", d, interval+timeout)
	}
	expectWSClose(t, c)
	// OnClose is called exactly once, even once everything has stopped.
	_ = ts.srv.Close()
	if n := h.closes.Load(); n != 1 {
		t.Errorf("OnClose called %d times", n)
	}
	if ts.srv.Session(h.s.ID()) != nil {
		t.Errorf("session still registered")
	}
}

// --- upgrade -------------------------------------------------------------

func TestUpgrade(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)

	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatalf("upgrade dial: %v", err)
	}
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")
	if r := awaitResponse(t, pending); r.status != 200 || r.body != "6" {
		t.Errorf("pending GET during upgrade: %d %q, want \"6\"", r.status, r.body)
	}
	if s.Transport() != TransportPolling {
		t.Errorf("transport %q before the upgrade packet", s.Transport())
	}
	// Sent while the upgrade is in progress: delivered over the websocket.
	if err := s.Send(NewPacket(PacketMessage, []byte("queued"))); err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "5")
	expectText(t, c, "4queued")
	waitFor(t, "the upgrade", func() bool { return s.Transport() == TransportWebSocket })

	writeWS(t, c, websocket.TextMessage, "4after upgrade")
	expectText(t, c, "4after upgrade")
	writeWS(t, c, websocket.BinaryMessage, "\x05\x06")
	if op, data := readWS(t, c); op != websocket.BinaryMessage || string(data) != "\x05\x06" {
		t.Errorf("binary after upgrade: %d % x", op, data)
	}

	// Long-polling requests with the sid are refused now.
	if r := ts.get(t, sid); r.status != 400 {
		t.Errorf("GET after upgrade: %d %q, want 400", r.status, r.body)
	}
	if r := ts.post(t, sid, "4x"); r.status != 400 {
		t.Errorf("POST after upgrade: %d %q, want 400", r.status, r.body)
	}
	// A second websocket with the same sid is closed at once.
	c2, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err == nil {
		expectWSClose(t, c2)
	}
	// The original still works.
	writeWS(t, c, websocket.TextMessage, "4still")
	expectText(t, c, "4still")
	h.noClose(t)
	if ts.srv.Session(sid) != s {
		t.Errorf("session lost")
	}
}

func TestUpgradeProbeWithoutPendingGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")
	// A GET that comes after the probe returns a noop at once.
	if r := ts.get(t, sid); r.status != 200 || r.body != "6" {
		t.Errorf("GET during upgrade: %d %q", r.status, r.body)
	}
	writeWS(t, c, websocket.TextMessage, "5")
	writeWS(t, c, websocket.TextMessage, "4hi")
	expectText(t, c, "4hi")
	h.noClose(t)
}

func TestUpgradeSecondProbeClosed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	c1, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, c1, websocket.TextMessage, "2probe")
	expectText(t, c1, "3probe")
	// While the first probe is in progress, another websocket is closed.
	if c2, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid); err == nil {
		expectWSClose(t, c2)
	}
	writeWS(t, c1, websocket.TextMessage, "5")
	writeWS(t, c1, websocket.TextMessage, "4ok")
	expectText(t, c1, "4ok")
	h.noClose(t)
}

func TestUpgradeBadProbeKeepsPolling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	// Anything but 2probe/5 drops the probe; the session goes on polling.
	writeWS(t, c, websocket.TextMessage, "4nope")
	expectWSClose(t, c)
	s := ts.srv.Session(sid)
	waitFor(t, "the probe to be dropped", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.probe == nil
	})
	ts.post(t, sid, "4still polling")
	if r := ts.get(t, sid); r.status != 200 || r.body != "4still polling" {
		t.Errorf("GET: %d %q", r.status, r.body)
	}
	h.noClose(t)
}

func TestUpgradeTimeout(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{UpgradeTimeout: 100 * time.Millisecond})
	sid, h := ts.openPolling(t)
	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")
	// No "5": the probe is closed after UpgradeTimeout.
	expectWSClose(t, c)
	ts.post(t, sid, "4x")
	if r := ts.get(t, sid); r.status != 200 || r.body != "4x" {
		t.Errorf("GET after failed upgrade: %d %q", r.status, r.body)
	}
	h.noClose(t)
}

func TestUpgradeDisallowed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{DisallowUpgrades: true})
	sid, h := ts.openPolling(t)
	if c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid); err == nil {
		expectWSClose(t, c)
	}
	h.noClose(t)
}

// --- send queue ----------------------------------------------------------

func TestQueueFullPolling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxQueueBytes: 1000})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	p := NewPacket(PacketMessage, bytes.Repeat([]byte("q"), 100))
	var err error
	sent := 0
	for ; sent < 100; sent++ {
		if err = s.Send(p); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Send error after %d packets: %v, want ErrQueueFull", sent, err)
	}
	if sent*p.size() > 1000 {
		t.Errorf("%d bytes queued, over the 1000-byte bound", sent*p.size())
	}
	h.expectClose(t, ReasonTransportError, ErrQueueFull)
	if err := s.Send(p); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("Send after close: %v, want ErrSessionClosed", err)
	}
	if r := ts.get(t, sid); r.status != 400 {
		t.Errorf("GET after close: %d %q", r.status, r.body)
	}
}

func TestQueueFullWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxQueueBytes: 24 << 20, WriteTimeout: time.Minute})
	_, sid, h := ts.openWS(t) // the client never reads again
	s := ts.srv.Session(sid)
	// Larger than the socket buffers: the writer blocks on it for good.
	p := NewBinaryMessage(make([]byte, 16<<20))
	if err := s.Send(p); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the writer to take the first packet", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.writing && len(s.queue) == 0
	})
	if err := s.Send(p); err != nil { // 16 MiB queued: under the bound
		t.Fatalf("second Send: %v", err)
	}
	if err := s.Send(p); !errors.Is(err, ErrQueueFull) { // 32 MiB: over it
		t.Fatalf("third Send: %v, want ErrQueueFull", err)
	}
	h.expectClose(t, ReasonTransportError, ErrQueueFull)
	if err := s.Send(p); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("Send after close: %v, want ErrSessionClosed", err)
	}
}

// --- close and shutdown --------------------------------------------------

func TestSessionCloseFlushesWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, sid, h := ts.openWS(t)
	s := ts.srv.Session(sid)
	if err := s.Send(NewPacket(PacketMessage, []byte("a")), NewBinaryMessage([]byte{1}), NewPacket(PacketMessage, []byte("c"))); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Send(NewPacket(PacketMessage, []byte("late"))); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("Send after Close: %v, want ErrSessionClosed", err)
	}
	expectText(t, c, "4a")
	if op, data := readWS(t, c); op != websocket.BinaryMessage || !bytes.Equal(data, []byte{1}) {
		t.Errorf("second frame: %d % x", op, data)
	}
	expectText(t, c, "4c")
	if code := expectWSClose(t, c); code != websocket.CloseNormalClosure {
		t.Errorf("close code %d, want 1000", code)
	}
	h.expectClose(t, ReasonForcedClose, nil)
	select {
	case <-s.Done():
	case <-time.After(waitTimeout):
		t.Error("Done not closed")
	}
}

func TestSessionClosePolling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)
	_ = s.Send(NewPacket(PacketMessage, []byte("a")), NewPacket(PacketMessage, []byte("b")))
	s.Close()
	// The pending GET may have taken "4a" alone; either way the queued
	// packets come before the close packet.
	var got []string
	r := awaitResponse(t, pending)
	got = append(got, strings.Split(r.body, "\x1e")...)
	if got[len(got)-1] != "1" {
		r = ts.get(t, sid)
		got = append(got, strings.Split(r.body, "\x1e")...)
	}
	if !slices.Equal(got, []string{"4a", "4b", "1"}) {
		t.Errorf("GETs returned %q, want 4a, 4b, 1", got)
	}
	h.expectClose(t, ReasonForcedClose, nil)
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	ws1, _, h1 := ts.openWS(t)
	ws2, _, h2 := ts.openWS(t)
	sid, hp := ts.openPolling(t)
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// Shutdown has returned: every session has closed.
	for _, h := range []*testHandler{h1, h2, hp} {
		if n := h.closes.Load(); n != 1 {
			t.Errorf("session %s (%s): %d OnClose calls when Shutdown returned, want 1", h.s.ID(), h.s.Transport(), n)
		}
	}
	if n := ts.srv.Count(); n != 0 {
		t.Errorf("Count() = %d after Shutdown", n)
	}
	for _, h := range []*testHandler{h1, h2, hp} {
		h.expectClose(t, ReasonServerShuttingDown, nil)
	}
	for _, c := range []*websocket.Conn{ws1, ws2} {
		expectText(t, c, "1")
		if code := expectWSClose(t, c); code != websocket.CloseGoingAway {
			t.Errorf("close code %d, want 1001", code)
		}
	}
	if r := awaitResponse(t, pending); r.status != 200 || r.body != "1" {
		t.Errorf("pending GET: %d %q, want \"1\"", r.status, r.body)
	}

	// A second Shutdown is fine.
	ctx2, cancel2 := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel2()
	if err := ts.srv.Shutdown(ctx2); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	// New handshakes are refused.
	if r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil); r.status != http.StatusBadRequest || strings.HasPrefix(r.body, "0") {
		t.Errorf("polling handshake after Shutdown: %d %q", r.status, r.body)
	}
	if c, _, err := ts.dial(t, "EIO=4&transport=websocket"); err == nil {
		expectWSClose(t, c)
	}
	if n := ts.srv.Count(); n != 0 {
		t.Errorf("Count() = %d after handshakes following Shutdown", n)
	}
	for _, h := range []*testHandler{h1, h2, hp} {
		if n := h.closes.Load(); n != 1 {
			t.Errorf("session %s: %d OnClose calls, want 1", h.s.ID(), n)
		}
	}
}

func TestShutdownPollingWithoutPendingGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	_ = s.Send(NewPacket(PacketMessage, []byte("last")))
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	waitFor(t, "the session to be closing", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.state != stateOpen
	})
	// The next GET gets what was queued and the close packet.
	if r := ts.get(t, sid); r.status != 200 || r.body != "4last\x1e1" {
		t.Errorf("GET during Shutdown: %d %q, want \"4last\\x1e1\"", r.status, r.body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(waitTimeout + time.Second):
		t.Fatal("Shutdown did not return")
	}
	h.expectClose(t, ReasonServerShuttingDown, nil)
}

func TestShutdownContextExpires(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	_, h := ts.openPolling(t) // no GET will come
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want context.DeadlineExceeded", err)
	}
	h.expectClose(t, ReasonServerShuttingDown, nil)
	if n := ts.srv.Count(); n != 0 {
		t.Errorf("Count() = %d", n)
	}
}

func TestServerClose(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openWS(t)
	sid, hp := ts.openPolling(t)
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)
	waitWriterIdle(t, h.s) // see TestWebSocketCloseCodeWhileWriting
	_ = ts.srv.Close()
	if code := expectWSClose(t, c); code != websocket.CloseGoingAway {
		t.Errorf("close code %d, want 1001", code)
	}
	if r := awaitResponse(t, pending); r.status != 200 || r.body != "1" {
		t.Errorf("pending GET: %d %q", r.status, r.body)
	}
	h.expectClose(t, ReasonServerShuttingDown, nil)
	hp.expectClose(t, ReasonServerShuttingDown, nil)
	_ = ts.srv.Close()
}

// Shutdown must not return before every session's OnClose has run, even
// when the last long-polling response is still being written.
func TestShutdownReturnsAfterOnClose(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxQueueBytes: 64 << 20, DisableHTTPCompression: true})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	// Larger than the socket buffers, so that writing the response blocks
	// until the client reads.
	const size = 16 << 20
	if err := s.Send(NewPacket(PacketMessage, bytes.Repeat([]byte("x"), size))); err != nil {
		t.Fatal(err)
	}
	type result struct {
		err    error
		closes int32
		count  int
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		err := ts.srv.Shutdown(ctx)
		done <- result{err, h.closes.Load(), ts.srv.Count()}
	}()
	waitFor(t, "the session to be closing", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.state != stateOpen
	})
	conn, err := net.Dial("tcp", ts.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /engine.io/?"+pollQuery(sid)+" HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	var res result
	got := false
	select {
	case res = <-done: // returned while the response is still being written
		got = true
	case <-time.After(500 * time.Millisecond):
	}
	read := make(chan string, 1)
	go func() {
		_ = conn.SetReadDeadline(time.Now().Add(2 * waitTimeout))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			read <- err.Error()
			return
		}
		defer resp.Body.Close()
		var tail tailWriter
		if _, err := io.Copy(&tail, resp.Body); err != nil {
			read <- err.Error()
			return
		}
		read <- fmt.Sprintf("%d %d %q", resp.StatusCode, tail.n, tail.last)
	}()
	if !got {
		select {
		case res = <-done:
		case <-time.After(waitTimeout + time.Second):
			t.Fatal("Shutdown did not return")
		}
	}
	if r := <-read; r != fmt.Sprintf("200 %d %q", size+3, "\x1e1") {
		t.Errorf("GET response: %s", r)
	}
	if res.err != nil {
		t.Errorf("Shutdown: %v", res.err)
	}
	if res.closes != 1 || res.count != 0 {
		t.Errorf("when Shutdown returned: %d OnClose calls (want 1), Count() = %d (want 0)", res.closes, res.count)
	}
	h.expectClose(t, ReasonServerShuttingDown, nil)
}

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

func TestWebSocketPerMessageDeflate(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{PerMessageDeflate: true})
	d := websocket.Dialer{HandshakeTimeout: waitTimeout, EnableCompression: true}
	c, res, err := d.Dial(ts.wsURL+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ext := res.Header.Get("Sec-Websocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("extension not negotiated: %q", ext)
	}
	_, data := readWS(t, c)
	sid := parseOpen(t, string(data))["sid"].(string)
	h := ts.handler(t, sid)
	big := "4" + strings.Repeat("compressible ", 1000)
	for _, m := range []string{"4hello", big} {
		writeWS(t, c, websocket.TextMessage, m)
		expectText(t, c, m)
	}
	writeWS(t, c, websocket.BinaryMessage, "\x01\x02")
	if op, data := readWS(t, c); op != websocket.BinaryMessage || string(data) != "\x01\x02" {
		t.Errorf("binary echo: %d % x", op, data)
	}
	h.s.Close()
	if code := expectWSClose(t, c); code != websocket.CloseNormalClosure {
		t.Errorf("close code %d, want 1000", code)
	}
	h.expectClose(t, ReasonForcedClose, nil)
}

// A client that stops reading is closed once a write has waited for it
// for WriteTimeout, with or without permessage-deflate (gorilla then
// writes, and sets the connection's deadline to its own before each frame).
func TestWebSocketWriteTimeout(t *testing.T) {
	t.Parallel()
	for _, deflate := range []bool{false, true} {
		t.Run(fmt.Sprintf("deflate=%v", deflate), func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, Config{WriteTimeout: 200 * time.Millisecond, MaxQueueBytes: 1 << 30, PerMessageDeflate: deflate})
			d := websocket.Dialer{HandshakeTimeout: waitTimeout, EnableCompression: deflate}
			c, res, err := d.Dial(ts.wsURL+"?EIO=4&transport=websocket", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := res.Header.Get("Sec-Websocket-Extensions") != ""; got != deflate {
				t.Fatalf("permessage-deflate negotiated: %v, want %v", got, deflate)
			}
			_, data := readWS(t, c) // then never read again
			sid := parseOpen(t, string(data))["sid"].(string)
			h := ts.handler(t, sid)
			s := ts.srv.Session(sid)
			// Incompressible, so that deflate does not shrink it.
			payload := make([]byte, 1<<20)
			_, _ = crand.Read(payload)
			p := NewBinaryMessage(payload)
			// Fill the socket buffers; the blocked write then times out.
			start := time.Now()
			for i := 0; i < 64; i++ {
				if err := s.Send(p); err != nil {
					break
				}
			}
			ev := h.waitClose(t)
			var ne interface{ Timeout() bool }
			if ev.reason != ReasonTransportError || !errors.As(ev.err, &ne) || !ne.Timeout() {
				t.Errorf("OnClose(%v, %v), want transport error with a timeout", ev.reason, ev.err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("closed after %v, want about the write timeout", d)
			}
		})
	}
}

func TestPollingConcurrentPost(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	ts := newTestServer(t, Config{}, func(h *testHandler) {
		h.echo = false
		h.onMsg = func(data []byte, _ bool) {
			if string(data) == "block" {
				entered <- struct{}{}
				<-release
			}
		}
	})
	sid, h := ts.openPolling(t)
	first := make(chan response, 1)
	go func() {
		first <- ts.do(http.MethodPost, pollQuery(sid), strings.NewReader("4block\x1e4after"), nil)
	}()
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		close(release)
		t.Fatal("first POST not delivered")
	}
	r := ts.post(t, sid, "4second")
	close(release)
	if r.status != http.StatusBadRequest {
		t.Errorf("concurrent POST: %d %q, want 400", r.status, r.body)
	}
	h.expectClose(t, ReasonTransportError, ErrPollOverlap)
	if r := awaitResponse(t, first); r.status != 200 {
		t.Errorf("first POST: %d %q", r.status, r.body)
	}
	// Nothing after the close reaches the handler.
	if m := h.waitMsg(t); m.data != "block" {
		t.Errorf("first message %q", m.data)
	}
	select {
	case m := <-h.msgs:
		t.Errorf("message %q delivered after the close", m.data)
	default:
	}
}

func TestSendVolatile(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	p := NewPacket(PacketMessage, []byte("v"))

	sid, _ := ts.openPolling(t)
	s := ts.srv.Session(sid)
	if s.SendVolatile(p) {
		t.Errorf("polling without a pending GET: SendVolatile queued")
	}
	pending := ts.asyncGet(sid)
	ts.waitGetPending(t, sid)
	if !s.SendVolatile(p) {
		t.Errorf("polling with a pending GET: SendVolatile refused")
	}
	if r := awaitResponse(t, pending); r.body != "4v" {
		t.Errorf("GET: %q", r.body)
	}

	c, wsid, _ := ts.openWS(t)
	ws := ts.srv.Session(wsid)
	if !ws.SendVolatile(p) {
		t.Errorf("websocket: SendVolatile refused")
	}
	expectText(t, c, "4v")
	ws.Close()
	if ws.SendVolatile(p) {
		t.Errorf("closed session: SendVolatile queued")
	}
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

// RFC 6455 §5.5.2: a ping frame must be answered with a pong carrying the
// same data (the ws server of the reference does so).
func TestWebSocketAnswersPingFrame(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openWS(t)
	pong := make(chan string, 1)
	c.SetPongHandler(func(data string) error {
		pong <- data
		return nil
	})
	if err := c.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "4after ping")
	expectText(t, c, "4after ping")
	select {
	case got := <-pong:
		if got != "hi" {
			t.Errorf("pong %q, want \"hi\"", got)
		}
	default:
		t.Errorf("no pong frame in answer to a ping frame")
	}
	h.noClose(t)
}

// RFC 6455 §5.5.1: a close frame must be answered with a close frame (the
// ws server of the reference echoes the code).
func TestWebSocketAnswersCloseFrame(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openWS(t)
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
	if err := c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	if code := expectWSClose(t, c); code != websocket.CloseNormalClosure {
		t.Errorf("server answered the close frame with code %d, want a close frame 1000 (1006 = no close frame)", code)
	}
	if ev := h.waitClose(t); ev.reason != ReasonTransportClose {
		t.Errorf("OnClose(%v, %v), want transport close", ev.reason, ev.err)
	}
}

// When a long-polling session closes while a websocket probe is open, the
// probe is closed too (the reference closes the probe transport on
// "close"), and Shutdown honours its context.
func TestShutdownDuringUpgrade(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{UpgradeTimeout: 5 * time.Second})
	sid, h := ts.openPolling(t)
	s := ts.srv.Session(sid)
	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		done <- ts.srv.Shutdown(ctx)
	}()
	waitFor(t, "the session to be closing", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.state != stateOpen
	})
	if r := ts.get(t, sid); r.status != 200 || r.body != "1" {
		t.Errorf("GET during Shutdown: %d %q, want \"1\"", r.status, r.body)
	}
	h.expectClose(t, ReasonServerShuttingDown, nil)
	select {
	case <-done:
	case <-time.After(2500 * time.Millisecond):
		t.Errorf("Shutdown with a 300ms context still running after 2.5s")
	}
	expectWSCloseWithin(t, c, 2*time.Second)
}

// The same without Shutdown: Session.Close completed by a GET closes the
// probe.
func TestSessionCloseDuringUpgradeClosesProbe(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{UpgradeTimeout: 5 * time.Second})
	sid, h := ts.openPolling(t)
	c, _, err := ts.dial(t, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		t.Fatal(err)
	}
	writeWS(t, c, websocket.TextMessage, "2probe")
	expectText(t, c, "3probe")
	ts.srv.Session(sid).Close()
	if r := ts.get(t, sid); r.status != 200 || r.body != "1" {
		t.Errorf("GET after Close: %d %q, want \"1\"", r.status, r.body)
	}
	h.expectClose(t, ReasonForcedClose, nil)
	expectWSCloseWithin(t, c, 2500*time.Millisecond)
}

// Count and Session report open sessions only: a session the client closed
// over long-polling is no longer one, even while it lingers for a late GET.
func TestCountExcludesClosedSessions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	sid, h := ts.openPolling(t)
	if n := ts.srv.Count(); n != 1 {
		t.Fatalf("Count() = %d, want 1", n)
	}
	ts.post(t, sid, "1")
	h.expectClose(t, ReasonTransportClose, nil)
	if n := ts.srv.Count(); n != 0 {
		t.Errorf("Count() = %d after the session closed, want 0", n)
	}
	if s := ts.srv.Session(sid); s != nil {
		t.Errorf("Session(%q) returns the closed session", sid)
	}
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

// A handler may close its session from OnConnection: the client gets the
// open packet, then the close, at once.
func TestCloseInOnConnection(t *testing.T) {
	t.Parallel()
	closeNow := func(h *testHandler) { h.s.Close() }

	t.Run("polling", func(t *testing.T) {
		t.Parallel()
		ts := newTestServer(t, Config{}, closeNow)
		r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil)
		open, rest, _ := strings.Cut(r.body, "\x1e")
		if r.status != 200 || rest != "1" {
			t.Fatalf("handshake: %d %q, want the open packet then \"1\"", r.status, r.body)
		}
		sid := parseOpen(t, open)["sid"].(string)
		ts.handler(t, sid).expectClose(t, ReasonForcedClose, nil)
	})

	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		ts := newTestServer(t, Config{}, closeNow)
		c, _, err := ts.dial(t, "EIO=4&transport=websocket")
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("no open packet before the close: %v", err)
		}
		parseOpen(t, string(data))
		if code := expectWSCloseWithin(t, c, 2*time.Second); code != websocket.CloseNormalClosure {
			t.Errorf("close code %d, want 1000", code)
		}
	})
}

// Abort from OnConnection on a websocket handshake must close the
// connection, not leave it open with no reader.
func TestAbortInOnConnectionWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{}, func(h *testHandler) { h.s.Abort(ReasonForcedClose, nil) })
	c, _, err := ts.dial(t, "EIO=4&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		op, data, err := c.ReadMessage()
		if err == nil {
			if op == websocket.TextMessage && strings.HasPrefix(string(data), "0") {
				continue // the open packet may or may not be written
			}
			t.Fatalf("unexpected frame %d %q", op, data)
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open 2s after Abort")
		}
		break
	}
}

func TestWebSocketOnlyTransport(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{Transports: []string{TransportWebSocket}})
	r := ts.mustDo(t, http.MethodGet, "EIO=4&transport=polling", nil, nil)
	if r.status != 400 || r.body != `{"code":0,"message":"Transport unknown"}` {
		t.Errorf("polling handshake: %d %q", r.status, r.body)
	}
	c, _, _ := ts.openWS(t)
	writeWS(t, c, websocket.TextMessage, "4ok")
	expectText(t, c, "4ok")
}

// tailWriter counts what is written to it and keeps the last two bytes.
type tailWriter struct {
	n    int
	last []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	w.last = append(w.last, p[max(0, len(p)-2):]...)
	w.last = w.last[max(0, len(w.last)-2):]
	return len(p), nil
}

// The websocket handshake answers 101 before OnConnection runs, so the
// server may be closed while OnConnection is running. The session must
// still be closed properly: OnClose called once and the connection closed.
func TestCloseDuringOnConnection(t *testing.T) {
	t.Parallel()
	entered := make(chan *testHandler, 1)
	release := make(chan struct{})
	ts := newTestServer(t, Config{}, func(h *testHandler) {
		entered <- h
		<-release
	})
	var h *testHandler
	// The upgrade's answer comes once OnConnection has returned: dial
	// on the side.
	type dialed struct {
		c   *websocket.Conn
		err error
	}
	dial := make(chan dialed, 1)
	go func() {
		c, _, err := ts.dial(t, "EIO=4&transport=websocket")
		dial <- dialed{c, err}
	}()
	select {
	case h = <-entered:
	case <-time.After(waitTimeout):
		close(release)
		t.Fatal("OnConnection not called")
	}
	closed := make(chan struct{})
	go func() {
		_ = ts.srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(200 * time.Millisecond):
		// Close may legitimately wait for OnConnection to return.
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(waitTimeout):
		t.Fatal("Server.Close did not return")
	}
	select {
	case ev := <-h.closed:
		if ev.reason != ReasonServerShuttingDown {
			t.Errorf("OnClose(%v, %v), want server shutting down", ev.reason, ev.err)
		}
	case <-time.After(2 * time.Second):
		t.Errorf("OnClose not called for a session closed during OnConnection")
	}
	d := <-dial
	if d.err != nil {
		t.Fatal(d.err)
	}
	c := d.c
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		op, data, err := c.ReadMessage()
		if err == nil {
			if op == websocket.TextMessage && (string(data) == "1" || strings.HasPrefix(string(data), "0{")) {
				continue
			}
			t.Fatalf("unexpected frame %d %q", op, data)
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("websocket still open 2s after Server.Close")
		}
		break
	}
}

// A long-polling response made only of packets marked with
// DisableCompression is not compressed; one packet that may be compressed
// is enough for the whole response to be.
func TestPollingDisableCompression(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	big := []byte(strings.Repeat("abcdefgh", 200))
	for _, tt := range []struct {
		name string
		pkts func() []*Packet
		want string
	}{
		{"all plain", func() []*Packet {
			return []*Packet{NewPacket(PacketMessage, big).DisableCompression(), NewPacket(PacketMessage, big).DisableCompression()}
		}, ""},
		{"one compressible", func() []*Packet {
			return []*Packet{NewPacket(PacketMessage, big).DisableCompression(), NewPacket(PacketMessage, big)}
		}, "gzip"},
	} {
		sid, _ := ts.openPolling(t)
		if err := ts.srv.Session(sid).Send(tt.pkts()...); err != nil {
			t.Fatal(err)
		}
		r := ts.mustDo(t, http.MethodGet, pollQuery(sid), nil, http.Header{"Accept-Encoding": {"gzip"}})
		if got := r.header.Get("Content-Encoding"); got != tt.want {
			t.Errorf("%s: Content-Encoding %q, want %q", tt.name, got, tt.want)
		}
	}
}

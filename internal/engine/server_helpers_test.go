package engine

import (
	"context"
	"encoding/json"
	"errors"
	"io"
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
	"github.com/gosio/sio/internal/testkit"
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
	return testkit.Receive(t, h.closed)
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
	return testkit.Receive(t, h.msgs)
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

// must fails the test if the request failed (wait for an asyncGet's
// response with testkit.Receive(t, ch).must(t)).
func (r response) must(t *testing.T) response {
	t.Helper()
	if r.err != nil {
		t.Fatalf("request failed: %v", r.err)
	}
	return r
}

// waitGetPending waits until a long-polling GET of sid is parked.
func (ts *testServer) waitGetPending(t *testing.T, sid string) {
	t.Helper()
	s := ts.srv.Session(sid)
	if s == nil {
		t.Fatalf("no session %s", sid)
	}
	testkit.Eventually(t, "a pending GET", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.polling.getActive
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

// openClient opens a websocket session with the test kit's client, for
// the tests about Engine.IO behaviour rather than the websocket itself:
// it answers (and hides) the pings, and reads only when asked. It is
// closed when the test ends.
func (ts *testServer) openClient(t *testing.T) (*testkit.Client, string, *testHandler) {
	t.Helper()
	c := testkit.MustDial(t, ts.ts.URL, &testkit.Options{Path: "/engine.io/"})
	sid := parseOpen(t, c.Handshake().Raw)["sid"].(string)
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

// waitWriterIdle waits until no websocket writer goroutine runs for s.
func waitWriterIdle(t *testing.T, s *Session) {
	t.Helper()
	testkit.Eventually(t, "the websocket writer to be idle", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return !s.wr.held
	})
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

package engine

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gosio/sio/internal/testkit"
)

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
	if r := testkit.Receive(t, ch).must(t); r.status != 200 || r.body != "4pushed" {
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
	if r := testkit.Receive(t, first).must(t); r.status != 200 || r.body != "1" {
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
	if r := testkit.Receive(t, pending).must(t); r.status != 200 || r.body != "6" {
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
	if r := testkit.Receive(t, first).must(t); r.status != 200 {
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

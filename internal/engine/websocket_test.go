package engine

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosio/sio/internal/testkit"
)

func TestWebSocketEcho(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openClient(t)
	for _, m := range []string{"4hello", "4€ unicode"} {
		c.MustSend(t, m)
		if got := c.MustReadText(t); got != m {
			t.Errorf("echo %q, want %q", got, m)
		}
	}
	c.MustSendBinary(t, []byte{1, 2, 3, 4})
	if data := c.MustReadBinary(t); !bytes.Equal(data, []byte{1, 2, 3, 4}) {
		t.Errorf("binary echo: % x", data)
	}
	// Large messages use the 16- and 64-bit length encodings.
	for _, n := range []int{125, 126, 65535, 70000} {
		payload := "4" + strings.Repeat("z", n-1)
		c.MustSend(t, payload)
		if got := c.MustReadText(t); got != payload {
			t.Errorf("echo of %d bytes: got %d bytes (%.20q)", n, len(got), got)
		}
	}
	c.MustSendBinary(t, []byte{})
	if data := c.MustReadBinary(t); len(data) != 0 {
		t.Errorf("empty binary echo: % x", data)
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
	c, _, h := ts.openClient(t)
	_ = c.Close()
	// The description is the read error; only the reason is specified.
	if ev := h.waitClose(t); ev.reason != ReasonTransportClose {
		t.Errorf("OnClose(%v, %v), want transport close", ev.reason, ev.err)
	}
}

func TestWebSocketInvalidPacket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openClient(t)
	c.MustSend(t, "abc")
	c.MustReadClose(t, testkit.Timeout)
	h.expectClose(t, ReasonParseError, ErrParse)
}

func TestWebSocketClientPing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{})
	c, _, h := ts.openClient(t)
	c.MustSend(t, "2")
	c.MustReadClose(t, testkit.Timeout)
	h.expectClose(t, ReasonTransportError, ErrHeartbeatDirection)
}

func TestWebSocketMessageTooLarge(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxHTTPBufferSize: 100})
	c, _, h := ts.openClient(t)
	c.MustSend(t, "4"+strings.Repeat("y", 99)) // exactly at the limit
	if got := c.MustReadText(t); got != "4"+strings.Repeat("y", 99) {
		t.Errorf("echo %q", got)
	}
	// The close frame is only reliably written while no write is in
	// progress; see TestWebSocketCloseCodeWhileWriting.
	waitWriterIdle(t, h.s)
	c.MustSend(t, "4"+strings.Repeat("x", 100))
	if code := testkit.CloseCode(c.MustReadClose(t, testkit.Timeout)); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want 1009", code)
	}
	h.expectClose(t, ReasonTransportError, ErrPayloadTooLarge)
}

func TestWebSocketBinaryTooLarge(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxHTTPBufferSize: 100})
	c, _, h := ts.openClient(t)
	waitWriterIdle(t, h.s)
	c.MustSendBinary(t, make([]byte, 101))
	if code := testkit.CloseCode(c.MustReadClose(t, testkit.Timeout)); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want 1009", code)
	}
	h.expectClose(t, ReasonTransportError, ErrPayloadTooLarge)
}

// A session closed while a write is in progress must still end with the
// close frame of its reason (1009 for an oversized message, as the
// reference's ws sends after what it is writing), not a bare TCP close.
func TestWebSocketCloseCodeWhileWriting(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Config{MaxHTTPBufferSize: 100, MaxQueueBytes: 64 << 20, WriteTimeout: time.Minute})
	c, _, h := ts.openClient(t) // reads only when asked
	// Larger than the socket buffers: the writer stays busy until the
	// client reads.
	if err := h.s.Send(NewBinaryMessage(make([]byte, 8<<20))); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the writer to start", func() bool {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		return h.s.wr.held
	})
	c.MustSend(t, "4"+strings.Repeat("x", 100))
	h.expectClose(t, ReasonTransportError, ErrPayloadTooLarge)
	// A frame being written when the session was aborted is finished (the
	// writer may also not have started it yet), then the close frame
	// follows: never a cut frame.
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	f, err := c.Read(ctx)
	if err != nil && testkit.CloseCode(err) != -1 {
		if code := testkit.CloseCode(err); code != websocket.CloseMessageTooBig {
			t.Errorf("close code %d, want 1009", code)
		}
		return
	}
	if err != nil || !f.Binary || len(f.Data) != 8<<20 {
		t.Fatalf("got binary %v, %d bytes, %v; want the whole 8 MiB message or the close", f.Binary, len(f.Data), err)
	}
	if code := testkit.CloseCode(c.MustReadClose(t, testkit.Timeout)); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want 1009 (1006: no close frame)", code)
	}
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

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// httpConn is a minimal HTTP/1.1 client over one kept-alive TCP connection,
// for the long-polling scenario: one request at a time, written with one
// write, and a response parser that accepts what a server may send for it
// (Content-Length, chunked or close-delimited bodies; 1xx interim
// responses; Connection: close, after which the next request dials again).
//
// It exists because net/http's client costs the load generator about as
// much CPU per request as the server under test spends (a readLoop and a
// writeLoop goroutine per connection, a hand-off to each for every request,
// and a dozen allocations), and the load generator shares the machine's
// cores with the server. Here a request costs one write, a response one or
// two reads, and neither allocates once the buffers have grown.
//
// It is not safe for concurrent use, except close, which may be called from
// any goroutine (to abandon a run).
type httpConn struct {
	addr  string
	stall time.Duration // read/write deadline: no progress for this long fails the request

	mu     sync.Mutex // guards c and closed against close from another goroutine
	c      net.Conn
	closed bool

	br       *bufio.Reader
	wbuf     []byte
	body     []byte    // the last response's body; valid until the next response
	deadline time.Time // the deadline last set on c
	sent     bool      // a request was written and its response not yet read
}

const maxPollBody = 1 << 20

var errConnClosed = errors.New("connection closed")

func newHTTPConn(addr string, stall time.Duration) *httpConn {
	return &httpConn{addr: addr, stall: stall, wbuf: make([]byte, 0, 512), body: make([]byte, 0, 512)}
}

// conn returns the connection, dialing if there is none.
func (h *httpConn) conn() (net.Conn, error) {
	if h.c != nil {
		return h.c, nil
	}
	c, err := net.DialTimeout("tcp", h.addr, h.stall)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		c.Close()
		return nil, errConnClosed
	}
	h.c = c
	h.deadline = time.Time{}
	if h.br == nil {
		h.br = bufio.NewReaderSize(c, 4096)
	} else {
		h.br.Reset(c)
	}
	return c, nil
}

// drop closes the current connection; the next request dials a new one.
func (h *httpConn) drop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.c != nil {
		h.c.Close()
		h.c = nil
	}
}

// close closes the connection for good; a request in progress fails.
func (h *httpConn) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.c != nil {
		h.c.Close()
	}
}

// armDeadline moves the connection's deadline to now+stall, but only when
// the one set before is more than a second older than that: a request that
// makes no progress fails after between stall-1s and stall, and a busy
// connection does not pay for a deadline change on every request.
func (h *httpConn) armDeadline(c net.Conn) error {
	d := time.Now().Add(h.stall)
	if d.Sub(h.deadline) < time.Second {
		return nil
	}
	h.deadline = d
	return c.SetDeadline(d)
}

// send writes a request for target (path and query) with body (a POST when
// body is not nil, with Content-Type text/plain;charset=UTF-8 as browsers
// send it; a GET otherwise). Its response is read by recv.
func (h *httpConn) send(target string, body []byte) error {
	if h.sent {
		return errors.New("request sent before the previous response was read")
	}
	c, err := h.conn()
	if err != nil {
		return err
	}
	if err := h.armDeadline(c); err != nil {
		return err
	}
	b := h.wbuf[:0]
	if body != nil {
		b = append(b, "POST "...)
	} else {
		b = append(b, "GET "...)
	}
	b = append(b, target...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, h.addr...)
	b = append(b, "\r\nAccept: */*\r\n"...)
	if body != nil {
		b = append(b, "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	h.wbuf = b
	if _, err := c.Write(b); err != nil {
		h.drop()
		return err
	}
	h.sent = true
	return nil
}

// recv reads the response to the request last sent and returns its body,
// valid until the next recv; a status other than 200 is an error.
func (h *httpConn) recv() ([]byte, error) {
	if !h.sent {
		return nil, errors.New("no request to read a response for")
	}
	h.sent = false
	status, body, err := h.readResponse()
	if err != nil {
		h.drop()
		return nil, err
	}
	if status != 200 {
		return nil, fmt.Errorf("HTTP %d: %q", status, trunc(body))
	}
	return body, nil
}

// do is send then recv.
func (h *httpConn) do(target string, body []byte) ([]byte, error) {
	if err := h.send(target, body); err != nil {
		return nil, err
	}
	return h.recv()
}

func (h *httpConn) readResponse() (status int, body []byte, err error) {
	if h.c == nil {
		return 0, nil, errConnClosed
	}
	if err := h.armDeadline(h.c); err != nil {
		return 0, nil, err
	}
	for {
		line, err := h.line()
		if err != nil {
			return 0, nil, fmt.Errorf("status line: %w", err)
		}
		// "HTTP/1.1 200 OK"
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
			(len(line) > 12 && line[12] != ' ') {
			return 0, nil, fmt.Errorf("bad status line %q", trunc(line))
		}
		http10 := line[7] == '0'
		status, err = strconv.Atoi(string(line[9:12]))
		if err != nil || status < 100 {
			return 0, nil, fmt.Errorf("bad status line %q", trunc(line))
		}
		length, chunked, closeConn, err := h.headers(http10)
		if err != nil {
			return 0, nil, err
		}
		if status >= 100 && status < 200 { // interim response (100 Continue): no body, the real one follows
			if status == 101 {
				return 0, nil, errors.New("unexpected 101 Switching Protocols")
			}
			continue
		}
		body, err := h.readBody(length, chunked)
		if err != nil {
			return 0, nil, err
		}
		if closeConn {
			h.drop()
		}
		return status, body, nil
	}
}

// line reads one header line without its CRLF (or bare LF).
func (h *httpConn) line() ([]byte, error) {
	line, err := h.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("header line too long")
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// headers reads the header block and returns what framing needs: the
// Content-Length (-1 if none), whether the body is chunked, and whether the
// connection closes after this response.
func (h *httpConn) headers(http10 bool) (length int, chunked, closeConn bool, err error) {
	length = -1
	closeConn = http10
	for n := 0; ; n++ {
		line, err := h.line()
		if err != nil {
			return 0, false, false, fmt.Errorf("headers: %w", err)
		}
		if len(line) == 0 {
			return length, chunked, closeConn, nil
		}
		if n > 100 {
			return 0, false, false, errors.New("too many header lines")
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || name[0] == ' ' || name[0] == '\t' {
			return 0, false, false, fmt.Errorf("bad header line %q", trunc(line))
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "content-length"):
			v, err := strconv.Atoi(string(value))
			if err != nil || v < 0 || (length >= 0 && v != length) {
				return 0, false, false, fmt.Errorf("bad Content-Length %q", value)
			}
			length = v
		case asciiEqualFold(name, "transfer-encoding"):
			if !asciiEqualFold(value, "chunked") {
				return 0, false, false, fmt.Errorf("unsupported Transfer-Encoding %q", value)
			}
			chunked = true
		case asciiEqualFold(name, "connection"):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				tok = bytes.TrimSpace(tok)
				if asciiEqualFold(tok, "close") {
					closeConn = true
				} else if asciiEqualFold(tok, "keep-alive") && http10 {
					closeConn = false
				}
			}
		}
	}
}

func (h *httpConn) readBody(length int, chunked bool) ([]byte, error) {
	b := h.body[:0]
	defer func() { h.body = b[:0] }()
	switch {
	case chunked: // Transfer-Encoding wins over Content-Length (RFC 9112 6.3)
		for {
			line, err := h.line()
			if err != nil {
				return nil, fmt.Errorf("chunk size: %w", err)
			}
			size, _, _ := bytes.Cut(line, []byte(";"))
			n, err := strconv.ParseUint(string(bytes.TrimSpace(size)), 16, 32)
			if err != nil {
				return nil, fmt.Errorf("bad chunk size %q", trunc(line))
			}
			if n == 0 {
				break
			}
			if len(b)+int(n) > maxPollBody {
				return nil, errors.New("response body too large")
			}
			b, err = readN(h.br, b, int(n))
			if err != nil {
				return nil, fmt.Errorf("chunk: %w", err)
			}
			if line, err := h.line(); err != nil || len(line) != 0 {
				return nil, errors.New("chunk not followed by CRLF")
			}
		}
		for n := 0; ; n++ { // trailers
			line, err := h.line()
			if err != nil {
				return nil, fmt.Errorf("trailers: %w", err)
			}
			if len(line) == 0 {
				return b, nil
			}
			if n > 100 {
				return nil, errors.New("too many trailer lines")
			}
		}
	case length >= 0:
		if length > maxPollBody {
			return nil, errors.New("response body too large")
		}
		var err error
		b, err = readN(h.br, b, length)
		if err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		return b, nil
	default: // no framing: the body runs until the server closes
		for {
			if len(b) == cap(b) {
				b = append(b, 0)[:len(b)]
			}
			n, err := h.br.Read(b[len(b):cap(b)])
			b = b[:len(b)+n]
			if len(b) > maxPollBody {
				return nil, errors.New("response body too large")
			}
			if errors.Is(err, io.EOF) {
				h.drop()
				return b, nil
			}
			if err != nil {
				return nil, fmt.Errorf("body: %w", err)
			}
		}
	}
}

// readN appends exactly n bytes from r to b.
func readN(r io.Reader, b []byte, n int) ([]byte, error) {
	b = growTo(b, len(b)+n)
	start := len(b)
	b = b[:start+n]
	_, err := io.ReadFull(r, b[start:])
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return b, err
}

func growTo(b []byte, n int) []byte {
	if n <= cap(b) {
		return b
	}
	nb := make([]byte, len(b), max(n, 2*cap(b)))
	copy(nb, b)
	return nb
}

// asciiEqualFold reports whether b equals s (lower-case ASCII), ignoring
// ASCII case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

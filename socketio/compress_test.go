package socketio

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
)

// teeConn records what the client reads.
type teeConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.buf.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

// rsv1Bits returns the RSV1 bit (per-message deflate) of each data frame
// the server sent, after the 101 answer.
func rsv1Bits(t *testing.T, raw []byte) []bool {
	i := bytes.Index(raw, []byte("\r\n\r\n"))
	require.GreaterOrEqual(t, i, 0)
	b := raw[i+4:]
	var bits []bool
	for len(b) >= 2 {
		n, hdr := int(b[1]&0x7f), 2
		switch n {
		case 126:
			n, hdr = int(b[2])<<8|int(b[3]), 4
		case 127:
			t.Fatal("unexpectedly large frame")
		}
		if op := b[0] & 0x0f; op == 1 || op == 2 {
			bits = append(bits, b[0]&0x40 != 0)
		}
		if len(b) < hdr+n {
			break
		}
		b = b[hdr+n:]
	}
	return bits
}

// Compress(false) sends the event as a plain frame when per-message
// deflate is on, as the reference does; without it, compressed.
func TestCompressFalseSendsAPlainFrame(t *testing.T) {
	text := strings.Repeat("compress me ", 50)
	_, ts := newTestServer(t, &Options{PerMessageDeflate: true}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("go", func() {
				_ = s.Emit("a", text)
				_ = s.Compress(false).Emit("b", text)
				_ = io.Compress(false).Emit("c", text)
				_ = io.Emit("d", text)
			})
		})
	})
	var tc *teeConn
	d := websocket.Dialer{EnableCompression: true, NetDial: func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if err != nil {
			return nil, err
		}
		tc = &teeConn{Conn: c}
		return tc, nil
	}}
	c := testkit.MustDial(t, ts.URL, &testkit.Options{Dialer: &d})
	c.MustConnect(t, "/", "")
	c.MustSend(t, `42["go"]`)
	for _, ev := range []string{"a", "b", "c", "d"} {
		assert.Equal(t, `42["`+ev+`","`+text+`"]`, c.MustRead(t))
	}
	tc.mu.Lock()
	bits := rsv1Bits(t, tc.buf.Bytes())
	tc.mu.Unlock()
	require.GreaterOrEqual(t, len(bits), 4)
	assert.Equal(t, []bool{true, false, false, true}, bits[len(bits)-4:], "RSV1 of a, b, c, d")
}

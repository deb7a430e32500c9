package socketio

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/testkit"
)

// recoveryServer starts a server with connection-state recovery whose
// connection handler puts a new socket in room "r" with data "kept", and
// emits "hello" with whether it was recovered. Each disconnect's reason
// and each connection are reported on the channels.
type recoveryServer struct {
	io          *Server
	url         string
	connected   chan *Socket
	disconnects chan DisconnectReason
	middleware  atomic.Int32
}

func newRecoveryServer(t *testing.T, rec *ConnectionStateRecovery) *recoveryServer {
	return newRecoveryServerWith(t, &Options{ConnectionStateRecovery: rec})
}

func newRecoveryServerWith(t *testing.T, opts *Options) *recoveryServer {
	t.Helper()
	rs := &recoveryServer{connected: make(chan *Socket, 16), disconnects: make(chan DisconnectReason, 16)}
	io, ts := newTestServer(t, opts, func(io *Server) {
		io.Use(func(s *Socket) error { rs.middleware.Add(1); return nil })
		io.OnConnection(func(s *Socket) {
			if !s.Recovered() {
				assert.NoError(t, s.Join("r"))
				s.SetData("kept")
			}
			_ = s.Emit("hello", s.Recovered())
			s.OnDisconnect(func(r DisconnectReason) { rs.disconnects <- r })
			rs.connected <- s
		})
	})
	rs.io, rs.url = io, ts.URL
	return rs
}

// connectFresh joins "/" and returns the sid and pid of the answer, after
// which the connection handler's "hello" comes.
func connectFresh(t *testing.T, c *testkit.Client) (sid, pid string) {
	t.Helper()
	c.MustSend(t, "40")
	return readConnect(t, c)
}

func readConnect(t *testing.T, c *testkit.Client) (sid, pid string) {
	t.Helper()
	msg := c.MustRead(t)
	require.Regexp(t, `^40\{`, msg)
	var v struct{ Sid, Pid string }
	require.NoError(t, json.Unmarshal([]byte(msg[2:]), &v))
	return v.Sid, v.Pid
}

var offsetRe = regexp.MustCompile(`,"([^"]+)"\]$`)

// offsetOf returns the offset, the last argument, of an EVENT packet.
func offsetOf(t *testing.T, msg string) string {
	t.Helper()
	m := offsetRe.FindStringSubmatch(msg)
	require.NotNil(t, m, "no offset in %s", msg)
	return m[1]
}

// trimOffset returns an EVENT packet without its offset.
func trimOffset(msg string) string { return offsetRe.ReplaceAllString(msg, "]") }

// A client whose transport drops and that comes back with its pid and
// last offset gets its socket back: same ID, rooms and data; the events
// it missed, to its rooms only, once, in order, before the CONNECT
// answer; then what the connection handler emits, which sees
// Recovered() == true. The middleware is skipped by default.
func TestRecoveryRestoresTheSocketAndTheMissedEvents(t *testing.T) {
	rs := newRecoveryServer(t, &ConnectionStateRecovery{})
	c := testkit.MustDial(t, rs.url, nil)
	sid, pid := connectFresh(t, c)
	require.NotEmpty(t, pid)
	assert.NotEqual(t, sid, pid)
	hello := c.MustRead(t)
	assert.Equal(t, `42["hello",false]`, trimOffset(hello), "a socket's own emit carries an offset too")
	s := testkit.Receive(t, rs.connected)
	require.NoError(t, rs.io.To("r").Emit("before", 1))
	last := c.MustRead(t)
	assert.Equal(t, `42["before",1]`, trimOffset(last))
	offset := offsetOf(t, last)
	assert.Equal(t, 1, int(rs.middleware.Load()))

	require.NoError(t, c.Close()) // the transport drops
	assert.Equal(t, ReasonTransportClose, testkit.Receive(t, rs.disconnects))

	require.NoError(t, rs.io.To("r").Emit("m1", "a"))
	require.NoError(t, rs.io.Emit("m2", []byte{1, 2}))
	require.NoError(t, rs.io.To("other").Emit("not-mine"))
	require.NoError(t, rs.io.Except("r").Emit("excluded"))
	require.NoError(t, rs.io.Volatile().Emit("volatile"))
	require.NoError(t, rs.io.To(sid).Emit("m3"))
	assert.ErrorIs(t, s.Emit("dead"), ErrDisconnected) // the old socket

	c2 := testkit.MustDial(t, rs.url, nil)
	c2.MustSend(t, fmt.Sprintf(`40{"pid":%q,"offset":%q,"token":1}`, pid, offset))
	assert.Equal(t, `42["m1","a"]`, trimOffset(c2.MustRead(t)))
	m2 := c2.MustRead(t)
	assert.Equal(t, `451-["m2",{"_placeholder":true,"num":0}]`, trimOffset(m2))
	assert.Equal(t, []byte{1, 2}, c2.MustReadBinary(t))
	assert.Equal(t, `42["m3"]`, trimOffset(c2.MustRead(t)))
	sid2, pid2 := readConnect(t, c2)
	assert.Equal(t, sid, sid2)
	assert.Equal(t, pid, pid2)
	assert.Equal(t, `42["hello",true]`, trimOffset(c2.MustRead(t)))

	s2 := testkit.Receive(t, rs.connected)
	assert.True(t, s2.Recovered())
	assert.Equal(t, sid, s2.ID())
	assert.Equal(t, "kept", s2.Data())
	assert.ElementsMatch(t, []string{sid, "r"}, s2.Rooms())
	assert.JSONEq(t, fmt.Sprintf(`{"pid":%q,"offset":%q,"token":1}`, pid, offset), string(s2.Handshake().Auth),
		"the auth is kept whole, as in the reference")
	assert.Equal(t, 1, int(rs.middleware.Load()), "skipped for a recovered socket")
	c2.MustReadNothing(t, 20*time.Millisecond)

	// The recovered socket is live: broadcasts reach it once.
	require.NoError(t, rs.io.To("r").Emit("after"))
	assert.Equal(t, `42["after"]`, trimOffset(c2.MustRead(t)))
}

// RunMiddlewares runs the middleware for a recovered socket too.
func TestRecoveryRunMiddlewares(t *testing.T) {
	rs := newRecoveryServer(t, &ConnectionStateRecovery{RunMiddlewares: true})
	c := testkit.MustDial(t, rs.url, nil)
	_, pid := connectFresh(t, c)
	offset := offsetOf(t, c.MustRead(t))
	testkit.Receive(t, rs.connected)
	require.NoError(t, c.Close())
	testkit.Receive(t, rs.disconnects)
	c2 := testkit.MustDial(t, rs.url, nil)
	c2.MustSend(t, fmt.Sprintf(`40{"pid":%q,"offset":%q}`, pid, offset))
	readConnect(t, c2)
	assert.True(t, testkit.Receive(t, rs.connected).Recovered())
	assert.Equal(t, 2, int(rs.middleware.Load()))
}

// An explicit namespace disconnect, by the client or by the server, ends
// the session: coming back with its pid gives a new socket.
func TestRecoveryNotAfterAnExplicitDisconnect(t *testing.T) {
	for _, tt := range []struct {
		name   string
		reason DisconnectReason
		leave  func(c *testkit.Client, s *Socket)
	}{
		{"client", ReasonClientNamespaceDisconnect, func(c *testkit.Client, _ *Socket) { _ = c.Send("41") }},
		{"server", ReasonServerNamespaceDisconnect, func(_ *testkit.Client, s *Socket) { s.Disconnect(false) }},
		{"server close", ReasonServerNamespaceDisconnect, func(_ *testkit.Client, s *Socket) { s.Disconnect(true) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs := newRecoveryServer(t, &ConnectionStateRecovery{})
			c := testkit.MustDial(t, rs.url, nil)
			sid, pid := connectFresh(t, c)
			offset := offsetOf(t, c.MustRead(t))
			s := testkit.Receive(t, rs.connected)
			tt.leave(c, s)
			assert.Equal(t, tt.reason, testkit.Receive(t, rs.disconnects))

			c2 := testkit.MustDial(t, rs.url, nil)
			c2.MustSend(t, fmt.Sprintf(`40{"pid":%q,"offset":%q}`, pid, offset))
			sid2, pid2 := readConnect(t, c2)
			assert.NotEqual(t, sid, sid2)
			assert.NotEqual(t, pid, pid2)
			assert.Equal(t, `42["hello",false]`, trimOffset(c2.MustRead(t)))
		})
	}
}

// A forged, reused or malformed pid or offset gives a plain new session,
// never an error and never another client's state.
func TestRecoveryBadInputGivesANewSession(t *testing.T) {
	rs := newRecoveryServer(t, &ConnectionStateRecovery{})
	c := testkit.MustDial(t, rs.url, nil)
	sid, pid := connectFresh(t, c)
	offset := offsetOf(t, c.MustRead(t))
	testkit.Receive(t, rs.connected)
	require.NoError(t, c.Close())
	testkit.Receive(t, rs.disconnects)

	for _, auth := range []string{
		fmt.Sprintf(`{"pid":%q}`, pid),                         // no offset: the client got no event
		fmt.Sprintf(`{"pid":%q,"offset":1}`, pid),              // not a string
		fmt.Sprintf(`{"pid":[%q],"offset":%q}`, pid, offset),   // not a string
		fmt.Sprintf(`{"PID":%q,"offset":%q}`, pid, offset),     // keys match exactly
		fmt.Sprintf(`{"pid":"forged","offset":%q}`, offset),    // forged
		fmt.Sprintf(`{"pid":%q,"offset":"0.0"}`, pid+"x"),      // forged
		fmt.Sprintf(`{"pid":%q,"offset":%q}`, pid, offset+"0"), // an offset never given out; spends the session
		fmt.Sprintf(`{"pid":%q,"offset":%q}`, pid, offset),     // spent
	} {
		c := testkit.MustDial(t, rs.url, nil)
		c.MustSend(t, "40"+auth)
		sid2, pid2 := readConnect(t, c)
		assert.NotEqual(t, sid, sid2, auth)
		assert.NotEqual(t, pid, pid2, auth)
		assert.Equal(t, `42["hello",false]`, trimOffset(c.MustRead(t)), auth)
		assert.False(t, testkit.Receive(t, rs.connected).Recovered())
		_ = c.Close()
		testkit.Receive(t, rs.disconnects)
	}
}

// Past MaxDisconnectionDuration the session is gone.
func TestRecoveryExpires(t *testing.T) {
	rs := newRecoveryServer(t, &ConnectionStateRecovery{MaxDisconnectionDuration: 50 * time.Millisecond})
	c := testkit.MustDial(t, rs.url, nil)
	sid, pid := connectFresh(t, c)
	offset := offsetOf(t, c.MustRead(t))
	testkit.Receive(t, rs.connected)
	require.NoError(t, c.Close())
	testkit.Receive(t, rs.disconnects)
	// The adapter's timer empties the store once the window has passed.
	sa := rs.io.Sockets().Adapter().(*adapter.SessionAware)
	testkit.Eventually(t, "the session to expire", func() bool { return sa.Stats().Sessions == 0 })
	c2 := testkit.MustDial(t, rs.url, nil)
	c2.MustSend(t, fmt.Sprintf(`40{"pid":%q,"offset":%q}`, pid, offset))
	sid2, _ := readConnect(t, c2)
	assert.NotEqual(t, sid, sid2)
}

// Without the option: no pid, no offsets, and a pid in the auth is only
// auth.
func TestRecoveryOffByDefault(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) { _ = s.Emit("hello", "x"); _ = io.Emit("all") })
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustSend(t, `40{"pid":"p","offset":"o"}`)
	assert.Regexp(t, `^40\{"sid":"[^"]+"\}$`, c.MustRead(t))
	assert.Equal(t, `42["hello","x"]`, c.MustRead(t))
	assert.Equal(t, `42["all"]`, c.MustRead(t))
}

// Acks and volatile events carry no offset (they are not logged), as in
// the reference.
func TestRecoveryNoOffsetOnAcksAndVolatile(t *testing.T) {
	rs := newRecoveryServer(t, &ConnectionStateRecovery{})
	c := testkit.MustDial(t, rs.url, nil)
	connectFresh(t, c)
	c.MustRead(t)
	s := testkit.Receive(t, rs.connected)
	require.NoError(t, s.Volatile().Emit("v", "x"))
	assert.Equal(t, `42["v","x"]`, c.MustRead(t))
	require.NoError(t, s.Emit("q", "x", func(string) {}))
	assert.Equal(t, `420["q","x"]`, c.MustRead(t))
	require.NoError(t, rs.io.Volatile().Emit("bv", "x"))
	assert.Equal(t, `42["bv","x"]`, c.MustRead(t))
}

// With recovery on, what a middleware emits is still held behind the
// CONNECT answer (the socket is not in its room yet), and carries no
// offset, as it was not logged.
func TestRecoveryEmitInMiddlewareIsHeld(t *testing.T) {
	_, ts := newTestServer(t, &Options{ConnectionStateRecovery: &ConnectionStateRecovery{}}, func(io *Server) {
		io.Use(func(s *Socket) error { return s.Emit("from-middleware", 1) })
	})
	c := testkit.MustDial(t, ts.URL, nil)
	connectFresh(t, c)
	assert.Equal(t, `42["from-middleware",1]`, c.MustRead(t))
}

// A replay larger than the connection's queue bound would only disconnect
// the client again: it gets a new session instead.
func TestRecoveryReplayBeyondTheQueueBoundGivesANewSession(t *testing.T) {
	rs := newRecoveryServerWith(t, &Options{ConnectionStateRecovery: &ConnectionStateRecovery{}, MaxQueueBytes: 4000})
	c := testkit.MustDial(t, rs.url, nil)
	sid, pid := connectFresh(t, c)
	offset := offsetOf(t, c.MustRead(t))
	testkit.Receive(t, rs.connected)
	require.NoError(t, c.Close())
	testkit.Receive(t, rs.disconnects)
	big := string(make([]byte, 1000))
	for range 5 {
		require.NoError(t, rs.io.To("r").Emit("big", big))
	}
	c2 := testkit.MustDial(t, rs.url, nil)
	c2.MustSend(t, fmt.Sprintf(`40{"pid":%q,"offset":%q}`, pid, offset))
	sid2, _ := readConnect(t, c2)
	assert.NotEqual(t, sid, sid2)
	assert.Equal(t, `42["hello",false]`, trimOffset(c2.MustRead(t)))
}

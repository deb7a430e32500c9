package socketio

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"encoding/json"
	"net/http/httptest"

	"github.com/gosio/sio/adapter"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type point struct {
	X, Y int
}

func TestTypedHandlerReceivesDecodedArguments(t *testing.T) {
	type got struct {
		name string
		p    point
		bin  []byte
		rest []any
	}
	ch := make(chan got, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("typed", func(name string, p point, bin []byte, rest ...any) {
				ch <- got{name, p, bin, rest}
			})
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	c.write(`451-["typed","a",{"X":1,"Y":2},{"_placeholder":true,"num":0},true,3]`)
	c.writeBinary([]byte{1, 2, 3})
	g := waitFor(t, ch)
	assert.Equal(t, "a", g.name)
	assert.Equal(t, point{1, 2}, g.p)
	assert.Equal(t, []byte{1, 2, 3}, g.bin)
	assert.Equal(t, []any{true, float64(3)}, g.rest)
}

func TestAckAnswersTheClient(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("sum", func(a, b int, ack Ack) {
				require.NoError(t, ack(a+b))
				assert.ErrorIs(t, ack(0), ErrAckAlreadySent)
			})
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	c.write(`4217["sum",2,3]`)
	assert.Equal(t, `4317[5]`, c.read())
}

func TestBinaryAckKeepsAttachments(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("echo", func(args Args, ack Ack) {
				out := make([]any, len(args))
				for i, a := range args {
					out[i] = a
				}
				_ = ack(out...)
			})
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	c.write(`452-9["echo",{"b":1,"a":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":0}]`)
	c.writeBinary([]byte("zero"))
	c.writeBinary([]byte("one"))
	assert.Equal(t, `462-9[{"b":1,"a":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]`, c.read())
	assert.Equal(t, "one", string(c.readBinary()))
	assert.Equal(t, "zero", string(c.readBinary()))
}

func TestEmitWithAckWaitsForTheClient(t *testing.T) {
	result := make(chan string, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("start", func() {
				// Waiting inside a handler must not block the ack.
				args, err := s.EmitWithAck(context.Background(), "question", 1)
				if err != nil {
					result <- err.Error()
					return
				}
				var answer string
				_ = args.Decode(&answer)
				result <- answer
			})
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	c.write(`42["start"]`)
	got := c.read()
	require.True(t, strings.HasPrefix(got, "42"), got)
	id := strings.TrimSuffix(strings.TrimPrefix(got, "42"), `["question",1]`)
	c.write("43" + id + `["yes"]`)
	assert.Equal(t, "yes", waitFor(t, result))
}

func TestSocketTimeoutEmitWithAck(t *testing.T) {
	result := make(chan error, 1)
	io, ts := newTestServer(t, nil, nil)
	io.OnConnection(func(s *Socket) {
		go func() {
			_, err := s.Timeout(50*time.Millisecond).EmitWithAck(context.Background(), "never")
			result <- err
		}()
	})
	c := dial(t, ts)
	c.connect("/", "")
	err := waitFor(t, result)
	assert.ErrorIs(t, err, ErrAckTimeout)
	assert.Equal(t, "operation has timed out", err.Error())
}

func TestReservedEventNamesCannotBeEmitted(t *testing.T) {
	io := NewServer(nil)
	defer io.Close()
	for _, ev := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		assert.ErrorIs(t, io.Emit(ev), ErrReservedEvent, ev)
	}
}

func TestBroadcastToAllClientsExceptTheSender(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("shout", func(text string) { _ = s.Broadcast().Emit("heard", text) })
		})
	})
	a, b, c := dial(t, ts), dial(t, ts), dial(t, ts)
	a.connect("/", "")
	b.connect("/", "")
	c.connect("/", "")
	a.write(`42["shout","hi"]`)
	assert.Equal(t, `42["heard","hi"]`, b.read())
	assert.Equal(t, `42["heard","hi"]`, c.read())
	a.expectNothing(100 * time.Millisecond)
}

func TestRoomsUnionExceptAndNoDuplicates(t *testing.T) {
	joined := make(chan struct{}, 3)
	io, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("join", func(rooms []string) {
				s.Join(rooms...)
				joined <- struct{}{}
			})
		})
	})
	a, b, c := dial(t, ts), dial(t, ts), dial(t, ts)
	for _, x := range []*rawClient{a, b, c} {
		x.connect("/", "")
	}
	a.write(`42["join",["r1","r2"]]`)
	b.write(`42["join",["r2","vip"]]`)
	c.write(`42["join",["r3"]]`)
	for range 3 {
		waitFor(t, joined)
	}
	require.NoError(t, io.To("r1", "r2").Emit("m", 1))
	assert.Equal(t, `42["m",1]`, a.read())
	assert.Equal(t, `42["m",1]`, b.read())
	require.NoError(t, io.To("r1", "r2", "r3").Except("vip").Emit("m", 2))
	assert.Equal(t, `42["m",2]`, a.read())
	assert.Equal(t, `42["m",2]`, c.read())
	require.NoError(t, io.Emit("m", 3))
	for _, x := range []*rawClient{a, b, c} {
		assert.Equal(t, `42["m",3]`, x.read())
		x.expectNothing(50 * time.Millisecond)
	}
}

func TestSocketToRoomExcludesTheSender(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.Join("room")
			s.On("say", func(text string) { _ = s.To("room").Emit("said", text) })
		})
	})
	a, b := dial(t, ts), dial(t, ts)
	a.connect("/", "")
	b.connect("/", "")
	a.write(`42["say","x"]`)
	assert.Equal(t, `42["said","x"]`, b.read())
	a.expectNothing(100 * time.Millisecond)
}

func TestOperatorsAreImmutable(t *testing.T) {
	io := NewServer(nil)
	defer io.Close()
	base := io.To("a")
	withB := base.To("b")
	_ = base.Except("x").Volatile().Timeout(time.Second)
	assert.Len(t, base.rooms, 1)
	assert.Len(t, withB.rooms, 2)
	assert.Empty(t, base.except)
	assert.False(t, base.flags.Volatile)
	assert.Zero(t, base.flags.Timeout)
}

func TestBroadcastAckTimeoutReturnsPartialResponses(t *testing.T) {
	io, ts := newTestServer(t, nil, nil)
	a, b := dial(t, ts), dial(t, ts)
	a.connect("/", "")
	b.connect("/", "")
	type result struct {
		resp []Raw
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := io.Timeout(300*time.Millisecond).EmitWithAck(context.Background(), "q")
		done <- result{resp, err}
	}()
	got := a.read()
	id := strings.TrimSuffix(strings.TrimPrefix(got, "42"), `["q"]`)
	b.read() // b never answers
	a.write("43" + id + `["from-a","ignored"]`)
	r := waitFor(t, done)
	require.ErrorIs(t, r.err, ErrAckTimeout)
	var te *AckTimeoutError
	require.True(t, errors.As(r.err, &te))
	require.Len(t, te.Responses, 1)
	assert.Equal(t, `"from-a"`, te.Responses[0].String())
	for _, s := range io.Sockets().Sockets() {
		s.mu.Lock()
		assert.Empty(t, s.acks, "no ack entry survives its timeout")
		s.mu.Unlock()
	}
}

func TestBroadcastAckCollectsEveryClient(t *testing.T) {
	io, ts := newTestServer(t, nil, nil)
	clients := []*rawClient{dial(t, ts), dial(t, ts), dial(t, ts)}
	for _, c := range clients {
		c.connect("/", "")
	}
	done := make(chan []Raw, 1)
	go func() {
		resp, err := io.Timeout(5*time.Second).EmitWithAck(context.Background(), "q")
		assert.NoError(t, err)
		done <- resp
	}()
	for i, c := range clients {
		got := c.read()
		id := strings.TrimSuffix(strings.TrimPrefix(got, "42"), `["q"]`)
		c.write("43" + id + `[` + string(rune('0'+i)) + `]`)
	}
	resp := waitFor(t, done)
	var vals []string
	for _, r := range resp {
		vals = append(vals, r.String())
	}
	sort.Strings(vals)
	assert.Equal(t, []string{"0", "1", "2"}, vals)
}

func TestMiddlewareErrorBecomesConnectError(t *testing.T) {
	order := make(chan string, 2)
	_, ts := newTestServer(t, nil, func(io *Server) {
		n := io.Of("guarded")
		n.Use(func(s *Socket) error { order <- "first"; return nil })
		n.Use(func(s *Socket) error {
			order <- "second"
			return &ConnectError{Message: "not authorized", Data: map[string]string{"reason": "bad token"}}
		})
		n.OnConnection(func(s *Socket) { t.Error("connection handler must not run") })
	})
	c := dial(t, ts)
	c.write(`40/guarded,`)
	assert.Equal(t, `44/guarded,{"message":"not authorized","data":{"reason":"bad token"}}`, c.read())
	assert.Equal(t, "first", waitFor(t, order))
	assert.Equal(t, "second", waitFor(t, order))
}

func TestUnknownNamespaceIsRefused(t *testing.T) {
	_, ts := newTestServer(t, nil, nil)
	c := dial(t, ts)
	c.write(`40/nope`)
	assert.Equal(t, `44/nope,{"message":"Invalid namespace"}`, c.read())
	c.connect("/", "") // the connection stays usable
}

func TestDynamicNamespaceFromRegexp(t *testing.T) {
	created := make(chan string, 2)
	connected := make(chan string, 2)
	io, ts := newTestServer(t, nil, nil)
	io.OnNewNamespace(func(n *Namespace) { created <- n.Name() })
	parent := io.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	parent.Use(func(s *Socket) error { return nil })
	parent.OnConnection(func(s *Socket) { connected <- s.Namespace().Name() })
	c := dial(t, ts)
	c.connect("/dyn-42", "")
	assert.Equal(t, "/dyn-42", waitFor(t, created))
	assert.Equal(t, "/dyn-42", waitFor(t, connected))
	c.write(`40/other`)
	assert.Equal(t, `44/other,{"message":"Invalid namespace"}`, c.read())
	require.Len(t, parent.Children(), 1)
}

func TestDynamicNamespaceFromFuncSeesAuth(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OfFunc(func(name string, auth json.RawMessage) (bool, error) {
			return strings.Contains(string(auth), "letmein"), nil
		})
	})
	c := dial(t, ts)
	c.write(`40/x,{"k":"nope"}`)
	assert.Equal(t, `44/x,{"message":"Invalid namespace"}`, c.read())
	c.connect("/x", `{"k":"letmein"}`)
}

func TestCleanupEmptyChildNamespaces(t *testing.T) {
	gone := make(chan struct{})
	io, ts := newTestServer(t, &Options{CleanupEmptyChildNamespaces: true}, nil)
	parent := io.OfRegexp(regexp.MustCompile(`^/tmp$`))
	parent.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(DisconnectReason) { close(gone) })
	})
	c := dial(t, ts)
	c.connect("/tmp", "")
	require.Len(t, parent.Children(), 1)
	c.write(`41/tmp,`)
	waitFor(t, gone)
	require.Eventually(t, func() bool { return len(parent.Children()) == 0 }, 2*time.Second, 10*time.Millisecond)
	_, ok := io.nsps.Get("/tmp")
	assert.False(t, ok)
}

func TestDisconnectReasons(t *testing.T) {
	tests := []struct {
		name   string
		act    func(c *rawClient, s *Socket)
		reason DisconnectReason
		text   string
	}{
		{"client namespace disconnect", func(c *rawClient, _ *Socket) { c.write("41") }, ReasonClientNamespaceDisconnect, "client namespace disconnect"},
		{"server namespace disconnect", func(c *rawClient, s *Socket) {
			s.Disconnect(false)
			assert.Equal(t, "41", c.read())
		}, ReasonServerNamespaceDisconnect, "server namespace disconnect"},
		{"transport close", func(c *rawClient, _ *Socket) { c.conn.Close() }, ReasonTransportClose, "transport close"},
		{"parse error", func(c *rawClient, _ *Socket) { c.write("4x") }, ReasonParseError, "parse error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sockets := make(chan *Socket, 1)
			reasons := make(chan DisconnectReason, 1)
			_, ts := newTestServer(t, nil, func(io *Server) {
				io.OnConnection(func(s *Socket) {
					s.OnDisconnect(func(r DisconnectReason) { reasons <- r })
					sockets <- s
				})
			})
			c := dial(t, ts)
			c.connect("/", "")
			s := waitFor(t, sockets)
			tt.act(c, s)
			r := waitFor(t, reasons)
			assert.Equal(t, tt.reason, r)
			assert.Equal(t, tt.text, r.String())
		})
	}
}

func TestDisconnectingSeesRoomsDisconnectDoesNot(t *testing.T) {
	during := make(chan []string, 1)
	after := make(chan []string, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.Join("a")
			s.OnDisconnecting(func(DisconnectReason) { during <- s.Rooms() })
			s.OnDisconnect(func(DisconnectReason) { after <- s.Rooms() })
		})
	})
	c := dial(t, ts)
	id := c.connect("/", "")
	c.write("41")
	rooms := waitFor(t, during)
	sort.Strings(rooms)
	want := []string{id, "a"}
	sort.Strings(want)
	assert.Equal(t, want, rooms)
	assert.Empty(t, waitFor(t, after))
}

func TestNamespacesAreMultiplexedAndIndependent(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("ping", func() { _ = s.Emit("pong", "main") })
		})
		io.Of("/admin").OnConnection(func(s *Socket) {
			s.On("ping", func() { _ = s.Emit("pong", "admin") })
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	c.connect("/admin", "")
	c.write(`42/admin,["ping"]`)
	assert.Equal(t, `42/admin,["pong","admin"]`, c.read())
	c.write(`42["ping"]`)
	assert.Equal(t, `42["pong","main"]`, c.read())
}

func TestPacketForANamespaceNotJoinedClosesTheConnection(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) { io.Of("/admin") })
	c := dial(t, ts)
	c.connect("/", "")
	c.write(`42/admin,["x"]`)
	c.expectClose(2 * time.Second)
}

func TestPacketMiddlewareAndAnyListeners(t *testing.T) {
	seen := make(chan string, 8)
	errs := make(chan error, 1)
	handled := make(chan string, 2)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.Use(func(event string, args Args) error {
				if event == "forbidden" {
					return errors.New("nope")
				}
				return nil
			})
			s.OnAny(func(event string, args Args) { seen <- "any:" + event })
			s.PrependAny(func(event string, args Args) { seen <- "first:" + event })
			s.OnError(func(err error) { errs <- err })
			s.On("ok", func() { handled <- "ok" })
			s.On("forbidden", func() { handled <- "forbidden" })
			var out []string
			s.OnAnyOutgoing(func(event string, args Args) { out = append(out, event+args[0].String()) })
			s.On("check-out", func(ack Ack) {
				_ = s.Emit("e1", 1)
				_ = s.Namespace().Emit("e2", 2)
				_ = ack(out)
			})
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	c.write(`42["forbidden"]`)
	assert.EqualError(t, waitFor(t, errs), "nope")
	// Any-listeners see an event before the middleware drops it.
	assert.Equal(t, "first:forbidden", waitFor(t, seen))
	assert.Equal(t, "any:forbidden", waitFor(t, seen))
	c.write(`42["ok"]`)
	assert.Equal(t, "ok", waitFor(t, handled))
	assert.Equal(t, "first:ok", waitFor(t, seen))
	assert.Equal(t, "any:ok", waitFor(t, seen))
	c.write(`421["check-out"]`)
	assert.Equal(t, `42["e1",1]`, c.read())
	assert.Equal(t, `42["e2",2]`, c.read())
	assert.Equal(t, `431[["e11","e22"]]`, c.read())
}

func TestFetchSocketsAndRemoteOperations(t *testing.T) {
	io, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) { s.SetData(map[string]any{"n": s.Handshake().Query.Get("n")}) })
	})
	a, b := dial(t, ts), dial(t, ts)
	idA := a.connect("/", "")
	b.connect("/", "")
	ctx := context.Background()
	all, err := io.FetchSockets(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)

	require.NoError(t, io.In(idA).SocketsJoin("club"))
	inClub, err := io.In("club").FetchSockets(ctx)
	require.NoError(t, err)
	require.Len(t, inClub, 1)
	assert.Equal(t, idA, inClub[0].ID())
	require.NotNil(t, inClub[0].Local())
	require.NoError(t, inClub[0].Emit("hello", "club"))
	assert.Equal(t, `42["hello","club"]`, a.read())

	require.NoError(t, io.SocketsLeave("club"))
	inClub, _ = io.In("club").FetchSockets(ctx)
	assert.Empty(t, inClub)

	require.NoError(t, io.DisconnectSockets(false))
	assert.Equal(t, "41", a.read())
	assert.Equal(t, "41", b.read())
	assert.ErrorIs(t, io.ServerSideEmit(ctx, "x"), adapter.ErrNotSupported)
}

func TestShutdownDisconnectsEverySocket(t *testing.T) {
	reasons := make(chan DisconnectReason, 2)
	io := NewServer(nil)
	io.OnConnection(func(s *Socket) { s.OnDisconnect(func(r DisconnectReason) { reasons <- r }) })
	ts := httptest.NewServer(io)
	defer ts.Close()
	a, b := dial(t, ts), dial(t, ts)
	a.connect("/", "")
	b.connect("/", "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, io.Shutdown(ctx))
	assert.Equal(t, ReasonServerShuttingDown, waitFor(t, reasons))
	assert.Equal(t, ReasonServerShuttingDown, waitFor(t, reasons))
	assert.Equal(t, "1", a.read()) // an Engine.IO close, so the client reconnects
	require.NoError(t, io.Shutdown(ctx), "Shutdown is idempotent")
}

func TestLimitsOnRoomsAndDynamicNamespaces(t *testing.T) {
	results := make(chan error, 2)
	_, ts := newTestServer(t, &Options{MaxRoomsPerSocket: 3, MaxDynamicNamespaces: 2}, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			results <- s.Join("a", "b")      // own room + 2 = 3
			results <- s.Join("a", "b", "c") // a 4th
		})
		io.OfRegexp(regexp.MustCompile(`^/d\d$`))
	})
	c := dial(t, ts)
	c.connect("/", "")
	assert.NoError(t, waitFor(t, results))
	assert.ErrorIs(t, waitFor(t, results), ErrTooManyRooms)
	c.connect("/d1", "")
	c.connect("/d2", "")
	c.write("40/d3,")
	assert.Equal(t, `44/d3,{"message":"Invalid namespace"}`, c.read())
	dial(t, ts).connect("/d1", "") // existing children stay reachable
}

func TestEmitWithCallbackAck(t *testing.T) {
	answers := make(chan string, 2)
	timeouts := make(chan error, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			require.NoError(t, s.Emit("question", "name?", func(name string, n int) {
				answers <- fmt.Sprintf("%s/%d", name, n)
			}))
			require.NoError(t, s.Timeout(100*time.Millisecond).Emit("never", func(err error, x string) {
				timeouts <- err
			}))
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	got := c.read()
	require.True(t, strings.HasSuffix(got, `["question","name?"]`), got)
	id := strings.TrimSuffix(strings.TrimPrefix(got, "42"), `["question","name?"]`)
	c.read() // the "never" event, not answered
	c.write("43" + id + `["ada",7]`)
	assert.Equal(t, "ada/7", waitFor(t, answers))
	assert.ErrorIs(t, waitFor(t, timeouts), ErrAckTimeout)
}

func TestHandlersRunInOrderAndOffRemovesOneEvent(t *testing.T) {
	calls := make(chan string, 16)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("a", func(args Args, ack Ack) { calls <- "a1" })
			s.On("b", func() { calls <- "b1" })
			s.On("a", func(args Args) { calls <- "a2" })
			s.On("a", func(n int) { calls <- fmt.Sprint("a3:", n) })
			s.On("b", func(args Args) { calls <- "b2" })
			s.On("off", func() { s.Off("a") })
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	c.write(`42["a",7]`)
	for _, want := range []string{"a1", "a2", "a3:7"} {
		assert.Equal(t, want, waitFor(t, calls))
	}
	c.write(`42["off"]`)
	c.write(`42["a",7]`)
	c.write(`42["b"]`)
	assert.Equal(t, "b1", waitFor(t, calls), "a has no handler left")
	assert.Equal(t, "b2", waitFor(t, calls))
}

func TestDoneHandshakeAndDisconnect(t *testing.T) {
	sockets := make(chan *Socket, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) { sockets <- s })
	})
	c := dial(t, ts)
	c.connect("/", `{"token":"x"}`)
	s := waitFor(t, sockets)
	h := s.Handshake()
	assert.Same(t, h, s.Handshake(), "the same handshake every time")
	assert.JSONEq(t, `{"token":"x"}`, string(h.Auth))
	assert.Equal(t, "4", h.Query.Get("EIO"))
	assert.WithinDuration(t, time.Now(), h.Time, 5*time.Second)
	done := s.Done()
	select {
	case <-done:
		t.Fatal("done before the disconnect")
	default:
	}
	c.write(`41`)
	waitFor(t, done)
	assert.False(t, s.Connected())
	waitFor(t, s.Done())
}

func TestDoneAskedForAfterTheDisconnect(t *testing.T) {
	sockets := make(chan *Socket, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.OnDisconnect(func(DisconnectReason) { sockets <- s })
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	c.write(`41`)
	s := waitFor(t, sockets)
	waitFor(t, s.Done())
	assert.Equal(t, "{}", string(s.Handshake().Auth))
}

func TestConnectTimeoutOnlyBeforeTheFirstNamespace(t *testing.T) {
	_, ts := newTestServer(t, &Options{ConnectTimeout: 200 * time.Millisecond}, nil)
	idle := dial(t, ts)
	joined := dial(t, ts)
	joined.connect("/", "")
	joined.write(`41`) // leaves again: the timer must not close it later
	idle.expectClose(3 * time.Second)
	joined.expectNothing(500 * time.Millisecond)
}

func TestEmitWithAckReleasedWhenTheConnectionCloses(t *testing.T) {
	errs := make(chan error, 2)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			for range 2 {
				go func() {
					_, err := s.EmitWithAck(context.Background(), "question")
					errs <- err
				}()
			}
		})
	})
	c := dial(t, ts)
	c.connect("/", "")
	assert.Contains(t, c.read(), `["question"]`)
	assert.Contains(t, c.read(), `["question"]`)
	c.conn.Close()
	assert.ErrorIs(t, waitFor(t, errs), ErrDisconnected)
	assert.ErrorIs(t, waitFor(t, errs), ErrDisconnected)
}

func TestSeveralNamespacesOnOneConnection(t *testing.T) {
	io, ts := newTestServer(t, nil, nil)
	left := make(chan DisconnectReason, 3)
	for _, name := range []string{"/a", "/b", "/c"} {
		io.Of(name).OnConnection(func(s *Socket) {
			s.On("where", func(ack Ack) { _ = ack(s.Namespace().Name()) })
			s.OnDisconnect(func(r DisconnectReason) { left <- r })
		})
	}
	c := dial(t, ts)
	c.connect("/a", "")
	c.connect("/b", "")
	c.connect("/c", "")
	c.write(`42/b,1["where"]`)
	assert.Equal(t, `43/b,1["/b"]`, c.read())
	c.write(`41/b,`)
	assert.Equal(t, ReasonClientNamespaceDisconnect, waitFor(t, left))
	c.write(`42/c,2["where"]`)
	assert.Equal(t, `43/c,2["/c"]`, c.read())
	c.connect("/b", "") // rejoins
	c.write(`42/b,3["where"]`)
	assert.Equal(t, `43/b,3["/b"]`, c.read())
	c.write(`40/a,`) // already joined: the connection closes
	c.expectClose(3 * time.Second)
	for range 3 {
		assert.NotEqual(t, ReasonClientNamespaceDisconnect, waitFor(t, left))
	}
}

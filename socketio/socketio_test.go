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
	"github.com/gosio/sio/internal/testkit"
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `451-["typed","a",{"X":1,"Y":2},{"_placeholder":true,"num":0},true,3]`)
	c.MustSendBinary(t, []byte{1, 2, 3})
	g := testkit.Receive(t, ch)
	assert.Equal(t, "a", g.name)
	assert.Equal(t, point{1, 2}, g.p)
	assert.Equal(t, []byte{1, 2, 3}, g.bin)
	assert.Equal(t, []any{true, float64(3)}, g.rest)
}

func TestAckAnswersTheClient(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("sum", func(a, b int, ack Ack) {
				assert.NoError(t, ack(a+b)) // not require: a handler's goroutine is not the test's
				assert.ErrorIs(t, ack(0), ErrAckAlreadySent)
			})
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `4217["sum",2,3]`)
	assert.Equal(t, `4317[5]`, c.MustRead(t))
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `452-9["echo",{"b":1,"a":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":0}]`)
	c.MustSendBinary(t, []byte("zero"))
	c.MustSendBinary(t, []byte("one"))
	assert.Equal(t, `462-9[{"b":1,"a":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]`, c.MustRead(t))
	assert.Equal(t, "one", string(c.MustReadBinary(t)))
	assert.Equal(t, "zero", string(c.MustReadBinary(t)))
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `42["start"]`)
	got := c.MustRead(t)
	require.True(t, strings.HasPrefix(got, "42"), got)
	id := strings.TrimSuffix(strings.TrimPrefix(got, "42"), `["question",1]`)
	c.MustSend(t, "43"+id+`["yes"]`)
	assert.Equal(t, "yes", testkit.Receive(t, result))
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	err := testkit.Receive(t, result)
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
	a, b, c := testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil)
	a.MustConnect(t, "/", "")
	b.MustConnect(t, "/", "")
	c.MustConnect(t, "/", "")
	a.MustSend(t, `42["shout","hi"]`)
	assert.Equal(t, `42["heard","hi"]`, b.MustRead(t))
	assert.Equal(t, `42["heard","hi"]`, c.MustRead(t))
	a.MustReadNothing(t, 100*time.Millisecond)
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
	a, b, c := testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil)
	for _, x := range []*testkit.Client{a, b, c} {
		x.MustConnect(t, "/", "")
	}
	a.MustSend(t, `42["join",["r1","r2"]]`)
	b.MustSend(t, `42["join",["r2","vip"]]`)
	c.MustSend(t, `42["join",["r3"]]`)
	for range 3 {
		testkit.Receive(t, joined)
	}
	require.NoError(t, io.To("r1", "r2").Emit("m", 1))
	assert.Equal(t, `42["m",1]`, a.MustRead(t))
	assert.Equal(t, `42["m",1]`, b.MustRead(t))
	require.NoError(t, io.To("r1", "r2", "r3").Except("vip").Emit("m", 2))
	assert.Equal(t, `42["m",2]`, a.MustRead(t))
	assert.Equal(t, `42["m",2]`, c.MustRead(t))
	require.NoError(t, io.Emit("m", 3))
	for _, x := range []*testkit.Client{a, b, c} {
		assert.Equal(t, `42["m",3]`, x.MustRead(t))
		x.MustReadNothing(t, 50*time.Millisecond)
	}
}

func TestSocketToRoomExcludesTheSender(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.Join("room")
			s.On("say", func(text string) { _ = s.To("room").Emit("said", text) })
		})
	})
	a, b := testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil)
	a.MustConnect(t, "/", "")
	b.MustConnect(t, "/", "")
	a.MustSend(t, `42["say","x"]`)
	assert.Equal(t, `42["said","x"]`, b.MustRead(t))
	a.MustReadNothing(t, 100*time.Millisecond)
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
	a, b := testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil)
	a.MustConnect(t, "/", "")
	b.MustConnect(t, "/", "")
	type result struct {
		resp []Raw
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := io.Timeout(300*time.Millisecond).EmitWithAck(context.Background(), "q")
		done <- result{resp, err}
	}()
	got := a.MustRead(t)
	id := strings.TrimSuffix(strings.TrimPrefix(got, "42"), `["q"]`)
	b.MustRead(t) // b never answers
	a.MustSend(t, "43"+id+`["from-a","ignored"]`)
	r := testkit.Receive(t, done)
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
	clients := []*testkit.Client{testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil)}
	for _, c := range clients {
		c.MustConnect(t, "/", "")
	}
	done := make(chan []Raw, 1)
	go func() {
		resp, err := io.Timeout(5*time.Second).EmitWithAck(context.Background(), "q")
		assert.NoError(t, err)
		done <- resp
	}()
	for i, c := range clients {
		got := c.MustRead(t)
		id := strings.TrimSuffix(strings.TrimPrefix(got, "42"), `["q"]`)
		c.MustSend(t, "43"+id+`[`+string(rune('0'+i))+`]`)
	}
	resp := testkit.Receive(t, done)
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustSend(t, `40/guarded,`)
	assert.Equal(t, `44/guarded,{"message":"not authorized","data":{"reason":"bad token"}}`, c.MustRead(t))
	assert.Equal(t, "first", testkit.Receive(t, order))
	assert.Equal(t, "second", testkit.Receive(t, order))
}

func TestUnknownNamespaceIsRefused(t *testing.T) {
	_, ts := newTestServer(t, nil, nil)
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustSend(t, `40/nope`)
	assert.Equal(t, `44/nope,{"message":"Invalid namespace"}`, c.MustRead(t))
	c.MustConnect(t, "/", "") // the connection stays usable
}

func TestDynamicNamespaceFromRegexp(t *testing.T) {
	created := make(chan string, 2)
	connected := make(chan string, 2)
	io, ts := newTestServer(t, nil, nil)
	io.OnNewNamespace(func(n *Namespace) { created <- n.Name() })
	parent := io.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	parent.Use(func(s *Socket) error { return nil })
	parent.OnConnection(func(s *Socket) { connected <- s.Namespace().Name() })
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/dyn-42", "")
	assert.Equal(t, "/dyn-42", testkit.Receive(t, created))
	assert.Equal(t, "/dyn-42", testkit.Receive(t, connected))
	c.MustSend(t, `40/other`)
	assert.Equal(t, `44/other,{"message":"Invalid namespace"}`, c.MustRead(t))
	require.Len(t, parent.Children(), 1)
}

func TestDynamicNamespaceFromFuncSeesAuth(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OfFunc(func(name string, auth json.RawMessage) (bool, error) {
			return strings.Contains(string(auth), "letmein"), nil
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustSend(t, `40/x,{"k":"nope"}`)
	assert.Equal(t, `44/x,{"message":"Invalid namespace"}`, c.MustRead(t))
	c.MustConnect(t, "/x", `{"k":"letmein"}`)
}

func TestCleanupEmptyChildNamespaces(t *testing.T) {
	gone := make(chan struct{})
	io, ts := newTestServer(t, &Options{CleanupEmptyChildNamespaces: true}, nil)
	parent := io.OfRegexp(regexp.MustCompile(`^/tmp$`))
	parent.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(DisconnectReason) { close(gone) })
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/tmp", "")
	require.Len(t, parent.Children(), 1)
	c.MustSend(t, `41/tmp,`)
	testkit.Receive(t, gone)
	require.Eventually(t, func() bool { return len(parent.Children()) == 0 }, 2*time.Second, 10*time.Millisecond)
	_, ok := io.nsps.Get("/tmp")
	assert.False(t, ok)
}

func TestDisconnectReasons(t *testing.T) {
	tests := []struct {
		name   string
		act    func(t *testing.T, c *testkit.Client, s *Socket)
		reason DisconnectReason
		text   string
	}{
		{"client namespace disconnect", func(t *testing.T, c *testkit.Client, _ *Socket) { c.MustSend(t, "41") }, ReasonClientNamespaceDisconnect, "client namespace disconnect"},
		{"server namespace disconnect", func(t *testing.T, c *testkit.Client, s *Socket) {
			s.Disconnect(false)
			assert.Equal(t, "41", c.MustRead(t))
		}, ReasonServerNamespaceDisconnect, "server namespace disconnect"},
		{"transport close", func(t *testing.T, c *testkit.Client, _ *Socket) { c.Close() }, ReasonTransportClose, "transport close"},
		{"parse error", func(t *testing.T, c *testkit.Client, _ *Socket) { c.MustSend(t, "4x") }, ReasonParseError, "parse error"},
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
			c := testkit.MustDial(t, ts.URL, nil)
			c.MustConnect(t, "/", "")
			s := testkit.Receive(t, sockets)
			tt.act(t, c, s)
			r := testkit.Receive(t, reasons)
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
	c := testkit.MustDial(t, ts.URL, nil)
	id := c.MustConnect(t, "/", "")
	c.MustSend(t, "41")
	rooms := testkit.Receive(t, during)
	sort.Strings(rooms)
	want := []string{id, "a"}
	sort.Strings(want)
	assert.Equal(t, want, rooms)
	assert.Empty(t, testkit.Receive(t, after))
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustConnect(t, "/admin", "")
	c.MustSend(t, `42/admin,["ping"]`)
	assert.Equal(t, `42/admin,["pong","admin"]`, c.MustRead(t))
	c.MustSend(t, `42["ping"]`)
	assert.Equal(t, `42["pong","main"]`, c.MustRead(t))
}

func TestPacketForANamespaceNotJoinedClosesTheConnection(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) { io.Of("/admin") })
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `42/admin,["x"]`)
	c.MustSeeClose(t, 2*time.Second)
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `42["forbidden"]`)
	assert.EqualError(t, testkit.Receive(t, errs), "nope")
	// Any-listeners see an event before the middleware drops it.
	assert.Equal(t, "first:forbidden", testkit.Receive(t, seen))
	assert.Equal(t, "any:forbidden", testkit.Receive(t, seen))
	c.MustSend(t, `42["ok"]`)
	assert.Equal(t, "ok", testkit.Receive(t, handled))
	assert.Equal(t, "first:ok", testkit.Receive(t, seen))
	assert.Equal(t, "any:ok", testkit.Receive(t, seen))
	c.MustSend(t, `421["check-out"]`)
	assert.Equal(t, `42["e1",1]`, c.MustRead(t))
	assert.Equal(t, `42["e2",2]`, c.MustRead(t))
	assert.Equal(t, `431[["e11","e22"]]`, c.MustRead(t))
}

func TestFetchSocketsAndRemoteOperations(t *testing.T) {
	io, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) { s.SetData(map[string]any{"n": s.Handshake().Query.Get("n")}) })
	})
	a, b := testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil)
	idA := a.MustConnect(t, "/", "")
	b.MustConnect(t, "/", "")
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
	assert.Equal(t, `42["hello","club"]`, a.MustRead(t))

	require.NoError(t, io.SocketsLeave("club"))
	inClub, _ = io.In("club").FetchSockets(ctx)
	assert.Empty(t, inClub)

	require.NoError(t, io.DisconnectSockets(false))
	assert.Equal(t, "41", a.MustRead(t))
	assert.Equal(t, "41", b.MustRead(t))
	assert.ErrorIs(t, io.ServerSideEmit(ctx, "x"), adapter.ErrNotSupported)
}

func TestShutdownDisconnectsEverySocket(t *testing.T) {
	reasons := make(chan DisconnectReason, 2)
	io := NewServer(nil)
	io.OnConnection(func(s *Socket) { s.OnDisconnect(func(r DisconnectReason) { reasons <- r }) })
	ts := httptest.NewServer(io)
	defer ts.Close()
	a, b := testkit.MustDial(t, ts.URL, nil), testkit.MustDial(t, ts.URL, nil)
	a.MustConnect(t, "/", "")
	b.MustConnect(t, "/", "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, io.Shutdown(ctx))
	assert.Equal(t, ReasonServerShuttingDown, testkit.Receive(t, reasons))
	assert.Equal(t, ReasonServerShuttingDown, testkit.Receive(t, reasons))
	assert.Equal(t, "1", a.MustRead(t)) // an Engine.IO close, so the client reconnects
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	assert.NoError(t, testkit.Receive(t, results))
	assert.ErrorIs(t, testkit.Receive(t, results), ErrTooManyRooms)
	c.MustConnect(t, "/d1", "")
	c.MustConnect(t, "/d2", "")
	c.MustSend(t, "40/d3,")
	assert.Equal(t, `44/d3,{"message":"Invalid namespace"}`, c.MustRead(t))
	testkit.MustDial(t, ts.URL, nil).MustConnect(t, "/d1", "") // existing children stay reachable
}

func TestEmitWithCallbackAck(t *testing.T) {
	answers := make(chan string, 2)
	timeouts := make(chan error, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			assert.NoError(t, s.Emit("question", "name?", func(name string, n int) {
				answers <- fmt.Sprintf("%s/%d", name, n)
			}))
			assert.NoError(t, s.Timeout(100*time.Millisecond).Emit("never", func(err error, x string) {
				timeouts <- err
			}))
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	got := c.MustRead(t)
	require.True(t, strings.HasSuffix(got, `["question","name?"]`), got)
	id := strings.TrimSuffix(strings.TrimPrefix(got, "42"), `["question","name?"]`)
	c.MustRead(t) // the "never" event, not answered
	c.MustSend(t, "43"+id+`["ada",7]`)
	assert.Equal(t, "ada/7", testkit.Receive(t, answers))
	assert.ErrorIs(t, testkit.Receive(t, timeouts), ErrAckTimeout)
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `42["a",7]`)
	for _, want := range []string{"a1", "a2", "a3:7"} {
		assert.Equal(t, want, testkit.Receive(t, calls))
	}
	c.MustSend(t, `42["off"]`)
	c.MustSend(t, `42["a",7]`)
	c.MustSend(t, `42["b"]`)
	assert.Equal(t, "b1", testkit.Receive(t, calls), "a has no handler left")
	assert.Equal(t, "b2", testkit.Receive(t, calls))
}

func TestDoneHandshakeAndDisconnect(t *testing.T) {
	sockets := make(chan *Socket, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) { sockets <- s })
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", `{"token":"x"}`)
	s := testkit.Receive(t, sockets)
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
	c.MustSend(t, `41`)
	testkit.Receive(t, done)
	assert.False(t, s.Connected())
	testkit.Receive(t, s.Done())
}

func TestDoneAskedForAfterTheDisconnect(t *testing.T) {
	sockets := make(chan *Socket, 1)
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.OnDisconnect(func(DisconnectReason) { sockets <- s })
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	c.MustSend(t, `41`)
	s := testkit.Receive(t, sockets)
	testkit.Receive(t, s.Done())
	assert.Equal(t, "{}", string(s.Handshake().Auth))
}

func TestConnectTimeoutOnlyBeforeTheFirstNamespace(t *testing.T) {
	_, ts := newTestServer(t, &Options{ConnectTimeout: 200 * time.Millisecond}, nil)
	idle := testkit.MustDial(t, ts.URL, nil)
	joined := testkit.MustDial(t, ts.URL, nil)
	joined.MustConnect(t, "/", "")
	joined.MustSend(t, `41`) // leaves again: the timer must not close it later
	idle.MustSeeClose(t, 3*time.Second)
	joined.MustReadNothing(t, 500*time.Millisecond)
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	assert.Contains(t, c.MustRead(t), `["question"]`)
	assert.Contains(t, c.MustRead(t), `["question"]`)
	c.Close()
	assert.ErrorIs(t, testkit.Receive(t, errs), ErrDisconnected)
	assert.ErrorIs(t, testkit.Receive(t, errs), ErrDisconnected)
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
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/a", "")
	c.MustConnect(t, "/b", "")
	c.MustConnect(t, "/c", "")
	c.MustSend(t, `42/b,1["where"]`)
	assert.Equal(t, `43/b,1["/b"]`, c.MustRead(t))
	c.MustSend(t, `41/b,`)
	assert.Equal(t, ReasonClientNamespaceDisconnect, testkit.Receive(t, left))
	c.MustSend(t, `42/c,2["where"]`)
	assert.Equal(t, `43/c,2["/c"]`, c.MustRead(t))
	c.MustConnect(t, "/b", "") // rejoins
	c.MustSend(t, `42/b,3["where"]`)
	assert.Equal(t, `43/b,3["/b"]`, c.MustRead(t))
	c.MustSend(t, `40/a,`) // already joined: the connection closes
	c.MustSeeClose(t, 3*time.Second)
	for range 3 {
		assert.NotEqual(t, ReasonClientNamespaceDisconnect, testkit.Receive(t, left))
	}
}

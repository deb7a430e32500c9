package admin

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	redisadapter "github.com/gosio/sio/adapter/redis"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
	"github.com/gosio/sio/socketio"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

const password = "changeit"

// hash is the bcrypt hash of password, at the lowest cost to keep the
// tests fast.
var hash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

const login = `{"username":"admin","password":"` + password + `"}`

// setup starts a server with a "chat" on "/" (a nickname in the socket's
// data, a "join" event), instruments it with opts (basic auth unless
// opts says otherwise) and returns both and the server's URL.
func setup(t *testing.T, opts Options, sio *socketio.Options) (*socketio.Server, *Instrumentation, string) {
	t.Helper()
	io := socketio.NewServer(sio)
	io.OnConnection(func(s *socketio.Socket) {
		s.SetData(map[string]any{"nickname": "guest"})
		s.On("set nickname", func(name string, ack socketio.Ack) {
			s.SetData(map[string]any{"nickname": name})
			_ = ack(true)
		})
		s.On("join", func(room string, ack socketio.Ack) {
			_ = s.Join(room)
			_ = ack(true)
		})
		s.On("ping", func(ack socketio.Ack) { _ = ack("pong") })
	})
	if opts.Auth == nil && !opts.NoAuth {
		opts.Auth = &BasicAuth{Username: "admin", PasswordHash: hash}
	}
	if opts.StatsInterval == 0 {
		opts.StatsInterval = 50 * time.Millisecond
	}
	in, err := Instrument(io, opts)
	require.NoError(t, err)
	ts := httptest.NewServer(io)
	t.Cleanup(func() {
		require.NoError(t, in.Close())
		ts.CloseClientConnections()
		_ = io.Close()
		ts.Close()
	})
	return io, in, ts.URL
}

// dial opens a client that reads all the time.
func dial(t *testing.T, url string) *testkit.Client {
	return testkit.MustDial(t, url, &testkit.Options{Background: true})
}

// waitEvent returns the next event called name in namespace nsp,
// skipping the others, and fails the test if none comes in time.
func waitEvent(t *testing.T, c *testkit.Client, nsp, name string) testkit.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	for {
		p, err := c.ReadPacket(ctx)
		require.NoError(t, err, "waiting for %s", name)
		if p.Nsp != nsp || (p.Type != testkit.PacketEvent && p.Type != testkit.PacketBinaryEvent) {
			continue
		}
		ev, err := p.Event()
		require.NoError(t, err)
		if ev.Name == name {
			return ev
		}
	}
}

// waitEventWhere is waitEvent for the first such event that match accepts.
func waitEventWhere(t *testing.T, c *testkit.Client, nsp, name string, match func(testkit.Event) bool) testkit.Event {
	t.Helper()
	deadline := time.Now().Add(testkit.Timeout)
	for time.Now().Before(deadline) {
		if ev := waitEvent(t, c, nsp, name); match(ev) {
			return ev
		}
	}
	t.Fatalf("timed out waiting for a matching %s", name)
	return testkit.Event{}
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(raw, &v), "%s", raw)
	return v
}

// adminSocket is a socket as all_sockets and socket_connected give it.
type adminSocket struct {
	ID        string          `json:"id"`
	ClientID  string          `json:"clientId"`
	Transport string          `json:"transport"`
	Nsp       string          `json:"nsp"`
	Data      map[string]any  `json:"data"`
	Handshake map[string]any  `json:"handshake"`
	Rooms     []string        `json:"rooms"`
	Raw       json.RawMessage `json:"-"`
}

func find(list []adminSocket, id string) *adminSocket {
	for i := range list {
		if list[i].ID == id {
			return &list[i]
		}
	}
	return nil
}

// chatter is a client of the main namespace with its socket ID.
type chatter struct {
	*testkit.Client
	id string
}

func join(t *testing.T, url, nickname string, rooms ...string) chatter {
	c := dial(t, url)
	id := c.MustConnect(t, "/", "")
	c.MustEmitWithAck(t, "/", "set nickname", nickname)
	for _, r := range rooms {
		c.MustEmitWithAck(t, "/", "join", r)
	}
	return chatter{c, id}
}

func TestInstrumentWantsAnAuthChoiceAndABcryptHash(t *testing.T) {
	io := socketio.NewServer(nil)
	defer io.Close()
	_, err := Instrument(io, Options{})
	assert.ErrorIs(t, err, ErrNoAuth)
	_, err = Instrument(io, Options{NoAuth: true, Auth: &BasicAuth{Username: "a", PasswordHash: hash}})
	assert.ErrorIs(t, err, ErrNoAuth)
	_, err = Instrument(io, Options{Auth: &BasicAuth{Username: "a", PasswordHash: "changeit"}})
	assert.ErrorIs(t, err, ErrBadHash)
}

func TestHashesOfOtherBcryptToolsAreAccepted(t *testing.T) {
	// "changeit" in the reference's README ($2b$, from node.bcrypt.js),
	// and the same as PHP and htpasswd write it ($2y$: the same algorithm).
	io := socketio.NewServer(nil)
	defer io.Close()
	for _, h := range []string{
		"$2b$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS",
		"$2y$10$heqvAkYMez.Va6Et2uXInOnkCT6/uQj1brkrbyG3LpopDklcq7ZOS",
	} {
		assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(h), []byte("changeit")), h)
		in, err := Instrument(io, Options{Namespace: "/admin-" + h[1:3], Auth: &BasicAuth{Username: "admin", PasswordHash: h}})
		require.NoError(t, err)
		require.NoError(t, in.Close())
	}
}

func TestWrongLoginIsRefusedWithInvalidCredentials(t *testing.T) {
	_, _, url := setup(t, Options{}, nil)
	for _, auth := range []string{
		"",
		`{"username":"admin","password":"wrong"}`,
		`{"username":"root","password":"` + password + `"}`,
		`{"username":"admin","password":42}`,
		`{"sessionId":"0123456789abcdef"}`,
	} {
		c := dial(t, url)
		_, err := c.Connect(context.Background(), "/admin", auth)
		ce, ok := testkit.IsConnectError(err)
		require.True(t, ok, "%s: %v", auth, err)
		assert.JSONEq(t, `{"message":"invalid credentials"}`, string(ce.Data), auth)
	}
}

func TestLoginGivesASessionTheConfigAndEverySocket(t *testing.T) {
	_, _, url := setup(t, Options{}, nil)
	alice := join(t, url, "alice", "lobby")
	bob := join(t, url, "bob")

	a := dial(t, url)
	adminID := a.MustConnect(t, "/admin", login)
	session := waitEvent(t, a, "/admin", "session")
	require.Len(t, session.Args, 1)
	sid := decode[string](t, session.Args[0])
	assert.Len(t, sid, 16)

	cfg := decode[map[string][]string](t, waitEvent(t, a, "/admin", "config").Args[0])
	assert.Equal(t, []string{"EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"}, cfg["supportedFeatures"])

	list := decode[[]adminSocket](t, waitEvent(t, a, "/admin", "all_sockets").Args[0])
	require.Len(t, list, 3, "two chat sockets and the admin's own")
	al := find(list, alice.id)
	require.NotNil(t, al)
	assert.Equal(t, "/", al.Nsp)
	assert.Equal(t, map[string]any{"nickname": "alice"}, al.Data)
	assert.ElementsMatch(t, []string{alice.id, "lobby"}, al.Rooms)
	assert.Equal(t, "websocket", al.Transport)
	assert.Len(t, al.ClientID, 12)
	assert.Equal(t, "127.0.0.1", al.Handshake["address"])
	assert.Equal(t, "4", al.Handshake["query"].(map[string]any)["EIO"])
	for _, k := range []string{"headers", "issued", "secure", "time", "url", "xdomain"} {
		assert.Contains(t, al.Handshake, k)
	}
	assert.NotContains(t, al.Handshake, "auth")
	b := find(list, bob.id)
	require.NotNil(t, b)
	assert.Equal(t, map[string]any{"nickname": "bob"}, b.Data)
	assert.NotEqual(t, al.ClientID, b.ClientID)
	me := find(list, adminID)
	require.NotNil(t, me)
	assert.Equal(t, "/admin", me.Nsp)

	// The session ID logs in alone, as a reloaded page does.
	again := dial(t, url)
	again.MustConnect(t, "/admin", `{"sessionId":"`+sid+`"}`)
	waitEvent(t, again, "/admin", "config")
}

func TestStatsComeEveryInterval(t *testing.T) {
	_, _, url := setup(t, Options{ServerID: "node-1"}, nil)
	alice := join(t, url, "alice")
	poll := testkit.MustDial(t, url, &testkit.Options{Transport: "polling", Background: true})
	poll.MustConnect(t, "/", "")
	a := dial(t, url)
	a.MustConnect(t, "/admin", login)
	type stats struct {
		ServerID            string  `json:"serverId"`
		Hostname            string  `json:"hostname"`
		PID                 int     `json:"pid"`
		Uptime              float64 `json:"uptime"`
		ClientsCount        int     `json:"clientsCount"`
		PollingClientsCount int     `json:"pollingClientsCount"`
		AggregatedEvents    []struct {
			Timestamp int64  `json:"timestamp"`
			Type      string `json:"type"`
			SubType   string `json:"subType"`
			Count     int    `json:"count"`
		} `json:"aggregatedEvents"`
		Namespaces []namespaceStats `json:"namespaces"`
	}
	host, _ := os.Hostname()
	seen := map[string]bool{}
	deadline := time.Now().Add(testkit.Timeout)
	for time.Now().Before(deadline) && !(seen["rawConnection"] && seen["bytesIn"] && seen["bytesOut"] && seen["packetsIn"] && seen["packetsOut"]) {
		st := decode[stats](t, waitEvent(t, a, "/admin", "server_stats").Args[0])
		assert.Equal(t, "node-1", st.ServerID)
		assert.Equal(t, host, st.Hostname)
		assert.Equal(t, os.Getpid(), st.PID)
		assert.Greater(t, st.Uptime, 0.0)
		assert.Equal(t, 3, st.ClientsCount)
		assert.Equal(t, 1, st.PollingClientsCount)
		assert.Equal(t, []namespaceStats{{"/", 2}, {"/admin", 1}}, st.Namespaces)
		for _, e := range st.AggregatedEvents {
			seen[e.Type] = true
			assert.Positive(t, e.Count)
			assert.Zero(t, e.Timestamp%1000)
		}
	}
	assert.Equal(t, map[string]bool{"rawConnection": true, "bytesIn": true, "bytesOut": true, "packetsIn": true, "packetsOut": true}, seen)

	// A disconnection is counted with its reason.
	require.NoError(t, alice.Close())
	waitEventWhere(t, a, "/admin", "server_stats", func(ev testkit.Event) bool {
		st := decode[stats](t, ev.Args[0])
		for _, e := range st.AggregatedEvents {
			if e.Type == "rawDisconnection" && e.SubType == "transport close" && e.Count == 1 {
				return true
			}
		}
		return false
	})
}

func TestDevelopmentModeReportsEachChange(t *testing.T) {
	_, _, url := setup(t, Options{}, nil)
	a := dial(t, url)
	a.MustConnect(t, "/admin", login)
	waitEvent(t, a, "/admin", "all_sockets")

	carol := dial(t, url)
	id := carol.MustConnect(t, "/", "")
	joined := waitEvent(t, a, "/admin", "room_joined")
	assert.Equal(t, []any{"/", id, id}, []any{joined.Arg(0), joined.Arg(1), joined.Arg(2)})
	ev := waitEvent(t, a, "/admin", "socket_connected")
	got := decode[adminSocket](t, ev.Args[0])
	assert.Equal(t, id, got.ID)
	assert.Equal(t, map[string]any{"nickname": "guest"}, got.Data)
	_, err := time.Parse(time.RFC3339, ev.Arg(1).(string))
	assert.NoError(t, err)

	carol.MustEmitWithAck(t, "/", "join", "lobby")
	ev = waitEvent(t, a, "/admin", "event_received")
	assert.Equal(t, []any{"/", id, []any{"join", "lobby"}}, []any{ev.Arg(0), ev.Arg(1), ev.Arg(2)})
	ev = waitEventWhere(t, a, "/admin", "room_joined", func(ev testkit.Event) bool { return ev.Arg(1) == "lobby" })
	assert.Equal(t, id, ev.Arg(2))

	carol.MustEmitWithAck(t, "/", "set nickname", "carol")
	ev = waitEvent(t, a, "/admin", "socket_updated")
	assert.Equal(t, map[string]any{"id": id, "nsp": "/", "data": map[string]any{"nickname": "carol"}}, ev.Arg(0))

	dave := join(t, url, "dave", "lobby")
	waitEventWhere(t, a, "/admin", "socket_connected", func(ev testkit.Event) bool { return decode[adminSocket](t, ev.Args[0]).ID == dave.id })
	go func() { _ = carol.Emit("/", "join", "lobby") }() // the handler acks: an event sent
	ev = waitEventWhere(t, a, "/admin", "event_received", func(ev testkit.Event) bool { return ev.Arg(1) == id })
	assert.Equal(t, []any{"join", "lobby"}, ev.Arg(2))

	_ = carol.Send("41")
	ev = waitEventWhere(t, a, "/admin", "room_left", func(ev testkit.Event) bool { return ev.Arg(1) == "lobby" && ev.Arg(2) == id })
	ev = waitEvent(t, a, "/admin", "socket_disconnected")
	assert.Equal(t, []any{"/", id, "client namespace disconnect"}, []any{ev.Arg(0), ev.Arg(1), ev.Arg(2)})
}

func TestEventsSentAreReported(t *testing.T) {
	io, _, url := setup(t, Options{}, nil)
	a := dial(t, url)
	a.MustConnect(t, "/admin", login)
	waitEvent(t, a, "/admin", "all_sockets")
	c := join(t, url, "erin")
	require.NoError(t, io.Emit("news", "hello", 1))
	ev := waitEventWhere(t, a, "/admin", "event_sent", func(ev testkit.Event) bool { return ev.Arg(1) == c.id })
	assert.Equal(t, []any{"/", c.id, []any{"news", "hello", 1.0}}, []any{ev.Arg(0), ev.Arg(1), ev.Arg(2)})
}

func TestActionsReachTheSockets(t *testing.T) {
	io, _, url := setup(t, Options{}, nil)
	alice := join(t, url, "alice")
	bob := join(t, url, "bob")
	a := dial(t, url)
	a.MustConnect(t, "/admin", login)
	waitEvent(t, a, "/admin", "all_sockets")

	a.MustEmit(t, "/admin", "join", "/", "vip", alice.id)
	testkit.Eventually(t, "alice in vip", func() bool { return io.Sockets().Socket(alice.id).InRoom("vip") })
	assert.False(t, io.Sockets().Socket(bob.id).InRoom("vip"))
	a.MustEmit(t, "/admin", "join", "/", "all") // no filter: every socket
	testkit.Eventually(t, "bob in all", func() bool { return io.Sockets().Socket(bob.id).InRoom("all") })
	a.MustEmit(t, "/admin", "leave", "/", "vip", alice.id)
	testkit.Eventually(t, "alice out of vip", func() bool { return !io.Sockets().Socket(alice.id).InRoom("vip") })

	a.MustEmit(t, "/admin", "emit", "/", bob.id, "notice", "from the admin", 7)
	ev := waitEvent(t, bob.Client, "/", "notice")
	assert.Equal(t, []any{"from the admin", 7.0}, []any{ev.Arg(0), ev.Arg(1)})

	// A namespace that does not exist is not created.
	a.MustEmit(t, "/admin", "join", "/nope", "room")
	a.MustEmit(t, "/admin", "_disconnect", "/", false, bob.id)
	bob.MustWaitDisconnect(t, "/")
	ev = waitEventWhere(t, a, "/admin", "socket_disconnected", func(ev testkit.Event) bool { return ev.Arg(1) == bob.id })
	assert.Equal(t, "server namespace disconnect", ev.Arg(2))
	for _, n := range io.Namespaces() {
		assert.NotEqual(t, "/nope", n.Name())
	}
	assert.True(t, io.Sockets().Socket(alice.id).Connected())

	// close: the whole connection.
	a.MustEmit(t, "/admin", "_disconnect", "/", true, alice.id)
	alice.MustSeeClose(t, testkit.Timeout)
}

func TestReadOnlyRefusesActions(t *testing.T) {
	io, _, url := setup(t, Options{ReadOnly: true}, nil)
	bob := join(t, url, "bob")
	a := dial(t, url)
	a.MustConnect(t, "/admin", login)
	cfg := decode[map[string][]string](t, waitEvent(t, a, "/admin", "config").Args[0])
	assert.Equal(t, []string{"AGGREGATED_EVENTS", "ALL_EVENTS"}, cfg["supportedFeatures"])
	a.MustEmit(t, "/admin", "_disconnect", "/", false, bob.id)
	a.MustEmit(t, "/admin", "join", "/", "vip", bob.id)
	a.MustEmit(t, "/admin", "emit", "/", bob.id, "notice", "no")
	// The admin's events are handled in order on its connection: once one
	// sent after them has been, so have they.
	a.MustEmit(t, "/admin", "marker")
	waitEvent(t, a, "/admin", "server_stats")
	waitEvent(t, a, "/admin", "server_stats")
	s := io.Sockets().Socket(bob.id)
	require.NotNil(t, s)
	assert.True(t, s.Connected())
	assert.False(t, s.InRoom("vip"))
	assert.Equal(t, []json.RawMessage{json.RawMessage(`"pong"`)}, bob.MustEmitWithAck(t, "/", "ping"))
}

func TestProductionModeSendsStatsOnly(t *testing.T) {
	_, _, url := setup(t, Options{Mode: Production}, nil)
	a := dial(t, url)
	a.MustConnect(t, "/admin", login)
	cfg := decode[map[string][]string](t, waitEvent(t, a, "/admin", "config").Args[0])
	assert.NotContains(t, cfg["supportedFeatures"], "ALL_EVENTS")
	assert.Contains(t, cfg["supportedFeatures"], "AGGREGATED_EVENTS")
	join(t, url, "alice")
	// Nothing per socket: the next events are stats only.
	for range 3 {
		ev, err := a.NextEvent(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "server_stats", ev.Name)
	}
}

func TestNamespacesOptionLimitsWhatIsShownAndActedOn(t *testing.T) {
	io, _, url := setup(t, Options{Namespaces: []string{"chat"}}, nil)
	io.Of("/chat")
	c := dial(t, url)
	cid := c.MustConnect(t, "/chat", "")
	m := join(t, url, "main")
	a := dial(t, url)
	a.MustConnect(t, "/admin", login)
	list := decode[[]adminSocket](t, waitEvent(t, a, "/admin", "all_sockets").Args[0])
	require.Len(t, list, 1)
	assert.Equal(t, cid, list[0].ID)
	st := decode[serverStats](t, waitEvent(t, a, "/admin", "server_stats").Args[0])
	assert.Equal(t, []namespaceStats{{"/chat", 1}}, st.Namespaces)
	a.MustEmit(t, "/admin", "_disconnect", "/", false, m.id)
	a.MustEmit(t, "/admin", "_disconnect", "/chat", false, cid)
	c.MustWaitDisconnect(t, "/chat")
	assert.True(t, io.Sockets().Socket(m.id).Connected())
}

func TestSocketsConnectedBeforeInstrumentAreListedAndWatched(t *testing.T) {
	io := socketio.NewServer(nil)
	ts := httptest.NewServer(io)
	defer func() { ts.CloseClientConnections(); _ = io.Close(); ts.Close() }()
	early := dial(t, ts.URL)
	id := early.MustConnect(t, "/", "")
	in, err := Instrument(io, Options{NoAuth: true, StatsInterval: time.Hour})
	require.NoError(t, err)
	defer in.Close()
	a := dial(t, ts.URL)
	a.MustConnect(t, "/admin", "")
	list := decode[[]adminSocket](t, waitEvent(t, a, "/admin", "all_sockets").Args[0])
	require.NotNil(t, find(list, id))
	_ = early.Send("41")
	ev := waitEvent(t, a, "/admin", "socket_disconnected")
	assert.Equal(t, id, ev.Arg(1))
}

func TestCloseStopsTheStatsAndDisconnectsTheUI(t *testing.T) {
	io := socketio.NewServer(nil)
	ts := httptest.NewServer(io)
	defer func() { ts.CloseClientConnections(); _ = io.Close(); ts.Close() }()
	in, err := Instrument(io, Options{NoAuth: true, StatsInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	a := dial(t, ts.URL)
	a.MustConnect(t, "/admin", "")
	waitEvent(t, a, "/admin", "server_stats")
	require.NoError(t, in.Close())
	a.MustWaitDisconnect(t, "/admin")
	require.NoError(t, in.Close(), "idempotent")
	b := dial(t, ts.URL)
	_, err = b.Connect(context.Background(), "/admin", "")
	ce, ok := testkit.IsConnectError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, ErrClosed.Error(), ce.Message)
}

func TestClusterListsTheSocketsOfEveryServer(t *testing.T) {
	rs := redistest.Shared(t)
	key := redistest.UniqueKey("admin")
	servers := make([]string, 2)
	for i := range servers {
		rdb := rs.NewClient(t)
		_, _, servers[i] = setup(t, Options{ServerID: []string{"a", "b"}[i]},
			&socketio.Options{Adapter: redisadapter.NewAdapter(rdb, &redisadapter.Options{Key: key})})
	}
	alice := join(t, servers[0], "alice", "lobby")
	bob := join(t, servers[1], "bob", "lobby")
	a := dial(t, servers[0])
	a.MustConnect(t, "/admin", login)
	list := decode[[]adminSocket](t, waitEvent(t, a, "/admin", "all_sockets").Args[0])
	for _, c := range []chatter{alice, bob} {
		s := find(list, c.id)
		require.NotNil(t, s, "%s in %v", c.id, list)
		assert.ElementsMatch(t, []string{c.id, "lobby"}, s.Rooms)
		assert.Len(t, s.ClientID, 12, "the connection's details, from the server that holds it")
		assert.Equal(t, "websocket", s.Transport)
	}
	assert.Equal(t, "bob", find(list, bob.id).Data["nickname"])

	// Both servers' stats reach a UI connected to one.
	ids := map[string]bool{}
	for len(ids) < 2 {
		ids[decode[serverStats](t, waitEvent(t, a, "/admin", "server_stats").Args[0]).ServerID] = true
	}
	// An action reaches a socket of the other server.
	a.MustEmit(t, "/admin", "_disconnect", "/", false, bob.id)
	bob.MustWaitDisconnect(t, "/")
	ev := waitEventWhere(t, a, "/admin", "socket_disconnected", func(ev testkit.Event) bool { return ev.Arg(1) == bob.id })
	assert.Equal(t, "server namespace disconnect", ev.Arg(2))
	assert.True(t, slices.ContainsFunc(list, func(s adminSocket) bool { return s.Nsp == "/admin" }))
}

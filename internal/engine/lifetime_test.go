package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/gosio/sio/internal/testkit"
)

// Lifetime tests: a connection that should stay up does. Each case holds
// one connection open many times longer than every timeout in play (the
// heartbeat, the write timeout, the stall detector's patience, the upgrade
// timeout), all shrunk so that it takes seconds, over one transport and
// one write path, idle or under steady traffic both ways. It fails on any
// close either side did not ask for and on any message lost, duplicated or
// out of order.
const (
	ltPingInterval   = 150 * time.Millisecond
	ltPingTimeout    = 500 * time.Millisecond
	ltWriteTimeout   = 300 * time.Millisecond // stall patience: half of it
	ltUpgradeTimeout = 300 * time.Millisecond
	ltLife           = 4 * time.Second
	ltTick           = 10 * time.Millisecond // one message each way per tick when busy
	// ltHTTPTimeout is the ReadTimeout and WriteTimeout of the http.Server
	// in the cases that have one: a long-polling GET waits longer.
	ltHTTPTimeout = 100 * time.Millisecond
)

type lifetimeCase struct {
	transport    string // "websocket", "polling" or "upgrade" (polling, then websocket)
	busy         bool
	tls          bool
	deflate      bool // permessage-deflate: gorilla reads and writes
	noPoller     bool // each websocket read by a goroutine of its own
	noRawIO      bool // no raw socket access: every write waits (as off Linux)
	httpTimeouts bool // behind an http.Server with short Read and Write timeouts
}

func (lc lifetimeCase) name() string {
	n := lc.transport
	for _, f := range []struct {
		on   bool
		name string
	}{{lc.tls, "tls"}, {lc.deflate, "deflate"}, {lc.noPoller, "nopoller"}, {lc.noRawIO, "norawio"}, {lc.httpTimeouts, "httptimeouts"}} {
		if f.on {
			n += "-" + f.name
		}
	}
	if lc.busy {
		return n + "-busy"
	}
	return n + "-idle"
}

func TestConnectionsOutliveEveryTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("holds connections open for seconds")
	}
	var cases []lifetimeCase
	for _, busy := range []bool{false, true} {
		for _, tr := range []string{"websocket", "polling", "upgrade"} {
			cases = append(cases,
				lifetimeCase{transport: tr, busy: busy},
				lifetimeCase{transport: tr, busy: busy, httpTimeouts: true})
			if tr == "polling" {
				continue
			}
			cases = append(cases,
				lifetimeCase{transport: tr, busy: busy, tls: true},
				lifetimeCase{transport: tr, busy: busy, deflate: true},
				lifetimeCase{transport: tr, busy: busy, noPoller: true},
				lifetimeCase{transport: tr, busy: busy, noRawIO: true})
		}
	}
	runs := make([]*ltRun, len(cases))
	for i, lc := range cases {
		runs[i] = startLifetime(t, lc)
	}
	for _, r := range runs {
		t.Run(r.lc.name(), r.check)
	}
}

// --- server side ---------------------------------------------------------

// ltHandler echoes the client's messages and, when busy, sends its own
// numbered messages until stopped.
type ltHandler struct {
	s       *Session
	mu      sync.Mutex
	fromCli []string // messages received
	closeEv chan closeEvent
	stop    chan struct{}
	stopped chan struct{}
}

func (h *ltHandler) OnMessage(data []byte, binary bool) {
	h.mu.Lock()
	h.fromCli = append(h.fromCli, string(data))
	h.mu.Unlock()
	_ = h.s.SendNow(NewPacket(PacketMessage, data)) // as an ack would be
}

func (h *ltHandler) OnClose(reason CloseReason, err error) {
	select {
	case h.closeEv <- closeEvent{reason, err, time.Now()}:
	default:
	}
}

// tick sends s0, s1, ... every ltTick, alternating Send (as a broadcast)
// and SendNow (as a reply), until stop is closed; then "ssync".
func (h *ltHandler) tick() {
	defer close(h.stopped)
	t := time.NewTicker(ltTick)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-h.stop:
			_ = h.s.Send(NewPacket(PacketMessage, []byte("ssync")))
			return
		case <-h.s.Done():
			return
		case <-t.C:
		}
		p := NewPacket(PacketMessage, []byte("s"+strconv.Itoa(i)))
		if i%2 == 0 {
			_ = h.s.Send(p)
		} else {
			_ = h.s.SendNow(p)
		}
	}
}

type ltServer struct {
	srv      *Server
	hs       *httptest.Server
	client   *http.Client
	dialer   websocket.Dialer
	sessions chan *ltHandler
}

func startLifetimeServer(t *testing.T, lc lifetimeCase) *ltServer {
	ls := &ltServer{sessions: make(chan *ltHandler, 1)}
	ls.srv = NewServer(Config{
		PingInterval:      ltPingInterval,
		PingTimeout:       ltPingTimeout,
		WriteTimeout:      ltWriteTimeout,
		UpgradeTimeout:    ltUpgradeTimeout,
		PerMessageDeflate: lc.deflate,
		OnConnection: func(s *Session) Handler {
			h := &ltHandler{s: s, closeEv: make(chan closeEvent, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
			ls.sessions <- h
			return h
		},
	})
	if lc.noPoller {
		ls.srv.stopPoller()
	}
	ls.srv.noRawIO = lc.noRawIO
	ls.hs = httptest.NewUnstartedServer(ls.srv)
	if lc.httpTimeouts {
		ls.hs.Config.ReadTimeout = ltHTTPTimeout
		ls.hs.Config.WriteTimeout = ltHTTPTimeout
		// Left at zero, the idle timeout would be ReadTimeout: the server
		// would close idle keep-alive connections every 100 ms, and a
		// POST racing such a close fails in the client (net/http does
		// not retry a POST). That is about keep-alive, not about the
		// timeouts under test.
		ls.hs.Config.IdleTimeout = waitTimeout
	}
	ls.dialer = websocket.Dialer{HandshakeTimeout: waitTimeout, EnableCompression: lc.deflate}
	if lc.tls {
		ls.hs.StartTLS()
		ls.dialer.TLSClientConfig = ls.hs.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	} else {
		ls.hs.Start()
	}
	ls.client = ls.hs.Client()
	ls.client.Timeout = waitTimeout
	t.Cleanup(func() {
		_ = ls.srv.Close()
		ls.hs.Close()
	})
	return ls
}

// --- client side ---------------------------------------------------------

// ltClient is a testkit client (long-polling, websocket, or long-polling
// upgraded to websocket) reading in the background: the kit answers the
// pings and counts them; a goroutine of the test takes every other packet
// off its queue and records the messages. Any close or error the client
// did not ask for is recorded in failure.
type ltClient struct {
	kc       *testkit.Client
	ctx      context.Context // done at close: ends the collector's read
	cancel   context.CancelFunc
	collDone chan struct{}

	mu      sync.Mutex
	msgs    []string // messages received, in order
	failure error
	closing bool
	gotMsg  chan struct{}
}

func (c *ltClient) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failure == nil && !c.closing {
		c.failure = err
	}
}

func (c *ltClient) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failure
}

// collect takes what the server sends off the client's queue until the
// connection ends (the kit has answered the pings already).
func (c *ltClient) collect() {
	defer close(c.collDone)
	for {
		f, err := c.kc.Read(c.ctx)
		if err != nil {
			c.fail(fmt.Errorf("read: %w", err))
			return
		}
		switch p := f.Data; {
		case f.Binary:
			c.fail(fmt.Errorf("unexpected binary message %q", p))
		case p == "6":
		case p == "1":
			c.fail(errors.New("the server sent close"))
			return
		case strings.HasPrefix(p, "4"):
			c.mu.Lock()
			c.msgs = append(c.msgs, p[1:])
			c.mu.Unlock()
			select {
			case c.gotMsg <- struct{}{}:
			default:
			}
		default:
			c.fail(fmt.Errorf("unexpected packet %q", p))
		}
	}
}

// send sends one packet over the current transport.
func (c *ltClient) send(p string) {
	if err := c.kc.Send(p); err != nil {
		c.fail(fmt.Errorf("send %q: %w", p, err))
	}
}

// openLifetimeClient connects to ls over transport ("upgrade": polling,
// then websocket as the official client upgrades), through the server's
// websocket dialer (TLS, deflate) and HTTP client.
func openLifetimeClient(t *testing.T, ls *ltServer, transport string) *ltClient {
	opts := &testkit.Options{Transport: transport, Path: "/engine.io/", Dialer: &ls.dialer, HTTPClient: ls.client, Background: true}
	if transport == "upgrade" {
		opts.Transport = "polling"
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	kc, err := testkit.Dial(ctx, ls.hs.URL, opts)
	if err != nil {
		t.Fatalf("%s handshake: %v", opts.Transport, err)
	}
	parseOpen(t, kc.Handshake().Raw)
	c := &ltClient{kc: kc, gotMsg: make(chan struct{}, 1), collDone: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.collect()
	if transport == "upgrade" {
		kc.MustUpgrade(t)
	}
	return c
}

// waitMsg waits until the client has received msg.
func (c *ltClient) waitMsg(msg string) error {
	deadline := time.After(waitTimeout)
	for {
		c.mu.Lock()
		for _, m := range c.msgs {
			if m == msg {
				c.mu.Unlock()
				return nil
			}
		}
		failure := c.failure
		c.mu.Unlock()
		if failure != nil {
			return failure
		}
		select {
		case <-c.gotMsg:
		case <-deadline:
			return fmt.Errorf("no %q within %v", msg, waitTimeout)
		}
	}
}

// close ends the client's connection as a client going away does: a
// websocket just closes, long-polling says "1" first.
func (c *ltClient) close() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	if c.kc.Transport() == "polling" {
		_ = c.kc.Send("1")
	}
	c.cancel()
	_ = c.kc.Close()
	<-c.collDone
}

// --- the test ------------------------------------------------------------

// ltRun is one case under way: its connection lives on background
// goroutines while the other cases' do, so that all of them take ltLife
// together (subtests marked parallel would run two at a time on a machine
// with two cores).
type ltRun struct {
	lc    lifetimeCase
	c     *ltClient
	h     *ltHandler
	start time.Time
	sent  int           // client messages sent during the life, "c0" on
	done  chan struct{} // the life is over
	fail  string        // what went wrong during it
}

// startLifetime opens the case's connection and lives it for ltLife in
// the background.
func startLifetime(t *testing.T, lc lifetimeCase) *ltRun {
	ls := startLifetimeServer(t, lc)
	r := &ltRun{lc: lc, start: time.Now(), done: make(chan struct{})}
	r.c = openLifetimeClient(t, ls, lc.transport)
	t.Cleanup(r.c.close) // before the server's cleanup
	r.h = testkit.Receive(t, ls.sessions)
	if lc.busy {
		go r.h.tick()
	}
	go r.live()
	return r
}

// live sends the client's messages, if busy, and watches for a close or a
// client failure until ltLife has passed.
func (r *ltRun) live() {
	defer close(r.done)
	end := time.NewTimer(ltLife - time.Since(r.start))
	defer end.Stop()
	tk := time.NewTicker(ltTick)
	defer tk.Stop()
	for {
		select {
		case <-end.C:
			return
		case ev := <-r.h.closeEv:
			r.fail = fmt.Sprintf("server closed the session after %v: %v (%v); client: %v",
				ev.at.Sub(r.start).Round(time.Millisecond), ev.reason, ev.err, r.c.err())
			return
		case <-tk.C:
			if err := r.c.err(); err != nil {
				r.fail = fmt.Sprintf("client failed after %v: %v", time.Since(r.start).Round(time.Millisecond), err)
				return
			}
			if r.lc.busy {
				r.c.send("4c" + strconv.Itoa(r.sent))
				r.sent++
			}
		}
	}
}

// check waits for the end of the life and checks that the connection is
// still up and that every message arrived, in order.
func (r *ltRun) check(t *testing.T) {
	<-r.done
	if r.fail != "" {
		t.Fatal(r.fail)
	}
	lc, c, h, sent := r.lc, r.c, r.h, r.sent
	// The last messages each way are followed by a sync message that must
	// come back.
	if lc.busy {
		close(h.stop)
		<-h.stopped
		if err := c.waitMsg("ssync"); err != nil {
			t.Fatalf("server's sync message: %v", err)
		}
	}
	c.send("4csync")
	if err := c.waitMsg("csync"); err != nil {
		t.Fatalf("after %v: echo of the sync message: %v", time.Since(r.start).Round(time.Millisecond), err)
	}
	select {
	case ev := <-h.closeEv:
		t.Fatalf("server closed the session: %v (%v)", ev.reason, ev.err)
	default:
	}
	if err := c.err(); err != nil {
		t.Fatalf("client: %v", err)
	}
	if lc.transport != "polling" && h.s.Transport() != TransportWebSocket {
		t.Errorf("transport %q at the end, want websocket", h.s.Transport())
	}
	c.mu.Lock()
	msgs := append([]string(nil), c.msgs...)
	c.mu.Unlock()
	pings := c.kc.Pings()
	if min := int(ltLife / (ltPingInterval + ltPingTimeout)); pings < min {
		t.Errorf("%d pings in %v, want at least %d", pings, ltLife, min)
	}
	// The client got every server message and every echo, each in order.
	var fromSrv, echoes []string
	for _, m := range msgs {
		switch {
		case strings.HasPrefix(m, "s"):
			fromSrv = append(fromSrv, m)
		case strings.HasPrefix(m, "c"):
			echoes = append(echoes, m)
		}
	}
	h.mu.Lock()
	fromCli := append([]string(nil), h.fromCli...)
	h.mu.Unlock()
	wantSeq := func(what string, got []string, prefix, last string, n int) {
		t.Helper()
		if len(got) != n+1 {
			t.Errorf("%s: %d messages, want %d", what, len(got), n+1)
		}
		for i, m := range got {
			want := last
			if i < n {
				want = prefix + strconv.Itoa(i)
			}
			if m != want {
				t.Errorf("%s: message %d is %q, want %q", what, i, m, want)
				return
			}
		}
	}
	if lc.busy {
		wantSeq("server to client", fromSrv, "s", "ssync", len(fromSrv)-1)
	} else if len(fromSrv) > 0 {
		t.Errorf("idle, but the server sent %q", fromSrv)
	}
	wantSeq("client to server", fromCli, "c", "csync", sent)
	wantSeq("echoes", echoes, "c", "csync", sent)
	if lc.busy && (sent < int(ltLife/ltTick)/4 || len(fromSrv) < int(ltLife/ltTick)/4) {
		t.Errorf("busy, but %d messages sent and %d received", sent, len(fromSrv))
	}
}

// A long-polling GET that waits leaves no deadline behind on its keep-alive
// connection: another handler of the same http.Server, with no timeouts,
// answers on that connection long after the GET's wait would have run out.
func TestPollingLeavesNoDeadlineOnTheConnection(t *testing.T) {
	t.Parallel()
	srv := NewServer(Config{
		PingInterval: 50 * time.Millisecond, PingTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond,
		OnConnection: func(s *Session) Handler {
			return &testHandler{s: s, msgs: make(chan message, 8), closed: make(chan closeEvent, 1)}
		},
	})
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", srv)
	mux.HandleFunc("/other", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "other") })
	hs := httptest.NewServer(mux)
	defer func() { _ = srv.Close(); hs.Close() }()
	// One connection for everything, so that /other reuses the GET's.
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: waitTimeout}
	get := func(url string) string {
		t.Helper()
		res, err := client.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		return string(b)
	}
	sid := parseOpen(t, get(hs.URL+"/engine.io/?EIO=4&transport=polling"))["sid"].(string)
	if got := get(hs.URL + "/engine.io/?" + pollQuery(sid)); got != "2" { // waited for the ping
		t.Fatalf("GET: %q, want a ping", got)
	}
	// Longer than the GET's wait and write could take together.
	time.Sleep(2 * (50 + 100 + 100) * time.Millisecond)
	if got := get(hs.URL + "/other"); got != "other" {
		t.Fatalf("GET /other: %q", got)
	}
}

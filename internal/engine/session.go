package engine

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Handler receives the messages and the close of one [Session].
//
// OnMessage is called for each message packet in arrival order, one call at
// a time, on the goroutine that read it. data belongs to the handler: the
// engine reads every message into a buffer of its own and never reuses it.
// A handler that blocks stops its session from reading further messages.
//
// OnClose is called once, when the session has closed, from whichever
// goroutine closed it. A message that was being delivered when another
// goroutine closed the session may still reach OnMessage concurrently with
// OnClose; none is delivered after that.
type Handler interface {
	OnMessage(data []byte, binary bool)
	OnClose(reason CloseReason, err error)
}

// A BurstHandler is a [Handler] that is told when the session has
// delivered what it read in one go, so that it may defer work until then:
// run the messages' handlers on the reading goroutine once it is free
// rather than waking another.
//
// OnBurstEnd is called on the goroutine that called OnMessage, after the
// burst's last message (and after a burst cut short by the end of the
// connection, before OnClose when this goroutine closes the session). When
// inline is true, the session reads on without that goroutine (another
// goroutine may already be delivering the next burst, concurrently with
// OnBurstEnd): the handler may keep it as long as it likes. When inline is
// false, the goroutine goes back to reading when OnBurstEnd returns, so
// the handler must not block in it.
type BurstHandler interface {
	Handler
	OnBurstEnd(inline bool)
}

type sessionState uint8

const (
	stateOpen sessionState = iota
	stateClosing
	stateClosed
)

// A Session is one Engine.IO client connection, across the transports it
// uses during its life. All of its methods are safe for concurrent use.
//
// Its state is split by concern, each part in the file named for it: the
// queue of packets to write (outQueue, writer.go), who may write them
// (writerRole, writer.go), the heartbeat and stall timers (heartbeat,
// heartbeat.go), the long-polling requests (longPoll, longpoll.go), a
// websocket being probed for an upgrade (upgradeState, upgrade.go) and a
// close in progress (closeInfo, close.go). One mutex, mu, guards all of
// them: they change together (a Send checks the state, queues, and claims
// the writer role or wakes a GET in one step), and a lock of their own
// would cost Send, the flusher and every poll a second lock.
//
// # Lock order
//
// A goroutine that holds several locks took them in this order:
//
//	readMu -> mu -> flusher.mu
//	             -> srv.pollMu
//	             -> poller.mu
//	readMu -> srv.mu
//
// readMu is held while a message is delivered to the handler, which may
// send or close (taking mu, then, once mu is released, srv.mu to leave the
// session table). Under mu, kickLocked queues the session on the flusher,
// pollLocked registers a websocket with the poller and finalizeLocked has
// the poller forget a probe. srv.mu is never held with a session's mu: a
// request looks its session up, then locks it. No user code runs with mu
// held; OnClose runs with no session lock held, except readMu when a
// message it was handed closed the session. Helpers named ...Locked, and
// the methods of the types above, expect mu held.
type Session struct {
	srv    *Server
	id     string
	issued time.Time
	// Of the handshake request: its URI and header (with Host), packed,
	// the client's address and whether it came over TLS.
	req        packedRequest
	remoteAddr string
	secure     bool
	handler    Handler      // set under mu by Server.start, then fixed
	burst      BurstHandler // handler, if it is one
	// tally is where the session counts its traffic (see counters); set
	// by newSession, then fixed.
	tally *statSlot
	// v3: the session speaks Engine.IO v3 (eio3.go); b64: its client takes
	// binary over long-polling only as base64. Set by the handshake before
	// the session is shared, then fixed.
	v3, b64 bool

	// readMu serializes delivery to the handler: the websocket reader and a
	// long-polling POST may overlap during an upgrade.
	readMu sync.Mutex
	// wg counts the session's goroutines (websocket reader and writer). Add
	// is only called under mu while the session is not closed.
	wg sync.WaitGroup
	// done is closed when the session is closed; finished, once its
	// handler's OnClose has returned.
	done     chan struct{}
	finished chan struct{}

	mu      sync.Mutex // guards everything below
	state   sessionState
	ws      *wsConn // the websocket transport, once open or upgraded
	out     outQueue
	wr      writerRole
	hb      heartbeat
	polling longPoll
	upgrade upgradeState
	closing closeInfo // the close in progress, once state is not stateOpen
	// gauge is the server's count of open sessions that counts this one
	// (polling or websocket), from its start until it is closed.
	gauge *atomic.Int64
	// earlyClose records a close that happened before the handler existed
	// (during Config.OnConnection); start reports it.
	earlyClose *closeInfo
}

func newSession(srv *Server, id string, r *http.Request) *Session {
	s := &Session{
		srv:        srv,
		id:         id,
		issued:     time.Now(),
		req:        packRequest(r),
		secure:     r.TLS != nil,
		remoteAddr: r.RemoteAddr,
		done:       make(chan struct{}),
		finished:   make(chan struct{}),
		tally:      srv.stats.slot(),
	}
	s.out.tally = s.tally
	s.wr.loop = s.writeLoop
	return s
}

// burstEnd tells the handler that a burst of messages has been delivered.
func (s *Session) burstEnd(inline bool) {
	if s.burst != nil {
		s.burst.OnBurstEnd(inline)
	}
}

// ID returns the session ID (the "sid" of the handshake).
func (s *Session) ID() string { return s.id }

// Header returns the handshake request's header, with its Host: a new
// map at every call.
func (s *Session) Header() http.Header { return s.req.header() }

// URL returns the handshake request's URL (its path and query): a new
// value at every call.
func (s *Session) URL() *url.URL { return s.req.url() }

// Secure reports whether the handshake request came over TLS.
func (s *Session) Secure() bool { return s.secure }

// Issued returns when the session was opened.
func (s *Session) Issued() time.Time { return s.issued }

// RemoteAddr returns the client's network address as the server saw it.
func (s *Session) RemoteAddr() string { return s.remoteAddr }

// Protocol returns the session's Engine.IO protocol revision: 4, or 3 for
// a client let in by [Config.AllowEIO3].
func (s *Session) Protocol() int {
	if s.v3 {
		return 3
	}
	return 4
}

// Transport returns the name of the transport in use: "polling" or
// "websocket".
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transportLocked()
}

func (s *Session) transportLocked() string {
	if s.ws != nil {
		return TransportWebSocket
	}
	return TransportPolling
}

// Done returns a channel that is closed when the session has closed.
func (s *Session) Done() <-chan struct{} { return s.done }

// isOpen reports whether the session is open (not closing or closed).
func (s *Session) isOpen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateOpen
}

// onPacket handles one packet from the client and reports whether reading
// should go on. The caller holds readMu.
func (s *Session) onPacket(t PacketType, data []byte, binary bool) bool {
	switch t {
	case PacketMessage:
		s.tally.msgsIn.Add(1)
		s.handler.OnMessage(data, binary)
	case PacketPong:
		if s.v3 {
			s.abort(ReasonTransportError, ErrHeartbeatDirection, 1002)
			return false
		}
		s.onPong()
	case PacketPing:
		if s.v3 {
			s.onPingV3()
			return true
		}
		s.abort(ReasonTransportError, ErrHeartbeatDirection, 1002)
		return false
	case PacketClose:
		s.clientClose()
		return false
	}
	// open, upgrade and noop from a client are ignored, as the reference does.
	return true
}

// packedRequest is what a session keeps of its handshake request, for the
// handshake details the socketio layer builds on first use (most sockets
// never ask): the request URI, and the header in one string of
// key NUL value NUL pairs, one pair per value. Keeping the request's own
// header map and URL cost about 900 bytes per connection; this costs
// about the header's length.
type packedRequest struct {
	uri    string
	fields string
}

func packRequest(r *http.Request) packedRequest {
	// net/http moves Host out of the header map; keep it with the others,
	// as the reference's request headers have it.
	host := r.Host != "" && r.Header.Get("Host") == ""
	n := 0
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 2
		}
	}
	if host {
		n += len("Host") + len(r.Host) + 2
	}
	var b strings.Builder
	b.Grow(n)
	add := func(k, v string) {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(v)
		b.WriteByte(0)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			add(k, v)
		}
	}
	if host {
		add("Host", r.Host)
	}
	uri := ""
	if r.URL != nil {
		uri = r.URL.RequestURI()
	}
	return packedRequest{uri: uri, fields: b.String()}
}

// header unpacks the header. net/http refuses NUL in header names and
// values, so the separator cannot occur in them.
func (q packedRequest) header() http.Header {
	h := make(http.Header)
	for s := q.fields; s != ""; {
		k, rest, _ := strings.Cut(s, "\x00")
		v, rest, _ := strings.Cut(rest, "\x00")
		h[k] = append(h[k], v)
		s = rest
	}
	return h
}

// url parses the request URI again; one net/http accepted does parse.
func (q packedRequest) url() *url.URL {
	u, err := url.ParseRequestURI(q.uri)
	if err != nil {
		return &url.URL{}
	}
	return u
}

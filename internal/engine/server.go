package engine

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gosio/sio/internal/workers"
)

// A Server is an Engine.IO server: an [http.Handler] for the requests under
// the Engine.IO path. It is safe for concurrent use.
type Server struct {
	cfg      Config
	upgrader websocket.Upgrader
	// workers run the sessions' websocket writers and readers.
	workers *workers.Pool
	flusher *flusher
	// stats are the server's counters; see Stats.
	stats counters

	pollMu    sync.Mutex
	pollr     *poller // made by the first websocket; nil if none can be
	pollTried bool

	// noRawIO, set by tests before the first connection, keeps websockets
	// from the poller and the flusher, as on systems that have neither.
	noRawIO bool
	// afterWritev, set by tests before the first connection, runs right
	// after each write that does not wait (flushNow), before its
	// bookkeeping.
	afterWritev func(*Session)

	// slowWarn limits the warnings about slow clients (log.go).
	slowWarn rateLimitedWarn

	pingPacket  *Packet
	pongPacket  *Packet // a v3 session's answer to a ping
	probePacket *Packet
	noopPacket  *Packet
	closePacket *Packet

	mu       sync.RWMutex
	sessions map[string]*Session
	// lingering holds sessions closed by the client over long-polling,
	// briefly; see longPoll.linger.
	lingering map[string]*Session
	closed    bool
}

// NewServer returns a server configured by cfg. cfg.OnConnection must be set.
func NewServer(cfg Config) *Server {
	if cfg.OnConnection == nil {
		panic("engine: Config.OnConnection is nil")
	}
	srv := &Server{
		cfg:         cfg,
		workers:     workers.New(writerPoolSize, writerIdle),
		sessions:    make(map[string]*Session),
		lingering:   make(map[string]*Session),
		pingPacket:  NewPacket(PacketPing, nil),
		pongPacket:  NewPacket(PacketPong, nil),
		probePacket: NewPacket(PacketPong, []byte("probe")),
		noopPacket:  NewPacket(PacketNoop, nil),
		closePacket: NewPacket(PacketClose, nil),
	}
	srv.flusher = newFlusher(srv.workers)
	srv.upgrader = websocket.Upgrader{
		// A small read buffer of our own, rather than keeping net/http's
		// 4 KiB one for the life of the connection: most Socket.IO frames
		// are small, and larger ones are read straight into the message.
		// Writes go from our own frames: no gorilla write buffer.
		ReadBufferSize:    wsReadBufferSize,
		WriteBufferPool:   &sync.Pool{},
		EnableCompression: cfg.PerMessageDeflate,
		CheckOrigin:       func(*http.Request) bool { return true },
		// A malformed upgrade request gets a plain error, as ws answers.
		Error: func(w http.ResponseWriter, _ *http.Request, status int, _ error) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Connection", "close")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, http.StatusText(status))
		},
	}
	return srv
}

// Config returns the server's configuration.
func (srv *Server) Config() *Config { return &srv.cfg }

// Count returns the number of open sessions.
func (srv *Server) Count() int {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	return len(srv.sessions)
}

// CountPolling returns the number of open sessions on long-polling, not
// upgraded to websocket. It looks at every session, so it is for what
// samples now and then (an admin dashboard), not for a hot path.
func (srv *Server) CountPolling() int {
	srv.mu.RLock()
	all := make([]*Session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		all = append(all, s)
	}
	srv.mu.RUnlock()
	// A session's lock is never taken under srv.mu.
	n := 0
	for _, s := range all {
		if s.Transport() == TransportPolling {
			n++
		}
	}
	return n
}

// Session returns the open session with the given ID, or nil.
func (srv *Server) Session(id string) *Session {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	return srv.sessions[id]
}

// ServeHTTP handles one Engine.IO request: a handshake, a long-polling GET or
// POST, or a websocket upgrade.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if srv.cfg.CORS != nil && srv.cfg.CORS.apply(h, r) {
		if srv.cfg.Headers != nil {
			srv.cfg.Headers(h, r)
		}
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if srv.cfg.Headers != nil {
		srv.cfg.Headers(h, r)
	}
	transport, sid := queryFields(r)
	upgrade := websocket.IsWebSocketUpgrade(r)
	if !srv.cfg.allows(transport) {
		srv.refuse(w, r, upgrade, CodeUnknownTransport, "", "")
		return
	}
	if invalidHeaderValue(r.Header.Get("Origin")) {
		srv.refuse(w, r, upgrade, CodeBadRequest, "", "INVALID_ORIGIN")
		return
	}
	if sid == "" {
		srv.handshake(w, r, r.URL.Query(), transport, upgrade)
		return
	}
	s := srv.Session(sid)
	if s != nil && s.pingExpired() {
		// Its timer is about to fire: a request must not find it alive.
		s.abort(ReasonPingTimeout, nil, 1000)
		s = nil
	}
	if s == nil && r.Method == http.MethodGet && !upgrade && transport == TransportPolling {
		if ls := srv.takeLingering(sid); ls != nil {
			body := srv.noopPacket.Payload()
			if ls.v3 {
				body = []byte("1:6")
			}
			srv.writePayload(w, r, body, false, false)
			srv.stats.slots[0].bytesOut.Add(uint64(len(body)))
			return
		}
	}
	if s == nil {
		srv.refuse(w, r, upgrade, CodeUnknownSID, "", "")
		return
	}
	if upgrade {
		if transport != TransportWebSocket {
			srv.refuse(w, r, upgrade, CodeBadRequest, "", "TRANSPORT_MISMATCH")
			return
		}
		srv.upgradeSession(w, r, s)
		return
	}
	if s.Transport() != transport {
		srv.refuse(w, r, upgrade, CodeBadRequest, "", "TRANSPORT_MISMATCH")
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.servePoll(w, r)
	case http.MethodPost:
		s.servePost(w, r)
	default:
		w.WriteHeader(http.StatusInternalServerError)
	}
}

// queryFields returns the first "transport" and "sid" values of r's query,
// as r.URL.Query().Get would. A plain query (no escapes, no '+' or ';', not
// long) is scanned in place without allocating; any other goes through
// url.ParseQuery, so that both agree.
func queryFields(r *http.Request) (transport, sid string) {
	raw := r.URL.RawQuery
	if len(raw) > 512 || strings.ContainsAny(raw, "%+;") {
		q := r.URL.Query()
		return q.Get("transport"), q.Get("sid")
	}
	var haveT, haveS bool
	for raw != "" && !(haveT && haveS) {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "transport" && !haveT:
			transport, haveT = v, true
		case k == "sid" && !haveS:
			sid, haveS = v, true
		}
	}
	return transport, sid
}

// refuse answers a request the engine does not accept, as the reference
// does: JSON {"code","message"} with 400 (403 for Forbidden), or a plain
// 400 with the message for a websocket upgrade request.
func (srv *Server) refuse(w http.ResponseWriter, r *http.Request, upgrade bool, code ErrorCode, msg, context string) {
	if msg == "" {
		msg = code.String()
	}
	if l := srv.debugLogger(); l != nil {
		l.LogAttrs(r.Context(), slog.LevelDebug, "engineio: request refused", slog.Int("code", int(code)), slog.String("message", msg), slog.String("remote", r.RemoteAddr))
	}
	srv.stats.refusedWith(code)
	if srv.cfg.OnConnectionError != nil {
		srv.cfg.OnConnectionError(r, &RequestError{Code: code, Message: msg, Context: context})
	}
	h := w.Header()
	if upgrade {
		h.Set("Content-Type", "text/html")
		h.Set("Connection", "close")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, msg)
		return
	}
	body, _ := json.Marshal(struct {
		Code    ErrorCode `json:"code"`
		Message string    `json:"message"`
	}{code, msg})
	h.Set("Content-Type", "application/json")
	status := http.StatusBadRequest
	if code == CodeForbidden {
		status = http.StatusForbidden
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// The websocket writers run on a pool that keeps up to writerPoolSize of
// them parked for writerIdle between runs: a busy server reuses warm
// goroutines, an idle one keeps none.
const (
	writerPoolSize = 64
	writerIdle     = 2 * time.Second
)

// wsReadBufferSize is the read buffer of a websocket read by a goroutine
// of its own, and gorilla's, which reads nothing unless permessage-deflate
// is on.
const wsReadBufferSize = 256

// poller returns the server's poller, made on first use, or nil if there
// is none: the platform has none, or the server is closed.
func (srv *Server) poller() *poller {
	srv.pollMu.Lock()
	defer srv.pollMu.Unlock()
	if !srv.pollTried {
		srv.pollTried = true
		if p, err := newPoller(); err == nil {
			srv.pollr = p
		}
	}
	return srv.pollr
}

// stopPoller stops the poller; websockets opened afterwards are read by
// goroutines of their own.
func (srv *Server) stopPoller() {
	srv.pollMu.Lock()
	p := srv.pollr
	srv.pollr, srv.pollTried = nil, true
	srv.pollMu.Unlock()
	if p != nil {
		p.close()
	}
}

// invalidHeaderValue reports whether v has characters not allowed in an
// HTTP header value, as the reference checks the Origin header.
func invalidHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\t' && (c < 0x20 || c == 0x7f) {
			return true
		}
	}
	return false
}

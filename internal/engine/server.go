package engine

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

	pollMu    sync.Mutex
	pollr     *poller // made by the first websocket; nil if none can be
	pollTried bool

	// noRawIO, set by tests before the first connection, keeps websockets
	// from the poller and the flusher, as on systems that have neither.
	noRawIO bool

	pingPacket  *Packet
	probePacket *Packet
	noopPacket  *Packet
	closePacket *Packet

	mu       sync.RWMutex
	sessions map[string]*Session
	// lingering holds sessions closed by the client over long-polling,
	// briefly; see Session.linger.
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
	if s == nil && r.Method == http.MethodGet && !upgrade && transport == TransportPolling && srv.takeLingering(sid) {
		srv.writePayload(w, r, srv.noopPacket.Payload(), false)
		return
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
		srv.poll(w, r, s)
	case http.MethodPost:
		srv.post(w, r, s)
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

// handshake opens a new session.
func (srv *Server) handshake(w http.ResponseWriter, r *http.Request, q map[string][]string, transport string, upgrade bool) {
	if r.Method != http.MethodGet {
		srv.refuse(w, r, upgrade, CodeBadHandshakeMethod, "", "")
		return
	}
	if transport == TransportWebSocket && !upgrade {
		srv.refuse(w, r, upgrade, CodeBadRequest, "", "TRANSPORT_HANDSHAKE_ERROR")
		return
	}
	if srv.cfg.AllowRequest != nil {
		if err := srv.cfg.AllowRequest(r); err != nil {
			srv.refuse(w, r, upgrade, CodeForbidden, err.Error(), "")
			return
		}
	}
	if eio := q["EIO"]; len(eio) == 0 || eio[0] != "4" {
		srv.refuse(w, r, upgrade, CodeUnsupportedVersion, "", "")
		return
	}
	s := newSession(srv, NewID(), r)
	if transport == TransportPolling {
		s.wake = make(chan struct{}, 1)
	}
	upgrades := "[]"
	if transport == TransportPolling && !srv.cfg.DisallowUpgrades && srv.cfg.allows(TransportWebSocket) {
		upgrades = `["websocket"]`
	}
	open := make([]byte, 0, 128)
	open = append(open, `{"sid":"`...)
	open = append(open, s.id...)
	open = append(open, `","upgrades":`...)
	open = append(open, upgrades...)
	open = append(open, `,"pingInterval":`...)
	open = strconv.AppendInt(open, srv.cfg.pingInterval().Milliseconds(), 10)
	open = append(open, `,"pingTimeout":`...)
	open = strconv.AppendInt(open, srv.cfg.pingTimeout().Milliseconds(), 10)
	open = append(open, `,"maxPayload":`...)
	open = strconv.AppendInt(open, srv.cfg.maxBuffer(), 10)
	open = append(open, '}')
	s.queue = append(s.queue, NewPacket(PacketOpen, open))
	if srv.cfg.InitialPacket != nil {
		s.queue = append(s.queue, NewPacket(PacketMessage, srv.cfg.InitialPacket))
	}

	hdr := w.Header()
	if transport == TransportPolling {
		if !srv.start(s, nil) {
			srv.refuse(w, r, upgrade, CodeBadRequest, "", "SERVER_CLOSED")
			return
		}
		if srv.cfg.InitialHeaders != nil {
			srv.cfg.InitialHeaders(hdr, r)
		}
		if c := srv.cfg.Cookie; c != nil {
			hdr.Add("Set-Cookie", c.cookie(s.id).String())
		}
		srv.poll(w, r, s)
		return
	}
	if srv.cfg.InitialHeaders != nil {
		srv.cfg.InitialHeaders(hdr, r)
	}
	wc, answer, err := srv.upgradeWS(w, r, hdr)
	if err != nil {
		return // answered
	}
	if answer != nil {
		// The 101 answer goes out with the open packet, in the first
		// write of the session's writer, which start runs.
		wc.partial = answer
		s.writing = true
		s.wg.Add(1)
	}
	if !srv.start(s, wc) {
		if answer != nil {
			_ = wc.write([]*Packet{{frame: answer}}, srv.cfg.writeTimeout())
			s.wg.Done()
		}
		wc.writeClose(websocket.CloseGoingAway, srv.cfg.writeTimeout())
		wc.close()
	}
}

// start registers s, gives it its handler and starts its heartbeat and, for
// a websocket session, its reader and writer. It reports false if the
// server is closed.
//
// The session may be sent to, closed or aborted from within OnConnection:
// a websocket session already has its transport then, and a close before
// the handler exists is reported to the handler as soon as it does.
func (srv *Server) start(s *Session, wc *wsConn) bool {
	srv.mu.Lock()
	if srv.closed {
		srv.mu.Unlock()
		return false
	}
	srv.sessions[s.id] = s
	srv.mu.Unlock()
	if wc != nil {
		s.mu.Lock()
		s.ws = wc
		s.mu.Unlock()
		wc.attach(s)
	}
	h := srv.cfg.OnConnection(s)
	s.mu.Lock()
	s.handler = h
	s.burst, _ = h.(BurstHandler)
	early := s.earlyClose
	s.earlyClose = nil
	open := s.state == stateOpen
	s.mu.Unlock()
	answering := wc != nil && wc.partial != nil // the upgrade's answer is due: see handshake
	if early != nil {
		h.OnClose(early.reason, early.err)
		s.closeFinished()
		if answering {
			s.writeLoop() // the answer, then the close frame
		}
		return true
	}
	s.startHeartbeat()
	if wc != nil {
		s.mu.Lock()
		if open && s.state != stateClosed {
			s.startReadingLocked(wc)
		}
		if answering {
			// This goroutine is the session's writer: the answer and the
			// open packet in one write, then whatever else is queued.
			s.mu.Unlock()
			s.writeLoop()
			return true
		}
		if s.state != stateClosed && len(s.queue) > 0 {
			s.kickLocked() // the open packet (gorilla wrote the answer)
		}
		s.mu.Unlock()
	}
	return true
}

func (srv *Server) remove(s *Session) {
	srv.mu.Lock()
	if srv.sessions[s.id] == s {
		delete(srv.sessions, s.id)
	}
	srv.mu.Unlock()
}

// linger moves a session closed by its client to the lingering map for a
// while; see Session.linger.
func (srv *Server) linger(s *Session) {
	srv.mu.Lock()
	if srv.sessions[s.id] == s {
		delete(srv.sessions, s.id)
	}
	srv.lingering[s.id] = s
	srv.mu.Unlock()
	time.AfterFunc(lingerTime, func() { srv.takeLingering(s.id) })
}

// takeLingering removes a lingering session and reports whether there was
// one.
func (srv *Server) takeLingering(id string) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	_, ok := srv.lingering[id]
	delete(srv.lingering, id)
	return ok
}

// upgradeSession accepts a websocket for an existing session: the probe of
// an upgrade from long-polling, or a duplicate that is closed at once.
func (srv *Server) upgradeSession(w http.ResponseWriter, r *http.Request, s *Session) {
	wc, answer, err := srv.upgradeWS(w, r, w.Header())
	if err != nil {
		return // answered
	}
	if answer != nil {
		if err := wc.write([]*Packet{{frame: answer}}, srv.cfg.writeTimeout()); err != nil {
			wc.close()
			return
		}
	}
	s.mu.Lock()
	if s.state != stateOpen || s.ws != nil || s.probe != nil || srv.cfg.DisallowUpgrades {
		s.mu.Unlock()
		wc.close()
		return
	}
	s.probe = wc
	s.wg.Add(1)
	s.mu.Unlock()
	go s.probeLoop(wc)
}

// poll answers a long-polling GET with every queued packet, waiting for one
// if the queue is empty.
func (srv *Server) poll(w http.ResponseWriter, r *http.Request, s *Session) {
	s.mu.Lock()
	if s.getActive {
		s.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		s.abort(ReasonTransportError, ErrPollOverlap, 0)
		return
	}
	s.getActive = true
	// A GET that arrives while an upgrade is being completed waits a
	// little: if the upgrade completes, the GET came after it and is
	// refused like any request on the old transport; otherwise it gets a
	// noop, as the reference sends one every 100ms during an upgrade.
	var upgradeWait <-chan time.Time
	if s.upgrading {
		t := time.NewTimer(upgradeNoopDelay)
		defer t.Stop()
		upgradeWait = t.C
	}
	waiting := false
	for s.state == stateOpen && len(s.queue) == 0 && (!s.upgrading || upgradeWait != nil) && s.ws == nil {
		s.mu.Unlock()
		if !waiting {
			waiting = true
			srv.extendPollDeadlines(w)
		}
		select {
		case <-s.wake:
		case <-upgradeWait:
			upgradeWait = nil
		case <-r.Context().Done():
			s.mu.Lock()
			s.getActive = false
			s.mu.Unlock()
			s.abort(ReasonTransportError, ErrPollAborted, 0)
			return
		}
		s.mu.Lock()
	}
	if upgradeWait != nil && s.ws != nil && s.state == stateOpen {
		s.getActive = false
		s.mu.Unlock()
		srv.refuse(w, r, false, CodeBadRequest, "", "TRANSPORT_MISMATCH")
		return
	}
	var batch []*Packet
	var tail *Packet
	finishClose := false
	var reason CloseReason
	var cerr error
	switch {
	case s.state == stateClosed:
		tail = srv.closePacket
		if s.clientClosed {
			tail = srv.noopPacket
		}
	case s.ws != nil:
		tail = srv.noopPacket
	case s.state == stateClosing:
		batch = s.takeLocked()
		tail = srv.closePacket
		finishClose = true
		reason, cerr = s.closeReason, s.closeErr
		s.finalizeLocked()
	default:
		batch = s.takeLocked()
		if len(batch) == 0 {
			tail = srv.noopPacket
		}
	}
	s.getActive = false
	s.mu.Unlock()

	// Compressed, if large enough, unless every packet asked not to be.
	compress := false
	for _, p := range batch {
		compress = compress || !p.noCompress
	}
	if tail != nil {
		batch = append(batch, tail)
	}
	bp := payloadBufs.Get().(*[]byte)
	body := encodePayload((*bp)[:0], batch)
	s.mu.Lock()
	s.recycleLocked(batch)
	s.mu.Unlock()
	srv.writePayload(w, r, body, compress)
	// The response writer has copied the body (or compressed it).
	if cap(body) <= maxPooledPayload {
		*bp = body[:0]
		payloadBufs.Put(bp)
	}
	if finishClose {
		s.closed(reason, cerr)
	}
}

// extendPollDeadlines gives a GET that waits for something to send the
// time it may take: up to a heartbeat (the ping interval and timeout), then
// the write. An http.Server's ReadTimeout or WriteTimeout is usually
// shorter; past it, net/http would cancel the request or fail its answer,
// and the client would lose its session. net/http sets both deadlines
// again for the connection's next request, so nothing outlives the GET.
func (srv *Server) extendPollDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	until := time.Now().Add(srv.cfg.pingInterval() + srv.cfg.pingTimeout() + srv.cfg.writeTimeout())
	_ = rc.SetReadDeadline(until)
	_ = rc.SetWriteDeadline(until)
}

// payloadBufs holds the buffers that long-polling responses are encoded
// into; one larger than maxPooledPayload is left to the garbage collector.
var payloadBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const maxPooledPayload = 64 << 10

// writePayload writes a long-polling response body, compressed when
// compress is set, it is large enough and the client accepts gzip or
// deflate. It does not keep body.
func (srv *Server) writePayload(w http.ResponseWriter, r *http.Request, body []byte, compress bool) {
	h := w.Header()
	// As h.Set with canonical keys, with one allocation for the values.
	vals := make([]string, 3)
	vals[0], vals[1] = "text/plain; charset=UTF-8", "no-store"
	h["Content-Type"] = vals[0:1:1]
	h["Cache-Control"] = vals[1:2:2]
	if compress && !srv.cfg.DisableHTTPCompression && len(body) >= srv.cfg.compressionThreshold() {
		ae := r.Header.Get("Accept-Encoding")
		for _, c := range compressors {
			if AcceptsEncoding(ae, c.name) {
				h.Set("Content-Encoding", c.name)
				h.Add("Vary", "Accept-Encoding")
				zw := c.pool.Get().(compressor)
				zw.Reset(w)
				_, _ = zw.Write(body)
				_ = zw.Close()
				c.pool.Put(zw)
				return
			}
		}
	}
	vals[2] = strconv.Itoa(len(body))
	h["Content-Length"] = vals[2:3:3]
	_, _ = w.Write(body)
}

// compressor is what gzip.Writer and flate.Writer have in common.
type compressor interface {
	io.WriteCloser
	Reset(w io.Writer)
}

// compressors are the encodings of polling responses, in order of
// preference, as the reference's.
var compressors = []struct {
	name string
	pool *sync.Pool
}{
	{"gzip", &sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}},
	{"deflate", &sync.Pool{New: func() any { w, _ := flate.NewWriter(nil, flate.BestSpeed); return w }}},
}

// AcceptsEncoding reports whether an Accept-Encoding header value accepts
// the content coding enc with a non-zero quality.
func AcceptsEncoding(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		_, q, found := strings.Cut(params, "q=")
		if !found {
			return true
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
		return err == nil && v > 0
	}
	return false
}

// post reads a long-polling POST and hands its packets to the session.
func (srv *Server) post(w http.ResponseWriter, r *http.Request, s *Session) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/octet-stream") {
		w.WriteHeader(http.StatusBadRequest)
		s.abort(ReasonTransportError, ErrInvalidContent, 0)
		return
	}
	s.mu.Lock()
	if s.postActive {
		s.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		s.abort(ReasonTransportError, ErrPollOverlap, 0)
		return
	}
	s.postActive = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.postActive = false
		s.mu.Unlock()
	}()
	max := srv.cfg.maxBuffer()
	if r.ContentLength > max {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	var body []byte
	var err error
	if r.ContentLength >= 0 {
		// The size is known (and within bounds): one buffer of that size.
		// net/http's body reader fails if the body is shorter.
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(io.LimitReader(r.Body, max+1))
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if int64(len(body)) > max {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	s.readMu.Lock()
	err = decodePayload(body, func(t PacketType, data []byte, binary bool) bool {
		if !s.isOpen() {
			return false // closing: packets are ignored, as in the reference
		}
		return s.onPacket(t, data, binary)
	})
	s.readMu.Unlock()
	s.burstEnd(false)
	if err != nil {
		s.abort(ReasonParseError, ErrParse, 0)
	}
	h := w.Header()
	vals := make([]string, 2) // as h.Set, with one allocation
	vals[0], vals[1] = "text/html", "2"
	h["Content-Type"] = vals[0:1:1]
	h["Content-Length"] = vals[1:2:2]
	_, _ = io.WriteString(w, "ok")
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

// upgradeNoopDelay is how long a GET that arrives during an upgrade waits
// before it is answered with a noop.
const upgradeNoopDelay = 100 * time.Millisecond

// shutdownPollGrace is how long Shutdown waits for a long-polling client
// with no GET pending to come for its close packet. A live client sends its
// next GET as soon as the previous one returns, so this is short.
const shutdownPollGrace = time.Second

// Shutdown closes every session gracefully: each client is sent an
// Engine.IO close packet (and, over websocket, a close frame 1001 "going
// away") after what was already queued for it, with reason "server shutting
// down"; a long-polling client that has no GET pending gets a second to
// come for it. New requests are refused. Shutdown returns when every session has
// closed and every goroutine of the server has ended, or when ctx is done,
// in which case the remaining sessions are closed at once and ctx.Err() is
// returned. It is safe to call more than once.
func (srv *Server) Shutdown(ctx context.Context) error {
	all := srv.stop()
	for _, s := range all {
		s.mu.Lock()
		if s.ws != nil && s.state == stateOpen {
			_ = s.sendLocked([]*Packet{srv.closePacket})
		}
		s.mu.Unlock()
		s.closeGracefully(ReasonServerShuttingDown, nil, websocket.CloseGoingAway, shutdownPollGrace)
	}
	var err error
	for _, s := range all {
		select {
		case <-s.finished:
		case <-ctx.Done():
			err = ctx.Err()
			s.abort(ReasonServerShuttingDown, nil, 0)
			<-s.finished
		}
	}
	for _, s := range all {
		s.wg.Wait()
	}
	srv.stopPoller()
	srv.workers.Close()
	return err
}

// Close closes every session at once, with reason "server shutting down",
// and waits for the server's goroutines to end. It is safe to call more
// than once.
func (srv *Server) Close() error {
	all := srv.stop()
	for _, s := range all {
		s.abort(ReasonServerShuttingDown, nil, websocket.CloseGoingAway)
	}
	for _, s := range all {
		<-s.finished
		s.wg.Wait()
	}
	srv.stopPoller()
	srv.workers.Close()
	return nil
}

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

// offersDeflate reports whether a websocket upgrade request offers the
// permessage-deflate extension.
func offersDeflate(r *http.Request) bool {
	for _, v := range r.Header.Values("Sec-WebSocket-Extensions") {
		if strings.Contains(strings.ToLower(v), "permessage-deflate") {
			return true
		}
	}
	return false
}

// stop refuses new sessions and returns the open ones.
func (srv *Server) stop() []*Session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.closed = true
	all := make([]*Session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		all = append(all, s)
	}
	return all
}

var idCounter atomic.Uint32

// NewID returns a new random, URL-safe, 20-character identifier, made like
// the reference's: 12 random bytes and a 3-byte sequence number, in base64
// with '-' and '_'.
func NewID() string {
	var b [15]byte
	_, _ = rand.Read(b[:12])
	n := idCounter.Add(1)
	b[12], b[13], b[14] = byte(n>>16), byte(n>>8), byte(n)
	return base64.URLEncoding.EncodeToString(b[:])
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

func (c *Cookie) cookie(sid string) *http.Cookie {
	ck := &http.Cookie{
		Name:     orDefault(c.Name, "io"),
		Value:    sid,
		Path:     orDefault(c.Path, "/"),
		Domain:   c.Domain,
		MaxAge:   c.MaxAge,
		Secure:   c.Secure,
		HttpOnly: !c.NoHTTP,
		SameSite: c.SameSite,
	}
	if ck.SameSite == 0 {
		ck.SameSite = http.SameSiteLaxMode
	}
	return ck
}

package engine

import (
	"compress/flate"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// longPoll is the state of a long-polling session's requests. wake is set
// by the handshake, before the session is shared, and never changed; the
// rest is guarded by Session.mu.
type longPoll struct {
	// wake signals a pending GET (capacity 1); nil for a session opened
	// over websocket, which never has one (a send to it falls to its
	// select's default).
	wake       chan struct{}
	getActive  bool // a GET is pending
	postActive bool // a POST is being read
	// clientClosed: the client sent a close packet; a pending GET gets noop.
	clientClosed bool
	// linger: the client closed over long-polling with no GET pending; the
	// closed session stays findable briefly so that a GET already on its
	// way gets its noop rather than "Session ID unknown".
	linger bool
}

// servePoll answers a long-polling GET with every queued packet, waiting for one
// if the queue is empty.
func (s *Session) servePoll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.polling.getActive {
		s.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		s.abort(ReasonTransportError, ErrPollOverlap, 0)
		return
	}
	s.polling.getActive = true
	// A GET that arrives while an upgrade is being completed waits a
	// little: if the upgrade completes, the GET came after it and is
	// refused like any request on the old transport; otherwise it gets a
	// noop, as the reference sends one every 100ms during an upgrade.
	var upgradeWait <-chan time.Time
	if s.upgrade.probed {
		t := time.NewTimer(upgradeNoopDelay)
		defer t.Stop()
		upgradeWait = t.C
	}
	waiting := false
	for s.state == stateOpen && len(s.out.pkts) == 0 && (!s.upgrade.probed || upgradeWait != nil) && s.ws == nil {
		s.mu.Unlock()
		if !waiting {
			waiting = true
			s.srv.extendPollDeadlines(w)
		}
		select {
		case <-s.polling.wake:
		case <-upgradeWait:
			upgradeWait = nil
		case <-r.Context().Done():
			s.mu.Lock()
			s.polling.getActive = false
			s.mu.Unlock()
			s.abort(ReasonTransportError, ErrPollAborted, 0)
			return
		}
		s.mu.Lock()
	}
	if upgradeWait != nil && s.ws != nil && s.state == stateOpen {
		s.polling.getActive = false
		s.mu.Unlock()
		s.srv.refuse(w, r, false, CodeBadRequest, "", "TRANSPORT_MISMATCH")
		return
	}
	var batch []*Packet
	var tail *Packet
	finishClose := false
	var reason CloseReason
	var cerr error
	switch {
	case s.state == stateClosed:
		tail = s.srv.closePacket
		if s.polling.clientClosed {
			tail = s.srv.noopPacket
		}
	case s.ws != nil:
		tail = s.srv.noopPacket
	case s.state == stateClosing:
		batch = s.out.take()
		tail = s.srv.closePacket
		finishClose = true
		reason, cerr = s.closing.reason, s.closing.err
		s.finalizeLocked()
	default:
		batch = s.out.take()
		if len(batch) == 0 {
			tail = s.srv.noopPacket
		}
	}
	s.polling.getActive = false
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
	var body []byte
	binary := false
	if s.v3 {
		body, binary = encodePayloadV3((*bp)[:0], batch, !s.b64)
	} else {
		body = encodePayload((*bp)[:0], batch)
	}
	s.mu.Lock()
	s.out.recycle(batch)
	s.mu.Unlock()
	s.srv.writePayload(w, r, body, compress, binary)
	s.tally.bytesOut.Add(uint64(len(body)))
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

// servePost reads a long-polling POST and hands its packets to the session.
func (s *Session) servePost(w http.ResponseWriter, r *http.Request) {
	binary := strings.HasPrefix(r.Header.Get("Content-Type"), "application/octet-stream")
	if binary && !s.v3 {
		w.WriteHeader(http.StatusBadRequest)
		s.abort(ReasonTransportError, ErrInvalidContent, 0)
		return
	}
	s.mu.Lock()
	if s.polling.postActive {
		s.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		s.abort(ReasonTransportError, ErrPollOverlap, 0)
		return
	}
	s.polling.postActive = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.polling.postActive = false
		s.mu.Unlock()
	}()
	max := s.srv.cfg.maxBuffer()
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
	s.tally.bytesIn.Add(uint64(len(body)))
	s.readMu.Lock()
	decode := decodePayload
	switch {
	case binary:
		decode = decodeBinaryPayloadV3 // v3's XHR2 binary payload
	case s.v3:
		decode = decodePayloadV3
	}
	err = decode(body, func(t PacketType, data []byte, binary bool) bool {
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

// payloadBufs holds the buffers that long-polling responses are encoded
// into; one larger than maxPooledPayload is left to the garbage collector.
var payloadBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const maxPooledPayload = 64 << 10

// writePayload writes a long-polling response body, compressed when
// compress is set, it is large enough and the client accepts gzip or
// deflate; binary marks a v3 binary payload. It does not keep body.
func (srv *Server) writePayload(w http.ResponseWriter, r *http.Request, body []byte, compress, binary bool) {
	h := w.Header()
	// As h.Set with canonical keys, with one allocation for the values.
	vals := make([]string, 3)
	vals[0], vals[1] = "text/plain; charset=UTF-8", "no-store"
	if binary {
		vals[0] = "application/octet-stream"
	}
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

// upgradeNoopDelay is how long a GET that arrives during an upgrade waits
// before it is answered with a noop.
const upgradeNoopDelay = 100 * time.Millisecond

// linger moves a session closed by its client to the lingering map for a
// while; see longPoll.linger.
func (srv *Server) linger(s *Session) {
	srv.mu.Lock()
	if srv.sessions[s.id] == s {
		delete(srv.sessions, s.id)
	}
	srv.lingering[s.id] = s
	srv.mu.Unlock()
	time.AfterFunc(lingerTime, func() { srv.takeLingering(s.id) })
}

// takeLingering removes a lingering session and returns it, or nil if
// there was none.
func (srv *Server) takeLingering(id string) *Session {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	s := srv.lingering[id]
	delete(srv.lingering, id)
	return s
}

// lingerTime is how long a session closed by the client over long-polling
// stays findable; see longPoll.linger.
const lingerTime = time.Second

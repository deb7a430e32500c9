package engine

import (
	"net/http"
	"net/url"
	"sync"
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

// lingerTime is how long a session closed by the client over long-polling
// stays findable; see Session.linger.
const lingerTime = time.Second

type sessionState uint8

const (
	stateOpen sessionState = iota
	stateClosing
	stateClosed
)

// A Session is one Engine.IO client connection, across the transports it
// uses during its life. All of its methods are safe for concurrent use.
type Session struct {
	srv    *Server
	id     string
	issued time.Time
	// Of the handshake request: its header (with Host), URL, client
	// address and whether it came over TLS.
	header     http.Header
	url        *url.URL
	remoteAddr string
	secure     bool
	handler    Handler
	burst      BurstHandler // handler, if it is one

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
	// wake signals a pending long-polling GET (capacity 1); nil for a
	// session opened over websocket, which never has one (a send to it
	// falls to its select's default).
	wake  chan struct{}
	timer *time.Timer
	// writeFn is s.writeLoop as a func value made once, so that starting
	// the writer allocates nothing.
	writeFn func()

	mu         sync.Mutex // guards everything below
	state      sessionState
	ws         *wsConn // the websocket transport, once open or upgraded
	probe      *wsConn // a websocket being probed for an upgrade
	upgrading  bool    // the probe was answered; polling is being drained
	queue      []*Packet
	spare      []*Packet // recycled queue backing array
	queued     int       // bytes in queue
	writing    bool      // the websocket writer goroutine is running
	getActive  bool      // a long-polling GET is pending
	postActive bool
	// clientClosed: the client sent a close packet; a pending GET gets noop.
	clientClosed bool
	// linger: the client closed over long-polling with no GET pending; the
	// closed session stays findable briefly so that a GET already on its way
	// gets its noop rather than "Session ID unknown".
	linger bool
	// closeReason, closeErr, closeCode describe a close in progress.
	closeReason CloseReason
	closeErr    error
	closeCode   int
	// timerAt is when the heartbeat timer is due; a callback that runs
	// earlier is stale and returns.
	timerAt      time.Time
	awaitingPong bool
	// earlyClose records a close that happened before the handler existed
	// (during Config.OnConnection); start reports it.
	earlyClose *closeInfo
	// abortCode is the close frame a busy writer writes before closing
	// the connection after an abort.
	abortCode int
	// stallTimer and stallCheck make the writer look at a quiet peer's
	// progress; see checkStall.
	stallTimer *time.Timer
	stallCheck bool
}

type closeInfo struct {
	reason CloseReason
	err    error
}

func newSession(srv *Server, id string, r *http.Request) *Session {
	s := &Session{
		srv:        srv,
		id:         id,
		issued:     time.Now(),
		header:     r.Header,
		url:        r.URL,
		secure:     r.TLS != nil,
		remoteAddr: r.RemoteAddr,
		done:       make(chan struct{}),
		finished:   make(chan struct{}),
	}
	if s.header == nil {
		s.header = http.Header{}
	}
	if r.Host != "" && s.header.Get("Host") == "" {
		// net/http moves Host out of the header map; keep it with the
		// others, as the reference's request headers have it. The map is
		// the request's own: net/http makes one per request and never
		// touches it again once the handler has it.
		s.header.Set("Host", r.Host)
	}
	s.writeFn = s.writeLoop
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

// Header returns the handshake request's header, with its Host; treat it
// as read-only.
func (s *Session) Header() http.Header { return s.header }

// URL returns the handshake request's URL; treat it as read-only.
func (s *Session) URL() *url.URL { return s.url }

// Secure reports whether the handshake request came over TLS.
func (s *Session) Secure() bool { return s.secure }

// Issued returns when the session was opened.
func (s *Session) Issued() time.Time { return s.issued }

// RemoteAddr returns the client's network address as the server saw it.
func (s *Session) RemoteAddr() string { return s.remoteAddr }

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

// Send queues packets to be written to the client, in order and with
// nothing from another goroutine in between. It does not wait for the
// write. It returns [ErrSessionClosed] if the session is closed or closing,
// and [ErrQueueFull] if the packets would push the queue past its bound, in
// which case the session is closed.
func (s *Session) Send(pkts ...*Packet) error {
	s.mu.Lock()
	err := s.sendLocked(pkts)
	s.mu.Unlock()
	if err == ErrQueueFull {
		s.abort(ReasonTransportError, ErrQueueFull, 0)
	}
	return err
}

// SendNow is Send for a caller that would rather write the packets itself
// than wake the session's writer: when the session is on a websocket with
// nothing queued or being written, it writes them on the calling goroutine
// without waiting, and leaves to the writer only what the connection could
// not take at once. It suits replies on a connection's own goroutine, such
// as acks; a broadcast is better left to the writers, which run in
// parallel and coalesce.
func (s *Session) SendNow(pkts ...*Packet) error {
	s.mu.Lock()
	direct := s.canWriteNowLocked()
	err := s.queueLocked(pkts, !direct)
	if err == nil && direct {
		s.writing = true // the writer's role, for this write
		s.wg.Add(1)
	}
	s.mu.Unlock()
	switch {
	case err == ErrQueueFull:
		s.abort(ReasonTransportError, ErrQueueFull, 0)
	case err == nil && direct:
		s.flushHere()
	}
	return err
}

// canWriteNowLocked reports whether the caller may write to the websocket
// itself: it is open, read by the poller (a plain socket), and no writer
// runs or is due.
func (s *Session) canWriteNowLocked() bool {
	ws := s.ws
	return s.state == stateOpen && ws != nil && ws.rawIO() &&
		!s.writing && len(s.queue) == 0 && !s.stallCheck
}

// SendVolatile queues packets only if the transport can take them now (the
// reference's volatile flag): nothing is queued or being written and, over
// long-polling, a GET is waiting. It reports whether the packets were
// queued.
func (s *Session) SendVolatile(pkts ...*Packet) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A websocket writer that is between writes, with all it wrote taken
	// by the socket and nothing queued, takes the packets at once.
	busy := s.writing && (s.ws == nil || !s.ws.drained.Load())
	if s.state != stateOpen || len(s.queue) > 0 || busy || (s.ws == nil && !s.getActive) {
		return false
	}
	return s.sendLocked(pkts) == nil
}

func (s *Session) sendLocked(pkts []*Packet) error { return s.queueLocked(pkts, true) }

// queueLocked queues packets, and makes the transport drain the queue if
// kick is set.
func (s *Session) queueLocked(pkts []*Packet, kick bool) error {
	if s.state != stateOpen {
		return ErrSessionClosed
	}
	n := 0
	for _, p := range pkts {
		n += p.size()
	}
	if s.queued+n > s.srv.cfg.maxQueue() && s.queued > 0 {
		return ErrQueueFull
	}
	s.queue = append(s.queue, pkts...)
	s.queued += n
	if kick {
		s.kickLocked()
	}
	return nil
}

// kickLocked makes the transport drain the queue: it starts the websocket
// writer if it is not running, or wakes a pending GET.
func (s *Session) kickLocked() {
	if ws := s.ws; ws != nil {
		if !s.writing {
			s.writing = true
			s.wg.Add(1)
			if ws.rawIO() {
				s.srv.flusher.push(s)
			} else {
				s.srv.workers.Go(s.writeFn)
			}
		}
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// takeLocked removes and returns every queued packet.
func (s *Session) takeLocked() []*Packet {
	batch := s.queue
	s.queue = s.spare
	s.spare = nil
	s.queued = 0
	return batch
}

// recycleLocked gives a drained batch's backing array back for reuse.
func (s *Session) recycleLocked(batch []*Packet) {
	clear(batch)
	if s.spare == nil && cap(batch) <= 1024 {
		s.spare = batch[:0]
	}
}

// Close closes the session after writing what is queued, with reason
// "forced close". It does not wait.
func (s *Session) Close() {
	s.closeGracefully(ReasonForcedClose, nil, 1000, s.srv.cfg.pingInterval()+s.srv.cfg.pingTimeout())
}

// closeGracefully stops accepting packets, lets the transport write what is
// queued, then closes with reason; code is the websocket close code. A
// long-polling session waits at most pollGrace for the GET that takes the
// rest of its queue and the close packet.
func (s *Session) closeGracefully(reason CloseReason, err error, code int, pollGrace time.Duration) {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	s.state = stateClosing
	s.closeReason, s.closeErr, s.closeCode = reason, err, code
	if s.ws != nil {
		if !s.writing {
			s.writing = true
			s.wg.Add(1)
			s.srv.workers.Go(s.writeFn)
		}
		s.mu.Unlock()
		return
	}
	// Long-polling: a pending GET takes the queue and the close packet; if
	// none comes in time, give up.
	s.resetTimerLocked(pollGrace)
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.mu.Unlock()
}

// abort closes the session now, dropping what is queued. code, if not zero,
// is the websocket close code to send. If the websocket writer is busy, it
// is given a short deadline to finish its batch and then writes the close
// frame itself.
func (s *Session) abort(reason CloseReason, err error, code int) {
	s.mu.Lock()
	if s.state == stateClosed {
		s.mu.Unlock()
		return
	}
	ws := s.ws
	canWrite := ws != nil && !s.writing
	if canWrite {
		s.writing = true // claim the writer role for the close frame
	} else if ws != nil {
		s.abortCode = code
		_ = ws.raw.SetWriteDeadline(time.Now().Add(abortWriteGrace))
	}
	s.finalizeLocked()
	s.mu.Unlock()
	if canWrite {
		if code != 0 {
			ws.writeClose(code, abortWriteGrace)
		}
		ws.close()
	}
	s.closed(reason, err)
}

// stallPatience is how long a websocket peer may take none of the bytes
// written to it, while more keep coming, before it is dropped: half of the
// write timeout (5s by default).
func (c *Config) stallPatience() time.Duration { return c.writeTimeout() / 2 }

// abortWriteGrace bounds the writes still made for a session being
// aborted: the end of a batch in progress and the close frame.
const abortWriteGrace = time.Second

// Abort closes the session at once with reason, dropping what is queued;
// err is the description passed to [Handler.OnClose].
func (s *Session) Abort(reason CloseReason, err error) {
	code := 0
	switch reason {
	case ReasonParseError:
		code = 1003 // unsupported data
	case ReasonServerShuttingDown:
		code = 1001 // going away
	case ReasonForcedClose:
		code = 1000
	}
	s.abort(reason, err, code)
}

// clientClose handles a close packet from the client.
func (s *Session) clientClose() {
	s.mu.Lock()
	s.clientClosed = true
	s.linger = s.ws == nil && !s.getActive
	s.mu.Unlock()
	s.abort(ReasonTransportClose, nil, 0)
}

// finalizeLocked marks the session closed, stops its timer and drops an
// upgrade probe. The caller then closes the transport and calls closed.
func (s *Session) finalizeLocked() {
	s.state = stateClosed
	if s.probe != nil {
		s.probe.close()
		s.probe = nil
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	if s.stallTimer != nil {
		s.stallTimer.Stop()
	}
	s.queue, s.spare, s.queued = nil, nil, 0
	close(s.done)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// closed removes the session from the server and tells the handler.
func (s *Session) closed(reason CloseReason, err error) {
	s.mu.Lock()
	linger := s.linger
	h := s.handler
	if h == nil {
		s.earlyClose = &closeInfo{reason, err}
	}
	s.mu.Unlock()
	if linger {
		s.srv.linger(s)
	} else {
		s.srv.remove(s)
	}
	if h != nil {
		h.OnClose(reason, err)
		s.closeFinished()
	}
}

// closeFinished marks the end of the close, after OnClose.
func (s *Session) closeFinished() { close(s.finished) }

// isOpen reports whether the session is open (not closing or closed).
func (s *Session) isOpen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateOpen
}

// sendControl queues a websocket control frame, ahead of nothing: it keeps
// its place in the queue. It is dropped if the session is not open.
func (s *Session) sendControl(p *Packet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateOpen && s.ws != nil {
		s.queue = append(s.queue, p)
		s.queued += p.size()
		s.kickLocked()
	}
}

// onPacket handles one packet from the client and reports whether reading
// should go on. The caller holds readMu.
func (s *Session) onPacket(t PacketType, data []byte, binary bool) bool {
	switch t {
	case PacketMessage:
		s.handler.OnMessage(data, binary)
	case PacketPong:
		s.onPong()
	case PacketPing:
		s.abort(ReasonTransportError, ErrHeartbeatDirection, 1002)
		return false
	case PacketClose:
		s.clientClose()
		return false
	}
	// open, upgrade and noop from a client are ignored, as the reference does.
	return true
}

// startHeartbeat schedules the first ping.
func (s *Session) startHeartbeat() {
	s.mu.Lock()
	if s.state == stateOpen {
		s.resetTimerLocked(s.srv.cfg.pingInterval())
	}
	s.mu.Unlock()
}

func (s *Session) resetTimerLocked(d time.Duration) {
	s.timerAt = time.Now().Add(d)
	if s.timer == nil {
		s.timer = time.AfterFunc(d, s.onTimer)
		return
	}
	s.timer.Reset(d)
}

// onTimer runs when the heartbeat timer is due: it pings, or closes the
// session when the last ping went unanswered (or a polling close timed out).
func (s *Session) onTimer() {
	s.mu.Lock()
	if s.state == stateClosed || time.Now().Before(s.timerAt) {
		s.mu.Unlock()
		return
	}
	if s.state == stateClosing {
		reason, err := s.closeReason, s.closeErr
		s.mu.Unlock()
		s.abort(reason, err, 0)
		return
	}
	if s.awaitingPong {
		s.mu.Unlock()
		s.abort(ReasonPingTimeout, nil, 1000)
		return
	}
	s.awaitingPong = true
	// The pong is due pingTimeout after the ping was due, however late
	// this callback runs.
	s.resetTimerLocked(time.Until(s.timerAt.Add(s.srv.cfg.pingTimeout())))
	err := s.sendLocked([]*Packet{s.srv.pingPacket})
	s.mu.Unlock()
	if err == ErrQueueFull {
		s.abort(ReasonTransportError, ErrQueueFull, 0)
	}
}

// pingExpired reports whether the session's pong is overdue, even if its
// timer has not fired yet.
func (s *Session) pingExpired() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateOpen && s.awaitingPong && time.Now().After(s.timerAt)
}

func (s *Session) onPong() {
	s.mu.Lock()
	if s.awaitingPong && s.state == stateOpen {
		s.awaitingPong = false
		s.resetTimerLocked(s.srv.cfg.pingInterval())
	}
	s.mu.Unlock()
}

// writeLoop drains the queue to the websocket, one vectored write per
// batch, and ends when the queue is empty. It is the only writer of ws
// while it runs.
func (s *Session) writeLoop() {
	defer s.wg.Done()
	s.mu.Lock()
	ws := s.ws
	s.mu.Unlock()
	var batch []*Packet
	// The rest of a frame a write without waiting could not finish (or a
	// websocket's upgrade answer) goes first, whatever happens next:
	// never a cut frame. It is written with the first batch.
	var first *Packet
	if ws.partial != nil {
		first = &Packet{frame: ws.partial}
		ws.partial = nil
	}
	for {
		s.mu.Lock()
		if batch != nil {
			s.recycleLocked(batch)
			batch = nil
		}
		if s.state == stateClosed {
			// Aborted while this writer was busy: it writes the close
			// frame and closes the connection.
			code := s.abortCode
			s.writing = false
			s.mu.Unlock()
			if first != nil {
				_ = ws.write([]*Packet{first}, abortWriteGrace)
			}
			if code != 0 {
				ws.writeClose(code, abortWriteGrace)
			}
			ws.close()
			return
		}
		if len(s.queue) == 0 && first == nil {
			if s.state == stateClosing {
				reason, err, code := s.closeReason, s.closeErr, s.closeCode
				s.finalizeLocked()
				s.mu.Unlock()
				ws.writeClose(code, s.srv.cfg.writeTimeout())
				ws.close()
				s.closed(reason, err)
				return
			}
			if s.stallCheck {
				s.stallCheck = false
				s.mu.Unlock()
				if s.checkStall(ws, nil, true) {
					return
				}
				continue
			}
			s.writing = false
			s.mu.Unlock()
			return
		}
		batch = s.takeLocked()
		if first != nil {
			batch = append(batch, nil)
			copy(batch[1:], batch)
			batch[0], first = first, nil
		}
		s.mu.Unlock()
		if err := ws.write(batch, s.srv.cfg.writeTimeout()); err != nil {
			s.mu.Lock()
			s.writing = false
			s.mu.Unlock()
			s.abort(ReasonTransportError, err, 0)
			ws.close()
			return
		}
		if s.checkStall(ws, batch, false) {
			return
		}
	}
}

// checkStall, run by the writer after writing batch (or, with force, when
// the stall timer asks), drops the session if its peer has stalled, and
// reports whether it did. While the peer takes nothing but is still within
// its patience, a timer makes the writer look again even if nothing more
// is written: a stalled client is found after a burst too.
func (s *Session) checkStall(ws *wsConn, batch []*Packet, force bool) bool {
	stalled, waiting := ws.stalled(batch, s.srv.cfg.stallPatience(), force)
	if stalled {
		s.mu.Lock()
		s.writing = false
		s.mu.Unlock()
		s.abort(ReasonTransportError, ErrStalled, 0)
		ws.close()
		return true
	}
	if waiting {
		s.mu.Lock()
		if s.state == stateOpen {
			if s.stallTimer == nil {
				s.stallTimer = time.AfterFunc(s.srv.cfg.stallPatience(), s.onStallTimer)
			} else {
				s.stallTimer.Reset(s.srv.cfg.stallPatience())
			}
		}
		s.mu.Unlock()
	}
	return false
}

// onStallTimer asks the writer to look at its peer's progress.
func (s *Session) onStallTimer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen || s.ws == nil {
		return
	}
	s.stallCheck = true
	if !s.writing {
		s.writing = true
		s.wg.Add(1)
		s.srv.workers.Go(s.writeFn)
	}
}

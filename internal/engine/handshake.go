package engine

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

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
	v3 := false
	if eio := q["EIO"]; len(eio) == 0 || eio[0] != "4" {
		if len(eio) == 0 || eio[0] != "3" || !srv.cfg.AllowEIO3 {
			srv.refuse(w, r, upgrade, CodeUnsupportedVersion, "", "")
			return
		}
		v3 = true
	}
	s := newSession(srv, NewID(), r)
	if v3 {
		s.v3 = true
		// The transport's supportsBinary in the reference, set by the
		// handshake's query.
		s.b64 = len(q["b64"]) > 0
	}
	if transport == TransportPolling {
		s.polling.wake = make(chan struct{}, 1)
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
	s.out.pkts = append(s.out.pkts, NewPacket(PacketOpen, open))
	if srv.cfg.InitialPacket != nil {
		s.out.pkts = append(s.out.pkts, NewPacket(PacketMessage, srv.cfg.InitialPacket))
		s.out.msgs++
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
		s.servePoll(w, r)
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
		// HTTP, not Engine.IO traffic: left out of the bytes sent.
		wc.uncounted = len(answer)
		s.claimWriterLocked() // s is not shared yet: no lock needed
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
	srv.stats.opened.Add(1)
	s.mu.Lock()
	if wc != nil {
		s.ws = wc
	}
	if s.state != stateClosed {
		s.gauge = &srv.stats.polling
		if wc != nil {
			s.gauge = &srv.stats.websocket
		}
		s.gauge.Add(1)
	}
	s.mu.Unlock()
	if wc != nil {
		wc.attach(s)
	}
	s.logOpen()
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
		if s.state != stateClosed && len(s.out.pkts) > 0 {
			s.kickLocked() // the open packet (gorilla wrote the answer)
		}
		s.mu.Unlock()
	}
	return true
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

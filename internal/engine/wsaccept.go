package engine

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// errNotUpgraded is returned by acceptWebSocket when it has answered the
// request with an error instead of upgrading it.
var errNotUpgraded = errors.New("engine: websocket upgrade refused")

// acceptWebSocket takes r over as a websocket without permessage-deflate,
// checking it as gorilla's Upgrader does (same checks, same error
// statuses), and returns the connection and the 101 answer, with hdr, which
// it has not written: a new session writes it with its open packet, in one
// write. A connection that offers permessage-deflate while the server
// enables it goes through gorilla instead (see upgradeWS).
func (srv *Server) acceptWebSocket(w http.ResponseWriter, r *http.Request, hdr http.Header) (*wsConn, []byte, error) {
	fail := func(status int, reason string) (*wsConn, []byte, error) {
		srv.upgrader.Error(w, r, status, errors.New(reason))
		return nil, nil, errNotUpgraded
	}
	switch {
	case !headerHasToken(r.Header, "Connection", "upgrade"):
		return fail(http.StatusBadRequest, "'upgrade' token not found in 'Connection' header")
	case !headerHasToken(r.Header, "Upgrade", "websocket"):
		return fail(http.StatusBadRequest, "'websocket' token not found in 'Upgrade' header")
	case r.Method != http.MethodGet:
		return fail(http.StatusMethodNotAllowed, "request method is not GET")
	case !headerHasToken(r.Header, "Sec-Websocket-Version", "13"):
		w.Header().Set("Sec-WebSocket-Version", "13")
		return fail(http.StatusBadRequest, "unsupported websocket version")
	}
	key := r.Header.Get("Sec-Websocket-Key")
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		return fail(http.StatusBadRequest, "'Sec-WebSocket-Key' must be 16 bytes in base64")
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return fail(http.StatusInternalServerError, "the response does not implement http.Hijacker")
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return fail(http.StatusInternalServerError, err.Error())
	}
	if brw.Reader.Buffered() > 0 {
		conn.Close()
		return nil, nil, errors.New("engine: websocket client sent data before the handshake's answer")
	}
	b := make([]byte, 0, 256)
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	b = appendAcceptKey(b, key)
	b = append(b, "\r\n"...)
	for k, vs := range hdr {
		if k == "Sec-Websocket-Protocol" || k == "Sec-Websocket-Extensions" {
			continue
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			for i := 0; i < len(v); i++ {
				c := v[i]
				if c <= 31 {
					c = ' ' // no response splitting
				}
				b = append(b, c)
			}
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	_ = conn.SetDeadline(time.Time{}) // the HTTP server's, if any, no longer apply
	var rc syscall.RawConn
	if !srv.noRawIO {
		rc = rawConnOf(conn)
	}
	return newWSConn(conn, rc, srv.cfg.maxBuffer(), srv.stats.slot()), b, nil
}

// upgradeWS upgrades r to a websocket. The 101 answer is returned in
// answer, not yet written, when the caller can write it with its first
// frames; with permessage-deflate gorilla has written it. On failure the
// request has been answered.
func (srv *Server) upgradeWS(w http.ResponseWriter, r *http.Request, hdr http.Header) (wc *wsConn, answer []byte, err error) {
	if srv.cfg.PerMessageDeflate && offersDeflate(r) {
		conn, err := srv.upgrader.Upgrade(w, r, hdr)
		if err != nil {
			return nil, nil, err
		}
		return newGorillaWSConn(conn, srv.cfg.maxBuffer(), srv.stats.slot()), nil, nil
	}
	return srv.acceptWebSocket(w, r, hdr)
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

// websocketGUID is the key suffix of RFC 6455 section 1.3.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// appendAcceptKey appends the Sec-WebSocket-Accept value for key.
func appendAcceptKey(b []byte, key string) []byte {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(websocketGUID))
	var sum [sha1.Size]byte
	return base64.StdEncoding.AppendEncode(b, h.Sum(sum[:0]))
}

// headerHasToken reports whether a comma-separated header field of h
// holds token, case-insensitively.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

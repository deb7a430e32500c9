package socketio

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gosio/sio/adapter"
)

// Handshake describes the request that opened a client's connection and
// the auth payload it sent with its CONNECT, as the reference's
// socket.handshake.
type Handshake struct {
	// Headers are the headers of the first HTTP request.
	Headers http.Header `json:"headers"`
	// Time is when the connection was opened.
	Time time.Time `json:"-"`
	// Address is the client's IP address (without port).
	Address string `json:"address"`
	// XDomain reports whether the request had an Origin header.
	XDomain bool `json:"xdomain"`
	// Secure reports whether the connection uses TLS.
	Secure bool `json:"secure"`
	// URL is the request URL (path and query).
	URL string `json:"url"`
	// Query holds the request's query parameters.
	Query url.Values `json:"query"`
	// Auth is the JSON auth payload of the CONNECT packet; {} when absent.
	Auth json.RawMessage `json:"auth"`
}

var _ adapter.Handshake = (*Handshake)(nil)

// Issued returns Time in milliseconds since the Unix epoch.
func (h *Handshake) Issued() int64 { return h.Time.UnixMilli() }

// Handshake returns the details of the connection's handshake; every call
// returns the same value.
func (s *Socket) Handshake() *Handshake {
	if h := s.handshake.Load(); h != nil {
		return h
	}
	h := s.buildHandshake()
	if !s.handshake.CompareAndSwap(nil, h) {
		h = s.handshake.Load() // built meanwhile by another caller
	}
	return h
}

// buildHandshake describes the connection's request, as Handshake returns
// it.
func (s *Socket) buildHandshake() *Handshake {
	sess := s.client.sess
	return &Handshake{
		Headers: sess.Header(),
		Time:    s.created,
		Address: remoteIP(sess.RemoteAddr()),
		XDomain: sess.Header().Get("Origin") != "",
		Secure:  sess.Secure(),
		URL:     sess.URL().RequestURI(),
		Query:   sess.URL().Query(),
		Auth:    json.RawMessage(s.auth),
	}
}

// remoteIP returns the host part of a network address.
func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// handshakeJSON is the reference's socket.handshake object, in its key
// order: what a Node server of the cluster reads from a FetchSockets
// answer, and what it sends in its own.
type handshakeJSON struct {
	Headers map[string]any  `json:"headers"`
	Time    string          `json:"time"`
	Address string          `json:"address"`
	XDomain bool            `json:"xdomain"`
	Secure  bool            `json:"secure"`
	Issued  int64           `json:"issued"`
	URL     string          `json:"url"`
	Query   map[string]any  `json:"query"`
	Auth    json.RawMessage `json:"auth"`
}

// MarshalJSON encodes the handshake as the reference's socket.handshake:
// header names in lower case with one string value each (set-cookie keeps
// an array), query parameters as strings (arrays when repeated), time as
// JavaScript's Date string and issued in milliseconds. Cluster adapters
// send this to the other servers for FetchSockets.
func (h Handshake) MarshalJSON() ([]byte, error) {
	out := handshakeJSON{
		Headers: make(map[string]any, len(h.Headers)),
		Time:    jsDateString(h.Time),
		Address: h.Address,
		XDomain: h.XDomain,
		Secure:  h.Secure,
		Issued:  h.Time.UnixMilli(),
		URL:     h.URL,
		Query:   make(map[string]any, len(h.Query)),
		Auth:    h.Auth,
	}
	if h.Time.IsZero() {
		out.Issued = 0
	}
	for k, vs := range h.Headers {
		name := strings.ToLower(k)
		switch {
		case len(vs) == 0:
		case name == "set-cookie":
			out.Headers[name] = vs
		case name == "cookie":
			out.Headers[name] = strings.Join(vs, "; ")
		default:
			out.Headers[name] = strings.Join(vs, ", ")
		}
	}
	for k, vs := range h.Query {
		if len(vs) == 1 {
			out.Query[k] = vs[0]
		} else {
			out.Query[k] = vs
		}
	}
	if len(out.Auth) == 0 {
		out.Auth = json.RawMessage("{}")
	}
	return json.Marshal(out)
}

// UnmarshalJSON decodes a handshake in the reference's shape (see
// [Handshake.MarshalJSON]), such as one that a Node server of the cluster
// sent for FetchSockets. Header and query values may be strings or arrays
// of strings; Time comes from issued.
func (h *Handshake) UnmarshalJSON(data []byte) error {
	var in struct {
		Headers map[string]json.RawMessage `json:"headers"`
		Address string                     `json:"address"`
		XDomain bool                       `json:"xdomain"`
		Secure  bool                       `json:"secure"`
		Issued  float64                    `json:"issued"`
		URL     string                     `json:"url"`
		Query   map[string]json.RawMessage `json:"query"`
		Auth    json.RawMessage            `json:"auth"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*h = Handshake{
		Headers: make(http.Header, len(in.Headers)),
		Address: in.Address,
		XDomain: in.XDomain,
		Secure:  in.Secure,
		URL:     in.URL,
		Query:   make(url.Values, len(in.Query)),
		Auth:    in.Auth,
	}
	if in.Issued != 0 {
		h.Time = time.UnixMilli(int64(in.Issued))
	}
	for k, raw := range in.Headers {
		h.Headers[http.CanonicalHeaderKey(k)] = stringOrStrings(raw)
	}
	for k, raw := range in.Query {
		h.Query[k] = stringOrStrings(raw)
	}
	if len(h.Auth) == 0 || string(h.Auth) == "null" {
		h.Auth = json.RawMessage("{}")
	}
	return nil
}

// stringOrStrings decodes a JSON string, array of strings, or other scalar
// (kept as its JSON text) into a list of strings.
func stringOrStrings(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		return ss
	}
	var anys []any
	if json.Unmarshal(raw, &anys) == nil {
		out := make([]string, 0, len(anys))
		for _, a := range anys {
			b, _ := json.Marshal(a)
			out = append(out, strings.Trim(string(b), `"`))
		}
		return out
	}
	return []string{string(raw)}
}

// jsDateString formats t as JavaScript's Date.prototype.toString does,
// such as "Tue Mar 10 2026 12:00:00 GMT+0000 (UTC)".
func jsDateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	zone, _ := t.Zone()
	return t.Format("Mon Jan 02 2006 15:04:05 GMT-0700") + " (" + zone + ")"
}

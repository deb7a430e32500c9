package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/gosio/sio/socketio"
)

// Timeouts of the socket listing: FetchSockets on every server, then the
// other servers' answers about their sockets' connections.
const (
	fetchTimeout = 5 * time.Second
	metaTimeout  = time.Second
)

// metaEvent is the server-side event by which one instrumentation asks
// the others for the connection details of their sockets.
const metaEvent = "sio-admin:sockets"

// socketJSON is a socket as the reference serializes it for the UI.
type socketJSON struct {
	ID string `json:"id"`
	// ClientID is the first 12 characters of the Engine.IO connection's
	// ID, which the UI groups sockets by; Transport its transport. Left
	// out when unknown (a socket of a server that did not answer).
	ClientID  string          `json:"clientId,omitempty"`
	Transport string          `json:"transport,omitempty"`
	Nsp       string          `json:"nsp"`
	Data      json.RawMessage `json:"data"`
	Handshake handshakeJSON   `json:"handshake"`
	Rooms     []string        `json:"rooms"`
}

// handshakeJSON is the part of a handshake the reference sends: not auth,
// which may hold credentials.
type handshakeJSON struct {
	Address string          `json:"address"`
	Headers json.RawMessage `json:"headers"`
	Query   json.RawMessage `json:"query"`
	Issued  json.RawMessage `json:"issued"`
	Secure  json.RawMessage `json:"secure"`
	Time    json.RawMessage `json:"time"`
	URL     json.RawMessage `json:"url"`
	XDomain json.RawMessage `json:"xdomain"`
}

// connMeta is what only the server holding a socket knows of it.
type connMeta struct {
	clientID, transport string
}

func localMeta(s *socketio.Socket) connMeta {
	id := s.ConnID()
	if len(id) > 12 {
		id = id[:12]
	}
	return connMeta{clientID: id, transport: s.Transport()}
}

// serializeLocal describes a socket of this server.
func serializeLocal(s *socketio.Socket) socketJSON {
	data, _ := dataJSON(s.Data())
	m := localMeta(s)
	return socketJSON{
		ID: s.ID(), ClientID: m.clientID, Transport: m.transport, Nsp: s.Namespace().Name(),
		Data: data, Handshake: serializeHandshake(s.Handshake()), Rooms: nonNil(s.Rooms()),
	}
}

// serializeRemote describes a socket found by FetchSockets. For a socket
// of a Node server instrumented by @socket.io/admin-ui, the connection
// details come from its data's _admin field, where the reference keeps
// them.
func serializeRemote(nsp string, r *socketio.RemoteSocket) socketJSON {
	if s := r.Local(); s != nil {
		return serializeLocal(s)
	}
	data, m := dataJSON(r.Data())
	return socketJSON{
		ID: r.ID(), ClientID: m.clientID, Transport: m.transport, Nsp: nsp,
		Data: data, Handshake: serializeHandshake(r.Handshake()), Rooms: nonNil(r.Rooms()),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// serializeHandshake keeps the reference's fields of h, with the address
// of the client behind a proxy when a Cloudflare or X-Forwarded-For
// header names it, as the reference shows it.
func serializeHandshake(h *socketio.Handshake) handshakeJSON {
	out := handshakeJSON{Headers: json.RawMessage("{}"), Query: json.RawMessage("{}")}
	if h == nil {
		return out
	}
	var all map[string]json.RawMessage
	if b, err := json.Marshal(h); err == nil && json.Unmarshal(b, &all) == nil {
		out.Headers = orNull(all["headers"])
		out.Query = orNull(all["query"])
		out.Issued = orNull(all["issued"])
		out.Secure = orNull(all["secure"])
		out.Time = orNull(all["time"])
		out.URL = orNull(all["url"])
		out.XDomain = orNull(all["xdomain"])
	}
	out.Address = h.Address
	for _, k := range []string{"Cf-Connecting-Ip", "X-Forwarded-For"} {
		if v := h.Headers.Get(k); v != "" {
			out.Address = v
			break
		}
	}
	return out
}

func orNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// dataJSON returns a socket's data as the UI gets it: {} for none, and an
// object without its _admin field, whose connection details it returns.
func dataJSON(v any) (json.RawMessage, connMeta) {
	if v == nil {
		return json.RawMessage("{}"), connMeta{}
	}
	b, err := json.Marshal(v)
	if err != nil || bytes.Equal(b, []byte("null")) {
		return json.RawMessage("{}"), connMeta{}
	}
	if len(b) == 0 || b[0] != '{' || !bytes.Contains(b, []byte(`"_admin"`)) {
		return b, connMeta{}
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return b, connMeta{}
	}
	var meta struct {
		ClientID  string `json:"clientId"`
		Transport string `json:"transport"`
	}
	_ = json.Unmarshal(obj["_admin"], &meta)
	delete(obj, "_admin")
	b, _ = json.Marshal(obj)
	return b, connMeta{clientID: meta.ClientID, transport: meta.Transport}
}

// allSockets lists the sockets of the instrumented namespaces on every
// server (the reference's fetchAllSockets). The connection details of
// the sockets of other servers come from those servers: a Node server
// instrumented by @socket.io/admin-ui keeps them in the socket's data; a
// Go one is asked with a server-side event.
func (in *Instrumentation) allSockets(ctx context.Context) []socketJSON {
	out := []socketJSON{}
	missing := map[string][]string{} // namespace: IDs without details
	for _, n := range in.namespaces() {
		fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		rs, err := n.FetchSockets(fctx)
		cancel()
		if err != nil {
			in.log.Warn("admin: listing the sockets", "nsp", n.Name(), "err", err)
			if len(rs) == 0 {
				continue
			}
		}
		for _, r := range rs {
			sj := serializeRemote(n.Name(), r)
			if sj.ClientID == "" {
				missing[sj.Nsp] = append(missing[sj.Nsp], sj.ID)
			}
			out = append(out, sj)
		}
	}
	if len(missing) == 0 {
		return out
	}
	metas := in.askMeta(ctx, missing)
	for i := range out {
		if m, ok := metas[out[i].Nsp+"\x00"+out[i].ID]; ok {
			out[i].ClientID, out[i].Transport = m.clientID, m.transport
		}
	}
	return out
}

// askMeta asks the other servers for the connection details of the
// sockets in want (namespace: IDs), and returns those it got, keyed by
// namespace and ID. Servers that do not answer in time (a Node server
// never does) are left out.
func (in *Instrumentation) askMeta(ctx context.Context, want map[string][]string) map[string]connMeta {
	ctx, cancel := context.WithTimeout(ctx, metaTimeout)
	defer cancel()
	answers, _ := in.nsp.ServerSideEmitWithAck(ctx, metaEvent, want)
	got := make(map[string]connMeta)
	for _, a := range answers {
		byNsp, _ := a.(map[string]any)
		for nsp, v := range byNsp {
			byID, _ := v.(map[string]any)
			for id, v := range byID {
				pair, _ := v.([]any)
				if len(pair) != 2 {
					continue
				}
				c, _ := pair[0].(string)
				t, _ := pair[1].(string)
				got[nsp+"\x00"+id] = connMeta{clientID: c, transport: t}
			}
		}
	}
	return got
}

// onServerSideEmit answers another instrumentation's askMeta with the
// details of the sockets it asks for that are on this server.
func (in *Instrumentation) onServerSideEmit(event string, args []any, ack func(any)) {
	if event != metaEvent || ack == nil || len(args) == 0 || in.closed.Load() {
		return
	}
	want, _ := args[0].(map[string]any)
	answer := make(map[string]any)
	for _, n := range in.namespaces() {
		ids, _ := want[n.Name()].([]any)
		found := make(map[string]any)
		for _, v := range ids {
			id, _ := v.(string)
			if s := n.Socket(id); s != nil {
				m := localMeta(s)
				found[id] = []any{m.clientID, m.transport}
			}
		}
		if len(found) > 0 {
			answer[n.Name()] = found
		}
	}
	ack(answer)
}

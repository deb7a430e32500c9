package socketio

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/internal/parser"
	sioparser "github.com/gosio/sio/parser"
	"github.com/gosio/sio/room"
)

// client is the Socket.IO side of one Engine.IO connection: it decodes
// packets, routes them to the connection's sockets (one per namespace) and
// runs their handlers on its executor.
//
// A client joins one namespace or a few, so its sockets and pending
// CONNECTs are short slices rather than maps, and what an idle connection
// does not need (the connect timer once a namespace is joined, the gone
// channel until an emitter waits on it) is not kept.
type client struct {
	srv  *Server
	sess *engine.Session
	dec  parser.Decoder // used by the reader only
	// cdec, used by the reader only, replaces dec when the server has a
	// parser other than the built-in JSON.
	cdec sioparser.Decoder
	exec executor
	// shard is the slot of the namespaces' event counters that the
	// client's sockets count in (see nsStats).
	shard uint32

	mu         sync.Mutex
	sockets    []*Socket // one per namespace joined
	connecting []string  // namespaces whose CONNECT is queued or in middleware
	// connectTimer closes a connection that joins no namespace in time;
	// nil once one is joined.
	connectTimer *time.Timer
	// gone, made by goneChan, is closed when the connection has closed;
	// then it is closedChan, which is how closedLocked knows.
	gone chan struct{}
}

// closedLocked reports whether the connection has closed.
func (c *client) closedLocked() bool { return c.gone == closedChan }

func (srv *Server) newClient(sess *engine.Session) engine.Handler {
	c := &client{srv: srv, sess: sess, shard: srv.clientSeq.Add(1) & (statShards - 1)}
	if srv.codec != nil {
		c.cdec = srv.codec.NewDecoder()
	}
	c.exec.init(&srv.jobs, srv.workers)
	timeout := srv.opts.ConnectTimeout
	if timeout == 0 {
		timeout = DefaultConnectTimeout
	}
	c.mu.Lock() // onConnectTimeout reads connectTimer
	c.connectTimer = time.AfterFunc(timeout, c.onConnectTimeout)
	if c.v3() {
		// A v2 client is in "/" from its handshake: it sends no CONNECT
		// for it, and waits for the server's.
		c.connecting = append(c.connecting, "/")
	}
	c.mu.Unlock()
	if c.v3() {
		c.exec.run(func() { c.connect(&parser.Packet{Type: parser.Connect, Namespace: "/"}) })
	}
	return c
}

// v3 reports whether the client is a Socket.IO v2 client (Engine.IO v3,
// Options.AllowEIO3).
func (c *client) v3() bool { return c.sess.Protocol() == 3 }

// v3Connect rewrites a v2 client's CONNECT as a v4 one: its namespace
// may carry a query ("/admin?token=abc"), which becomes the socket's auth,
// an object of strings, as in the reference.
func v3Connect(p *parser.Packet) {
	path, query, ok := strings.Cut(p.Namespace, "?")
	if !ok {
		return
	}
	p.Namespace = path
	vals, _ := url.ParseQuery(query)
	auth := make(map[string]string, len(vals))
	for k, v := range vals {
		auth[k] = v[len(v)-1]
	}
	p.Data, _ = json.Marshal(auth)
}

func (c *client) onConnectTimeout() {
	c.mu.Lock()
	idle := c.connectTimer != nil && len(c.sockets) == 0 && len(c.connecting) == 0 && !c.closedLocked()
	c.mu.Unlock()
	if idle {
		c.sess.Abort(engine.ReasonForcedClose, errors.New("socketio: no namespace joined before the connect timeout"))
	}
}

// OnMessage implements engine.Handler. It runs on the connection's reader.
func (c *client) OnMessage(data []byte, binary bool) {
	var p *parser.Packet
	var err error
	if c.cdec != nil {
		p, err = c.cdec.Add(data, binary)
	} else {
		p, err = c.dec.Add(data, binary)
	}
	if err != nil {
		c.srv.logger().Debug("socketio: closing connection on a packet that does not decode", "sid", c.sess.ID(), "err", err)
		c.sess.Abort(engine.ReasonParseError, err)
		return
	}
	if p == nil {
		return // waiting for binary attachments
	}
	switch p.Type {
	case parser.Connect:
		if c.v3() {
			v3Connect(p)
		}
		c.mu.Lock()
		dup := c.socketLocked(p.Namespace) != nil || slices.Contains(c.connecting, p.Namespace)
		if !dup {
			c.connecting = append(c.connecting, p.Namespace)
		}
		c.mu.Unlock()
		if dup {
			c.invalid("CONNECT to a namespace already joined")
			return
		}
		c.exec.runFromReader(func() { c.connect(p) })
	case parser.Ack, parser.BinaryAck:
		// Acks are resolved here, not on the executor, so that a handler
		// waiting for an ack from its own client does not wait forever.
		if s := c.socket(p.Namespace); s != nil {
			s.onAck(p)
			return
		}
		c.exec.runFromReader(func() { c.route(p) })
	case parser.ConnectError:
		c.invalid("CONNECT_ERROR from a client")
	default:
		c.exec.runFromReader(func() { c.route(p) })
	}
}

// OnBurstEnd implements engine.BurstHandler: the handlers of the packets
// just read run now, on this goroutine when the engine lets them.
func (c *client) OnBurstEnd(inline bool) { c.exec.readerPaused(inline) }

// route hands a packet other than CONNECT to its namespace's socket. A
// packet for a namespace the client has not joined is a protocol
// violation that closes the connection, as in the reference.
func (c *client) route(p *parser.Packet) {
	s := c.socket(p.Namespace)
	if s == nil {
		c.invalid("packet for a namespace not joined")
		return
	}
	s.onPacket(p)
}

func (c *client) invalid(why string) {
	c.srv.logger().Debug("socketio: closing connection on an invalid packet", "sid", c.sess.ID(), "why", why)
	c.sess.Abort(engine.ReasonParseError, errors.New("socketio: "+why))
}

func (c *client) socket(nsp string) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.socketLocked(nsp)
}

func (c *client) socketLocked(nsp string) *Socket {
	for _, s := range c.sockets {
		if s.nsp.name == nsp {
			return s
		}
	}
	return nil
}

// connectedLocked forgets the pending CONNECT to nsp.
func (c *client) connectedLocked(nsp string) {
	if i := slices.Index(c.connecting, nsp); i >= 0 {
		c.connecting = slices.Delete(c.connecting, i, i+1)
		if len(c.connecting) == 0 {
			c.connecting = nil
		}
	}
}

// goneChan returns a channel that is closed when the connection has
// closed.
func (c *client) goneChan() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone == nil {
		c.gone = make(chan struct{})
	}
	return c.gone
}

// connect handles a CONNECT packet, on the executor.
func (c *client) connect(p *parser.Packet) {
	name := p.Namespace
	done := func() {
		c.mu.Lock()
		c.connectedLocked(name)
		c.mu.Unlock()
	}
	auth := p.Data
	if len(auth) == 0 {
		auth = []byte("{}")
	}
	nsp, ok, _ := c.srv.nsps.Resolve(name, auth)
	if !ok {
		done()
		c.send(encodeControl(c.srv.codec, parser.ConnectError, name, []byte(`{"message":"Invalid namespace"}`)))
		return
	}
	// What is sent to the socket is held until its connection handlers
	// have returned, then follows the CONNECT answer (Socket.release).
	<-nsp.ready // the OnNewNamespace hooks have run
	rec := c.srv.opts.ConnectionStateRecovery
	var s *Socket
	var missed []*engine.Packet
	var missedEvents int
	if rec != nil && !c.v3() { // a v2 client cannot recover
		if pid, offset, ok := recoveryAuth(auth); ok {
			s, missed, missedEvents = nsp.restore(c, auth, pid, offset)
		}
	}
	if s == nil {
		s = newSocket(nsp, c, auth)
		if c.v3() {
			// The reference's IDs for v2 clients: the connection's.
			s.id = c.sess.ID()
			if name != "/" {
				s.id = name + "#" + s.id
			}
		}
		if rec != nil && !c.v3() {
			s.pid = engine.NewID()
		}
	}
	middleware, onConnect := nsp.handlers()
	if s.recovered && !rec.RunMiddlewares {
		middleware = nil // the reference's skipMiddlewares
	}
	for _, mw := range middleware {
		if err := mw(s); err != nil {
			done()
			s.refused()
			nsp.adapter.DelAll(room.SocketID(s.id)) // rooms a middleware joined
			c.send(encodeControl(c.srv.codec, parser.ConnectError, name, c.connectErrorPayload(err)))
			return
		}
	}
	c.mu.Lock()
	c.connectedLocked(name)
	if c.closedLocked() {
		c.mu.Unlock()
		s.refused()
		nsp.adapter.DelAll(room.SocketID(s.id))
		return
	}
	c.sockets = append(c.sockets, s)
	if c.connectTimer != nil {
		c.connectTimer.Stop()
		c.connectTimer = nil
	}
	c.mu.Unlock()
	var answer []byte // a v2 client's CONNECT answer has no data
	if !c.v3() {
		answer = []byte(`{"sid":"` + s.id + `"}`)
		if s.pid != "" {
			answer = []byte(`{"sid":"` + s.id + `","pid":"` + s.pid + `"}`)
		}
	}
	// The missed packets go before the answer, as in the reference: the
	// client hands them to its handlers before it emits "connect".
	s.accepted(encodeControl(c.srv.codec, parser.Connect, name, answer), missed)
	nsp.stats.slots[c.shard].out.Add(uint64(missedEvents))
	nsp.add(s)
	for _, fn := range onConnect {
		fn(s)
	}
	s.release()
}

// connectErrorPayload is the data of the CONNECT_ERROR that err refuses
// a CONNECT with: {"message","data"}, or for a v2 client a plain value,
// the ConnectError's Data if set, else the message, as the reference sends
// (err.data || err.message).
func (c *client) connectErrorPayload(err error) []byte {
	if !c.v3() {
		return connectErrorPayload(err)
	}
	var ce *ConnectError
	if errors.As(err, &ce) && ce.Data != nil {
		if b, merr := json.Marshal(ce.Data); merr == nil {
			return b
		}
	}
	msg := err.Error()
	if ce != nil {
		msg = ce.Message
	}
	b, _ := json.Marshal(msg)
	return b
}

func connectErrorPayload(err error) []byte {
	var ce *ConnectError
	if errors.As(err, &ce) {
		b, merr := json.Marshal(struct {
			Message string `json:"message"`
			Data    any    `json:"data,omitempty"`
		}{ce.Message, ce.Data})
		if merr == nil {
			return b
		}
	}
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{err.Error()})
	return b
}

func (c *client) send(pkts ...*engine.Packet) error {
	return c.sess.Send(pkts...)
}

// sendNow sends a reply to the client (an ack, a CONNECT answer), writing
// it on the calling goroutine when the connection is free; see
// engine.Session.SendNow.
func (c *client) sendNow(pkts ...*engine.Packet) error {
	return c.sess.SendNow(pkts...)
}

// removeSocket forgets a socket that left its namespace.
func (c *client) removeSocket(s *Socket) {
	c.mu.Lock()
	if i := slices.Index(c.sockets, s); i >= 0 {
		c.sockets = slices.Delete(c.sockets, i, i+1)
	}
	c.mu.Unlock()
}

// closeAll disconnects every socket of the client with DISCONNECT packets,
// then closes the connection: Socket.Disconnect(true).
func (c *client) closeAll() {
	c.mu.Lock()
	socks := slices.Clone(c.sockets)
	c.mu.Unlock()
	for _, s := range socks {
		s.disconnect(ReasonServerNamespaceDisconnect, true)
	}
	c.sess.Close()
}

// OnClose implements engine.Handler: every socket of the connection
// disconnects with the engine's reason, after the packets that arrived
// before the close have been handled (so a DISCONNECT sent just before the
// connection closed still gives "client namespace disconnect", and the
// events before it still reach their handlers). Waiting emitters are
// released at once.
func (c *client) OnClose(reason engine.CloseReason, err error) {
	c.exec.stopReader()
	c.mu.Lock()
	if c.connectTimer != nil {
		c.connectTimer.Stop()
		c.connectTimer = nil
	}
	gone := c.gone
	c.gone = closedChan // the connection is closed
	c.mu.Unlock()
	if gone != nil {
		close(gone)
	}
	r := fromEngineReason(reason)
	c.srv.closedBy[r].Add(1)
	c.exec.run(func() {
		c.mu.Lock()
		socks := slices.Clone(c.sockets)
		c.mu.Unlock()
		for _, s := range socks {
			s.disconnect(r, false)
		}
	})
}

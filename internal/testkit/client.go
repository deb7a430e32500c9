package testkit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ErrClosed is returned by the reads and writes of a [Client] after
// [Client.Close].
var ErrClosed = errors.New("testkit: client closed")

// Options configures [Dial]. A nil *Options is the zero value: a websocket
// on /socket.io/, read only when asked.
type Options struct {
	// Transport is "websocket" or "polling" (long-polling). Zero value
	// means "websocket".
	Transport string
	// Path is where the server is mounted. Zero value means "/socket.io/".
	Path string
	// Query is added to the query of every request, e.g. to tell the
	// server what kind of client this is.
	Query url.Values
	// Header is sent with the handshake request (and every long-polling
	// request).
	Header http.Header
	// Dialer opens the websockets. Zero value means
	// [websocket.DefaultDialer].
	Dialer *websocket.Dialer
	// HTTPClient sends the long-polling requests. Zero value means
	// [http.DefaultClient].
	HTTPClient *http.Client
	// Background makes the client read all the time in a goroutine of its
	// own, answering pings and acknowledgements as they come. Zero value
	// means the client reads only while a call waits for something to
	// arrive (Read, Connect, EmitWithAck, ...): a client nobody reads from
	// stalls like a client that stopped reading, and stops answering pings.
	Background bool
	// Answer answers the server's events that ask for an acknowledgement;
	// see [Client.SetAnswer]. Zero value means they are not answered
	// unless the test does it with [Client.Ack].
	Answer func(Event) (args []any, ok bool)
}

// Handshake is the server's Engine.IO open packet.
type Handshake struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"` // milliseconds
	PingTimeout  int      `json:"pingTimeout"`  // milliseconds
	MaxPayload   int      `json:"maxPayload"`
}

// Frame is one Engine.IO packet as received: a text packet with its type
// first ("40", "42[...]", "1", "6", ...), or the data of a binary message.
type Frame struct {
	Data   string
	Binary bool
}

// Client is a raw Engine.IO v4 / Socket.IO v5 client. It answers the
// server's pings by itself (and counts them, [Client.Pings]); every other
// packet is queued, in order, for the Read* and Next* methods, except the
// acknowledgements an [Client.EmitWithAck] waits for.
//
// A Client is safe for use by several goroutines: writes are serialised
// (one long-polling POST at a time, as the protocol requires), and reads
// take packets off one queue. [Options.Answer] runs on the client's reader
// goroutine and must not block.
//
// Unless [Options.Background] is set, the client reads only while a call
// waits for something to arrive (the read under way when the call returns
// still ends: at most one message, or one GET, is read beyond).
type Client struct {
	opts      Options
	endpoint  string // http(s)://host/path?EIO=4 + query
	http      *http.Client
	handshake Handshake
	heartbeat time.Duration // how long a read may wait: pingInterval+pingTimeout+Timeout

	ctx        context.Context // done at Close
	cancel     context.CancelFunc
	closeOnce  sync.Once
	demand     chan struct{} // cap 1: wanted went up
	readerDone chan struct{}
	group      []Frame // reader only: a binary packet waiting for its attachments
	groupNeed  int

	// wmu serialises writes; the upgrade holds it while it switches the
	// transport, so that no POST is under way when "5" goes out.
	wmu sync.Mutex

	// mu guards what follows; changed is closed (and replaced) whenever
	// the queue, the end, an acknowledgement or the transport changes.
	mu           sync.Mutex
	changed      chan struct{}
	ws           *websocket.Conn // nil while long-polling
	queue        []Frame
	end          error
	getting      bool // a long-polling GET is under way
	pausePoll    bool // an upgrade waits for the GETs to stop
	wanted       int  // calls waiting for something to arrive
	acks         map[ackKey]*Packet
	nextID       int
	answer       func(Event) ([]any, bool)
	pings        int
	disconnected map[string]bool // namespaces the server disconnected
}

type ackKey struct {
	nsp string
	id  int
}

// Dial opens an Engine.IO session with the server at base, an http:// or
// https:// URL (an [net/http/httptest.Server]'s URL), and reads its open
// packet. Close the client when done.
func Dial(ctx context.Context, base string, opts *Options) (*Client, error) {
	c := &Client{
		changed:      make(chan struct{}),
		demand:       make(chan struct{}, 1),
		readerDone:   make(chan struct{}),
		acks:         make(map[ackKey]*Packet),
		disconnected: make(map[string]bool),
	}
	if opts != nil {
		c.opts = *opts
	}
	c.answer = c.opts.Answer
	if c.opts.Path == "" {
		c.opts.Path = "/socket.io/"
	}
	c.http = c.opts.HTTPClient
	if c.http == nil {
		c.http = http.DefaultClient
	}
	q := url.Values{}
	for k, v := range c.opts.Query {
		q[k] = v
	}
	c.endpoint = strings.TrimSuffix(base, "/") + c.opts.Path + "?EIO=4"
	if len(q) > 0 {
		c.endpoint += "&" + q.Encode()
	}
	var open string
	switch c.opts.Transport {
	case "", "websocket":
		ws, err := c.dialWS(ctx, "")
		if err != nil {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = ws.SetReadDeadline(dl)
		} else {
			_ = ws.SetReadDeadline(time.Now().Add(Timeout))
		}
		_, data, err := ws.ReadMessage()
		_ = ws.SetReadDeadline(time.Time{})
		if err != nil {
			ws.Close()
			return nil, fmt.Errorf("testkit: open packet: %w", err)
		}
		c.ws, open = ws, string(data)
	case "polling":
		frames, err := c.get(ctx, c.endpoint+"&transport=polling")
		if err != nil {
			return nil, fmt.Errorf("testkit: handshake: %w", err)
		}
		if len(frames) > 0 {
			open = frames[0].Data
		}
	default:
		return nil, fmt.Errorf("testkit: unknown transport %q", c.opts.Transport)
	}
	if !strings.HasPrefix(open, "0{") || json.Unmarshal([]byte(open[1:]), &c.handshake) != nil {
		if c.ws != nil {
			c.ws.Close()
		}
		return nil, fmt.Errorf("testkit: open packet %q", open)
	}
	c.heartbeat = time.Duration(c.handshake.PingInterval+c.handshake.PingTimeout)*time.Millisecond + Timeout
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.readLoop()
	return c, nil
}

func (c *Client) dialWS(ctx context.Context, sid string) (*websocket.Conn, error) {
	u := "ws" + strings.TrimPrefix(c.endpoint, "http") + "&transport=websocket"
	if sid != "" {
		u += "&sid=" + url.QueryEscape(sid)
	}
	d := c.opts.Dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	ws, res, err := d.DialContext(ctx, u, c.opts.Header)
	if err != nil {
		if res != nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return nil, fmt.Errorf("testkit: dial %s: %w (%d %q)", u, err, res.StatusCode, body)
		}
		return nil, fmt.Errorf("testkit: dial %s: %w", u, err)
	}
	return ws, nil
}

// Handshake returns the server's open packet.
func (c *Client) Handshake() Handshake { return c.handshake }

// Transport returns "websocket" or "polling": the transport in use.
func (c *Client) Transport() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ws != nil {
		return "websocket"
	}
	return "polling"
}

// NetConn returns the websocket's network connection, or nil while
// long-polling; reading it directly is for benchmarks that must not
// allocate per message, and only while nothing else reads the client.
func (c *Client) NetConn() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ws == nil {
		return nil
	}
	return c.ws.UnderlyingConn()
}

// Pings returns how many pings the client answered.
func (c *Client) Pings() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pings
}

// SetAnswer sets what the client answers to the server's events that ask
// for an acknowledgement: fn's args, or nothing when fn returns false. A
// nil fn answers none. fn runs on the reader goroutine and must not block;
// the event is queued for reading either way.
func (c *Client) SetAnswer(fn func(Event) (args []any, ok bool)) {
	c.mu.Lock()
	c.answer = fn
	c.mu.Unlock()
}

// Close ends the connection at once, without a Socket.IO or Engine.IO
// goodbye (the server sees a transport close; send "41" or "1" first for a
// clean one), and waits for the reader goroutine. It may be called several
// times.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.cancel()
		c.mu.Lock()
		ws := c.ws
		c.mu.Unlock()
		if ws != nil {
			_ = ws.Close()
		}
		<-c.readerDone
	})
	return nil
}

// Send writes raw Engine.IO text packets, each with its type first ("40",
// `42["x"]`, "3", "1", or anything malformed). Over long-polling they go
// in one POST.
func (c *Client) Send(packets ...string) error {
	frames := make([]Frame, len(packets))
	for i, p := range packets {
		frames[i] = Frame{Data: p}
	}
	return c.write(frames)
}

// SendBinary writes a binary Engine.IO message (an attachment).
func (c *Client) SendBinary(data []byte) error {
	return c.write([]Frame{{Data: string(data), Binary: true}})
}

// write sends frames together: one POST, or consecutive websocket
// messages that no other write comes between.
func (c *Client) write(frames []Frame) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		_ = ws.SetWriteDeadline(time.Now().Add(Timeout))
		for _, f := range frames {
			op := websocket.TextMessage
			if f.Binary {
				op = websocket.BinaryMessage
			}
			if err := ws.WriteMessage(op, []byte(f.Data)); err != nil {
				return fmt.Errorf("testkit: write: %w", err)
			}
		}
		return nil
	}
	parts := make([]string, len(frames))
	for i, f := range frames {
		parts[i] = f.Data
		if f.Binary {
			parts[i] = "b" + base64.StdEncoding.EncodeToString([]byte(f.Data))
		}
	}
	ctx, cancel := context.WithTimeout(c.ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.pollURL(), strings.NewReader(strings.Join(parts, "\x1e")))
	if err != nil {
		return err
	}
	c.setHeader(req)
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("testkit: POST: %w", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("testkit: POST: %d %q", res.StatusCode, body)
	}
	return nil
}

func (c *Client) pollURL() string {
	return c.endpoint + "&transport=polling&sid=" + url.QueryEscape(c.handshake.SID)
}

func (c *Client) setHeader(req *http.Request) {
	for k, v := range c.opts.Header {
		req.Header[k] = v
	}
}

// get does one long-polling GET and splits its payload.
func (c *Client) get(ctx context.Context, u string) ([]Frame, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	c.setHeader(req)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET: %w", err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("GET: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET: %d %q", res.StatusCode, body)
	}
	var frames []Frame
	for _, p := range strings.Split(string(body), "\x1e") {
		if rest, ok := strings.CutPrefix(p, "b"); ok {
			b, err := base64.StdEncoding.DecodeString(rest)
			if err != nil {
				return nil, fmt.Errorf("GET: bad base64 packet %q", p)
			}
			frames = append(frames, Frame{Data: string(b), Binary: true})
			continue
		}
		frames = append(frames, Frame{Data: p})
	}
	return frames, nil
}

// Upgrade moves a long-polling session to a websocket as the official
// client does: it probes the websocket ("2probe", "3probe"), stops polling
// and lets the POST under way finish, then sends "5". From then on the
// client reads and writes over the websocket.
func (c *Client) Upgrade(ctx context.Context) error {
	if c.Transport() != "polling" {
		return errors.New("testkit: upgrade: not long-polling")
	}
	ws, err := c.dialWS(ctx, c.handshake.SID)
	if err != nil {
		return fmt.Errorf("testkit: upgrade: %w", err)
	}
	fail := func(err error) error {
		ws.Close()
		c.mu.Lock()
		c.pausePoll = false // polling goes on
		c.broadcastLocked()
		c.mu.Unlock()
		return fmt.Errorf("testkit: upgrade: %w", err)
	}
	_ = ws.SetWriteDeadline(time.Now().Add(Timeout))
	_ = ws.SetReadDeadline(time.Now().Add(Timeout))
	if err := ws.WriteMessage(websocket.TextMessage, []byte("2probe")); err != nil {
		return fail(err)
	}
	if _, data, err := ws.ReadMessage(); err != nil || string(data) != "3probe" {
		return fail(errors.Join(err, fmt.Errorf("probe answered %q", data)))
	}
	_ = ws.SetReadDeadline(time.Time{})
	// The server ends the GET under way (with a noop); no new one starts.
	c.mu.Lock()
	c.pausePoll = true
	c.mu.Unlock()
	if err := c.await(ctx, false, func() bool { return !c.getting }); err != nil {
		return fail(err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ws.WriteMessage(websocket.TextMessage, []byte("5")); err != nil {
		return fail(err)
	}
	c.mu.Lock()
	c.ws = ws
	c.broadcastLocked() // the reader goes on, over the websocket
	c.mu.Unlock()
	return nil
}

// broadcastLocked wakes every waiter; mu is held.
func (c *Client) broadcastLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// await waits until cond (called with mu held) holds, the reading ended,
// or ctx is done. With ask, the reader reads meanwhile.
func (c *Client) await(ctx context.Context, ask bool, cond func() bool) error {
	if ask {
		c.mu.Lock()
		c.wanted++
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			c.wanted--
			c.mu.Unlock()
		}()
		select {
		case c.demand <- struct{}{}:
		default:
		}
	}
	for {
		c.mu.Lock()
		if cond() {
			c.mu.Unlock()
			return nil
		}
		if c.end != nil {
			err := c.end
			c.mu.Unlock()
			return err
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("testkit: %w", ctx.Err())
		}
	}
}

// readLoop is the reader goroutine: it reads while someone waits (or all
// the time in the background), until the connection ends.
func (c *Client) readLoop() {
	defer close(c.readerDone)
	for {
		if !c.waitWanted() {
			c.finish(ErrClosed)
			return
		}
		frames, err := c.readSome()
		if err != nil {
			if c.ctx.Err() != nil {
				err = ErrClosed
			}
			c.finish(err)
			return
		}
		for _, f := range frames {
			c.receive(f)
		}
	}
}

// waitWanted waits until the reader should read, and reports false if the
// client was closed meanwhile.
func (c *Client) waitWanted() bool {
	for {
		c.mu.Lock()
		ok := c.opts.Background || c.wanted > 0
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-c.demand:
		case <-c.ctx.Done():
			return false
		}
	}
}

// readSome reads one websocket message, or does one GET.
func (c *Client) readSome() ([]Frame, error) {
	c.mu.Lock()
	for c.ws == nil && c.pausePoll {
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.ctx.Done():
			return nil, ErrClosed
		}
		c.mu.Lock()
	}
	ws := c.ws
	c.getting = ws == nil
	c.mu.Unlock()
	if ws != nil {
		_ = ws.SetReadDeadline(time.Now().Add(c.heartbeat))
		op, data, err := ws.ReadMessage()
		if err != nil {
			return nil, fmt.Errorf("testkit: websocket read: %w", err)
		}
		return []Frame{{Data: string(data), Binary: op == websocket.BinaryMessage}}, nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.heartbeat)
	frames, err := c.get(ctx, c.pollURL())
	cancel()
	c.mu.Lock()
	c.getting = false
	c.broadcastLocked()
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("testkit: %w", err)
	}
	return frames, nil
}

// finish records why reading ended.
func (c *Client) finish(err error) {
	c.mu.Lock()
	if c.end == nil {
		c.end = err
	}
	c.broadcastLocked()
	c.mu.Unlock()
}

// receive handles one frame on the reader goroutine.
func (c *Client) receive(f Frame) {
	if !f.Binary && f.Data == "2" {
		c.mu.Lock()
		c.pings++
		c.mu.Unlock()
		_ = c.Send("3") // a failed write shows as the end of the connection
		return
	}
	if c.groupNeed > 0 {
		c.group = append(c.group, f)
		c.groupNeed--
		if c.groupNeed > 0 {
			return
		}
		group := c.group
		c.group = nil
		p, err := ParsePacket(group[0].Data)
		if err == nil {
			for _, a := range group[1:] {
				p.Attachments = append(p.Attachments, []byte(a.Data))
			}
		}
		c.dispatch(group, p)
		return
	}
	var p *Packet
	if !f.Binary && strings.HasPrefix(f.Data, "4") {
		if pp, err := ParsePacket(f.Data[1:]); err == nil {
			p = pp
			if p.attachments > 0 {
				c.group = []Frame{f}
				c.groupNeed = p.attachments
				return
			}
		}
	}
	c.dispatch([]Frame{f}, p)
}

// dispatch hands an awaited acknowledgement over, or queues the frames.
// An event that asks for an acknowledgement is answered first, if the
// client has an answer.
func (c *Client) dispatch(frames []Frame, p *Packet) {
	c.mu.Lock()
	answer := c.answer
	c.mu.Unlock()
	if p != nil && (p.Type == PacketEvent || p.Type == PacketBinaryEvent) && p.ID >= 0 && answer != nil {
		if ev, err := p.Event(); err == nil {
			if args, ok := answer(ev); ok {
				_ = c.Ack(p.Nsp, p.ID, args...) // a failed write shows as the end of the connection
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.broadcastLocked()
	if p != nil && (p.Type == PacketAck || p.Type == PacketBinaryAck) {
		k := ackKey{p.Nsp, p.ID}
		if got, waiting := c.acks[k]; waiting && got == nil {
			c.acks[k] = p
			return
		}
	}
	c.queue = append(c.queue, frames...)
	if p != nil && p.Type == PacketDisconnect {
		c.disconnected[p.Nsp] = true
	}
}

// Read returns the next queued frame other than a ping. At the end of the
// connection it returns the error that ended it (wrapping, for a
// websocket, gorilla's *websocket.CloseError).
func (c *Client) Read(ctx context.Context) (Frame, error) {
	var f Frame
	err := c.await(ctx, true, func() bool {
		if len(c.queue) == 0 {
			return false
		}
		f = c.queue[0]
		c.queue = c.queue[1:]
		return true
	})
	return f, err
}

// ReadPacket returns the next Socket.IO packet with its attachments,
// skipping Engine.IO noops. Any other Engine.IO packet, or a malformed
// one, is an error.
func (c *Client) ReadPacket(ctx context.Context) (*Packet, error) {
	for {
		f, err := c.Read(ctx)
		if err != nil {
			return nil, err
		}
		if f.Data == "6" && !f.Binary {
			continue
		}
		if f.Binary || !strings.HasPrefix(f.Data, "4") {
			return nil, fmt.Errorf("testkit: not a Socket.IO packet: %q", f.Data)
		}
		p, err := ParsePacket(f.Data[1:])
		if err != nil {
			return nil, err
		}
		for range p.attachments {
			a, err := c.Read(ctx)
			if err != nil {
				return nil, err
			}
			if !a.Binary {
				return nil, fmt.Errorf("testkit: attachment expected, got %q", a.Data)
			}
			p.Attachments = append(p.Attachments, []byte(a.Data))
		}
		return p, nil
	}
}

// Connect joins namespace nsp ("/" for the main one) with auth, raw JSON
// ("" for none), and returns the socket ID from the server's CONNECT. The
// next packet must be the answer: a CONNECT_ERROR is returned as a
// *[ConnectError], anything else as an error.
func (c *Client) Connect(ctx context.Context, nsp, auth string) (string, error) {
	if err := c.Send("4" + encodeHead(PacketConnect, nsp, -1, 0) + auth); err != nil {
		return "", err
	}
	p, err := c.ReadPacket(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case p.Nsp == nsp && p.Type == PacketConnect:
		var v struct {
			Sid string `json:"sid"`
		}
		if err := json.Unmarshal(p.Data, &v); err != nil || v.Sid == "" {
			return "", fmt.Errorf("testkit: connect %s: got %s", nsp, p)
		}
		return v.Sid, nil
	case p.Nsp == nsp && p.Type == PacketConnectError:
		ce := &ConnectError{Data: p.Data}
		var v struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(p.Data, &v) == nil {
			ce.Message = v.Message
		}
		return "", ce
	}
	return "", fmt.Errorf("testkit: connect %s: got %s", nsp, p)
}

// Emit sends an event to namespace nsp without asking for an
// acknowledgement. Arguments of type []byte go as binary attachments.
func (c *Client) Emit(nsp, event string, args ...any) error {
	return c.emit(nsp, -1, event, args)
}

// EmitWithAck sends an event that asks for an acknowledgement and waits
// for it; it returns the acknowledgement's arguments.
func (c *Client) EmitWithAck(ctx context.Context, nsp, event string, args ...any) ([]json.RawMessage, error) {
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	k := ackKey{nsp, id}
	c.acks[k] = nil
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.acks, k)
		c.mu.Unlock()
	}()
	if err := c.emit(nsp, id, event, args); err != nil {
		return nil, err
	}
	var p *Packet
	err := c.await(ctx, true, func() bool {
		p = c.acks[k]
		return p != nil
	})
	if err != nil {
		return nil, fmt.Errorf("testkit: ack %d of %q: %w", id, event, err)
	}
	return p.Args()
}

// Ack answers the server's event id in namespace nsp with args.
func (c *Client) Ack(nsp string, id int, args ...any) error {
	data, atts, err := encodeArgs(args)
	if err != nil {
		return err
	}
	typ := PacketAck
	if len(atts) > 0 {
		typ = PacketBinaryAck
	}
	return c.write(packetFrames(typ, nsp, id, data, atts))
}

func (c *Client) emit(nsp string, id int, event string, args []any) error {
	data, atts, err := encodeArgs(append([]any{event}, args...))
	if err != nil {
		return err
	}
	typ := PacketEvent
	if len(atts) > 0 {
		typ = PacketBinaryEvent
	}
	return c.write(packetFrames(typ, nsp, id, data, atts))
}

func packetFrames(typ PacketType, nsp string, id int, data []byte, atts [][]byte) []Frame {
	frames := []Frame{{Data: "4" + encodeHead(typ, nsp, id, len(atts)) + string(data)}}
	for _, a := range atts {
		frames = append(frames, Frame{Data: string(a), Binary: true})
	}
	return frames
}

// NextEvent returns the next packet, which must be an event.
func (c *Client) NextEvent(ctx context.Context) (Event, error) {
	p, err := c.ReadPacket(ctx)
	if err != nil {
		return Event{}, err
	}
	if p.Type != PacketEvent && p.Type != PacketBinaryEvent {
		return Event{}, fmt.Errorf("testkit: got %s, want an event", p)
	}
	return p.Event()
}

// WaitDisconnect waits until the server disconnected namespace nsp (a
// DISCONNECT packet arrived) or the connection ended, and leaves the queue
// as it is.
func (c *Client) WaitDisconnect(ctx context.Context, nsp string) error {
	err := c.await(ctx, true, func() bool { return c.disconnected[nsp] })
	if err != nil && ctx.Err() != nil {
		return err
	}
	return nil
}

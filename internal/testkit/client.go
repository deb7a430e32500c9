package testkit

import (
	"context"
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
	// Raw is the open packet as received, "0{...}": for a test that
	// checks the packet itself (no unknown field, the exact set of keys).
	Raw string `json:"-"`
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
	c.handshake.Raw = open
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
// goodbye (send "41" or "1" first for a clean one): it closes the
// websocket's TCP connection, or aborts the GET under way and polls no
// more. It waits for the reader goroutine and may be called several times.
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

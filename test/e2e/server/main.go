// Command server is the Socket.IO server that the end-to-end tests in
// test/e2e drive with the official npm socket.io-client and with raw HTTP
// and WebSocket clients.
//
// It listens on 127.0.0.1, on the port in env PORT (0 or unset: a free
// port), and prints exactly one line to stdout once listening:
//
//	listening on http://127.0.0.1:<port>
//
// The Socket.IO server is mounted at /socket.io/. It stops cleanly on
// SIGTERM or SIGINT with Server.Shutdown.
//
// Environment:
//
//	PORT           port to listen on (default 0: any free port)
//	MAX_BUFFER     MaxHTTPBufferSize in bytes (default 1e6; the suite uses 10000)
//	PING_INTERVAL  ping interval in ms (default 30000: high, so that a ping
//	               timeout can never be what closes a connection in a test)
//	PING_TIMEOUT   ping timeout in ms (default 20000)
//	WRITE_TIMEOUT, UPGRADE_TIMEOUT, CONNECT_TIMEOUT  Options.WriteTimeout,
//	               UpgradeTimeout and ConnectTimeout in ms (default 0: the
//	               library's defaults, as for a 0 in any of the above)
//	SHUTDOWN_TIMEOUT  ms given to Server.Shutdown on SIGTERM/SIGINT (default
//	               5000); the process exits 1 if Shutdown returns an error
//	E2E_DEBUG      if set, the server logs at debug level to stderr
//	CLEANUP_CHILD_NAMESPACES  if set, Options.CleanupEmptyChildNamespaces
//	ALLOW_EIO3     if set, Options.AllowEIO3: Socket.IO v2 clients are let in
//	               (only v2-client.test.mjs sets it)
//	RECOVERY_MS    if set, Options.ConnectionStateRecovery with that
//	               MaxDisconnectionDuration in ms (every emit then carries
//	               an offset: only recovery.test.mjs sets it)
//	PARSER         "msgpack": Options.Parser is msgpack.Parser{}, for clients
//	               with socket.io-msgpack-parser (msgpack.test.mjs); unset:
//	               the default JSON parser
//
// Namespaces and handlers (the tests rely on every one of them):
//
// Main namespace "/":
//
//   - on connection the server emits "welcome" with {"id": <socket id>,
//     "nsp": "/"}.
//   - "echo" (args..., ack): acks with the same arguments, unchanged
//     (binary attachments included; the arguments are held as [socketio.Raw]).
//   - "emit-back" (args...): emits the event "emit-back" back to the
//     sender with the same arguments, unchanged (binary included).
//   - "reverse-bytes" (data []byte, ack): acks with data reversed, as a
//     top-level binary argument (exercises typed []byte decoding/encoding).
//   - "struct-bin" ({"name": string, "data": <binary>}, ack): decoded into a
//     Go struct with a []byte field; acks with {"name": name + "!", "data":
//     <data reversed>, "len": len(data)} where data is binary.
//   - "ask-sum" (a int, b int, ack): the server calls EmitWithAck(ctx, "sum",
//     a, b) to the client (2 s timeout), decodes the client's first ack
//     argument as an int, checks it against a+b and acks with
//     {"ok": <got == a+b>, "got": <got>, "err": <error text or "">}.
//   - "ask-client" (event string, args..., ack): the server calls
//     EmitWithAck(ctx, event, args...) to the client (2 s timeout) and acks
//     with (null, <client's ack arguments, unchanged>...) on success or with
//     (<error text>) on failure.
//   - "get-auth" (ack): acks with socket.Handshake().Auth (the CONNECT auth
//     payload; {} when absent).
//   - "get-info" (ack): acks with {"id": socket id, "nsp": namespace,
//     "transport": current transport, "query": handshake query "x"}.
//   - "block" (ms int, ack): a slow handler: sleeps ms (at most 2000)
//     milliseconds, then acks with "unblocked". While it runs, the later
//     packets of the same connection wait (handlers run in order).
//   - "remember" (key string, value any): stores value under key, server-wide.
//   - "recall" (key string, ack): acks with the value stored under key, or null.
//   - "server-disconnect" (): the server calls s.Disconnect(false).
//   - "ticks" (ms): emits "tick" 0, 1, ... to the sender every ms
//     milliseconds, alternately with s.Emit and io.To(<its id>).Emit, until
//     "ticks-stop" (ack), which acks with the number of ticks sent (-1 if
//     none ran), or until the socket disconnects.
//   - "wait-disconnect" (id string, ack): waits (up to 3 s) until the socket
//     with that id (of any namespace) has disconnected, and acks with its
//     disconnect reason as seen by the server (its OnDisconnect handler), or
//     "timeout" / "unknown socket". Tests use it from a second client (or
//     another namespace of the same connection) to observe the server-side
//     reason of another socket. It waits on its own goroutine, so it does
//     not hold up the connection's later events.
//   - "message" (args...): sends the arguments back with s.Send (a
//     "message" event).
//   - "to-room" (room string, args...): io.To(room).Emit("room-news",
//     args...), the arguments unchanged (binary included).
//   - "do" (op string, params object, ack): runs operation op of the public
//     API (api.go) and acks with {"ok": <result>} or {"error": <error
//     text>}; helpers.mjs's op() unwraps it. params fields: via, event,
//     args, rooms, in, except, room, id, nsp, parent, tag, action, timeout
//     (ms), close, data. Operations (s is the requesting socket):
//   - "emit": emits event with args through the API named by via: io.emit,
//     io.to (rooms), io.in (rooms), io.except (except), io.to.except,
//     io.local, io.local.to, io.volatile, io.compress (Compress(false)),
//     io.send, nsp.emit (io.Of(nsp).Emit, for an existing namespace),
//     parent.emit (ParentNamespace parent: "dyn", "fn" or "late"),
//     socket.emit, socket.broadcast, socket.to, socket.except,
//     socket.volatile, socket.compress (Compress(false)), socket.send,
//     socket.emit+volatile (s.Emit(event, "regular") then
//     s.Volatile().Emit(event, "volatile")). The ack is queued after the
//     event, so the event has reached s when the ack does.
//   - "join" (rooms) / "leave" (room): s.Join / s.Leave; result: s.Rooms()
//     sorted. "rooms" (room): {"rooms": sorted s.Rooms(), "in": s.InRoom(room)}.
//   - "set-data" (data): s.SetData(data).
//   - "fetch" (rooms, except): FetchSockets (io's, or io.In(rooms).
//     Except(except)'s); result: sorted by id, [{"id", "rooms" (sorted),
//     "data", "local" (Local() is the socket), "handshake": {"auth",
//     "query" (query "x"), "header" (header X-Test), "address"}}].
//   - "remote" (id, action, event, args, rooms, close): finds socket id
//     among io.FetchSockets and calls RemoteSocket.Emit / Join / Leave /
//     Disconnect(close) per action ("emit", "join", "leave", "disconnect").
//   - "sockets-join" / "sockets-leave" (in, except, rooms): io.SocketsJoin /
//     SocketsLeave(rooms) when in and except are empty, else
//     io.In(in).Except(except).SocketsJoin / SocketsLeave(rooms).
//     "disconnect-sockets" (in, except, close): likewise, DisconnectSockets.
//   - "broadcast-ack" (rooms, except, timeout, event, args): on a goroutine,
//     io.To(rooms).Except(except)[.Timeout(timeout)].EmitWithAck (5 s
//     context); result {"responses", "error", "isTimeout" (errors.Is
//     ErrAckTimeout), "errorResponses" (AckTimeoutError.Responses),
//     "elapsed" (ms)}.
//   - "emit-with-ack" (event, args, timeout): on a goroutine,
//     s[.Timeout(timeout)].EmitWithAck (5 s context); result {"args",
//     "error", "isTimeout"}.
//   - "server-side-emit" (event): io.ServerSideEmit and
//     io.ServerSideEmitWithAck; result {"emit", "emitWithAck" (error
//     texts), "emitNotSupported" (errors.Is adapter.ErrNotSupported),
//     "emitReserved", "emitWithAckReserved" (errors.Is ErrReservedEvent)}.
//   - "emit-reserved" (event): tries event with s.Emit, s.Volatile().Emit,
//     s.Broadcast().Emit, s.To(..).Emit, io.Emit, io.To(..).Emit,
//     s.Timeout(200ms).EmitWithAck, io.To(..).Timeout(200ms).EmitWithAck;
//     result: {<api>: <error text or null>}.
//   - "disconnect" (close): acks, then s.Disconnect(close).
//   - "handshake": s.Handshake() as {"headers" (lower-case names, values
//     joined with ", "), "time" (ms), "issued", "address", "remoteAddr"
//     (s.RemoteAddr()), "xdomain", "secure", "url", "query" (first values),
//     "auth"}.
//   - "transport": {"atConnect": s.Transport() in the connection handler,
//     "now": s.Transport()}.
//   - "room-events" (id, rooms): the adapter events of "/" (OnRoomEvent) so
//     far whose socket is id or whose room is id or in rooms, in order:
//     [{"type", "room", "id"}].
//   - "new-namespaces": the names OnNewNamespace got, in order (it is
//     registered before every namespace but "/" is created).
//   - "children" (parent): the sorted names of that ParentNamespace's
//     Children().
//   - "late-parent-use": adds to parent "late" a middleware refusing every
//     socket with "late middleware".
//   - "mw-log" (tag): the steps "/mw-reject" ran for auth tag.
//   - "disconnect-info" (id): like "wait-disconnect" (on a goroutine), with
//     the socket's rooms: {"reason", "disconnecting" (s.Rooms() in
//     OnDisconnecting), "disconnect" (in OnDisconnect)}, sorted.
//
// Namespace "/admin" (independent handlers):
//
//   - on connection emits "welcome" with {"id": <socket id>, "nsp": "/admin"}.
//   - "echo" (args..., ack): acks with ("admin", args...), so a test can tell
//     which namespace's handler answered.
//   - "get-info" (ack): as in "/".
//   - "admin-only" (ack): acks with "admin-only-ok" (no such handler in "/").
//   - "handshake" (ack): as the "do" operation of "/".
//
// Namespace "/lobby": the connection handler sleeps auth "delay" ms (at
// most 1000; a lookup), joins room "lobby" and emits "ready"; "shout" (n)
// broadcasts "heard" n to room "lobby".
//
// Namespace "/guarded": a middleware refuses every socket whose auth token
// is not "let-me-in" with a *socketio.ConnectError{Message: "not
// authorized", Data: {"reason": "bad token", "code": 4001}}. An accepted
// socket has "echo" as in "/".
//
// Namespace "/mw-order": three middlewares append "first", "second",
// "third" to the socket's Data; the connection handler emits "mw-order"
// with them and "connection".
//
// Namespace "/mw-reject": middlewares mw1, mw2, mw3 and the connection
// handler log their step under the auth "tag" (read with "do" "mw-log");
// mw2 refuses auth {"reject": true} with a *ConnectError{Message:
// "rejected by mw2", Data: {"tag": tag}}.
//
// Namespace "admin2" (given to Of without its leading slash): "who" (ack)
// acks with the namespace's name.
//
// Dynamic namespaces (their sockets are tracked for "wait-disconnect"):
//
//   - parent "dyn", io.OfRegexp(^/dyn-[a-z0-9-]+$): a middleware refuses
//     auth {"deny": true} with *ConnectError{"denied by parent", {"nsp":
//     name}} and otherwise sets the socket's Data to {"parentMiddleware":
//     name}; on connection emits "welcome" {"id", "nsp", "parent": "dyn"};
//     "get-data" (ack) acks with the Data; "echo" as in "/". io.Of
//     ("/dyn-static") is called after it (the reference makes that a child).
//   - parent "fn", io.OfFunc: accepts names starting with "/fn-" whose auth
//     has {"allow": true}; auth {"fail": true} makes it return an error. On
//     connection emits "welcome" {"id", "nsp", "parent": "fn", "auth"}.
//   - parent "late", io.OfRegexp(^/late-[a-z0-9-]+$): on connection emits
//     "welcome" {"id", "nsp", "parent": "late"}; see "late-parent-use".
//
// Namespace "/hooks": each socket logs what its hooks see, except for the
// event "log": packet middleware "middleware:<event>" (it refuses event
// "forbidden" with "forbidden event"), OnAny "any1:<event> <args JSON>",
// OnAny "any2:<event>", PrependAny "prepended:<event>", OnAnyOutgoing
// "out:<event> <args JSON>", PrependAnyOutgoing "out-prepended:<event>",
// OnError "error:<text>" (and emits "hooks-error" with the text), handlers
// "handler:note" ("note") and "handler:forbidden" ("forbidden", acks "ran").
// "log" (ack) acks with the log and clears it; "off-first-any" calls the
// function the "any1" OnAny returned; "off-any" calls OffAny;
// "off-any-outgoing" calls OffAnyOutgoing; "emit-out" (ack) emits "direct"
// (1, "a") to the socket, "to-all" (2) to the namespace and "to-room" (3)
// to the socket's own-id room, then acks "done".
//
// Namespace "/typed": typed handlers; OnError emits "handler-error"
// {"message", "decode" (a *DecodeError), "event", "index"}. "ping" acks
// "pong"; "struct" (person{name, age, tags, avatar []byte}, ack) acks
// {name, age, tags, avatarLen, avatar}; "pointer" (*person, ack) acks the
// name or "nil"; "bytes" (label, []byte, ack) acks (label, len, reversed);
// "ack-first" (ack, a, b int) acks a*b; "variadic" (ack, first string,
// rest ...int) acks (first, sum, count); "any-types" (ack, args ...any)
// acks the %T of each; "missing" (a string, b int, c []string, ack) acks
// (a, b, c == nil); "int" (n int, ack) acks n*2; "fails" (x string) returns
// the error "handler failed: <x>"; "twice" has two handlers, the second
// acks ["first", "second"]; "raw" (Raw, ack) acks its JSON text.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gosio/sio/parser/msgpack"
	"github.com/gosio/sio/socketio"
)

// reasons records, for every socket ever connected, a channel closed when it
// disconnects, with the reason.
type reasons struct {
	mu sync.Mutex
	m  map[string]*reasonEntry
}

type reasonEntry struct {
	done   chan struct{}
	reason string
	// the socket's rooms in its OnDisconnecting and OnDisconnect handlers
	roomsDisconnecting, roomsDisconnect []string
}

func (r *reasons) track(s *socketio.Socket) {
	e := &reasonEntry{done: make(chan struct{})}
	r.mu.Lock()
	r.m[s.ID()] = e
	r.mu.Unlock()
	s.OnDisconnecting(func(socketio.DisconnectReason) {
		rooms := s.Rooms()
		r.mu.Lock()
		e.roomsDisconnecting = rooms
		r.mu.Unlock()
	})
	s.OnDisconnect(func(reason socketio.DisconnectReason) {
		rooms := s.Rooms()
		r.mu.Lock()
		defer r.mu.Unlock()
		e.roomsDisconnect = rooms
		select {
		case <-e.done:
			e.reason += " (disconnected twice: " + reason.String() + ")"
		default:
			e.reason = reason.String()
			close(e.done)
		}
	})
}

func (r *reasons) wait(id string, timeout time.Duration) string {
	r.mu.Lock()
	e := r.m[id]
	r.mu.Unlock()
	if e == nil {
		return "unknown socket"
	}
	select {
	case <-e.done:
		r.mu.Lock()
		defer r.mu.Unlock()
		return e.reason
	case <-time.After(timeout):
		return "timeout"
	}
}

// asAny returns received arguments as emit arguments, so that they are sent
// back exactly as they came, binary attachments included.
func asAny(args socketio.Args) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

func envInt(name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseFloat(v, 64) // accepts 1e6
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad %s=%q: %v\n", name, v, err)
		os.Exit(2)
	}
	return int64(n)
}

func reversed(b []byte) []byte {
	out := slices.Clone(b)
	slices.Reverse(out)
	return out
}

func info(s *socketio.Socket) map[string]any {
	return map[string]any{
		"id":        s.ID(),
		"nsp":       s.Namespace().Name(),
		"transport": s.Transport(),
		"query":     s.Handshake().Query.Get("x"),
	}
}

func main() {
	opts := &socketio.Options{
		MaxHTTPBufferSize: envInt("MAX_BUFFER", 1e6),
		PingInterval:      time.Duration(envInt("PING_INTERVAL", 30000)) * time.Millisecond,
		PingTimeout:       time.Duration(envInt("PING_TIMEOUT", 20000)) * time.Millisecond,
		WriteTimeout:      time.Duration(envInt("WRITE_TIMEOUT", 0)) * time.Millisecond,
		UpgradeTimeout:    time.Duration(envInt("UPGRADE_TIMEOUT", 0)) * time.Millisecond,
		ConnectTimeout:    time.Duration(envInt("CONNECT_TIMEOUT", 0)) * time.Millisecond,

		CleanupEmptyChildNamespaces: os.Getenv("CLEANUP_CHILD_NAMESPACES") != "",
		AllowEIO3:                   os.Getenv("ALLOW_EIO3") != "",
	}
	if ms := envInt("RECOVERY_MS", 0); ms > 0 {
		opts.ConnectionStateRecovery = &socketio.ConnectionStateRecovery{
			MaxDisconnectionDuration: time.Duration(ms) * time.Millisecond,
		}
	}
	switch p := os.Getenv("PARSER"); p {
	case "":
	case "msgpack":
		opts.Parser = msgpack.Parser{}
	default:
		fmt.Fprintf(os.Stderr, "bad PARSER=%q: want msgpack or nothing\n", p)
		os.Exit(2)
	}
	if os.Getenv("E2E_DEBUG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	io := socketio.NewServer(opts)
	rs := &reasons{m: make(map[string]*reasonEntry)}
	var memory sync.Map // for "remember" and "recall"
	api := newAPI(io, rs)
	api.setup() // first: its OnNewNamespace sees every namespace created after

	// Main namespace "/".
	io.OnConnection(func(s *socketio.Socket) {
		rs.track(s)
		api.onMainConnection(s)
		_ = s.Emit("welcome", map[string]any{"id": s.ID(), "nsp": "/"})
		s.On("echo", func(args socketio.Args, ack socketio.Ack) {
			_ = ack(asAny(args)...)
		})
		s.On("emit-back", func(args socketio.Args) {
			_ = s.Emit("emit-back", asAny(args)...)
		})
		s.On("to-room", func(room string, rest socketio.Args) {
			_ = io.To(room).Emit("room-news", asAny(rest)...)
		})
		s.On("reverse-bytes", func(data []byte, ack socketio.Ack) {
			_ = ack(reversed(data))
		})
		s.On("struct-bin", func(p struct {
			Name string `json:"name"`
			Data []byte `json:"data"`
		}, ack socketio.Ack) {
			_ = ack(map[string]any{"name": p.Name + "!", "data": reversed(p.Data), "len": len(p.Data)})
		})
		s.On("ask-sum", func(a, b int, ack socketio.Ack) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			res, err := s.EmitWithAck(ctx, "sum", a, b)
			got := 0
			if err == nil {
				err = res.Decode(&got)
			}
			errText := ""
			if err != nil {
				errText = err.Error()
			}
			_ = ack(map[string]any{"ok": err == nil && got == a+b, "got": got, "err": errText})
		})
		s.On("ask-client", func(event string, ack socketio.Ack, rest socketio.Args) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			res, err := s.EmitWithAck(ctx, event, asAny(rest)...)
			if err != nil {
				_ = ack(err.Error())
				return
			}
			_ = ack(append([]any{nil}, asAny(res)...)...)
		})
		s.On("get-auth", func(ack socketio.Ack) {
			_ = ack(s.Handshake().Auth)
		})
		s.On("get-info", func(ack socketio.Ack) {
			_ = ack(info(s))
		})
		s.On("block", func(ms int, ack socketio.Ack) {
			time.Sleep(time.Duration(min(max(ms, 0), 2000)) * time.Millisecond)
			_ = ack("unblocked")
		})
		s.On("remember", func(key string, value any) {
			memory.Store(key, value)
		})
		s.On("recall", func(key string, ack socketio.Ack) {
			v, _ := memory.Load(key)
			_ = ack(v)
		})
		s.On("server-disconnect", func() {
			s.Disconnect(false)
		})
		// ticks (ms): emits "tick" 0, 1, ... to this socket every ms
		// milliseconds, in turn directly (s.Emit) and as a broadcast to
		// its own room (io.To(id).Emit), until "ticks-stop" (ack), which
		// acks with the number of ticks sent, or the socket disconnects.
		var ticker struct {
			sync.Mutex
			stop  chan struct{}
			count chan int // the number sent, once stopped
		}
		s.On("ticks", func(ms int) {
			ticker.Lock()
			defer ticker.Unlock()
			if ticker.stop != nil {
				return
			}
			stop, count := make(chan struct{}), make(chan int, 1)
			ticker.stop, ticker.count = stop, count
			go func() {
				t := time.NewTicker(time.Duration(max(ms, 1)) * time.Millisecond)
				defer t.Stop()
				for n := 0; ; n++ {
					select {
					case <-stop:
						count <- n
						return
					case <-s.Done():
						count <- n
						return
					case <-t.C:
					}
					if n%2 == 0 {
						_ = s.Emit("tick", n)
					} else {
						_ = io.To(s.ID()).Emit("tick", n)
					}
				}
			}()
		})
		s.On("ticks-stop", func(ack socketio.Ack) {
			ticker.Lock()
			stop, count := ticker.stop, ticker.count
			ticker.stop = nil
			ticker.Unlock()
			if stop == nil {
				_ = ack(-1)
				return
			}
			close(stop)
			_ = ack(<-count)
		})
		// flood (n, ack): queues n "seq" events (0..n-1) to this socket,
		// then acks n; the shutdown tests check they all arrive.
		s.On("flood", func(n int, ack socketio.Ack) {
			for i := range n {
				_ = s.Emit("seq", i)
			}
			_ = ack(n)
		})
		s.On("wait-disconnect", func(id string, ack socketio.Ack) {
			// Wait off the connection's handler goroutine: the awaited
			// socket may share this connection, and its disconnect
			// handlers then run on that goroutine, after this handler.
			go func() { _ = ack(rs.wait(id, 3*time.Second)) }()
		})
	})

	// Namespace "/admin".
	admin := io.Of("/admin")
	admin.OnConnection(func(s *socketio.Socket) {
		rs.track(s)
		_ = s.Emit("welcome", map[string]any{"id": s.ID(), "nsp": "/admin"})
		s.On("echo", func(args socketio.Args, ack socketio.Ack) {
			_ = ack(append([]any{"admin"}, asAny(args)...)...)
		})
		s.On("get-info", func(ack socketio.Ack) {
			_ = ack(info(s))
		})
		s.On("admin-only", func(ack socketio.Ack) {
			_ = ack("admin-only-ok")
		})
		s.On("handshake", func(ack socketio.Ack) {
			_ = ack(handshakeInfo(s))
		})
	})

	setupRecovery(io)

	// Namespace "/guarded".
	// Namespace "/lobby": the connection handler waits auth "delay" ms
	// (a lookup), joins "lobby", then emits "ready"; "shout" (n)
	// broadcasts "heard" n to the lobby.
	lobby := io.Of("/lobby")
	lobby.OnConnection(func(s *socketio.Socket) {
		var auth struct {
			Delay int `json:"delay"`
		}
		_ = json.Unmarshal(s.Handshake().Auth, &auth)
		time.Sleep(time.Duration(min(max(auth.Delay, 0), 1000)) * time.Millisecond)
		_ = s.Join("lobby")
		_ = s.Emit("ready")
	})
	lobby.OnConnection(func(s *socketio.Socket) {
		s.On("shout", func(n int) { _ = lobby.To("lobby").Emit("heard", n) })
	})

	guarded := io.Of("/guarded")
	guarded.Use(func(s *socketio.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(s.Handshake().Auth, &auth); err != nil || auth.Token != "let-me-in" {
			return &socketio.ConnectError{
				Message: "not authorized",
				Data:    map[string]any{"reason": "bad token", "code": 4001},
			}
		}
		return nil
	})
	guarded.OnConnection(func(s *socketio.Socket) {
		rs.track(s)
		s.On("echo", func(args socketio.Args, ack socketio.Ack) {
			_ = ack(asAny(args)...)
		})
	})

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)

	port := os.Getenv("PORT")
	if port == "" {
		port = "0"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Printf("listening on http://%s\n", ln.Addr().String())

	select {
	case <-sig:
	case err := <-served:
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(envInt("SHUTDOWN_TIMEOUT", 5000))*time.Millisecond)
	defer cancel()
	code := 0
	if err := io.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "socket.io shutdown:", err)
		code = 1
	}
	if err := hs.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "http shutdown:", err)
		code = 1
	}
	os.Exit(code)
}

package main

// The handlers and namespaces that the api-*.test.mjs files use to drive the
// public API of package socketio (broadcasts, rooms, acks, fetchSockets,
// dynamic namespaces, hooks, typed handlers); main.go's doc comment lists
// them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/socketio"
)

// doParams are the parameters of a "do" operation; each operation reads
// the fields it needs.
type doParams struct {
	Via     string   `json:"via"`
	Event   string   `json:"event"`
	Args    []any    `json:"args"`
	Rooms   []string `json:"rooms"`
	In      []string `json:"in"`
	Except  []string `json:"except"`
	Room    string   `json:"room"`
	ID      string   `json:"id"`
	Nsp     string   `json:"nsp"`
	Parent  string   `json:"parent"`
	Tag     string   `json:"tag"`
	Action  string   `json:"action"`
	Timeout int      `json:"timeout"` // ms
	Close   bool     `json:"close"`
	Data    any      `json:"data"`
}

// roomEvent is one adapter event of the main namespace, as recorded.
type roomEvent struct {
	Type string `json:"type"`
	Room string `json:"room"`
	ID   string `json:"id,omitempty"`
}

// api holds the server-wide state of the API handlers.
type api struct {
	io *socketio.Server
	rs *reasons

	mu         sync.Mutex
	roomEvents []roomEvent         // adapter events of "/"
	newNsps    []string            // names given to OnNewNamespace
	mwLog      map[string][]string // by auth tag: steps of "/mw-reject"
	transports map[string]string   // socket id ("/") -> transport at connect
	parents    map[string]*socketio.ParentNamespace
}

func newAPI(io *socketio.Server, rs *reasons) *api {
	return &api{
		io:         io,
		rs:         rs,
		mwLog:      make(map[string][]string),
		transports: make(map[string]string),
		parents:    make(map[string]*socketio.ParentNamespace),
	}
}

func (a *api) logMW(tag, step string) {
	a.mu.Lock()
	a.mwLog[tag] = append(a.mwLog[tag], step)
	a.mu.Unlock()
}

func authField(s *socketio.Socket, v any) { _ = json.Unmarshal(s.Handshake().Auth, v) }

func sortedRooms(rs []string) []string {
	out := slices.Clone(rs)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// decodeAll turns ack responses into JSON values for the test.
func decodeAll(rs []socketio.Raw) []any {
	out := make([]any, 0, len(rs))
	for _, r := range rs {
		var v any
		if err := r.Decode(&v); err != nil {
			v = "undecodable: " + err.Error()
		}
		out = append(out, v)
	}
	return out
}

// argsJSON renders arguments as a JSON array, for the hooks log.
func argsJSON(args socketio.Args) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = string(a.JSON())
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func errText(err error) any {
	if err == nil {
		return nil
	}
	return err.Error()
}

func handshakeInfo(s *socketio.Socket) map[string]any {
	h := s.Handshake()
	headers := map[string]string{}
	for k, v := range h.Headers {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	query := map[string]string{}
	for k, v := range h.Query {
		if len(v) > 0 {
			query[k] = v[0]
		}
	}
	return map[string]any{
		"headers":    headers,
		"time":       h.Time.UnixMilli(),
		"issued":     h.Issued(),
		"address":    h.Address,
		"remoteAddr": s.RemoteAddr(),
		"xdomain":    h.XDomain,
		"secure":     h.Secure,
		"url":        h.URL,
		"query":      query,
		"auth":       h.Auth,
	}
}

// setup registers the API handlers and namespaces on a.io. It must run
// before the other namespaces are created, so that OnNewNamespace sees them.
func (a *api) setup() {
	io := a.io
	io.OnNewNamespace(func(n *socketio.Namespace) {
		a.mu.Lock()
		a.newNsps = append(a.newNsps, n.Name())
		a.mu.Unlock()
	})
	io.Sockets().OnRoomEvent(func(ev adapter.Event) {
		a.mu.Lock()
		a.roomEvents = append(a.roomEvents, roomEvent{ev.Type.String(), string(ev.Room), string(ev.ID)})
		a.mu.Unlock()
	})

	// "/mw-order": three middlewares, then the connection handler.
	order := io.Of("/mw-order")
	for _, name := range []string{"first", "second", "third"} {
		order.Use(func(s *socketio.Socket) error {
			steps, _ := s.Data().([]string)
			s.SetData(append(steps, name))
			return nil
		})
	}
	order.OnConnection(func(s *socketio.Socket) {
		steps, _ := s.Data().([]string)
		_ = s.Emit("mw-order", append(slices.Clone(steps), "connection"))
	})

	// "/mw-reject": the second middleware refuses auth {reject: true}.
	reject := io.Of("/mw-reject")
	tagOf := func(s *socketio.Socket) string {
		var auth struct {
			Tag string `json:"tag"`
		}
		authField(s, &auth)
		return auth.Tag
	}
	reject.Use(func(s *socketio.Socket) error {
		a.logMW(tagOf(s), "mw1")
		return nil
	})
	reject.Use(func(s *socketio.Socket) error {
		a.logMW(tagOf(s), "mw2")
		var auth struct {
			Reject bool `json:"reject"`
		}
		authField(s, &auth)
		if auth.Reject {
			return &socketio.ConnectError{Message: "rejected by mw2", Data: map[string]any{"tag": tagOf(s)}}
		}
		return nil
	})
	reject.Use(func(s *socketio.Socket) error {
		a.logMW(tagOf(s), "mw3")
		return nil
	})
	reject.OnConnection(func(s *socketio.Socket) {
		a.logMW(tagOf(s), "connection")
	})

	// "admin2", without the leading slash.
	io.Of("admin2").OnConnection(func(s *socketio.Socket) {
		s.On("who", func(ack socketio.Ack) { _ = ack(s.Namespace().Name()) })
	})

	// Dynamic namespaces.
	dyn := io.OfRegexp(regexp.MustCompile(`^/dyn-[a-z0-9-]+$`))
	dyn.Use(func(s *socketio.Socket) error {
		var auth struct {
			Deny bool `json:"deny"`
		}
		authField(s, &auth)
		if auth.Deny {
			return &socketio.ConnectError{Message: "denied by parent", Data: map[string]any{"nsp": s.Namespace().Name()}}
		}
		s.SetData(map[string]any{"parentMiddleware": s.Namespace().Name()})
		return nil
	})
	dyn.OnConnection(func(s *socketio.Socket) {
		a.rs.track(s)
		_ = s.Emit("welcome", map[string]any{"id": s.ID(), "nsp": s.Namespace().Name(), "parent": "dyn"})
		s.On("get-data", func(ack socketio.Ack) { _ = ack(s.Data()) })
		s.On("echo", func(args socketio.Args, ack socketio.Ack) { _ = ack(asAny(args)...) })
	})
	// Created after the regexp parent that matches its name: the reference
	// makes it a child of that parent.
	io.Of("/dyn-static")

	fn := io.OfFunc(func(name string, auth json.RawMessage) (bool, error) {
		if !strings.HasPrefix(name, "/fn-") {
			return false, nil
		}
		var opt struct {
			Allow bool `json:"allow"`
			Fail  bool `json:"fail"`
		}
		_ = json.Unmarshal(auth, &opt)
		if opt.Fail {
			return false, errors.New("matcher failed")
		}
		return opt.Allow, nil
	})
	fn.OnConnection(func(s *socketio.Socket) {
		a.rs.track(s)
		_ = s.Emit("welcome", map[string]any{"id": s.ID(), "nsp": s.Namespace().Name(), "parent": "fn", "auth": s.Handshake().Auth})
	})

	late := io.OfRegexp(regexp.MustCompile(`^/late-[a-z0-9-]+$`))
	late.OnConnection(func(s *socketio.Socket) {
		_ = s.Emit("welcome", map[string]any{"id": s.ID(), "nsp": s.Namespace().Name(), "parent": "late"})
	})
	a.parents["dyn"], a.parents["fn"], a.parents["late"] = dyn, fn, late

	a.setupHooks(io.Of("/hooks"))
	a.setupTyped(io.Of("/typed"))
}

// onMainConnection adds the API handlers to a socket of "/".
func (a *api) onMainConnection(s *socketio.Socket) {
	a.mu.Lock()
	a.transports[s.ID()] = s.Transport()
	a.mu.Unlock()
	s.On("message", func(args socketio.Args) {
		_ = s.Send(asAny(args)...)
	})
	s.On("do", func(op string, p doParams, ack socketio.Ack) {
		reply := func(v any, err error) {
			if err != nil {
				_ = ack(map[string]any{"error": err.Error()})
				return
			}
			_ = ack(map[string]any{"ok": v})
		}
		a.do(s, op, p, reply)
	})
}

func (a *api) parent(name string) (*socketio.ParentNamespace, error) {
	p := a.parents[name]
	if p == nil {
		return nil, fmt.Errorf("no parent %q", name)
	}
	return p, nil
}

func (a *api) do(s *socketio.Socket, op string, p doParams, reply func(any, error)) {
	io := a.io
	ctx := context.Background()
	switch op {
	case "emit":
		reply(nil, a.emit(s, p))
	case "join":
		s.Join(p.Rooms...)
		reply(sortedRooms(s.Rooms()), nil)
	case "leave":
		s.Leave(p.Room)
		reply(sortedRooms(s.Rooms()), nil)
	case "rooms":
		reply(map[string]any{"rooms": sortedRooms(s.Rooms()), "in": s.InRoom(p.Room)}, nil)
	case "set-data":
		s.SetData(p.Data)
		reply(nil, nil)
	case "fetch":
		var list []*socketio.RemoteSocket
		var err error
		if len(p.Rooms) == 0 && len(p.Except) == 0 {
			list, err = io.FetchSockets(ctx)
		} else {
			list, err = io.In(p.Rooms...).Except(p.Except...).FetchSockets(ctx)
		}
		if err != nil {
			reply(nil, err)
			return
		}
		out := make([]map[string]any, 0, len(list))
		for _, r := range list {
			h := r.Handshake()
			out = append(out, map[string]any{
				"id":    r.ID(),
				"rooms": sortedRooms(r.Rooms()),
				"data":  r.Data(),
				"local": r.Local() != nil && r.Local().ID() == r.ID(),
				"handshake": map[string]any{
					"auth":    h.Auth,
					"query":   h.Query.Get("x"),
					"header":  h.Headers.Get("X-Test"),
					"address": h.Address,
				},
			})
		}
		slices.SortFunc(out, func(x, y map[string]any) int { return strings.Compare(x["id"].(string), y["id"].(string)) })
		reply(out, nil)
	case "remote":
		list, err := io.FetchSockets(ctx)
		if err != nil {
			reply(nil, err)
			return
		}
		i := slices.IndexFunc(list, func(r *socketio.RemoteSocket) bool { return r.ID() == p.ID })
		if i < 0 {
			reply(nil, fmt.Errorf("no socket %q", p.ID))
			return
		}
		r := list[i]
		switch p.Action {
		case "emit":
			err = r.Emit(p.Event, p.Args...)
		case "join":
			err = r.Join(p.Rooms...)
		case "leave":
			err = r.Leave(p.Rooms...)
		case "disconnect":
			err = r.Disconnect(p.Close)
		default:
			err = fmt.Errorf("unknown action %q", p.Action)
		}
		reply(nil, err)
	case "sockets-join", "sockets-leave", "disconnect-sockets":
		all := len(p.In) == 0 && len(p.Except) == 0
		sel := io.In(p.In...).Except(p.Except...)
		var err error
		switch {
		case op == "sockets-join" && all:
			err = io.SocketsJoin(p.Rooms...)
		case op == "sockets-join":
			err = sel.SocketsJoin(p.Rooms...)
		case op == "sockets-leave" && all:
			err = io.SocketsLeave(p.Rooms...)
		case op == "sockets-leave":
			err = sel.SocketsLeave(p.Rooms...)
		case all:
			err = io.DisconnectSockets(p.Close)
		default:
			err = sel.DisconnectSockets(p.Close)
		}
		reply(nil, err)
	case "broadcast-ack":
		go func() {
			b := io.To(p.Rooms...).Except(p.Except...)
			if p.Timeout > 0 {
				b = b.Timeout(time.Duration(p.Timeout) * time.Millisecond)
			}
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			t0 := time.Now()
			res, err := b.EmitWithAck(ctx, p.Event, p.Args...)
			out := map[string]any{
				"responses": decodeAll(res),
				"error":     errText(err),
				"isTimeout": errors.Is(err, socketio.ErrAckTimeout),
				"elapsed":   time.Since(t0).Milliseconds(),
			}
			var te *socketio.AckTimeoutError
			if errors.As(err, &te) {
				out["errorResponses"] = decodeAll(te.Responses)
			}
			reply(out, nil)
		}()
	case "emit-with-ack":
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			var res socketio.Args
			var err error
			if p.Timeout > 0 {
				res, err = s.Timeout(time.Duration(p.Timeout)*time.Millisecond).EmitWithAck(ctx, p.Event, p.Args...)
			} else {
				res, err = s.EmitWithAck(ctx, p.Event, p.Args...)
			}
			reply(map[string]any{
				"args":      decodeAll(res),
				"error":     errText(err),
				"isTimeout": errors.Is(err, socketio.ErrAckTimeout),
			}, nil)
		}()
	case "server-side-emit":
		err := io.ServerSideEmit(ctx, p.Event, "x")
		_, errAck := io.ServerSideEmitWithAck(ctx, p.Event, "x")
		reply(map[string]any{
			"emit":                errText(err),
			"emitNotSupported":    errors.Is(err, adapter.ErrNotSupported),
			"emitWithAck":         errText(errAck),
			"emitWithAckReserved": errors.Is(errAck, socketio.ErrReservedEvent),
			"emitReserved":        errors.Is(err, socketio.ErrReservedEvent),
		}, nil)
	case "emit-reserved":
		ev := p.Event
		out := map[string]any{}
		out["socket.emit"] = errText(s.Emit(ev, "x"))
		out["socket.volatile"] = errText(s.Volatile().Emit(ev, "x"))
		out["socket.broadcast"] = errText(s.Broadcast().Emit(ev, "x"))
		out["socket.send-like"] = errText(s.To("no-such-room").Emit(ev, "x"))
		out["io.emit"] = errText(io.Emit(ev, "x"))
		out["io.to"] = errText(io.To("no-such-room").Emit(ev, "x"))
		_, err := s.Timeout(200*time.Millisecond).EmitWithAck(ctx, ev, "x")
		out["socket.emitWithAck"] = errText(err)
		_, err = io.To("no-such-room").Timeout(200*time.Millisecond).EmitWithAck(ctx, ev, "x")
		out["io.emitWithAck"] = errText(err)
		reply(out, nil)
	case "disconnect":
		reply(nil, nil)
		s.Disconnect(p.Close)
	case "handshake":
		reply(handshakeInfo(s), nil)
	case "transport":
		a.mu.Lock()
		at := a.transports[s.ID()]
		a.mu.Unlock()
		reply(map[string]any{"atConnect": at, "now": s.Transport()}, nil)
	case "room-events":
		want := map[string]bool{p.ID: true}
		for _, r := range p.Rooms {
			want[r] = true
		}
		a.mu.Lock()
		out := []roomEvent{}
		for _, ev := range a.roomEvents {
			if (p.ID != "" && ev.ID == p.ID) || want[ev.Room] {
				out = append(out, ev)
			}
		}
		a.mu.Unlock()
		reply(out, nil)
	case "new-namespaces":
		a.mu.Lock()
		out := slices.Clone(a.newNsps)
		a.mu.Unlock()
		reply(out, nil)
	case "children":
		par, err := a.parent(p.Parent)
		if err != nil {
			reply(nil, err)
			return
		}
		names := []string{}
		for _, n := range par.Children() {
			names = append(names, n.Name())
		}
		slices.Sort(names)
		reply(names, nil)
	case "late-parent-use":
		par, _ := a.parent("late")
		par.Use(func(*socketio.Socket) error { return errors.New("late middleware") })
		reply(nil, nil)
	case "mw-log":
		a.mu.Lock()
		out := slices.Clone(a.mwLog[p.Tag])
		a.mu.Unlock()
		if out == nil {
			out = []string{}
		}
		reply(out, nil)
	case "disconnect-info":
		go func() {
			reason := a.rs.wait(p.ID, 3*time.Second)
			a.rs.mu.Lock()
			e := a.rs.m[p.ID]
			var out map[string]any
			if e != nil {
				out = map[string]any{
					"reason":        reason,
					"disconnecting": sortedRooms(e.roomsDisconnecting),
					"disconnect":    sortedRooms(e.roomsDisconnect),
				}
			}
			a.rs.mu.Unlock()
			reply(out, nil)
		}()
	default:
		reply(nil, fmt.Errorf("unknown op %q", op))
	}
}

// emit sends p.Event with p.Args by the API p.Via names.
func (a *api) emit(s *socketio.Socket, p doParams) error {
	io, ev, args := a.io, p.Event, p.Args
	switch p.Via {
	case "io.emit":
		return io.Emit(ev, args...)
	case "io.to":
		return io.To(p.Rooms...).Emit(ev, args...)
	case "io.in":
		return io.In(p.Rooms...).Emit(ev, args...)
	case "io.except":
		return io.Except(p.Except...).Emit(ev, args...)
	case "io.to.except":
		return io.To(p.Rooms...).Except(p.Except...).Emit(ev, args...)
	case "io.local":
		return io.Local().Emit(ev, args...)
	case "io.local.to":
		return io.Local().To(p.Rooms...).Emit(ev, args...)
	case "io.volatile":
		return io.Volatile().Emit(ev, args...)
	case "io.compress":
		return io.Compress(false).Emit(ev, args...)
	case "io.send":
		return io.Send(args...)
	case "nsp.emit":
		return io.Of(p.Nsp).Emit(ev, args...)
	case "parent.emit":
		par, err := a.parent(p.Parent)
		if err != nil {
			return err
		}
		return par.Emit(ev, args...)
	case "socket.emit":
		return s.Emit(ev, args...)
	case "socket.broadcast":
		return s.Broadcast().Emit(ev, args...)
	case "socket.to":
		return s.To(p.Rooms...).Emit(ev, args...)
	case "socket.except":
		return s.Except(p.Except...).Emit(ev, args...)
	case "socket.volatile":
		return s.Volatile().Emit(ev, args...)
	case "socket.compress":
		return s.Compress(false).Emit(ev, args...)
	case "socket.send":
		return s.Send(args...)
	case "socket.emit+volatile":
		if err := s.Emit(ev, "regular"); err != nil {
			return err
		}
		return s.Volatile().Emit(ev, "volatile")
	}
	return fmt.Errorf("unknown via %q", p.Via)
}

// setupHooks: "/hooks", for OnAny, PrependAny, OffAny, the outgoing
// listeners, packet middleware and OnError. Each socket keeps a log.
func (a *api) setupHooks(hooks *socketio.Namespace) {
	hooks.OnConnection(func(s *socketio.Socket) {
		var mu sync.Mutex
		var log []string
		add := func(e string) {
			mu.Lock()
			log = append(log, e)
			mu.Unlock()
		}
		skip := func(ev string) bool { return ev == "log" }
		s.Use(func(ev string, args socketio.Args) error {
			if skip(ev) {
				return nil
			}
			add("middleware:" + ev)
			if ev == "forbidden" {
				return errors.New("forbidden event")
			}
			return nil
		})
		offFirst := s.OnAny(func(ev string, args socketio.Args) {
			if !skip(ev) {
				add("any1:" + ev + " " + argsJSON(args))
			}
		})
		s.OnAny(func(ev string, args socketio.Args) {
			if !skip(ev) {
				add("any2:" + ev)
			}
		})
		s.PrependAny(func(ev string, args socketio.Args) {
			if !skip(ev) {
				add("prepended:" + ev)
			}
		})
		s.OnAnyOutgoing(func(ev string, args socketio.Args) { add("out:" + ev + " " + argsJSON(args)) })
		s.PrependAnyOutgoing(func(ev string, args socketio.Args) { add("out-prepended:" + ev) })
		s.OnError(func(err error) {
			add("error:" + err.Error())
			_ = s.Emit("hooks-error", err.Error())
		})
		s.On("note", func(socketio.Args) { add("handler:note") })
		s.On("forbidden", func(ack socketio.Ack) {
			add("handler:forbidden")
			_ = ack("ran")
		})
		s.On("log", func(ack socketio.Ack) {
			mu.Lock()
			out := slices.Clone(log)
			log = nil
			mu.Unlock()
			if out == nil {
				out = []string{}
			}
			_ = ack(out)
		})
		s.On("off-first-any", func(ack socketio.Ack) { offFirst(); _ = ack() })
		s.On("off-any", func(ack socketio.Ack) { s.OffAny(); _ = ack() })
		s.On("off-any-outgoing", func(ack socketio.Ack) { s.OffAnyOutgoing(); _ = ack() })
		s.On("emit-out", func(ack socketio.Ack) {
			_ = s.Emit("direct", 1, "a")
			_ = s.Namespace().Emit("to-all", 2)
			_ = s.Namespace().To(s.ID()).Emit("to-room", 3)
			_ = ack("done")
		})
	})
}

type person struct {
	Name   string   `json:"name"`
	Age    int      `json:"age"`
	Tags   []string `json:"tags"`
	Avatar []byte   `json:"avatar"`
}

// setupTyped: "/typed", handlers with typed parameters. Handler errors
// are sent to the client as "handler-error".
func (a *api) setupTyped(typed *socketio.Namespace) {
	typed.OnConnection(func(s *socketio.Socket) {
		s.OnError(func(err error) {
			info := map[string]any{"message": err.Error(), "decode": false}
			var de *socketio.DecodeError
			if errors.As(err, &de) {
				info["decode"] = true
				info["event"] = de.Event
				info["index"] = de.Index
			}
			_ = s.Emit("handler-error", info)
		})
		s.On("ping", func(ack socketio.Ack) { _ = ack("pong") })
		s.On("struct", func(p person, ack socketio.Ack) {
			_ = ack(map[string]any{"name": p.Name, "age": p.Age, "tags": p.Tags, "avatarLen": len(p.Avatar), "avatar": p.Avatar})
		})
		s.On("pointer", func(p *person, ack socketio.Ack) {
			if p == nil {
				_ = ack("nil")
				return
			}
			_ = ack(p.Name)
		})
		s.On("bytes", func(label string, data []byte, ack socketio.Ack) {
			_ = ack(label, len(data), reversed(data))
		})
		s.On("ack-first", func(ack socketio.Ack, a, b int) { _ = ack(a * b) })
		s.On("variadic", func(ack socketio.Ack, first string, rest ...int) {
			sum := 0
			for _, n := range rest {
				sum += n
			}
			_ = ack(first, sum, len(rest))
		})
		s.On("any-types", func(ack socketio.Ack, args ...any) {
			types := make([]string, len(args))
			for i, v := range args {
				types[i] = fmt.Sprintf("%T", v)
			}
			_ = ack(types)
		})
		s.On("missing", func(a string, b int, c []string, ack socketio.Ack) {
			_ = ack(a, b, c == nil)
		})
		s.On("int", func(n int, ack socketio.Ack) { _ = ack(n * 2) })
		s.On("fails", func(x string) error { return fmt.Errorf("handler failed: %s", x) })
		var (
			mu    sync.Mutex
			calls []string
		)
		s.On("twice", func() {
			mu.Lock()
			calls = append(calls, "first")
			mu.Unlock()
		})
		s.On("twice", func(ack socketio.Ack) {
			mu.Lock()
			calls = append(calls, "second")
			out := slices.Clone(calls)
			calls = nil
			mu.Unlock()
			_ = ack(out)
		})
		s.On("raw", func(r socketio.Raw, ack socketio.Ack) { _ = ack(string(r.JSON())) })
	})
}

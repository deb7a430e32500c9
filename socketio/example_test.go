package socketio_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"time"

	"github.com/gosio/sio/socketio"
)

// A server is an http.Handler: mount it on any Go HTTP server.
func ExampleNewServer() {
	io := socketio.NewServer(&socketio.Options{
		PingInterval: 25 * time.Second,
		CORS:         &socketio.CORS{Origins: []string{"https://example.com"}},
	})
	io.OnConnection(func(s *socketio.Socket) {
		log.Printf("connected: %s", s.ID())
	})
	http.Handle("/socket.io/", io)
	// http.ListenAndServe(":3000", nil)
}

// Handlers receive the event's arguments decoded into Go values, and an
// Ack to answer the client's emitWithAck.
func ExampleSocket_On() {
	type move struct {
		X, Y int
	}
	io := socketio.NewServer(nil)
	io.OnConnection(func(s *socketio.Socket) {
		s.On("move", func(m move, ack socketio.Ack) {
			_ = ack(m.X + m.Y)
		})
		s.On("upload", func(name string, data []byte) {
			log.Printf("%s: %d bytes", name, len(data))
		})
		s.On("anything", func(args ...any) {
			log.Println(args...)
		})
	})
}

// Emit sends an event to one client; EmitWithAck waits for its answer.
func ExampleSocket_EmitWithAck() {
	io := socketio.NewServer(nil)
	io.OnConnection(func(s *socketio.Socket) {
		_ = s.Emit("welcome", "hello", 1)
		go func() {
			args, err := s.Timeout(5*time.Second).EmitWithAck(context.Background(), "are you there?")
			if errors.Is(err, socketio.ErrAckTimeout) {
				log.Println("no answer")
				return
			}
			var answer string
			_ = args.Decode(&answer)
			log.Println("client said", answer)
		}()
	})
}

// To, In and Except select rooms; a socket's own operators leave the
// sender out.
func ExampleBroadcastOperator_Emit() {
	io := socketio.NewServer(nil)
	io.OnConnection(func(s *socketio.Socket) {
		s.Join("general")
		s.On("chat message", func(text string) {
			_ = s.To("general").Emit("chat message", text) // everyone in the room but the sender
		})
	})
	_ = io.To("general", "random").Except("muted").Emit("announcement", "hi") // each socket once
}

// A broadcast with acks collects the first argument of every client's ack.
func ExampleBroadcastOperator_EmitWithAck() {
	io := socketio.NewServer(nil)
	responses, err := io.Timeout(2*time.Second).EmitWithAck(context.Background(), "poll", "tea or coffee?")
	var te *socketio.AckTimeoutError
	if errors.As(err, &te) {
		responses = te.Responses // the answers that came in time
	}
	fmt.Println(len(responses))
	// Output: 0
}

// Dynamic namespaces are created on first use when a matcher accepts the
// name.
func ExampleServer_OfRegexp() {
	io := socketio.NewServer(nil)
	workspaces := io.OfRegexp(regexp.MustCompile(`^/workspace-\d+$`))
	workspaces.OnConnection(func(s *socketio.Socket) {
		_ = s.Namespace().Emit("joined", s.ID()) // to this workspace only
	})
}

// Middleware vets each connection; a ConnectError reaches the client's
// connect_error handler with its message and data.
func ExampleNamespace_Use() {
	io := socketio.NewServer(nil)
	io.Use(func(s *socketio.Socket) error {
		var auth struct{ Token string }
		_ = json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "secret" {
			return &socketio.ConnectError{Message: "not authorized", Data: map[string]string{"hint": "log in"}}
		}
		return nil
	})
}

// Shutdown tells every client to go away (they reconnect elsewhere) and
// waits for the handlers to finish.
func ExampleServer_Shutdown() {
	io := socketio.NewServer(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fmt.Println(io.Shutdown(ctx))
	// Output: <nil>
}

// ReadinessHandler and LivenessHandler are the probes of a rolling deploy:
// readiness turns off as soon as Shutdown starts, so that the load balancer
// sends no new client to a server that drains.
func ExampleServer_ReadinessHandler() {
	io := socketio.NewServer(nil)
	mux := http.NewServeMux()
	mux.Handle(socketio.DefaultPath, io)
	mux.Handle("/readyz", io.ReadinessHandler())
	mux.Handle("/healthz", io.LivenessHandler())

	probe := func(path string) int {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code
	}
	fmt.Println(probe("/readyz"), probe("/healthz"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = io.Shutdown(ctx)
	fmt.Println(probe("/readyz"), probe("/healthz"))
	// Output:
	// 200 200
	// 503 200
}

// Context ends when the socket disconnects: pass it to what a handler
// starts on the socket's behalf.
func ExampleSocket_Context() {
	io := socketio.NewServer(nil)
	lookup := func(ctx context.Context, id string) (string, error) {
		select { // a query that stops when the client leaves
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(10 * time.Millisecond):
			return "profile of " + id, nil
		}
	}
	io.OnConnection(func(s *socketio.Socket) {
		s.On("profile", func(id string, ack socketio.Ack) {
			p, err := lookup(s.Context(), id)
			if err != nil {
				return // gone
			}
			_ = ack(p)
		})
	})
}

// Args passed alone are sent as the arguments, and a Raw is sent as the
// JSON it holds wherever it stands: a relay needs no decoding.
func ExampleArgs() {
	io := socketio.NewServer(nil)
	io.OnConnection(func(s *socketio.Socket) {
		s.On("relay", func(args socketio.Args, ack socketio.Ack) {
			_ = s.Broadcast().Emit("relayed", args)
			if len(args) > 0 {
				_ = s.Emit("first", map[string]any{"from": s.ID(), "value": args[0]})
			}
			_ = ack(args)
		})
	})
}

// With connection-state recovery, a client whose connection dropped gets
// its socket back, rooms and data included, with the events it missed;
// the connection handler must not reset what a recovered socket kept.
func ExampleConnectionStateRecovery() {
	io := socketio.NewServer(&socketio.Options{
		ConnectionStateRecovery: &socketio.ConnectionStateRecovery{
			MaxDisconnectionDuration: 2 * time.Minute,
		},
	})
	io.OnConnection(func(s *socketio.Socket) {
		if s.Recovered() {
			return // same ID, rooms and data; the missed events went first
		}
		_ = s.Join("general")
		s.SetData(map[string]string{"nick": "guest"})
	})
	http.Handle("/socket.io/", io)
}

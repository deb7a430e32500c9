// Command conformance starts the servers that the official Engine.IO v3,
// Engine.IO v4 and Socket.IO v5 conformance suites expect, on port 3000
// (env PORT overrides): Engine.IO at /engine.io/ echoing every message,
// for v3 clients too (AllowEIO3), and Socket.IO at /socket.io/ with the
// namespaces "/" and "/custom".
package main

import (
	"log"
	"net/http"
	"os"
	"time"

	"github.com/gosio/sio/internal/engine"
	"github.com/gosio/sio/socketio"
)

type echo struct{ s *engine.Session }

func (e echo) OnMessage(data []byte, binary bool) {
	if binary {
		_ = e.s.Send(engine.NewBinaryMessage(data))
		return
	}
	_ = e.s.Send(engine.NewPacket(engine.PacketMessage, data))
}

func (echo) OnClose(engine.CloseReason, error) {}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	eio := engine.NewServer(engine.Config{
		PingInterval:      300 * time.Millisecond,
		PingTimeout:       200 * time.Millisecond,
		MaxHTTPBufferSize: 1e6,
		AllowEIO3:         true,
		CORS:              &engine.CORS{Origins: []string{"*"}},
		OnConnection:      func(s *engine.Session) engine.Handler { return echo{s} },
	})
	io := socketio.NewServer(&socketio.Options{
		PingInterval:      300 * time.Millisecond,
		PingTimeout:       200 * time.Millisecond,
		ConnectTimeout:    time.Second,
		MaxHTTPBufferSize: 1e6,
		CORS:              &socketio.CORS{Origins: []string{"*"}},
	})
	io.OnConnection(func(s *socketio.Socket) {
		_ = s.Emit("auth", s.Handshake().Auth)
		s.On("message", func(args socketio.Args) {
			_ = s.Emit("message-back", asAny(args)...)
		})
		s.On("message-with-ack", func(args socketio.Args, ack socketio.Ack) {
			_ = ack(asAny(args)...)
		})
	})
	io.Of("/custom").OnConnection(func(s *socketio.Socket) {
		_ = s.Emit("auth", s.Handshake().Auth)
	})
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", eio)
	mux.Handle("/socket.io/", io)
	log.Printf("conformance servers listening on http://localhost:%s", port)
	log.Fatal(http.ListenAndServe(":"+port, mux))
}

// asAny returns the received arguments as emit arguments, so that they are
// sent back exactly as they came, binary attachments included.
func asAny(args socketio.Args) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

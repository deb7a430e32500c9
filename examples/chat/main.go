// Command chat is a small chat server built on the socketio package: run
// it with `make run` from the repository root and open
// http://localhost:3000 in two browser windows.
package main

import (
	"context"
	"embed"
	"io/fs"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gosio/sio/socketio"
)

//go:embed static
var static embed.FS

// message is what the server sends for each chat message.
type message struct {
	ID   string `json:"id"`
	From string `json:"from"`
	Text string `json:"text"`
	TS   int64  `json:"ts"`
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	io := socketio.NewServer(&socketio.Options{
		ServeClient: os.DirFS("node_modules/socket.io-client/dist"),
	})
	io.OnConnection(func(s *socketio.Socket) {
		log.Printf("a user connected: %s", s.ID())
		nickname := "anonymous"
		s.On("set nickname", func(name string, ack socketio.Ack) {
			if name == "" {
				_ = ack(map[string]any{"ok": false, "error": "empty nickname"})
				return
			}
			nickname = name
			_ = ack(map[string]any{"ok": true})
		})
		s.On("chat message", func(text string, ack socketio.Ack) {
			if text == "" || len([]rune(text)) > 2000 {
				_ = ack(map[string]any{"error": "a message has 1 to 2000 characters"})
				return
			}
			m := message{ID: s.ID() + "-" + time.Now().Format("150405.000000"), From: nickname, Text: text, TS: time.Now().UnixMilli()}
			_ = io.Emit("chat message", m)
			_ = ack(map[string]any{"id": m.ID, "ts": m.TS})
		})
		s.OnDisconnect(func(reason socketio.DisconnectReason) {
			log.Printf("user disconnected: %s (%s)", s.ID(), reason)
		})
	})

	page, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	mux.Handle("/", http.FileServerFS(page))
	srv := &http.Server{Addr: ":" + port, Handler: mux}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = io.Shutdown(shut)
		_ = srv.Shutdown(shut)
	}()
	log.Printf("listening on http://localhost:%s", port)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

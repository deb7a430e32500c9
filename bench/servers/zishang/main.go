// Reference server for bench/: github.com/zishang520/socket.io (the Go port
// of socket.io, servers/socket/v3) with default options, on net/http.
//
//	broadcast (...args)      -> io.Emit("msg", args...), the sender included
//	echo      (...args, ack) -> ack(args...)
//
// Listens on HOST (default 127.0.0.1) : PORT (default 3000); exits on
// SIGTERM or SIGINT. It is a module of its own so that the main module
// does not depend on it.
package main

import (
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/zishang520/socket.io/servers/socket/v3"
)

func main() {
	host, port := os.Getenv("HOST"), os.Getenv("PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "3000"
	}
	io := socket.NewServer(nil, nil)
	io.On("connection", func(a ...any) {
		s := a[0].(*socket.Socket)
		s.On("broadcast", func(args ...any) {
			io.Emit("msg", args...)
		})
		s.On("echo", func(args ...any) {
			if len(args) == 0 {
				return
			}
			if ack, ok := args[len(args)-1].(socket.Ack); ok {
				ack(args[:len(args)-1], nil)
			}
		})
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io.ServeHandler(nil))
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		log.Fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		io.Close(nil)
		os.Exit(0)
	}()
	log.Printf("zishang520/socket.io v3 listening on %s", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}

package main

import (
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"

	"golang.org/x/crypto/bcrypt"

	"github.com/gosio/sio/admin"
	"github.com/gosio/sio/socketio"
)

// setupAdmin instruments the chat for the Socket.IO admin UI when
// ADMIN_PASSWORD is set, and serves the UI at /admin/; without it there is
// no admin namespace at all. The UI logs in with ADMIN_USER ("admin" by
// default) and the password, of which the server keeps only a bcrypt hash.
// ADMIN_READONLY=1 lets the UI look but not act. It returns nil when the
// admin is off.
func setupAdmin(io *socketio.Server, mux *http.ServeMux, port string) *admin.Instrumentation {
	pw := os.Getenv("ADMIN_PASSWORD")
	if pw == "" {
		return nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		log.Fatalf("ADMIN_PASSWORD: %v", err)
	}
	// Not left in the environment of whatever this process starts.
	_ = os.Unsetenv("ADMIN_PASSWORD")
	user := os.Getenv("ADMIN_USER")
	if user == "" {
		user = "admin"
	}
	readOnly, _ := strconv.ParseBool(os.Getenv("ADMIN_READONLY"))
	host, _ := os.Hostname()
	in, err := admin.Instrument(io, admin.Options{
		Auth:     &admin.BasicAuth{Username: user, PasswordHash: string(hash)},
		ReadOnly: readOnly,
		// Distinct for each chat server of one machine (make run-cluster).
		ServerID: net.JoinHostPort(host, port),
	})
	if err != nil {
		log.Fatalf("admin: %v", err)
	}
	dist := os.Getenv("ADMIN_UI_DIST")
	if dist == "" {
		dist = "node_modules/@socket.io/admin-ui/ui/dist"
	}
	ui := os.DirFS(dist)
	if _, err := fs.Stat(ui, "index.html"); err != nil {
		log.Printf("admin UI: no index.html in %s (npm ci in examples/chat installs it): the admin namespace works, from https://admin.socket.io for example, but /admin/ has no page", dist)
	}
	// The page's links are relative and its routes are in the URL's
	// fragment, so the files are served as they are.
	mux.Handle("/admin/", http.StripPrefix("/admin/", http.FileServerFS(ui)))
	mode := "read-only"
	if !readOnly {
		mode = "read-write"
	}
	log.Printf("admin UI on http://localhost:%s/admin/ (user %q, %s, namespace %s)", port, user, mode, in.Namespace().Name())
	return in
}

package admin_test

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"golang.org/x/crypto/bcrypt"

	"github.com/gosio/sio/admin"
	"github.com/gosio/sio/socketio"
)

// A server instrumented for the admin UI, which it serves at /admin/ from
// the npm package @socket.io/admin-ui. The UI logs in with the server's
// URL, "admin" and the password; the server keeps only its bcrypt hash.
func ExampleInstrument() {
	io := socketio.NewServer(nil)
	defer io.Close()
	hash, err := bcrypt.GenerateFromPassword([]byte("changeit"), bcrypt.DefaultCost)
	if err != nil {
		log.Fatal(err)
	}
	in, err := admin.Instrument(io, admin.Options{
		Auth:     &admin.BasicAuth{Username: "admin", PasswordHash: string(hash)},
		ReadOnly: true, // look, do not touch
	})
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	ui := os.DirFS("node_modules/@socket.io/admin-ui/ui/dist")
	mux.Handle("/admin/", http.StripPrefix("/admin/", http.FileServerFS(ui)))
	// http.ListenAndServe(":3000", mux)

	fmt.Println("the UI connects to", in.Namespace().Name())
	// Output: the UI connects to /admin
}

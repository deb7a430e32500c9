package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gosio/sio/socketio"
)

// authTimeout bounds the session store's calls during a login.
const authTimeout = 5 * time.Second

// authenticate is the admin namespace's middleware: a UI connects with a
// session ID it was given, or with the username and password, and then
// gets a new session ID in a "session" event, as in the reference. Both
// fail with ErrInvalidCredentials.
func (in *Instrumentation) authenticate(s *socketio.Socket) error {
	if in.closed.Load() {
		return ErrClosed
	}
	if in.hash == nil {
		return nil // NoAuth
	}
	// The UI's auth payload: {username, password}, or {sessionId} once
	// it has one. A field of another type counts as absent.
	var auth map[string]any
	_ = json.Unmarshal(s.Handshake().Auth, &auth)
	str := func(k string) string { v, _ := auth[k].(string); return v }
	ctx, cancel := context.WithTimeout(s.Context(), authTimeout)
	defer cancel()
	if id := str("sessionId"); id != "" {
		ok, err := in.store.Exists(ctx, id)
		if err != nil {
			in.log.Warn("admin: session store", "err", err)
		}
		if ok {
			return nil
		}
	}
	userOK := subtle.ConstantTimeCompare([]byte(str("username")), []byte(in.opts.Auth.Username)) == 1
	// The hash is compared even for a wrong username, so that the time
	// taken does not tell which of the two was wrong.
	passOK := bcrypt.CompareHashAndPassword(in.hash, []byte(str("password"))) == nil
	if !userOK || !passOK {
		return ErrInvalidCredentials
	}
	id := randomID()
	if err := in.store.Save(ctx, id); err != nil {
		// The login stands; the UI will have to log in again on reload.
		in.log.Warn("admin: session store", "err", err)
		return nil
	}
	// Sent after the CONNECT answer (this server holds what a middleware
	// emits until then; the reference sends it before).
	_ = s.Emit("session", id)
	return nil
}

// randomID returns a session ID: 8 random bytes in hex, as the reference.
func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

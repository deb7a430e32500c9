package admin

import "errors"

// Errors of the admin package.
var (
	// ErrNoAuth is returned by [Instrument] when neither Options.Auth nor
	// Options.NoAuth is set, or both are: leaving the admin namespace open
	// must be a choice, as in the reference.
	ErrNoAuth = errors.New("admin: set Options.Auth, or Options.NoAuth to run without authentication")
	// ErrBadHash is returned by [Instrument] when Options.Auth's
	// PasswordHash is not a bcrypt hash.
	ErrBadHash = errors.New("admin: Options.Auth.PasswordHash is not a bcrypt hash")
	// ErrInvalidCredentials refuses a UI whose login is wrong. Its text is
	// the CONNECT_ERROR message of the reference, which the UI looks for
	// to show its login form again.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrClosed refuses a UI that connects after [Instrumentation.Close].
	ErrClosed = errors.New("admin: instrumentation closed")
)

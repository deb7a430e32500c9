// Package testkit is the project's one test kit: a raw Engine.IO v4 /
// Socket.IO v5 wire client and the wait helpers that the tests of every
// package share, so that no package writes its own.
//
// The [Client] speaks the protocols byte by byte itself, over a websocket
// or long-polling (and upgrades the one to the other), so that a test sees
// and sends the exact packets, malformed ones included. It imports none of
// the project's packages: internal/engine's in-package tests can use it
// without an import cycle, and so can a main program such as internal/soak
// (nothing in the client needs a *testing.T).
//
// Every method that can fail returns an error. The Must* methods and the
// wait helpers ([Eventually], [Receive]) take a [testing.TB] and fail the
// test instead; like [testing.T.FailNow], they must be called only from the
// goroutine running the test. From another goroutine, call the error
// returning method and report with t.Error, or send the error to the test
// goroutine on a channel.
//
// Every wait is bounded: the Must* methods and the wait helpers give up
// after [Timeout].
package testkit

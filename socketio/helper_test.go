package socketio

import (
	"net/http/httptest"
	"testing"
)

// newTestServer starts a server on an httptest server; both close at the
// end of the test.
func newTestServer(t testing.TB, opts *Options, setup func(io *Server)) (*Server, *httptest.Server) {
	t.Helper()
	io := NewServer(opts)
	if setup != nil {
		setup(io)
	}
	ts := httptest.NewServer(io)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		_ = io.Close()
		ts.Close()
	})
	return io, ts
}

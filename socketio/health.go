package socketio

import "net/http"

// Ready reports whether the server takes new connections: true from
// NewServer until Shutdown or Close starts.
func (srv *Server) Ready() bool { return !srv.stopping.Load() }

// ReadinessHandler returns the handler of a readiness probe (a load
// balancer's health check, Kubernetes' readinessProbe): 200 "ok" while the
// server is [Server.Ready], 503 "shutting down" from the moment Shutdown or
// Close starts, before the first client is told to go. A balancer that
// probes it stops sending new connections to a server that drains, while
// the clients it tells to go reconnect to the others.
//
// Mount it on a path of its own, outside the server's path: for example
// mux.Handle("/readyz", io.ReadinessHandler()).
func (srv *Server) ReadinessHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if srv.Ready() {
			probeAnswer(w, r, http.StatusOK, "ok")
			return
		}
		probeAnswer(w, r, http.StatusServiceUnavailable, "shutting down")
	})
}

// LivenessHandler returns the handler of a liveness probe (Kubernetes'
// livenessProbe): 200 "ok" as long as the process answers HTTP, including
// while Shutdown drains the connections, so that a probe never kills a
// server that is stopping gracefully. Readiness, not liveness, is what
// turns off during a drain.
func (srv *Server) LivenessHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probeAnswer(w, r, http.StatusOK, "ok")
	})
}

// probeAnswer writes a probe's answer: never cached, no body for HEAD.
func probeAnswer(w http.ResponseWriter, r *http.Request, code int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body + "\n"))
	}
}

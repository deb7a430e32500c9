package prometheus_test

import (
	"bufio"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	siometrics "github.com/gosio/sio/metrics/prometheus"
	"github.com/gosio/sio/socketio"
)

// Serve a server's metrics, with the Go runtime's and the process's, on
// /metrics next to the server.
func ExampleHandler() {
	io := socketio.NewServer(nil)
	defer io.Close()
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	mux.Handle("/metrics", siometrics.Handler(io))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer http.DefaultClient.CloseIdleConnections()

	// What Prometheus would scrape (here, two of the series).
	res, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "engineio_clients") || strings.HasPrefix(line, "socketio_connected_sockets") {
			fmt.Println(line)
		}
	}
	// Output:
	// engineio_clients{transport="polling"} 0
	// engineio_clients{transport="websocket"} 0
	// socketio_connected_sockets{namespace="/"} 0
}

// Register the collector with a registry of your own, here with the Go
// runtime and process collectors that prometheus.DefaultRegisterer
// already holds.
func ExampleNewCollector() {
	io := socketio.NewServer(nil)
	defer io.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		siometrics.NewCollector(io),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}

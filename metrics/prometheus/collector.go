package prometheus

import (
	"net/http"
	"strconv"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/socketio"
)

// A Collector is a [prom.Collector] of a socketio.Server's counters: it
// reads them when it is collected, so it costs nothing between scrapes.
// Its methods are safe for concurrent use.
type Collector struct {
	srv *socketio.Server

	connectedSockets, connections, disconnects *prom.Desc
	eventsReceived, eventsSent                 *prom.Desc
	broadcasts, ackTimeouts                    *prom.Desc

	clients, opened, upgrades, handshakeErrors, slowClients *prom.Desc
	bytesReceived, bytesSent                                *prom.Desc
	messagesReceived, messagesSent                          *prom.Desc

	published, publishErrors, publishDuration *prom.Desc
	requestDuration, requestErrors            *prom.Desc
}

var _ prom.Collector = (*Collector)(nil)

// The label values of the fixed sets, made once.
var (
	reasonLabels  [socketio.NumDisconnectReasons]string
	codeLabels    [socketio.NumConnectionErrorCodes]string
	requestLabels [adapter.NumRequestKinds]string
	bucketBounds  [adapter.NumLatencyBuckets]float64
)

func init() {
	for i := range reasonLabels {
		reasonLabels[i] = socketio.DisconnectReason(i).String()
	}
	for i := range codeLabels {
		codeLabels[i] = strconv.Itoa(i)
	}
	for i := range requestLabels {
		requestLabels[i] = adapter.RequestKind(i).String()
	}
	for i, d := range adapter.LatencyBounds() {
		bucketBounds[i] = d.Seconds()
	}
}

// NewCollector returns a collector of srv's counters.
func NewCollector(srv *socketio.Server) *Collector {
	nsp := []string{"namespace"}
	d := prom.NewDesc
	return &Collector{
		srv:              srv,
		connectedSockets: d("socketio_connected_sockets", "Sockets connected now.", nsp, nil),
		connections:      d("socketio_connections_total", "Sockets that connected to the namespace.", nsp, nil),
		disconnects:      d("socketio_disconnects_total", "Sockets that disconnected, by reason.", []string{"namespace", "reason"}, nil),
		eventsReceived:   d("socketio_events_received_total", "Events received from clients.", nsp, nil),
		eventsSent:       d("socketio_events_sent_total", "Events queued to clients, once per recipient.", nsp, nil),
		broadcasts:       d("socketio_broadcasts_total", "Broadcasts sent from this server.", nsp, nil),
		ackTimeouts:      d("socketio_ack_timeouts_total", "Acknowledgements that did not come in time.", nsp, nil),

		clients:          d("engineio_clients", "Engine.IO connections open now, by transport.", []string{"transport"}, nil),
		opened:           d("engineio_connections_total", "Engine.IO connections opened.", nil, nil),
		upgrades:         d("engineio_upgrades_total", "Engine.IO connections upgraded from polling to websocket.", nil, nil),
		handshakeErrors:  d("engineio_handshake_errors_total", "Requests refused with an Engine.IO error code.", []string{"code"}, nil),
		slowClients:      d("engineio_slow_client_disconnects_total", "Connections closed because the client did not keep up.", nil, nil),
		bytesReceived:    d("engineio_bytes_received_total", "Bytes of Engine.IO traffic received (websocket frames, polling bodies).", nil, nil),
		bytesSent:        d("engineio_bytes_sent_total", "Bytes of Engine.IO traffic sent (websocket frames, polling bodies).", nil, nil),
		messagesReceived: d("engineio_messages_received_total", "Engine.IO message packets received.", nil, nil),
		messagesSent:     d("engineio_messages_sent_total", "Engine.IO message packets sent.", nil, nil),

		published:       d("socketio_adapter_published_total", "Messages the cluster adapter wrote to Redis.", nil, nil),
		publishErrors:   d("socketio_adapter_publish_errors_total", "Messages the cluster adapter failed to write.", nil, nil),
		publishDuration: d("socketio_adapter_publish_duration_seconds", "Round trips of the cluster adapter's batches of messages.", nil, nil),
		requestDuration: d("socketio_adapter_request_duration_seconds", "Requests of the cluster adapter that wait for answers.", []string{"request"}, nil),
		requestErrors:   d("socketio_adapter_request_errors_total", "Requests of the cluster adapter that failed.", []string{"request"}, nil),
	}
}

// Describe implements [prom.Collector].
func (c *Collector) Describe(ch chan<- *prom.Desc) {
	for _, d := range []*prom.Desc{
		c.connectedSockets, c.connections, c.disconnects, c.eventsReceived, c.eventsSent, c.broadcasts, c.ackTimeouts,
		c.clients, c.opened, c.upgrades, c.handshakeErrors, c.slowClients,
		c.bytesReceived, c.bytesSent, c.messagesReceived, c.messagesSent,
		c.published, c.publishErrors, c.publishDuration, c.requestDuration, c.requestErrors,
	} {
		ch <- d
	}
}

// Collect implements [prom.Collector]: it reads the server's counters
// (and those of its main namespace's adapter, if it reports any).
func (c *Collector) Collect(ch chan<- prom.Metric) {
	counter := func(d *prom.Desc, v uint64, labels ...string) {
		ch <- prom.MustNewConstMetric(d, prom.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prom.Desc, v int, labels ...string) {
		ch <- prom.MustNewConstMetric(d, prom.GaugeValue, float64(v), labels...)
	}

	for _, ns := range c.srv.NamespaceStats(nil) {
		gauge(c.connectedSockets, ns.Sockets, ns.Name)
		counter(c.connections, ns.Connections, ns.Name)
		for r, n := range ns.Disconnects {
			counter(c.disconnects, n, ns.Name, reasonLabels[r])
		}
		counter(c.eventsReceived, ns.EventsReceived, ns.Name)
		counter(c.eventsSent, ns.EventsSent, ns.Name)
		counter(c.broadcasts, ns.Broadcasts, ns.Name)
		counter(c.ackTimeouts, ns.AckTimeouts, ns.Name)
	}

	st := c.srv.Stats()
	gauge(c.clients, st.PollingConnections, "polling")
	gauge(c.clients, st.WebSocketConnections, "websocket")
	counter(c.opened, st.ConnectionsOpened)
	counter(c.upgrades, st.Upgrades)
	for code, n := range st.ConnectionErrors {
		counter(c.handshakeErrors, n, codeLabels[code])
	}
	counter(c.slowClients, st.SlowClientDisconnects)
	counter(c.bytesReceived, st.BytesReceived)
	counter(c.bytesSent, st.BytesSent)
	counter(c.messagesReceived, st.MessagesReceived)
	counter(c.messagesSent, st.MessagesSent)

	r, ok := c.srv.Sockets().Adapter().(adapter.StatsReporter)
	if !ok {
		return
	}
	as := r.ClusterStats()
	counter(c.published, as.Published)
	counter(c.publishErrors, as.PublishErrors)
	ch <- histogram(c.publishDuration, as.PublishLatency)
	for k, rs := range as.Requests {
		ch <- histogram(c.requestDuration, rs.Latency, requestLabels[k])
		counter(c.requestErrors, rs.Errors, requestLabels[k])
	}
}

// histogram turns a Latency into a constant histogram in seconds.
func histogram(d *prom.Desc, l adapter.Latency, labels ...string) prom.Metric {
	buckets := make(map[float64]uint64, len(bucketBounds))
	for i, b := range bucketBounds {
		buckets[b] = l.Buckets[i]
	}
	return prom.MustNewConstHistogram(d, l.Count, l.Sum.Seconds(), buckets, labels...)
}

// NewRegistry returns a registry holding a [Collector] of srv, the Go
// runtime's collector (collectors.NewGoCollector) and the process's
// (collectors.NewProcessCollector).
func NewRegistry(srv *socketio.Server) *prom.Registry {
	reg := prom.NewRegistry()
	reg.MustRegister(
		NewCollector(srv),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler returns an [http.Handler] that serves the metrics of
// [NewRegistry](srv) in the Prometheus exposition formats. Mount it where
// Prometheus scrapes, usually "/metrics"; it does not check who asks.
func Handler(srv *socketio.Server) http.Handler {
	return promhttp.HandlerFor(NewRegistry(srv), promhttp.HandlerOpts{})
}

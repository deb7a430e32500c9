// Package prometheus exports the counters of a socketio.Server to
// Prometheus. It is a package of its own so that the server depends on
// no metrics library: the core counts, without a lock, what
// [socketio.Server.Stats] and [socketio.Server.NamespaceStats] return, and
// the [Collector] here reads them when Prometheus scrapes. Counting goes on
// whether or not a collector exists; what this package adds is the cost
// of a scrape.
//
// Serve the server's metrics, with the Go runtime's and the process's, on
// a path of your own:
//
//	io := socketio.NewServer(nil)
//	mux.Handle("/socket.io/", io)
//	mux.Handle("/metrics", siometrics.Handler(io))
//
// or register the collector with a registry you have
// (prometheus.DefaultRegisterer already holds the Go and process
// collectors):
//
//	prometheus.MustRegister(siometrics.NewCollector(io))
//
// # Metrics
//
// Socket.IO, by namespace (the children of a ParentNamespace count under
// the parent's name, "/_0", so that clients cannot add label values):
//
//	socketio_connected_sockets{namespace}         gauge: sockets connected now
//	socketio_connections_total{namespace}         sockets that connected
//	socketio_disconnects_total{namespace,reason}  sockets that disconnected, by reason
//	                                              ("transport close", "ping timeout", ...)
//	socketio_events_received_total{namespace}     events from clients
//	socketio_events_sent_total{namespace}         events queued to clients (a broadcast
//	                                              counts once per recipient)
//	socketio_broadcasts_total{namespace}          broadcasts sent from this server
//	socketio_ack_timeouts_total{namespace}        acks that did not come in time
//
// Engine.IO:
//
//	engineio_clients{transport}                   gauge: connections open now, "polling"
//	                                              or "websocket"
//	engineio_connections_total                    connections opened
//	engineio_upgrades_total                       upgrades from polling to websocket
//	engineio_handshake_errors_total{code}         requests refused with an Engine.IO
//	                                              error code, "0" to "5" (the handshake's
//	                                              and an unknown session's)
//	engineio_slow_client_disconnects_total        clients dropped for not keeping up
//	engineio_bytes_received_total                 websocket frames and polling bodies
//	engineio_bytes_sent_total                     (see socketio.Stats)
//	engineio_messages_received_total              message packets (Socket.IO packets
//	engineio_messages_sent_total                  and binary attachments)
//
// The cluster adapter, when the main namespace's adapter reports its
// traffic (adapter.StatsReporter: adapter/redis, adapter/redisstreams and
// adapter/postgres; the counters of the adapter's factory, every
// namespace together):
//
//	socketio_adapter_published_total              messages written to Redis
//	socketio_adapter_publish_errors_total         messages that failed or found the
//	                                              queue full
//	socketio_adapter_publish_duration_seconds     histogram: round trips of the batches
//	socketio_adapter_request_duration_seconds{request}
//	                                              histogram: requests that wait for
//	                                              answers ("fetch_sockets",
//	                                              "server_side_emit", "server_count",
//	                                              "persist_session", "restore_session");
//	                                              its _count is the number of requests
//	socketio_adapter_request_errors_total{request}
//	                                              requests that failed (a timeout, ...)
//
// The disconnect reasons, error codes, transports and request kinds are
// fixed sets, each reported in full (zeros included) so that the series
// exist from the first scrape.
//
// [NewRegistry] and [Handler] add the collectors of the client library:
// collectors.NewGoCollector (go_*) and collectors.NewProcessCollector
// (process_*).
package prometheus

package prometheus

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	redisadapter "github.com/gosio/sio/adapter/redis"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/redistest"
	"github.com/gosio/sio/socketio"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newServer starts srv behind an httptest server, with its metrics on
// /metrics; it returns the server's base URL.
func newServer(t *testing.T, io *socketio.Server) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	mux.Handle("/metrics", Handler(io))
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		_ = io.Close()
		ts.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	return ts.URL
}

// scrape gets /metrics and parses it.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	require.NoError(t, err)
	return fams
}

// value returns the value of the series of family name whose labels are
// exactly labels ("k=v" pairs), and whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(got, ",") != strings.Join(labels, ",") {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// labelValues returns the values label takes in family name.
func labelValues(fams map[string]*dto.MetricFamily, name, label string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range fams[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && !seen[l.GetValue()] {
				seen[l.GetValue()] = true
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

// After 3 connects, 1 disconnect, 5 events and 1 broadcast to the 2
// sockets left, the scraped Socket.IO series are exactly those.
func TestScrapeAfterAKnownSequence(t *testing.T) {
	events := make(chan struct{}, 8)
	srv := socketio.NewServer(nil)
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("note", func() { events <- struct{}{} })
	})
	base := newServer(t, srv)
	var cs []*testkit.Client
	for range 3 {
		c := testkit.MustDial(t, base, nil)
		c.MustConnect(t, "/", "")
		cs = append(cs, c)
	}
	for i, n := range []int{3, 1, 1} {
		for range n {
			cs[i].MustEmit(t, "/", "note")
		}
	}
	for range 5 {
		testkit.Receive(t, events)
	}
	require.NoError(t, cs[2].Close())
	testkit.Eventually(t, "the disconnect", func() bool { return srv.Stats().Disconnections == 1 })
	require.NoError(t, srv.Emit("news", "x"))
	for _, c := range cs[:2] {
		assert.Equal(t, "news", c.MustNextEvent(t).Name)
	}

	want := `
# HELP socketio_connected_sockets Sockets connected now.
# TYPE socketio_connected_sockets gauge
socketio_connected_sockets{namespace="/"} 2
# HELP socketio_connections_total Sockets that connected to the namespace.
# TYPE socketio_connections_total counter
socketio_connections_total{namespace="/"} 3
# HELP socketio_events_received_total Events received from clients.
# TYPE socketio_events_received_total counter
socketio_events_received_total{namespace="/"} 5
# HELP socketio_events_sent_total Events queued to clients, once per recipient.
# TYPE socketio_events_sent_total counter
socketio_events_sent_total{namespace="/"} 2
# HELP socketio_broadcasts_total Broadcasts sent from this server.
# TYPE socketio_broadcasts_total counter
socketio_broadcasts_total{namespace="/"} 1
# HELP socketio_ack_timeouts_total Acknowledgements that did not come in time.
# TYPE socketio_ack_timeouts_total counter
socketio_ack_timeouts_total{namespace="/"} 0
# HELP socketio_disconnects_total Sockets that disconnected, by reason.
# TYPE socketio_disconnects_total counter
socketio_disconnects_total{namespace="/",reason="client namespace disconnect"} 0
socketio_disconnects_total{namespace="/",reason="forced close"} 0
socketio_disconnects_total{namespace="/",reason="forced server close"} 0
socketio_disconnects_total{namespace="/",reason="parse error"} 0
socketio_disconnects_total{namespace="/",reason="ping timeout"} 0
socketio_disconnects_total{namespace="/",reason="server namespace disconnect"} 0
socketio_disconnects_total{namespace="/",reason="server shutting down"} 0
socketio_disconnects_total{namespace="/",reason="transport close"} 1
socketio_disconnects_total{namespace="/",reason="transport error"} 0
# HELP engineio_clients Engine.IO connections open now, by transport.
# TYPE engineio_clients gauge
engineio_clients{transport="polling"} 0
engineio_clients{transport="websocket"} 2
# HELP engineio_connections_total Engine.IO connections opened.
# TYPE engineio_connections_total counter
engineio_connections_total 3
`
	names := []string{"socketio_connected_sockets", "socketio_connections_total", "socketio_events_received_total",
		"socketio_events_sent_total", "socketio_broadcasts_total", "socketio_ack_timeouts_total",
		"socketio_disconnects_total", "engineio_clients", "engineio_connections_total"}
	require.NoError(t, testutil.ScrapeAndCompare(base+"/metrics", strings.NewReader(want), names...))
	require.NoError(t, testutil.CollectAndCompare(NewCollector(srv), strings.NewReader(want), names...))

	// The runtime and process collectors are there; no adapter series
	// without a cluster adapter.
	fams := scrape(t, base)
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		assert.Contains(t, fams, name)
	}
	for name := range fams {
		assert.False(t, strings.HasPrefix(name, "socketio_adapter_"), name)
	}
}

// Clients cannot add label values: unknown namespaces are refused, the
// children of a parent count under its name, and reasons and codes are
// fixed sets whatever clients send.
func TestHostileClientsAddNoLabelValues(t *testing.T) {
	srv := socketio.NewServer(&socketio.Options{MaxDynamicNamespaces: 5})
	parent := srv.OfRegexp(regexp.MustCompile(`^/room-`))
	srv.Of("/chat")
	base := newServer(t, srv)

	c := testkit.MustDial(t, base, nil)
	for i := range 30 {
		for _, nsp := range []string{fmt.Sprintf("/unknown-%d", i), fmt.Sprintf("/room-%d", i)} {
			ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
			_, err := c.Connect(ctx, nsp, `{"reason":"made up"}`)
			cancel()
			_, refused := testkit.IsConnectError(err)
			require.True(t, err == nil || refused, "connect %s: %v", nsp, err)
		}
	}
	// Malformed packets and made-up disconnect reasons: the connection
	// closes with "parse error".
	for _, garbage := range []string{`41/,"evil reason"`, `9nonsense`, `42["unterminated`} {
		g := testkit.MustDial(t, base, nil)
		g.MustConnect(t, "/", "")
		g.MustSend(t, garbage)
		_ = g.MustSeeClose(t, testkit.Timeout)
	}
	// Requests with made-up transports, versions and sessions.
	for _, q := range []string{"EIO=4&transport=evil", "EIO=99&transport=polling", "EIO=4&transport=polling&sid=evil"} {
		res, err := http.Get(base + "/socket.io/?" + q)
		require.NoError(t, err)
		_, _ = io.ReadAll(res.Body)
		res.Body.Close()
	}

	fams := scrape(t, base)
	for _, name := range []string{"socketio_connected_sockets", "socketio_connections_total", "socketio_disconnects_total",
		"socketio_events_received_total", "socketio_events_sent_total", "socketio_broadcasts_total", "socketio_ack_timeouts_total"} {
		assert.ElementsMatch(t, []string{"/", "/chat", parent.Name()}, labelValues(fams, name, "namespace"), name)
	}
	var reasons []string
	for r := range socketio.NumDisconnectReasons {
		reasons = append(reasons, socketio.DisconnectReason(r).String())
	}
	assert.ElementsMatch(t, reasons, labelValues(fams, "socketio_disconnects_total", "reason"))
	assert.ElementsMatch(t, []string{"0", "1", "2", "3", "4", "5"}, labelValues(fams, "engineio_handshake_errors_total", "code"))
	assert.ElementsMatch(t, []string{"polling", "websocket"}, labelValues(fams, "engineio_clients", "transport"))

	// What they did is counted under those labels.
	conns, _ := value(fams, "socketio_connections_total", "namespace="+parent.Name())
	assert.Equal(t, 5.0, conns, "MaxDynamicNamespaces children at most")
	parsed, _ := value(fams, "socketio_disconnects_total", "namespace=/", "reason=parse error")
	assert.Equal(t, 3.0, parsed)
	for code, n := range map[string]float64{"0": 1, "1": 1, "5": 1} {
		v, _ := value(fams, "engineio_handshake_errors_total", "code="+code)
		assert.Equal(t, n, v, "code %s", code)
	}
}

// The Engine.IO series, with real clients: exact bytes and messages of a
// long-polling exchange, the transports through an upgrade, refusals by
// code and a client that does not keep up.
func TestEngineMetricsWithRealClients(t *testing.T) {
	srv := socketio.NewServer(&socketio.Options{MaxQueueBytes: 1000})
	base := newServer(t, srv)
	post := func(q, body string) {
		t.Helper()
		res, err := http.Post(base+"/socket.io/?"+q, "text/plain;charset=UTF-8", strings.NewReader(body))
		require.NoError(t, err)
		_, _ = io.ReadAll(res.Body)
		res.Body.Close()
	}
	get := func(q string) string {
		t.Helper()
		res, err := http.Get(base + "/socket.io/?" + q)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(b)
	}

	// By hand: the handshake, a CONNECT, its answer.
	open := get("EIO=4&transport=polling")
	sid := regexp.MustCompile(`"sid":"([^"]+)"`).FindStringSubmatch(open)[1]
	post("EIO=4&transport=polling&sid="+sid, "40")
	answer := get("EIO=4&transport=polling&sid=" + sid)
	require.True(t, strings.HasPrefix(answer, `40{"sid":`), answer)
	fams := scrape(t, base)
	for name, want := range map[string]float64{
		"engineio_bytes_received_total":    2,
		"engineio_bytes_sent_total":        float64(len(open) + len(answer)),
		"engineio_messages_received_total": 1,
		"engineio_messages_sent_total":     1,
	} {
		v, ok := value(fams, name)
		assert.True(t, ok, name)
		assert.Equal(t, want, v, name)
	}

	post("EIO=4&transport=polling&sid="+sid, "1") // the client closes

	// The test kit's client: polling, then upgraded.
	c := testkit.MustDial(t, base, &testkit.Options{Transport: "polling"})
	c.MustConnect(t, "/", "")
	fams = scrape(t, base)
	polling, _ := value(fams, "engineio_clients", "transport=polling")
	assert.Equal(t, 1.0, polling)
	c.MustUpgrade(t)
	testkit.Eventually(t, "the upgrade counted", func() bool {
		fams = scrape(t, base)
		p, _ := value(fams, "engineio_clients", "transport=polling")
		w, _ := value(fams, "engineio_clients", "transport=websocket")
		u, _ := value(fams, "engineio_upgrades_total")
		return p == 0 && w == 1 && u == 1
	})

	// Refusals, one per code but 4 (there is no AllowRequest).
	before, _ := value(fams, "engineio_handshake_errors_total", "code=3") // the upgrade may cut a GET short
	for _, q := range []string{"EIO=4&transport=evil", "EIO=4&transport=polling&sid=nope", "EIO=4&transport=websocket", "EIO=3&transport=polling"} {
		get(q)
	}
	post("EIO=4&transport=polling", "") // a POST handshake
	fams = scrape(t, base)
	for code, want := range map[string]float64{"0": 1, "1": 1, "2": 1, "3": before + 1, "4": 0, "5": 1} {
		v, _ := value(fams, "engineio_handshake_errors_total", "code="+code)
		assert.Equal(t, want, v, "code %s", code)
	}

	// A long-polling client that stops polling while it is sent more than
	// MaxQueueBytes.
	slow := testkit.MustDial(t, base, &testkit.Options{Transport: "polling"})
	slow.MustConnect(t, "/", "")
	payload := strings.Repeat("x", 300)
	testkit.Eventually(t, "the slow client dropped", func() bool {
		_ = srv.Emit("big", payload)
		fams = scrape(t, base)
		v, _ := value(fams, "engineio_slow_client_disconnects_total")
		return v == 1
	})
	d, _ := value(fams, "socketio_disconnects_total", "namespace=/", "reason=transport error")
	assert.Equal(t, 1.0, d)
}

// With a Redis adapter, the adapter's series count the requests of the
// factory, with their errors and durations, and what it published.
func TestAdapterMetrics(t *testing.T) {
	r := redistest.Start(t)
	key := redistest.UniqueKey(t.Name())
	var bases []string
	var srvs []*socketio.Server
	for range 2 {
		srv := socketio.NewServer(&socketio.Options{Adapter: redisadapter.NewAdapter(r.NewClient(t), &redisadapter.Options{Key: key})})
		srv.Sockets().OnServerSideEmit(func(_ string, _ []any, ack func(any)) {
			if ack != nil {
				ack("pong")
			}
		})
		srvs = append(srvs, srv)
		bases = append(bases, newServer(t, srv))
	}
	ctx := context.Background()
	testkit.Eventually(t, "two servers", func() bool {
		n, err := srvs[0].Sockets().Adapter().ServerCount(ctx)
		return err == nil && n == 2
	})
	_, err := srvs[0].FetchSockets(ctx)
	require.NoError(t, err)
	_, err = srvs[0].ServerSideEmitWithAck(ctx, "ping")
	require.NoError(t, err)
	short, cancel := context.WithCancel(ctx)
	cancel()
	_, err = srvs[0].FetchSockets(short) // fails at once
	require.Error(t, err)
	require.NoError(t, srvs[0].Emit("hello"))

	var fams map[string]*dto.MetricFamily
	testkit.Eventually(t, "the broadcast published", func() bool {
		fams = scrape(t, bases[0])
		v, _ := value(fams, "socketio_adapter_published_total")
		return v >= 3 // two requests, a broadcast
	})
	fetches, _ := value(fams, "socketio_adapter_request_duration_seconds", "request=fetch_sockets")
	fetchErrors, _ := value(fams, "socketio_adapter_request_errors_total", "request=fetch_sockets")
	emits, _ := value(fams, "socketio_adapter_request_duration_seconds", "request=server_side_emit")
	assert.Equal(t, 2.0, fetches)
	assert.Equal(t, 1.0, fetchErrors)
	assert.Equal(t, 1.0, emits)
	counts, _ := value(fams, "socketio_adapter_request_duration_seconds", "request=server_count")
	assert.GreaterOrEqual(t, counts, 2.0)
	batches, ok := value(fams, "socketio_adapter_publish_duration_seconds")
	assert.True(t, ok)
	assert.Positive(t, batches)
	assert.ElementsMatch(t, []string{"fetch_sockets", "server_side_emit", "server_count", "persist_session", "restore_session"},
		labelValues(fams, "socketio_adapter_request_errors_total", "request"))
	h := fams["socketio_adapter_request_duration_seconds"].GetMetric()[0].GetHistogram()
	require.Len(t, h.GetBucket(), 15) // 0.5 ms to 10 s, and +Inf
	assert.Equal(t, 0.0005, h.GetBucket()[0].GetUpperBound())
	assert.Equal(t, 10.0, h.GetBucket()[13].GetUpperBound())
	assert.Equal(t, h.GetSampleCount(), h.GetBucket()[14].GetCumulativeCount())
}

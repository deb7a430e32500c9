package admin

import (
	"os"
	"slices"
	"time"

	"github.com/gosio/sio/socketio"
)

// statsBase is the part of the stats that does not change.
type statsBase struct {
	ServerID string `json:"serverId"`
	Hostname string `json:"hostname"`
	PID      int    `json:"pid"`
}

func newStatsBase(serverID string) statsBase {
	h := hostname()
	if serverID == "" {
		serverID = h
	}
	return statsBase{ServerID: serverID, Hostname: h, PID: os.Getpid()}
}

// serverStats is the reference's server_stats event.
type serverStats struct {
	statsBase
	Uptime              float64           `json:"uptime"` // seconds
	ClientsCount        int               `json:"clientsCount"`
	PollingClientsCount int               `json:"pollingClientsCount"`
	AggregatedEvents    []aggregatedEvent `json:"aggregatedEvents"`
	Namespaces          []namespaceStats  `json:"namespaces"`
}

// aggregatedEvent counts what happened in one second: connections
// (rawConnection), disconnections by reason (rawDisconnection), messages
// and bytes in and out.
type aggregatedEvent struct {
	Timestamp int64  `json:"timestamp"` // ms, a whole second
	Type      string `json:"type"`
	SubType   string `json:"subType,omitempty"`
	Count     uint64 `json:"count"`
}

type namespaceStats struct {
	Name         string `json:"name"`
	SocketsCount int    `json:"socketsCount"`
}

// statsLoop sends the stats every StatsInterval until Close.
func (in *Instrumentation) statsLoop() {
	defer in.wg.Done()
	t := time.NewTicker(in.opts.StatsInterval)
	defer t.Stop()
	for {
		select {
		case <-in.ctx.Done():
			return
		case at := <-t.C:
			in.sendStats(at)
		}
	}
}

// sendStats sends this server's stats to the UIs, on every server, and in
// development mode the changes of the watched sockets.
func (in *Instrumentation) sendStats(at time.Time) {
	st := in.io.EngineStats()
	in.mu.Lock()
	prev := in.lastStats
	in.lastStats = st
	in.mu.Unlock()
	nsps := in.namespaces()
	out := serverStats{
		statsBase:           in.base,
		Uptime:              time.Since(processStart).Seconds(),
		ClientsCount:        st.Clients,
		PollingClientsCount: st.PollingClients,
		AggregatedEvents:    aggregate(prev, st, at),
		Namespaces:          make([]namespaceStats, 0, len(nsps)),
	}
	for _, n := range nsps {
		out.Namespaces = append(out.Namespaces, namespaceStats{Name: n.Name(), SocketsCount: len(n.Sockets())})
	}
	if in.opts.Mode == Development {
		in.checkUpdates()
	}
	in.emit("server_stats", out)
}

// aggregate returns what happened between two snapshots of the counters,
// dated at the second of the later one. The reference dates each event at
// its own second; the UI sums them into 10-second bars either way.
func aggregate(prev, cur socketio.EngineStats, at time.Time) []aggregatedEvent {
	ts := at.Truncate(time.Second).UnixMilli()
	out := []aggregatedEvent{}
	add := func(typ, sub string, from, to uint64) {
		if to > from {
			out = append(out, aggregatedEvent{Timestamp: ts, Type: typ, SubType: sub, Count: to - from})
		}
	}
	add("rawConnection", "", prev.Opened, cur.Opened)
	reasons := make([]socketio.DisconnectReason, 0, len(cur.Closed))
	for r := range cur.Closed {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		add("rawDisconnection", r.String(), prev.Closed[r], cur.Closed[r])
	}
	add("packetsIn", "", prev.PacketsIn, cur.PacketsIn)
	add("packetsOut", "", prev.PacketsOut, cur.PacketsOut)
	add("bytesIn", "", prev.BytesIn, cur.BytesIn)
	add("bytesOut", "", prev.BytesOut, cur.BytesOut)
	return out
}

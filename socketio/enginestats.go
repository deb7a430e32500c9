package socketio

// EngineStats is a snapshot of a server's Engine.IO connections and of
// what they have carried since the server started, in the shape the admin
// UI's dashboard (package admin) wants; see [Server.EngineStats]. The
// counters only grow: a reader that wants rates subtracts two snapshots.
type EngineStats struct {
	// Clients is the number of open connections ([Server.EngineCount]),
	// PollingClients those of them on HTTP long-polling (not upgraded to
	// websocket).
	Clients, PollingClients int
	// Opened counts the connections opened.
	Opened uint64
	// Closed counts the connections closed, by the reason their sockets
	// saw (transport close, ping timeout, forced close, ...). Reasons that
	// never happened are left out.
	Closed map[DisconnectReason]uint64
	// PacketsIn and PacketsOut count the Engine.IO messages received and
	// sent (Stats.MessagesReceived and MessagesSent); BytesIn and BytesOut
	// the bytes the transports carried (Stats.BytesReceived and
	// BytesSent, framing included).
	PacketsIn, BytesIn, PacketsOut, BytesOut uint64
}

// EngineStats returns a snapshot of the server's Engine.IO connections and
// traffic since it started, from the same counters as [Server.Stats].
func (srv *Server) EngineStats() EngineStats {
	st := srv.Stats()
	es := EngineStats{
		Clients:        st.PollingConnections + st.WebSocketConnections,
		PollingClients: st.PollingConnections,
		Opened:         st.ConnectionsOpened,
		Closed:         make(map[DisconnectReason]uint64),
		PacketsIn:      st.MessagesReceived,
		BytesIn:        st.BytesReceived,
		PacketsOut:     st.MessagesSent,
		BytesOut:       st.BytesSent,
	}
	for r := range srv.closedBy {
		if n := srv.closedBy[r].Load(); n > 0 {
			es.Closed[DisconnectReason(r)] = n
		}
	}
	return es
}

package socketio

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/room"
)

// offsetProbe is a member that records the offsets of what it is sent.
type offsetProbe struct {
	mu      sync.Mutex
	offsets []string
}

func (p *offsetProbe) Deliver(pk *adapter.Packet, _ adapter.Flags) {
	var arr []any
	_ = json.Unmarshal(pk.Data, &arr)
	s, _ := arr[len(arr)-1].(string)
	p.mu.Lock()
	p.offsets = append(p.offsets, s)
	p.mu.Unlock()
}
func (p *offsetProbe) DeliverWithAck(*adapter.Packet, adapter.Flags, uint64, func(adapter.AckArgs)) bool {
	return false
}
func (p *offsetProbe) CancelAck(uint64)               {}
func (p *offsetProbe) Disconnect(bool)                {}
func (p *offsetProbe) Details() adapter.SocketDetails { return adapter.SocketDetails{ID: "probe"} }

// FuzzRecoveryHandshake feeds arbitrary CONNECT auth payloads through the
// recovery handshake: the pid/offset parsing, then the restore against a
// store that holds one session. Nothing may panic; pid and offset are
// found exactly when both are JSON strings under those exact keys; and
// the session comes back only for its own pid with an offset the store
// gave out, whole or halved.
func FuzzRecoveryHandshake(f *testing.F) {
	srv := NewServer(&Options{ConnectionStateRecovery: &ConnectionStateRecovery{}})
	defer func() { _ = srv.Close() }()
	sa := srv.Sockets().Adapter().(*adapter.SessionAware)
	probe := &offsetProbe{}
	sa.AddAll("probe", probe, "probe")
	for range 3 {
		_ = srv.Emit("e")
	}
	valid := probe.offsets
	for _, seed := range []string{
		`{"pid":"PID","offset":"` + valid[0] + `"}`,
		`{"pid":"PID","offset":"` + valid[2] + `","token":"x"}`,
		`{"pid":"PID","offset":1}`, `{"pid":"PID"}`, `{"PID":"PID","offset":"x"}`,
		`{"pid":"PID","pid":"other","offset":"` + valid[1] + `"}`,
		`{"pid":"P\u0049D","offset":"` + valid[1] + `"}`,
		`{}`, `[]`, `null`, `"pid"`, `{"pid":`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, auth []byte) {
		check := func(auth []byte) {
			pid, offset, ok := recoveryAuth(auth)
			var ref map[string]any
			refOK := json.Unmarshal(auth, &ref) == nil
			rp, pok := ref["pid"].(string)
			ro, ook := ref["offset"].(string)
			if want := refOK && pok && ook; ok != want {
				t.Fatalf("recoveryAuth(%q) ok = %v, want %v", auth, ok, want)
			}
			if ok && (pid != rp || offset != ro) {
				t.Fatalf("recoveryAuth(%q) = %q, %q; want %q, %q", auth, pid, offset, rp, ro)
			}
			if err := sa.PersistSession(&adapter.Session{SID: "sid", PID: "PID", Rooms: []room.Room{"sid"}}); err != nil {
				t.Fatal(err)
			}
			s, missed, err := sa.RestoreSession(pid, offset)
			if err != nil {
				t.Fatal(err)
			}
			want := pid == "PID" && slices.Contains(valid, offset)
			if (s != nil) != want {
				t.Fatalf("restore(%q, %q) = %v, want restored %v", pid, offset, s, want)
			}
			if s != nil && len(missed) != 2-slices.Index(valid, offset) {
				t.Fatalf("restore(%q, %q): %d missed", pid, offset, len(missed))
			}
		}
		check(auth)
		check(auth[:len(auth)/2])
	})
}

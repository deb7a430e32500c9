package socketio

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzReceivePath feeds arbitrary long-polling payloads through the whole
// receive path of a live server: the Engine.IO payload decoder, the
// Socket.IO decoder and binary reassembly, namespace routing and typed
// handler dispatch. Nothing may panic, and the server must keep serving.
func FuzzReceivePath(f *testing.F) {
	for _, seed := range []string{
		`42["echo",1,"2",{"3":[false]}]`,
		`421["typed",{"X":1,"Y":2},"s",[1,2]]`,
		"451-[\"bin\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID",
		`40/admin,{"token":1}` + "\x1e" + `42/admin,["echo"]`,
		`43["x"]`, `41`, `4`, `2`, `3`, `1`, `6`, `5`, "", "\x1e",
		`42["disconnect"]`, `4511-[]`, `42{}`, `42abc`, `40/nope`,
		`42[` + string(bytes.Repeat([]byte("["), 100)) + `]`,
	} {
		f.Add([]byte(seed))
	}
	srv := NewServer(&Options{PingInterval: time.Minute, ConnectTimeout: time.Minute})
	srv.OnConnection(func(s *Socket) {
		s.On("echo", func(args Args, ack Ack) { _ = ack(rawArgs(args)...); _ = s.Emit("echo", rawArgs(args)...) })
		s.On("typed", func(p point, str string, n []int, ack Ack) { _ = ack(p, str, n) })
		s.On("bin", func(b []byte, rest ...any) { _ = s.Broadcast().Emit("bin", b, rest) })
	})
	srv.Of("/admin").OnConnection(func(s *Socket) {
		s.On("echo", func(v any) { _ = s.Emit("echo", v) })
	})
	ts := httptest.NewServer(srv)
	defer func() { ts.Close(); _ = srv.Close() }()
	client := &http.Client{Timeout: 5 * time.Second}

	handshake := func(t *testing.T) string {
		res, err := client.Get(ts.URL + "/socket.io/?EIO=4&transport=polling")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var open struct{ Sid string }
		if len(body) < 2 || json.Unmarshal(body[1:], &open) != nil {
			t.Fatalf("handshake: %q", body)
		}
		return open.Sid
	}
	post := func(t *testing.T, sid string, payload []byte) int {
		res, err := client.Post(ts.URL+"/socket.io/?EIO=4&transport=polling&sid="+sid, "text/plain;charset=UTF-8", bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		sid := handshake(t)
		post(t, sid, append([]byte("40\x1e"), data...))
		// The server still serves a healthy client.
		sid = handshake(t)
		if code := post(t, sid, []byte("40")); code != http.StatusOK {
			t.Fatalf("a healthy POST got %d", code)
		}
	})
}

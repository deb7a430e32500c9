package main

import (
	"testing"
	"time"

	"github.com/gosio/sio/socketio"
)

func TestMayComeBack(t *testing.T) {
	t.Parallel()
	dropped := []socketio.DisconnectReason{socketio.ReasonTransportError, socketio.ReasonTransportClose,
		socketio.ReasonForcedClose, socketio.ReasonPingTimeout, socketio.ReasonForcedServerClose}
	goodbyes := []socketio.DisconnectReason{socketio.ReasonClientNamespaceDisconnect, socketio.ReasonServerNamespaceDisconnect, socketio.ReasonParseError}
	for _, tc := range []struct {
		name           string
		window         time.Duration
		sessionsShared bool
		back           []socketio.DisconnectReason // true for these, false for the others
	}{
		{"sessions in memory", 2 * time.Minute, false, dropped},
		{"sessions in Redis, which outlive a shutdown", 2 * time.Minute, true, append(dropped, socketio.ReasonServerShuttingDown)},
		{"an adapter that cannot recover", 0, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &chat{window: tc.window, sessionsShared: tc.sessionsShared}
			want := map[socketio.DisconnectReason]bool{}
			for _, r := range tc.back {
				want[r] = true
			}
			for _, r := range append(append(dropped, goodbyes...), socketio.ReasonServerShuttingDown) {
				if got := c.mayComeBack(r); got != want[r] {
					t.Errorf("mayComeBack(%s) = %v, want %v", r, got, want[r])
				}
			}
		})
	}
}

func TestUserFrom(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		data any
		want user
	}{
		{"this server's socket", user{Nickname: "ada", Room: "go"}, user{Nickname: "ada", Room: "go"}},
		{"decoded from Redis", map[string]any{"nickname": "ada", "room": "go"}, user{Nickname: "ada", Room: "go"}},
		{"foreign data", map[string]any{"nickname": 7}, user{}},
		{"none", nil, user{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := userFrom(tc.data); got != tc.want {
				t.Errorf("userFrom(%#v) = %+v, want %+v", tc.data, got, tc.want)
			}
		})
	}
}

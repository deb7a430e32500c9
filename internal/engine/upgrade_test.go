package engine

import (
	"net/http"
	"testing"
)

func TestAcceptKey(t *testing.T) {
	// The example of RFC 6455 section 1.3.
	if got := string(appendAcceptKey(nil, "dGhlIHNhbXBsZSBub25jZQ==")); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("accept key %q", got)
	}
}

func TestHeaderHasToken(t *testing.T) {
	h := http.Header{"Connection": {"keep-alive, Upgrade"}, "Upgrade": {"WebSocket"}, "X": {"upgrader"}}
	for _, tc := range []struct {
		name, token string
		want        bool
	}{
		{"Connection", "upgrade", true},
		{"Connection", "keep-alive", true},
		{"Upgrade", "websocket", true},
		{"X", "upgrade", false},
		{"Missing", "upgrade", false},
	} {
		if got := headerHasToken(h, tc.name, tc.token); got != tc.want {
			t.Errorf("headerHasToken(%s, %s) = %v", tc.name, tc.token, got)
		}
	}
}

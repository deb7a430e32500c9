package socketio

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandshakeJSONHasTheReferenceShape(t *testing.T) {
	issued := time.UnixMilli(1700000000123).UTC()
	h := Handshake{
		Headers: http.Header{"Host": {"example.com"}, "Accept": {"a", "b"}, "Set-Cookie": {"x=1", "y=2"}},
		Time:    issued,
		Address: "10.0.0.1",
		XDomain: true,
		URL:     "/socket.io/?EIO=4&name=n&tag=1&tag=2",
		Query:   url.Values{"name": {"n"}, "tag": {"1", "2"}},
		Auth:    json.RawMessage(`{"token":"t"}`),
	}
	b, err := json.Marshal(&h)
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"headers": {"host": "example.com", "accept": "a, b", "set-cookie": ["x=1", "y=2"]},
		"time": "Tue Nov 14 2023 22:13:20 GMT+0000 (UTC)",
		"address": "10.0.0.1", "xdomain": true, "secure": false, "issued": 1700000000123,
		"url": "/socket.io/?EIO=4&name=n&tag=1&tag=2",
		"query": {"name": "n", "tag": ["1", "2"]},
		"auth": {"token": "t"}
	}`, string(b))

	var back Handshake
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, "example.com", back.Headers.Get("Host"))
	assert.Equal(t, []string{"x=1", "y=2"}, back.Headers["Set-Cookie"])
	assert.Equal(t, url.Values{"name": {"n"}, "tag": {"1", "2"}}, back.Query)
	assert.True(t, back.Time.Equal(issued))
	assert.Equal(t, h.Address, back.Address)
	assert.True(t, back.XDomain)
	assert.JSONEq(t, `{"token":"t"}`, string(back.Auth))

	// A handshake with no auth has {} as the reference's.
	b, err = json.Marshal(Handshake{})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &back))
	assert.JSONEq(t, `{}`, string(back.Auth))
	assert.True(t, back.Time.IsZero())
}

package socketio

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosio/sio/internal/testkit"
)

// A Raw argument is sent as the JSON it holds wherever it stands: at the
// top, in a []any or map[string]any (its binary attachments renumbered),
// or in a struct (encoding/json: its binary as base64, like a []byte).
// Args given alone are sent as the arguments.
func TestRawIsSentAsItsJSONAnywhere(t *testing.T) {
	_, ts := newTestServer(t, nil, func(io *Server) {
		io.OnConnection(func(s *Socket) {
			s.On("relay", func(args Args, ack Ack) {
				first, second := args[0], args[1]
				type wrapped struct {
					Text Raw `json:"text"`
					Bin  Raw `json:"bin"`
				}
				_ = s.Emit("top", first)
				_ = s.Emit("map", map[string]any{"text": first, "list": []any{first, second}})
				_ = s.Emit("struct", wrapped{Text: first, Bin: second})
				_ = s.Emit("spread", args)
				_ = s.Emit("nested", []any{args})
				_ = ack(args)
			})
		})
	})
	c := testkit.MustDial(t, ts.URL, nil)
	c.MustConnect(t, "/", "")
	// "hi" and a binary attachment of 3 bytes.
	c.MustSend(t, `451-1["relay",{"text":"hi"},{"_placeholder":true,"num":0}]`)
	c.MustSendBinary(t, []byte{1, 2, 3})
	assert.Equal(t, `42["top",{"text":"hi"}]`, c.MustRead(t))
	assert.Equal(t, `451-["map",{"list":[{"text":"hi"},{"_placeholder":true,"num":0}],"text":{"text":"hi"}}]`, c.MustRead(t))
	assert.Equal(t, []byte{1, 2, 3}, c.MustReadBinary(t))
	assert.Equal(t, `42["struct",{"text":{"text":"hi"},"bin":"AQID"}]`, c.MustRead(t))
	assert.Equal(t, `451-["spread",{"text":"hi"},{"_placeholder":true,"num":0}]`, c.MustRead(t))
	assert.Equal(t, []byte{1, 2, 3}, c.MustReadBinary(t))
	assert.Equal(t, `451-["nested",[[{"text":"hi"},{"_placeholder":true,"num":0}]]]`, c.MustRead(t))
	assert.Equal(t, []byte{1, 2, 3}, c.MustReadBinary(t))
	assert.Equal(t, `461-1[{"text":"hi"},{"_placeholder":true,"num":0}]`, c.MustRead(t))
	assert.Equal(t, []byte{1, 2, 3}, c.MustReadBinary(t))
}

func TestRawMarshalJSON(t *testing.T) {
	b, err := json.Marshal(map[string]any{"a": Raw{data: []byte(`[1, 2]`)}, "z": Raw{}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":[1,2],"z":null}`, string(b))
	b, err = json.Marshal(Raw{data: []byte(`{"b":{"_placeholder":true,"num":0}}`), atts: [][]byte{{0xff}}})
	require.NoError(t, err)
	assert.Equal(t, `{"b":"/w=="}`, string(b))
}

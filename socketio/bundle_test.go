package socketio

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeClientBundle(t *testing.T) {
	js := bytes.Repeat([]byte("console.log('socket.io');\n"), 100)
	srv := NewServer(&Options{ServeClient: fstest.MapFS{
		"socket.io.js":     {Data: js},
		"socket.io.js.map": {Data: []byte(`{"version":3}`)},
	}})
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	get := func(path string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		tr := &http.Transport{DisableCompression: true}
		res, err := (&http.Client{Transport: tr}).Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	body := func(r io.Reader) []byte { b, _ := io.ReadAll(r); return b }

	plain := get("/socket.io/socket.io.js", nil)
	assert.Equal(t, 200, plain.StatusCode)
	assert.Equal(t, "application/javascript; charset=utf-8", plain.Header.Get("Content-Type"))
	assert.Equal(t, "public, max-age=0", plain.Header.Get("Cache-Control"))
	assert.Equal(t, js, body(plain.Body))
	etag := plain.Header.Get("ETag")
	require.NotEmpty(t, etag)

	assert.Equal(t, 304, get("/socket.io/socket.io.js", map[string]string{"If-None-Match": etag}).StatusCode)
	assert.Equal(t, 304, get("/socket.io/socket.io.js", map[string]string{"If-None-Match": "W/" + etag}).StatusCode)

	gz := get("/socket.io/socket.io.js", map[string]string{"Accept-Encoding": "gzip, deflate"})
	assert.Equal(t, "gzip", gz.Header.Get("Content-Encoding"))
	zr, err := gzip.NewReader(gz.Body)
	require.NoError(t, err)
	assert.Equal(t, js, body(zr))

	br := get("/socket.io/socket.io.js", map[string]string{"Accept-Encoding": "gzip, br"})
	assert.Equal(t, "br", br.Header.Get("Content-Encoding"))
	assert.Equal(t, js, body(brotli.NewReader(br.Body)))

	m := get("/socket.io/socket.io.js.map", nil)
	assert.Equal(t, "application/json; charset=utf-8", m.Header.Get("Content-Type"))

	assert.Equal(t, 404, get("/socket.io/socket.io.min.js", nil).StatusCode, "a missing bundle file")
	assert.Equal(t, 404, get("/other", nil).StatusCode, "outside the path")
}

package socketio

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"

	"github.com/gosio/sio/internal/engine"
)

// clientFile matches the client bundle names the reference serves under
// its path: socket.io.js, socket.io.min.js, socket.io.esm.min.js,
// socket.io.msgpack.min.js and their source maps.
var clientFile = regexp.MustCompile(`^socket\.io(\.msgpack|\.esm)?(\.min)?\.js(\.map)?$`)

// bundle serves the official client's files from an fs.FS, with the
// reference's caching headers, compressed with brotli or gzip when the
// client accepts it. Each file is read and compressed once.
type bundle struct {
	fsys  fs.FS
	mu    sync.Mutex
	files map[string]*bundleFile
}

type bundleFile struct {
	data, gz, br []byte
	etag         string
}

func (b *bundle) file(name string) (*bundleFile, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if f, ok := b.files[name]; ok {
		return f, nil
	}
	data, err := fs.ReadFile(b.fsys, name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	f := &bundleFile{data: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(data)
	_ = zw.Close()
	f.gz = buf.Bytes()
	var bbuf bytes.Buffer
	bw := brotli.NewWriterLevel(&bbuf, 9)
	_, _ = bw.Write(data)
	_ = bw.Close()
	f.br = bbuf.Bytes()
	if b.files == nil {
		b.files = make(map[string]*bundleFile)
	}
	b.files[name] = f
	return f, nil
}

// serve answers a request for a client file and reports whether name was
// one.
func (b *bundle) serve(w http.ResponseWriter, r *http.Request, name string) bool {
	if !clientFile.MatchString(name) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	f, err := b.file(name)
	if err != nil {
		http.NotFound(w, r)
		return true
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=0")
	h.Set("ETag", f.etag)
	h.Add("Vary", "Accept-Encoding")
	if inm := r.Header.Get("If-None-Match"); inm == f.etag || inm == "W/"+f.etag {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	if strings.HasSuffix(name, ".map") {
		h.Set("Content-Type", "application/json; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/javascript; charset=utf-8")
	}
	body := f.data
	switch ae := r.Header.Get("Accept-Encoding"); {
	case engine.AcceptsEncoding(ae, "br"):
		h.Set("Content-Encoding", "br")
		body = f.br
	case engine.AcceptsEncoding(ae, "gzip"):
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
	return true
}

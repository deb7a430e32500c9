package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	sioparser "github.com/gosio/sio/parser"
	"github.com/gosio/sio/parser/msgpack"
)

// parserFor returns the codec PARSER names: nil (the JSON parser, the
// client's default) for "" or "json", msgpack.Parser for "msgpack", the
// format of socket.io-msgpack-parser. Every client of a server must use
// its codec, as in Node.
func parserFor(name string) (sioparser.Parser, error) {
	switch name {
	case "", "json":
		return nil, nil
	case "msgpack":
		return msgpack.Parser{}, nil
	}
	return nil, fmt.Errorf("PARSER: %q is neither json (the default) nor msgpack", name)
}

// The script tag of static/index.html, and the msgpack bundle's: the
// official client built with socket.io-msgpack-parser.
var (
	jsonBundleTag    = []byte(`<script src="/socket.io/socket.io.js"></script>`)
	msgpackBundleTag = []byte(`<script src="/socket.io/socket.io.msgpack.min.js"></script>`)
)

// msgpackPage serves the page with the msgpack bundle in place of
// socket.io.js at / and everything else from next, so that the page
// speaks the server's codec. The default mode serves the page as it is.
func msgpackPage(page fs.FS, next http.Handler) (http.Handler, error) {
	html, err := fs.ReadFile(page, "index.html")
	if err != nil {
		return nil, err
	}
	if bytes.Count(html, jsonBundleTag) != 1 {
		return nil, fmt.Errorf("index.html: no single %s to replace", jsonBundleTag)
	}
	html = bytes.Replace(html, jsonBundleTag, msgpackBundleTag, 1)
	start := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "index.html", start, bytes.NewReader(html))
	}), nil
}

package main

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMsgpackPage(t *testing.T) {
	t.Parallel()
	page, _ := fs.Sub(static, "static")
	orig, err := fs.ReadFile(page, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	h, err := msgpackPage(page, http.FileServerFS(page))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) []byte {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		b, _ := io.ReadAll(rec.Body)
		return b
	}
	got := get("/")
	// Only the script tag differs.
	if want := bytes.Replace(orig, jsonBundleTag, msgpackBundleTag, 1); !bytes.Equal(got, want) {
		t.Errorf("GET / is not index.html with the msgpack bundle:\n%s", got)
	}
	if bytes.Contains(got, jsonBundleTag) {
		t.Error("GET / still loads socket.io.js")
	}
	app, _ := fs.ReadFile(page, "app.js")
	if !bytes.Equal(get("/app.js"), app) {
		t.Error("GET /app.js is not app.js")
	}
}

func TestParserFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		msgpack bool
		err     bool
	}{{"", false, false}, {"json", false, false}, {"msgpack", true, false}, {"cbor", false, true}} {
		p, err := parserFor(tc.name)
		if (err != nil) != tc.err || (p != nil) != tc.msgpack {
			t.Errorf("parserFor(%q) = %v, %v", tc.name, p, err)
		}
	}
}

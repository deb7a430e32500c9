package engine

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// TestPackedRequest: what a session keeps of its handshake request gives
// back the header (with Host, every value of a repeated field, in order)
// and the URL's path and query, as a new map and value at every call.
func TestPackedRequest(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "http://example.test:8080/socket.io/?EIO=4&transport=websocket&a=%C3%A9&a=2", nil)
	r.Header = http.Header{
		"User-Agent":      {"test/1"},
		"X-Repeated":      {"one", "two", ""},
		"Cookie":          {"a=1; b=2"},
		"Accept-Language": {"fr, en;q=0.5"},
	}
	q := packRequest(r)
	want := http.Header{
		"User-Agent":      {"test/1"},
		"X-Repeated":      {"one", "two", ""},
		"Cookie":          {"a=1; b=2"},
		"Accept-Language": {"fr, en;q=0.5"},
		"Host":            {"example.test:8080"},
	}
	h := q.header()
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("header %v, want %v", h, want)
	}
	h.Set("User-Agent", "changed")
	if got := q.header().Get("User-Agent"); got != "test/1" {
		t.Fatalf("a change to one header map reached the next: %q", got)
	}
	u := q.url()
	if u.Path != "/socket.io/" || u.RequestURI() != "/socket.io/?EIO=4&transport=websocket&a=%C3%A9&a=2" || !reflect.DeepEqual(u.Query()["a"], []string{"é", "2"}) {
		t.Fatalf("url %v (query %v)", u, u.Query())
	}

	// A Host the client put in the header map itself is not doubled; no
	// header at all is an empty map.
	r = httptest.NewRequest("GET", "/x", nil)
	r.Header = http.Header{"Host": {"given"}}
	if got := packRequest(r).header()["Host"]; !reflect.DeepEqual(got, []string{"given"}) {
		t.Fatalf("Host %q", got)
	}
	r.Header, r.Host = nil, ""
	if h := packRequest(r).header(); h == nil || len(h) != 0 {
		t.Fatalf("no header: %v", h)
	}
}

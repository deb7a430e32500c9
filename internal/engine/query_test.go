package engine

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// queryFields must agree with r.URL.Query().Get for every query.
func TestQueryFieldsMatchesURLQuery(t *testing.T) {
	queries := []string{
		"",
		"EIO=4&transport=polling",
		"EIO=4&transport=polling&sid=abc-_123",
		"sid=x&transport=websocket&sid=y&transport=polling",
		"transport&sid",
		"transport=&sid=",
		"&&transport=polling&&sid=a=b",
		"transport=polling%20x&sid=%41",
		"transport=poll+ing&sid=a+b",
		"transport=polling;sid=x",
		"sid=x;y&transport=polling",
		"transport=%zz&sid=ok",
		"Transport=polling&SID=x",
		"EIO=4&transport=polling&t=" + strings.Repeat("x", 600) + "&sid=long",
		strings.Repeat("a=1&", 10001) + "transport=polling&sid=many",
	}
	for _, q := range queries {
		r := httptest.NewRequest("GET", "/socket.io/?"+q, nil)
		transport, sid := queryFields(r)
		want := r.URL.Query()
		if transport != want.Get("transport") || sid != want.Get("sid") {
			t.Errorf("%.60q: got transport %q sid %q, want %q %q", q, transport, sid, want.Get("transport"), want.Get("sid"))
		}
	}
}

func BenchmarkQueryFields(b *testing.B) {
	r := httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=polling&sid=abcdefghijklmnopqrst", nil)
	b.ReportAllocs()
	for b.Loop() {
		queryFields(r)
	}
}

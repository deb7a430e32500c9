package redisstreams

import (
	"encoding/base64"
	"testing"

	"github.com/gosio/sio/internal/clustermsg"
)

// FuzzParseStreamID: an offset parses only in the reference's form
// (^[0-9]+-[0-9]+$ within uint64), and then prints back the ID Redis
// means by it.
func FuzzParseStreamID(f *testing.F) {
	for _, s := range []string{"0-0", "1-2", "1796578998790-0", "18446744073709551615-18446744073709551615", "", "-", "1-", "-1", "a-b", "01-1", "1-2-3", " 1-0", "18446744073709551616-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := parseStreamID(s)
		if !ok {
			return
		}
		again, ok := parseStreamID(id.String())
		if !ok || again != id {
			t.Fatalf("%q: %v does not print back (%v)", s, id, again)
		}
		if n := id.next(); n != id && !id.less(n) {
			t.Fatalf("%v: next %v is not after it", id, n)
		}
	})
}

// FuzzDecodeSession: whatever is stored under a session key, decoding it
// never panics, and a session comes back only for its own pid.
func FuzzDecodeSession(f *testing.F) {
	good, _ := clustermsg.EncodeMsgpack(clustermsg.Object{
		{"sid", "s1"}, {"pid", "p1"}, {"rooms", []any{"s1", "r"}}, {"data", clustermsg.Object{{"k", "v"}}},
	})
	f.Add(base64.StdEncoding.EncodeToString(good), "p1")
	f.Add(base64.StdEncoding.EncodeToString(good), "p2")
	f.Add(base64.StdEncoding.EncodeToString(good[:len(good)/2]), "p1")
	f.Add("not base64!", "p1")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, raw, pid string) {
		s, err := decodeSession(raw, pid)
		if err != nil || s == nil {
			return
		}
		if s.PID != pid || s.SID == "" {
			t.Fatalf("session %+v for pid %q", s, pid)
		}
	})
}

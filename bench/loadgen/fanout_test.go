package main

import "testing"

func TestParseMsg(t *testing.T) {
	t.Parallel()
	body := string(payload('m', 7, 12345, 20))[len(`42["broadcast",`):] // "<payload>"]
	plain := `2["msg",` + body
	withOffset := plain[:len(plain)-1] + `,"Ab-c_9.1"]`
	tests := []struct {
		name    string
		p       string
		offsets bool
		ok      bool
	}{
		{"without offset", plain, false, true},
		{"offset where none is expected", withOffset, false, false},
		{"with offset", withOffset, true, true},
		{"missing offset", plain, true, false},
		{"empty offset", plain[:len(plain)-1] + `,""]`, true, false},
		{"offset not a string", plain[:len(plain)-1] + `,42]`, true, false},
		{"offset with a quote", plain[:len(plain)-1] + `,"a\"b"]`, true, false},
		{"two extra arguments", withOffset[:len(withOffset)-1] + `,"x"]`, true, false},
		{"short payload", `2["msg","m7:12345:x","a"]`, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tag, seq, ts, ok := parseMsg([]byte(tc.p), 20, tc.offsets)
			if ok != tc.ok {
				t.Fatalf("parseMsg(%q, offsets=%v) ok = %v, want %v", tc.p, tc.offsets, ok, tc.ok)
			}
			if ok && (tag != 'm' || seq != 7 || ts != 12345) {
				t.Fatalf("parseMsg(%q) = %c %d %d", tc.p, tag, seq, ts)
			}
		})
	}
}

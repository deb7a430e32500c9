package parser

import "testing"

// TestSafeRun checks the eight-bytes-at-a-time scan against a byte by
// byte one: each byte value at each position of a run of safe bytes.
func TestSafeRun(t *testing.T) {
	t.Parallel()
	slow := func(b []byte, i int, ascii bool) int {
		for i < len(b) && strSafe[b[i]] && (!ascii || b[i] < 0x80) {
			i++
		}
		return i
	}
	for _, ascii := range []bool{false, true} {
		for n := 0; n <= 20; n++ {
			for pos := 0; pos < n; pos++ {
				for c := 0; c < 256; c++ {
					b := make([]byte, n)
					for k := range b {
						b[k] = 'a' + byte(k%26)
					}
					b[pos] = byte(c)
					want := slow(b, 0, ascii)
					got := safeRun(b, 0, ascii)
					// safeRun may stop early (on a word boundary), never late.
					if got > want || slow(b, got, ascii) != want {
						t.Fatalf("ascii %v, %q: safeRun %d, want at most %d", ascii, b, got, want)
					}
					if gotS := safeRun(string(b), 0, ascii); gotS != got {
						t.Fatalf("string and []byte differ on %q: %d, %d", b, gotS, got)
					}
					if want == n && got < n-7 {
						t.Fatalf("ascii %v, %q: stopped at %d on an all-safe run", ascii, b, got)
					}
				}
			}
		}
	}
}

package namespace

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/": "/", "chat": "/chat", "/chat": "/chat"} {
		assert.Equal(t, want, Normalize(in), in)
	}
}

func TestResolveTriesMatchersInOrder(t *testing.T) {
	var r Registry[string]
	r.GetOrCreate("/static", func() string { return "static" })
	r.AddMatcher(func(name string, _ []byte) (bool, error) { return strings.HasPrefix(name, "/a"), nil },
		func(name string) string { return "first:" + name })
	r.AddMatcher(func(name string, _ []byte) (bool, error) { return strings.HasPrefix(name, "/ab"), nil },
		func(name string) string { return "second:" + name })
	r.AddMatcher(func(name string, auth []byte) (bool, error) { return string(auth) == `{"ok":1}`, nil },
		func(name string) string { return "auth:" + name })

	tests := []struct {
		name, auth, want string
		ok               bool
	}{
		{"/static", "", "static", true},
		{"/abc", "", "first:/abc", true},
		{"/zzz", `{"ok":1}`, "auth:/zzz", true},
		{"/yyy", `{}`, "", false},
	}
	for _, tt := range tests {
		got, ok, err := r.Resolve(tt.name, []byte(tt.auth))
		assert.NoError(t, err)
		assert.Equal(t, tt.ok, ok, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
	// A created namespace is registered: the matcher does not run again.
	got, ok := r.Get("/abc")
	assert.True(t, ok)
	assert.Equal(t, "first:/abc", got)
}

func TestResolveReturnsMatcherError(t *testing.T) {
	var r Registry[int]
	boom := errors.New("boom")
	r.AddMatcher(func(string, []byte) (bool, error) { return false, boom }, func(string) int { return 1 })
	_, ok, err := r.Resolve("/x", nil)
	assert.False(t, ok)
	assert.ErrorIs(t, err, boom)
}

func TestRemoveAndRange(t *testing.T) {
	var r Registry[int]
	r.GetOrCreate("/a", func() int { return 1 })
	r.GetOrCreate("/b", func() int { return 2 })
	r.Remove("/a")
	var names []string
	r.Range(func(name string, _ int) bool { names = append(names, name); return true })
	assert.Equal(t, []string{"/b"}, names)
}

// create and OnCreate run outside the registry's lock: they may call back
// into it. Concurrent callers of one name get one value, created once.
func TestGetOrCreateRunsUserCodeOutsideTheLock(t *testing.T) {
	var r Registry[string]
	var created []string
	r.OnCreate = func(v string) {
		created = append(created, v)
		if v == "/a" {
			assert.Equal(t, "/b", r.GetOrCreate("/b", func() string { return "/b" }))
			got, ok := r.Get("/a")
			assert.True(t, ok)
			assert.Equal(t, "/a", got)
		}
	}
	v := r.GetOrCreate("/a", func() string {
		r.Range(func(string, string) bool { return true })
		assert.Equal(t, "/c", r.GetOrCreate("/c", func() string { return "/c" }))
		return "/a"
	})
	assert.Equal(t, "/a", v)
	assert.Equal(t, []string{"/c", "/a", "/b"}, created)
}

func TestGetOrCreateOnceUnderContention(t *testing.T) {
	var r Registry[*int]
	var calls atomic.Int32
	release := make(chan struct{})
	results := make(chan *int, 8)
	for range 8 {
		go func() {
			results <- r.GetOrCreate("/x", func() *int {
				calls.Add(1)
				<-release
				return new(int)
			})
		}()
	}
	close(release)
	first := <-results
	for range 7 {
		assert.Same(t, first, <-results)
	}
	assert.EqualValues(t, 1, calls.Load())
}

package namespace

import (
	"errors"
	"regexp"
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

func TestOfCreatesChildrenOfRegexpParents(t *testing.T) {
	var r Registry[string]
	fn := r.AddMatcher(func(string, []byte) (bool, error) { return true, nil }, func(name string) string { return "fn:" + name })
	re := r.AddRegexp(regexp.MustCompile(`^/re-\d+$`), func(name string) string { return "re:" + name })
	assert.NotEqual(t, fn.Name(), re.Name())
	assert.True(t, strings.HasPrefix(re.Name(), "/_"))

	// Of consults the regexp parents only; a function matcher sees CONNECTs.
	assert.Equal(t, "re:/re-1", r.Of("/re-1", func() string { return "static" }))
	assert.Equal(t, "static", r.Of("/other", func() string { return "static" }))
	assert.Equal(t, []string{"re:/re-1"}, re.Children())
	assert.Empty(t, fn.Children())
}

func TestMaxDynamicBoundsTheChildren(t *testing.T) {
	r := Registry[string]{MaxDynamic: 2}
	p := r.AddMatcher(func(string, []byte) (bool, error) { return true, nil }, func(name string) string { return name })
	for _, name := range []string{"/a", "/b"} {
		_, ok, err := r.Resolve(name, nil)
		assert.True(t, ok, name)
		assert.NoError(t, err)
	}
	_, ok, _ := r.Resolve("/c", nil)
	assert.False(t, ok, "past MaxDynamic")
	_, ok, _ = r.Resolve("/a", nil)
	assert.True(t, ok, "existing children stay reachable")
	r.Remove("/a")
	_, ok, _ = r.Resolve("/c", nil)
	assert.True(t, ok, "a removed child frees its place")
	assert.Len(t, p.Children(), 2)
}

func TestEmptyRemovesChildrenOnlyWhenAsked(t *testing.T) {
	for _, cleanup := range []bool{false, true} {
		r := Registry[string]{CleanupEmptyChildren: cleanup}
		p := r.AddMatcher(func(string, []byte) (bool, error) { return true, nil }, func(name string) string { return name })
		r.GetOrCreate("/static", func() string { return "/static" })
		_, _, _ = r.Resolve("/child", nil)
		assert.False(t, r.Empty("/static", "/static"), "a static namespace stays")
		assert.False(t, r.Empty("/child", "another value"), "only the registered child")
		assert.Equal(t, cleanup, r.Empty("/child", "/child"))
		_, ok := r.Get("/child")
		assert.Equal(t, !cleanup, ok)
		assert.Len(t, p.Children(), map[bool]int{false: 1, true: 0}[cleanup])
	}
}

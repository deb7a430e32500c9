package namespace

import (
	"strings"
	"sync"
)

// Normalize returns name with a leading "/" added if it lacks one; the empty
// name is the main namespace "/".
func Normalize(name string) string {
	if !strings.HasPrefix(name, "/") {
		return "/" + name
	}
	return name
}

// Matcher decides whether a namespace that has not been declared may be
// created on a client's request. auth is the raw JSON auth payload of the
// CONNECT packet. A non-nil error refuses the connection with that error.
type Matcher func(name string, auth []byte) (bool, error)

// A Registry holds the namespaces of one server. It is safe for concurrent
// use.
type Registry[T any] struct {
	mu      sync.RWMutex
	static  map[string]T
	parents []parent[T]
}

type parent[T any] struct {
	match  Matcher
	create func(name string) T
}

// Get returns the namespace registered under name.
func (r *Registry[T]) Get(name string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.static[name]
	return v, ok
}

// GetOrCreate returns the namespace registered under name, registering the
// value from create first if there is none. create runs under the
// registry's lock and must not call back into it.
func (r *Registry[T]) GetOrCreate(name string, create func() T) T {
	if v, ok := r.Get(name); ok {
		return v
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.static[name]; ok {
		return v
	}
	if r.static == nil {
		r.static = make(map[string]T)
	}
	v := create()
	r.static[name] = v
	return v
}

// AddMatcher registers a dynamic matcher. On a request for an unknown name,
// matchers are tried in the order they were added; the first that accepts
// creates the namespace with create.
func (r *Registry[T]) AddMatcher(m Matcher, create func(name string) T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parents = append(r.parents, parent[T]{m, create})
}

// Resolve returns the namespace for a client's CONNECT to name: a
// registered one, or one created by the first dynamic matcher that accepts
// it. It reports false when no namespace handles name; err is a matcher's
// refusal.
func (r *Registry[T]) Resolve(name string, auth []byte) (v T, ok bool, err error) {
	if v, ok := r.Get(name); ok {
		return v, true, nil
	}
	r.mu.RLock()
	parents := r.parents
	r.mu.RUnlock()
	for _, p := range parents {
		allow, err := p.match(name, auth)
		if err != nil {
			return v, false, err
		}
		if allow {
			return r.GetOrCreate(name, func() T { return p.create(name) }), true, nil
		}
	}
	return v, false, nil
}

// Remove removes the namespace registered under name.
func (r *Registry[T]) Remove(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.static, name)
}

// Range calls fn for each registered namespace until fn returns false.
func (r *Registry[T]) Range(fn func(name string, v T) bool) {
	r.mu.RLock()
	all := make([]T, 0, len(r.static))
	names := make([]string, 0, len(r.static))
	for n, v := range r.static {
		names = append(names, n)
		all = append(all, v)
	}
	r.mu.RUnlock()
	for i, v := range all {
		if !fn(names[i], v) {
			return
		}
	}
}

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
// use. It never runs a create function, a matcher or OnCreate while it
// holds its lock: they may call back into it.
type Registry[T any] struct {
	// OnCreate, if set, is called with each namespace the registry
	// creates, once it is registered, on the goroutine that created it.
	// Set it before the registry is used.
	OnCreate func(T)

	mu      sync.RWMutex
	static  map[string]T
	pending map[string]chan struct{} // names being created; closed once registered
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
// value from create first if there is none, and then calling OnCreate. A
// concurrent GetOrCreate of the same name waits until the value is
// registered and returns it. create must not ask for name itself.
func (r *Registry[T]) GetOrCreate(name string, create func() T) T {
	for {
		if v, ok := r.Get(name); ok {
			return v
		}
		r.mu.Lock()
		if v, ok := r.static[name]; ok {
			r.mu.Unlock()
			return v
		}
		if wait, ok := r.pending[name]; ok {
			r.mu.Unlock()
			<-wait
			continue
		}
		if r.pending == nil {
			r.pending = make(map[string]chan struct{})
		}
		done := make(chan struct{})
		r.pending[name] = done
		r.mu.Unlock()
		v := r.create(name, create, done)
		if r.OnCreate != nil {
			r.OnCreate(v)
		}
		return v
	}
}

// create runs create without the lock and registers its value; the
// pending entry is cleared even if create panics.
func (r *Registry[T]) create(name string, create func() T, done chan struct{}) (v T) {
	registered := false
	defer func() {
		r.mu.Lock()
		if registered {
			if r.static == nil {
				r.static = make(map[string]T)
			}
			r.static[name] = v
		}
		delete(r.pending, name)
		r.mu.Unlock()
		close(done)
	}()
	v = create()
	registered = true
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

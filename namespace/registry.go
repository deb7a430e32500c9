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

// A Registry holds the namespaces of one server: the static ones and the
// children that its [Parent]s create on demand. It is safe for concurrent
// use; set its configuration fields before it is used.
//
// It never runs a create function, a matcher or OnCreate while it holds
// its lock: they may call back into it. Its lock is a leaf: nothing else
// is locked while it is held.
type Registry[T comparable] struct {
	// OnCreate, if set, is called with each namespace the registry
	// creates, once it is registered, on the goroutine that created it.
	OnCreate func(T)
	// MaxDynamic bounds the children that parents may create on a client's
	// request (see [Registry.Resolve]); past it, Resolve finds no
	// namespace for a new name. Removed children free their place. Zero
	// means no bound.
	MaxDynamic int
	// CleanupEmptyChildren makes [Registry.Empty] remove a child of a
	// parent when its last socket has left.
	CleanupEmptyChildren bool

	mu sync.RWMutex
	// all maps each registered name to its namespace, static or child.
	all map[string]T
	// pending holds the names being created, each channel closed once the
	// name is registered (or its creation failed).
	pending map[string]chan struct{}
	parents []*Parent[T]
	// dynamic counts the children of every parent.
	dynamic int
}

// Get returns the namespace registered under name.
func (r *Registry[T]) Get(name string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.all[name]
	return v, ok
}

// GetOrCreate returns the namespace registered under name, registering the
// value from create first if there is none, and then calling OnCreate. A
// concurrent GetOrCreate of the same name waits until the value is
// registered and returns it. create must not ask for name itself.
func (r *Registry[T]) GetOrCreate(name string, create func() T) T {
	return r.getOrCreate(name, nil, create)
}

// getOrCreate is GetOrCreate, registering the value as a child of parent
// when parent is not nil.
func (r *Registry[T]) getOrCreate(name string, parent *Parent[T], create func() T) T {
	for {
		if v, ok := r.Get(name); ok {
			return v
		}
		r.mu.Lock()
		if v, ok := r.all[name]; ok {
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
		v := r.create(name, parent, create, done)
		if r.OnCreate != nil {
			r.OnCreate(v)
		}
		return v
	}
}

// create runs create without the lock and registers its value; the
// pending entry is cleared even if create panics.
func (r *Registry[T]) create(name string, parent *Parent[T], create func() T, done chan struct{}) (v T) {
	registered := false
	defer func() {
		r.mu.Lock()
		if registered {
			if r.all == nil {
				r.all = make(map[string]T)
			}
			r.all[name] = v
			if parent != nil {
				if parent.children == nil {
					parent.children = make(map[string]T)
				}
				parent.children[name] = v
				r.dynamic++
			}
		}
		delete(r.pending, name)
		r.mu.Unlock()
		close(done)
	}()
	v = create()
	registered = true
	return v
}

// Remove removes the namespace registered under name, and forgets it as a
// child of its parent.
func (r *Registry[T]) Remove(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removeLocked(name)
}

// removeLocked is Remove; the caller holds r.mu.
func (r *Registry[T]) removeLocked(name string) {
	delete(r.all, name)
	for _, p := range r.parents {
		if _, ok := p.children[name]; ok {
			delete(p.children, name)
			r.dynamic--
		}
	}
}

// Range calls fn for each registered namespace until fn returns false.
func (r *Registry[T]) Range(fn func(name string, v T) bool) {
	r.mu.RLock()
	all := make([]T, 0, len(r.all))
	names := make([]string, 0, len(r.all))
	for n, v := range r.all {
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

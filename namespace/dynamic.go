package namespace

import (
	"regexp"
	"strconv"
	"sync/atomic"
)

// Matcher decides whether a namespace that has not been declared may be
// created on a client's request. auth is the raw JSON auth payload of the
// CONNECT packet. A non-nil error refuses the connection with that error.
type Matcher func(name string, auth []byte) (bool, error)

// parentIDs numbers the parents of every registry, as the reference does.
var parentIDs atomic.Uint64

// A Parent creates the namespaces of the names its matcher accepts, on a
// client's request: its children. Its methods are safe for concurrent use.
type Parent[T comparable] struct {
	r      *Registry[T]
	name   string
	match  Matcher
	re     *regexp.Regexp // nil for a function matcher
	create func(name string) T
	// children are guarded by r.mu.
	children map[string]T
}

// AddMatcher registers a dynamic parent whose children create makes. On a
// CONNECT to an unknown name, parents are tried in the order they were
// added; the first whose matcher accepts creates the namespace.
func (r *Registry[T]) AddMatcher(m Matcher, create func(name string) T) *Parent[T] {
	return r.addParent(&Parent[T]{match: m, create: create})
}

// AddRegexp registers a dynamic parent that accepts the names re matches.
// Unlike a parent added with AddMatcher, it also creates the children that
// [Registry.Of] asks for, as the reference's io.of(name) does.
func (r *Registry[T]) AddRegexp(re *regexp.Regexp, create func(name string) T) *Parent[T] {
	m := func(name string, _ []byte) (bool, error) { return re.MatchString(name), nil }
	return r.addParent(&Parent[T]{match: m, re: re, create: create})
}

func (r *Registry[T]) addParent(p *Parent[T]) *Parent[T] {
	p.r = r
	p.name = "/_" + strconv.FormatUint(parentIDs.Add(1)-1, 10)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parents = append(r.parents[:len(r.parents):len(r.parents)], p)
	return p
}

// Name returns the parent's name, "/_N" as in the reference.
func (p *Parent[T]) Name() string { return p.name }

// Children returns the namespaces the parent created that are still
// registered.
func (p *Parent[T]) Children() []T {
	p.r.mu.RLock()
	defer p.r.mu.RUnlock()
	out := make([]T, 0, len(p.children))
	for _, v := range p.children {
		out = append(out, v)
	}
	return out
}

// Of returns the namespace registered under name, creating it if there is
// none: as a child of the first parent added with AddRegexp whose
// expression matches name, or else with create, as a static namespace.
// The bound MaxDynamic does not apply: the server asks, not a client.
func (r *Registry[T]) Of(name string, create func() T) T {
	if v, ok := r.Get(name); ok {
		return v
	}
	r.mu.RLock()
	parents := r.parents
	r.mu.RUnlock()
	for _, p := range parents {
		if p.re != nil && p.re.MatchString(name) {
			return r.getOrCreate(name, p, func() T { return p.create(name) })
		}
	}
	return r.GetOrCreate(name, create)
}

// Resolve returns the namespace for a client's CONNECT to name: a
// registered one, or one created by the first parent whose matcher accepts
// it, unless MaxDynamic children exist already. It reports false when no
// namespace handles name; err is a matcher's refusal.
func (r *Registry[T]) Resolve(name string, auth []byte) (v T, ok bool, err error) {
	if v, ok := r.Get(name); ok {
		return v, true, nil
	}
	r.mu.RLock()
	parents, full := r.parents, r.MaxDynamic > 0 && r.dynamic >= r.MaxDynamic
	r.mu.RUnlock()
	if full {
		return v, false, nil
	}
	for _, p := range parents {
		allow, err := p.match(name, auth)
		if err != nil {
			return v, false, err
		}
		if allow {
			return r.getOrCreate(name, p, func() T { return p.create(name) }), true, nil
		}
	}
	return v, false, nil
}

// Empty tells the registry that the namespace v, registered under name,
// has no socket left. With CleanupEmptyChildren, a child of a parent is
// then removed; Empty reports whether it was, so that the caller releases
// what the namespace holds.
func (r *Registry[T]) Empty(name string, v T) bool {
	if !r.CleanupEmptyChildren {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.parents {
		if c, ok := p.children[name]; ok && c == v {
			r.removeLocked(name)
			return true
		}
	}
	return false
}

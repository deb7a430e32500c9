package redisstreams

import (
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/gosio/sio/adapter"
)

// hub is what the adapters of one factory share: the namespaces' adapters
// by name, and one reader per stream in use, which delivers each entry to
// the adapter of its namespace. A stream's reader starts with the first
// namespace on it and stops with the last one, as the reference's polling
// stops when its last namespace closes.
//
// Lock order: hub.mu is never held while calling into an adapter or a
// reader, nor taken by them while they hold their own locks.
type hub struct {
	client redis.UniversalClient
	opts   Options
	stats  adapter.ClusterCounters // what the factory's adapters count

	mu       sync.Mutex
	adapters map[string]map[*Adapter]struct{} // by namespace; several when servers share the factory
	readers  map[string]*reader               // by stream

	// beforeReconnect, when set by a test, runs before a reader dials
	// again after losing its connection.
	beforeReconnect atomic.Pointer[func()]
}

func newHub(client redis.UniversalClient, o Options) *hub {
	return &hub{client: client, opts: o, adapters: make(map[string]map[*Adapter]struct{}), readers: make(map[string]*reader)}
}

// register adds a to the adapters of its namespace and starts the reader of
// its stream if it is the first there. It returns that reader.
func (h *hub) register(a *Adapter) *reader {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.adapters[a.nsp.Name()]
	if set == nil {
		set = make(map[*Adapter]struct{})
		h.adapters[a.nsp.Name()] = set
	}
	set[a] = struct{}{}
	r := h.readers[a.stream]
	if r == nil {
		r = newReader(h, a.stream)
		h.readers[a.stream] = r
		r.start()
	}
	return r
}

// unregister forgets a; the reader of its stream stops (and is waited
// for) when no other namespace reads it.
func (h *hub) unregister(a *Adapter) {
	h.mu.Lock()
	if set := h.adapters[a.nsp.Name()]; set != nil {
		delete(set, a)
		if len(set) == 0 {
			delete(h.adapters, a.nsp.Name())
		}
	}
	var stop *reader
	if r := h.readers[a.stream]; r != nil {
		used := false
		for _, set := range h.adapters {
			for other := range set {
				used = used || other.stream == a.stream
			}
		}
		if !used {
			stop = r
			delete(h.readers, a.stream)
		}
	}
	h.mu.Unlock()
	if stop != nil {
		stop.stop()
	}
}

// deliver hands an entry of stream to the adapters of its namespace.
func (h *hub) deliver(stream string, m *message, id string) {
	h.mu.Lock()
	var to []*Adapter
	for a := range h.adapters[m.nsp] {
		if a.stream == stream {
			to = append(to, a)
		}
	}
	h.mu.Unlock()
	for _, a := range to {
		a.onEntry(m, id)
	}
}

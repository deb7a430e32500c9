package main

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Bounds of the room history.
const (
	historyLen = 50 // messages kept per room

	// In memory: rooms kept, and bytes of payloads over all rooms. A
	// payload is at most ~12 KiB (2000 characters, each at most 6 bytes of
	// JSON), so a full room takes at most ~600 KiB, well within the bytes
	// bound; typical rooms take far less.
	historyRooms = 1000
	historyBytes = 16 << 20

	// In Redis: a room's list expires this long after its last message,
	// so that rooms nobody writes to any more do not stay forever.
	historyTTL = 7 * 24 * time.Hour
)

// history keeps the last historyLen "chat message" payloads of each room,
// as the JSON that was broadcast. Its methods are safe from several
// goroutines.
type history interface {
	// Add appends the payload p to room's history, dropping the oldest
	// past historyLen. It returns once p is stored.
	Add(ctx context.Context, room string, p json.RawMessage) error
	// Recent returns room's payloads, oldest first; a room with none
	// gives an empty, non-nil slice.
	Recent(ctx context.Context, room string) ([]json.RawMessage, error)
}

// memHistory keeps the history in memory, for one server. Past
// historyRooms rooms or historyBytes bytes, the rooms written least
// recently are forgotten whole: room names are chosen by clients, so the
// set of rooms is not bounded otherwise.
type memHistory struct {
	mu    sync.Mutex
	rooms map[string]*list.Element // of *roomHistory, in lru
	lru   list.List                // front: written most recently
	bytes int                      // payload bytes over all rooms
}

type roomHistory struct {
	room  string
	msgs  []json.RawMessage // oldest first, at most historyLen
	bytes int
}

func newMemHistory() *memHistory {
	return &memHistory{rooms: make(map[string]*list.Element)}
}

// Add implements history.
func (h *memHistory) Add(_ context.Context, room string, p json.RawMessage) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.rooms[room]
	if ok {
		h.lru.MoveToFront(e)
	} else {
		e = h.lru.PushFront(&roomHistory{room: room})
		h.rooms[room] = e
	}
	r := e.Value.(*roomHistory)
	if len(r.msgs) == historyLen {
		r.bytes -= len(r.msgs[0])
		h.bytes -= len(r.msgs[0])
		r.msgs = append(r.msgs[:0], r.msgs[1:]...)
	}
	r.msgs = append(r.msgs, p)
	r.bytes += len(p)
	h.bytes += len(p)
	// The room just written is at the front and alone fits in the bound.
	for h.lru.Len() > historyRooms || h.bytes > historyBytes {
		old := h.lru.Back().Value.(*roomHistory)
		h.lru.Remove(h.lru.Back())
		delete(h.rooms, old.room)
		h.bytes -= old.bytes
	}
	return nil
}

// Recent implements history.
func (h *memHistory) Recent(_ context.Context, room string) ([]json.RawMessage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.rooms[room]
	if !ok {
		return []json.RawMessage{}, nil
	}
	// The payloads themselves are never modified; the slice is.
	return append([]json.RawMessage{}, e.Value.(*roomHistory).msgs...), nil
}

// redisHistory keeps the history in Redis, shared by every server of a
// cluster, Go or Node: room r is the list chat:history:<r> of the
// payloads' JSON, oldest first, appended with RPUSH and trimmed with
// LTRIM to its last historyLen in one MULTI, read with LRANGE.
type redisHistory struct {
	rdb goredis.UniversalClient
}

func historyKey(room string) string { return "chat:history:" + room }

// Add implements history.
func (h *redisHistory) Add(ctx context.Context, room string, p json.RawMessage) error {
	key := historyKey(room)
	_, err := h.rdb.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
		tx.RPush(ctx, key, []byte(p))
		tx.LTrim(ctx, key, -historyLen, -1)
		tx.Expire(ctx, key, historyTTL)
		return nil
	})
	return err
}

// Recent implements history. An entry that is not JSON (written by
// something else than a chat server) is an error rather than a payload
// the clients cannot read.
func (h *redisHistory) Recent(ctx context.Context, room string) ([]json.RawMessage, error) {
	vals, err := h.rdb.LRange(ctx, historyKey(room), -historyLen, -1).Result()
	if err != nil {
		return nil, err
	}
	msgs := make([]json.RawMessage, len(vals))
	for i, v := range vals {
		if !json.Valid([]byte(v)) {
			return nil, fmt.Errorf("%s[%d] is not JSON", historyKey(room), i)
		}
		msgs[i] = json.RawMessage(v)
	}
	return msgs, nil
}

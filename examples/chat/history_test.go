package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func payload(room string, i int) json.RawMessage {
	p, _ := json.Marshal(chatMessage{ID: fmt.Sprint(i), Room: room, Text: fmt.Sprint("message ", i)})
	return p
}

func recent(t *testing.T, h history, room string) []string {
	t.Helper()
	msgs, err := h.Recent(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	if msgs == nil {
		t.Fatal("Recent returned a nil slice")
	}
	var ids []string
	for _, m := range msgs {
		var c chatMessage
		if err := json.Unmarshal(m, &c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func TestMemHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("should keep a room's last 50 messages, oldest first", func(t *testing.T) {
		t.Parallel()
		h := newMemHistory()
		if got := recent(t, h, "none"); len(got) != 0 {
			t.Fatalf("empty room: %v", got)
		}
		for i := range 60 {
			_ = h.Add(ctx, "r", payload("r", i))
		}
		got := recent(t, h, "r")
		if len(got) != historyLen || got[0] != "10" || got[49] != "59" {
			t.Fatalf("got %v", got)
		}
		if h.bytes != h.rooms["r"].Value.(*roomHistory).bytes {
			t.Fatalf("bytes %d, room's %d", h.bytes, h.rooms["r"].Value.(*roomHistory).bytes)
		}
	})

	t.Run("should forget the room written least recently past the room bound", func(t *testing.T) {
		t.Parallel()
		h := newMemHistory()
		for i := range historyRooms {
			_ = h.Add(ctx, fmt.Sprint("room-", i), payload("x", i))
		}
		_ = h.Add(ctx, "room-0", payload("x", 0)) // room-1 is now the oldest
		_ = h.Add(ctx, "one more", payload("x", 0))
		if len(h.rooms) != historyRooms || h.lru.Len() != historyRooms {
			t.Fatalf("%d rooms", len(h.rooms))
		}
		if got := recent(t, h, "room-1"); len(got) != 0 {
			t.Fatalf("room-1 kept: %v", got)
		}
		if got := recent(t, h, "room-0"); len(got) != 2 {
			t.Fatalf("room-0: %v", got)
		}
	})

	t.Run("should stay within the byte bound", func(t *testing.T) {
		t.Parallel()
		h := newMemHistory()
		big, _ := json.Marshal(chatMessage{ID: "big", Text: strings.Repeat("é", maxMessage)})
		for i := range 2 * historyBytes / (historyLen * len(big)) {
			for range historyLen {
				_ = h.Add(ctx, fmt.Sprint("room-", i), big)
			}
		}
		if h.bytes > historyBytes {
			t.Fatalf("%d bytes kept", h.bytes)
		}
		sum := 0
		for _, e := range h.rooms {
			sum += e.Value.(*roomHistory).bytes
		}
		if sum != h.bytes || len(recent(t, h, "room-0")) != 0 {
			t.Fatalf("bytes %d, sum of rooms %d", h.bytes, sum)
		}
	})

	t.Run("should be safe from several goroutines", func(t *testing.T) {
		t.Parallel()
		h := newMemHistory()
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range 200 {
					room := fmt.Sprint("room-", i%3)
					_ = h.Add(ctx, room, payload(room, g*1000+i))
					_, _ = h.Recent(ctx, room)
				}
			})
		}
		wg.Wait()
		for i := range 3 {
			if got := recent(t, h, fmt.Sprint("room-", i)); len(got) != historyLen {
				t.Fatalf("room-%d: %d messages", i, len(got))
			}
		}
	})
}

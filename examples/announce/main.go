// Command announce posts an announcement to a room of the chat example
// (examples/chat) from outside the chat servers, through package emitter:
// every page in the room, on every server of the cluster, shows it as a
// chat message from "📢 announcement".
//
// The chat servers must use the classic Redis adapter, which the emitter
// speaks (the chat's default with REDIS_URL is the Streams adapter):
//
//	REDIS_URL=redis://127.0.0.1:6379 REDIS_ADAPTER=pubsub make run
//	REDIS_URL=redis://127.0.0.1:6379 go run ./examples/announce -room general -text "Maintenance at 18:00"
//
// With POSTGRES_URL instead, it posts through Postgres to chat servers
// on the Postgres adapter (the chat's adapter when POSTGRES_URL is set),
// on the default channel prefix ("socket.io", -key) and attachments
// table ("socket_io_attachments", -table):
//
//	POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres make run
//	POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres go run ./examples/announce -room general -text "Maintenance at 18:00"
//
// The announcement is not kept in the room's history: pages that join
// the room later do not see it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosio/sio/emitter"
)

// chatMessage is the chat's "chat message" event, which its page shows
// when room is the page's room (examples/chat/chat.go and static/app.js).
type chatMessage struct {
	ID   string `json:"id"`
	From string `json:"from"`
	Text string `json:"text"`
	Room string `json:"room"`
	TS   int64  `json:"ts"`
}

func main() {
	room := flag.String("room", "general", "the chat room to post to")
	text := flag.String("text", "", "the announcement (required)")
	from := flag.String("from", "📢 announcement", "the sender name the pages show")
	key := flag.String("key", "socket.io", "the Key of the chat servers' Redis adapter, or the ChannelPrefix of their Postgres adapter")
	table := flag.String("table", "socket_io_attachments", "the attachments table of the chat servers' Postgres adapter")
	flag.Parse()
	if *text == "" || *room == "" {
		flag.Usage()
		os.Exit(2)
	}
	m := chatMessage{ID: newID(), From: *from, Text: *text, Room: *room, TS: time.Now().UnixMilli()}
	var err error
	if pgURL := os.Getenv("POSTGRES_URL"); pgURL != "" {
		if os.Getenv("REDIS_URL") != "" {
			log.Fatal("POSTGRES_URL and REDIS_URL: the chat uses one adapter; unset one of them")
		}
		err = announcePostgres(pgURL, *key, *table, m)
	} else {
		url := os.Getenv("REDIS_URL")
		if url == "" {
			url = "redis://127.0.0.1:6379"
		}
		err = announce(url, *key, m)
	}
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("announced to room %q", *room)
}

// announce emits m to its room through the Redis at url.
func announce(url, key string, m chatMessage) error {
	ro, err := goredis.ParseURL(url)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := goredis.NewClient(ro)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e := emitter.New(rdb, &emitter.Options{Key: key}).WithContext(ctx)
	return e.To(m.Room).Emit("chat message", m)
}

// announcePostgres emits m to its room through the Postgres at url.
func announcePostgres(url, prefix, table string, m chatMessage) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("POSTGRES_URL: %w", err)
	}
	defer pool.Close()
	e := emitter.NewPostgres(pool, &emitter.PostgresOptions{ChannelPrefix: prefix, TableName: table}).WithContext(ctx)
	return e.To(m.Room).Emit("chat message", m)
}

// newID returns a message ID as the chat makes them.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

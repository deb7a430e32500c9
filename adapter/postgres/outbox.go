package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// outMsg is a message for the namespace's channel: a NOTIFY of payload,
// or, with attachment set, a row of the table and a NOTIFY of its header.
// The adapter's outbox (a workq.Batches) sends them in the order queued;
// callers never wait for Postgres.
type outMsg struct {
	payload    string
	attachment []byte
	typ        int
}

// outSize is what m counts against Options.MaxPendingBytes.
func outSize(m outMsg) int { return len(m.payload) + len(m.attachment) }

// send writes a batch, on the outbox's goroutine, and returns how many of
// its messages failed; a failed message is dropped and logged.
//
// Consecutive notifications go in one statement, one round trip, as long
// as their payloads differ: Postgres delivers the NOTIFYs of one
// transaction with equal channel and payload once, so a repeated payload
// (the same broadcast twice, a heartbeat) starts a new statement. A
// message with an attachment is a statement of its own.
func (a *Adapter) send(batch []outMsg) (failed int) {
	for i := 0; i < len(batch); {
		j := i + 1
		if batch[i].attachment == nil {
			seen := map[string]bool{batch[i].payload: true}
			for j < len(batch) && batch[j].attachment == nil && !seen[batch[j].payload] {
				seen[batch[j].payload] = true
				j++
			}
		}
		seg := batch[i:j]
		err := a.sendSegment(seg)
		if err != nil && pgconn.SafeToRetry(err) && a.ctx.Err() == nil {
			err = a.sendSegment(seg) // a connection of the pool that died idle
		}
		if err != nil {
			failed += len(seg)
			if !errors.Is(err, context.Canceled) {
				a.log.Warn("postgres adapter: messages not sent, dropped", "nsp", a.nsp.Name(), "messages", len(seg), "type", seg[0].typ, "err", err)
			}
		}
		i = j
	}
	return failed
}

// sendSegment sends messages in one statement: notifications with
// distinct payloads, or one message with an attachment.
func (a *Adapter) sendSegment(seg []outMsg) error {
	ctx, cancel := context.WithTimeout(a.ctx, a.opts.RequestsTimeout)
	defer cancel()
	m := seg[0]
	switch {
	case m.attachment != nil:
		// The row and the header's NOTIFY in one statement: listeners
		// are notified at commit, when the row is there. The header is
		// the reference's {uid, type, attachmentId}, the id a string as
		// node-pg gives a bigint.
		_, err := a.hub.pool.Exec(ctx, "WITH row AS (INSERT INTO "+a.opts.TableName+" (payload) VALUES ($3) RETURNING id) "+
			`SELECT pg_notify($1, '{"uid":' || to_json($2::text)::text || ',"type":' || $4::int || ',"attachmentId":"' || id || '"}') FROM row`,
			a.channel, a.uid, m.attachment, m.typ)
		return err
	case len(seg) == 1:
		_, err := a.hub.pool.Exec(ctx, "SELECT pg_notify($1, $2)", a.channel, m.payload)
		return err
	}
	payloads := make([]string, len(seg))
	for i, m := range seg {
		payloads[i] = m.payload
	}
	// unnest yields the payloads in order, and NOTIFYs are delivered in
	// the order they were made.
	_, err := a.hub.pool.Exec(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", a.channel, payloads)
	return err
}

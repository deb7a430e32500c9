package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// outMsg is a message for the namespace's channel: a NOTIFY of payload,
// or, with attachment set, a row of the table and a NOTIFY of its header.
// The adapter's outbox (a workq.Batches) sends them in the order queued,
// one statement each (NOTIFYs of one transaction with equal payloads
// would be delivered once); callers never wait for Postgres.
type outMsg struct {
	payload    string
	attachment []byte
	typ        int
}

// outSize is what m counts against Options.MaxPendingBytes.
func outSize(m outMsg) int { return len(m.payload) + len(m.attachment) }

// send writes a batch, on the outbox's goroutine, and returns how many of
// its messages failed; a failed message is dropped and logged.
func (a *Adapter) send(batch []outMsg) (failed int) {
	for _, m := range batch {
		err := a.sendOne(m)
		if err != nil && pgconn.SafeToRetry(err) && a.ctx.Err() == nil {
			err = a.sendOne(m) // a connection of the pool that died idle
		}
		if err != nil {
			failed++
			if !errors.Is(err, context.Canceled) {
				a.log.Warn("postgres adapter: message not sent, dropped", "nsp", a.nsp.Name(), "type", m.typ, "err", err)
			}
		}
	}
	return failed
}

// sendOne sends one message in one statement.
func (a *Adapter) sendOne(m outMsg) error {
	ctx, cancel := context.WithTimeout(a.ctx, a.opts.RequestsTimeout)
	defer cancel()
	if m.attachment == nil {
		_, err := a.hub.pool.Exec(ctx, "SELECT pg_notify($1, $2)", a.channel, m.payload)
		return err
	}
	// The row and the header's NOTIFY in one statement: listeners are
	// notified at commit, when the row is there. The header is the
	// reference's {uid, type, attachmentId}, the id a string as node-pg
	// gives a bigint.
	_, err := a.hub.pool.Exec(ctx, "WITH row AS (INSERT INTO "+a.opts.TableName+" (payload) VALUES ($3) RETURNING id) "+
		`SELECT pg_notify($1, '{"uid":' || to_json($2::text)::text || ',"type":' || $4::int || ',"attachmentId":"' || id || '"}') FROM row`,
		a.channel, a.uid, m.attachment, m.typ)
	return err
}

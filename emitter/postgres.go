package emitter

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosio/sio/internal/clustermsg"
)

// PostgresOptions configure an emitter on Postgres ([NewPostgres]). The
// zero value (or a nil *PostgresOptions) gives the reference's defaults,
// which are those of the servers' adapter/postgres and Node's
// @socket.io/postgres-adapter.
type PostgresOptions struct {
	// ChannelPrefix is the prefix of the notification channels: it must
	// be the ChannelPrefix (Go) or channelPrefix (Node) of the servers'
	// Postgres adapters. Zero value means "socket.io".
	ChannelPrefix string
	// TableName is the attachments table, where messages with binary
	// data or too large for a notification go; it must be the servers'
	// (adapter/postgres' CreateTable makes it), a plain identifier,
	// optionally schema-qualified. Zero value means
	// "socket_io_attachments".
	TableName string
	// PayloadThreshold is the size in bytes from which a message's JSON
	// goes to the attachments table instead of the notification itself.
	// Zero value means 8000, Postgres' limit on a NOTIFY payload.
	PayloadThreshold int
}

const (
	defaultChannelPrefix    = "socket.io"
	defaultTableName        = "socket_io_attachments"
	defaultPayloadThreshold = 8000
)

// NewPostgres returns an emitter for the main namespace "/" that sends
// through pool, which stays the caller's to close, to the servers of a
// cluster on Postgres LISTEN/NOTIFY: Go servers on adapter/postgres and
// Node.js servers on @socket.io/postgres-adapter 0.5.x alike. It speaks
// the protocol of the reference's @socket.io/postgres-emitter (see the
// package documentation, "On Postgres"). Operations fail with an error
// wrapping [ErrBadTableName] when opts.TableName is not a plain
// identifier.
func NewPostgres(pool *pgxpool.Pool, opts *PostgresOptions) *Emitter {
	t := &postgresTransport{pool: pool, prefix: defaultChannelPrefix, table: defaultTableName, threshold: defaultPayloadThreshold}
	if opts != nil {
		if opts.ChannelPrefix != "" {
			t.prefix = opts.ChannelPrefix
		}
		if opts.TableName != "" {
			t.table = opts.TableName
		}
		if opts.PayloadThreshold > 0 {
			t.threshold = opts.PayloadThreshold
		}
	}
	return newEmitter(context.Background(), t, "/")
}

// The message types of socket.io-adapter's ClusterAdapter, which
// @socket.io/postgres-adapter 0.5.x speaks.
const (
	pgBroadcast         = 3
	pgSocketsJoin       = 4
	pgSocketsLeave      = 5
	pgDisconnectSockets = 6
	pgServerSideEmit    = 9
)

// pgTableNameRE accepts one identifier, or schema.table, as
// adapter/postgres does.
var pgTableNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$`)

// postgresTransport speaks the protocol of @socket.io/postgres-adapter
// 0.5.x as @socket.io/postgres-emitter writes it: a ClusterAdapter
// message {type, data, uid, nsp} by pg_notify on <prefix>#<nsp>, or, for
// a message with binary data or too large, its msgpack in a row of the
// attachments table and {uid, type, attachmentId} by pg_notify.
type postgresTransport struct {
	pool      *pgxpool.Pool
	prefix    string
	table     string
	threshold int
}

func (p *postgresTransport) broadcast(ctx context.Context, b *broadcast) error {
	fl := clustermsg.Object{}
	if b.flags.volatile {
		fl = append(fl, clustermsg.Member{Key: "volatile", Val: true})
	}
	if b.flags.compressSet {
		fl = append(fl, clustermsg.Member{Key: "compress", Val: b.flags.compress})
	}
	data := clustermsg.Object{
		{Key: "packet", Val: clustermsg.Object{{Key: "type", Val: int64(2)}, {Key: "data", Val: b.data}, {Key: "nsp", Val: b.nsp}}},
		{Key: "opts", Val: clustermsg.Object{{Key: "rooms", Val: stringsTree(b.rooms)}, {Key: "flags", Val: fl}, {Key: "except", Val: stringsTree(b.except)}}},
	}
	return p.send(ctx, b.nsp, pgBroadcast, data)
}

func (p *postgresTransport) request(ctx context.Context, q *request) error {
	opts := clustermsg.Object{{Key: "rooms", Val: stringsTree(q.targetRooms)}, {Key: "except", Val: stringsTree(q.targetExcept)}}
	switch q.typ {
	case reqJoin:
		return p.send(ctx, q.nsp, pgSocketsJoin, clustermsg.Object{{Key: "opts", Val: opts}, {Key: "rooms", Val: stringsTree(q.rooms)}})
	case reqLeave:
		return p.send(ctx, q.nsp, pgSocketsLeave, clustermsg.Object{{Key: "opts", Val: opts}, {Key: "rooms", Val: stringsTree(q.rooms)}})
	case reqDisconnect:
		return p.send(ctx, q.nsp, pgDisconnectSockets, clustermsg.Object{{Key: "opts", Val: opts}, {Key: "close", Val: q.close}})
	default: // reqServerSideEmit
		return p.send(ctx, q.nsp, pgServerSideEmit, clustermsg.Object{{Key: "packet", Val: q.data}})
	}
}

// pgEncoded is a message ready to send: its notification payload, and,
// when the message goes to the attachments table, its msgpack (the
// payload is then written once the row's ID is known).
type pgEncoded struct {
	channel    string
	payload    string
	attachment []byte
	typ        int
}

// encode returns the message of type typ with data on namespace nsp.
// Broadcasts and server-side events with binary data, and every message
// whose JSON reaches the threshold, go to the table as msgpack, as the
// reference's emitter does.
func (p *postgresTransport) encode(nsp string, typ int, data clustermsg.Object) (*pgEncoded, error) {
	tree := clustermsg.Object{{Key: "type", Val: int64(typ)}, {Key: "data", Val: data}, {Key: "uid", Val: uid}, {Key: "nsp", Val: nsp}}
	e := &pgEncoded{channel: p.prefix + "#" + nsp, typ: typ}
	if !((typ == pgBroadcast || typ == pgServerSideEmit) && clustermsg.HasBinary(data)) {
		js := clustermsg.AppendJSON(nil, tree, clustermsg.JSONPlain, nil)
		if len(js) < p.threshold {
			e.payload = string(js)
			return e, nil
		}
	}
	b, err := clustermsg.EncodeMsgpack(tree)
	if err != nil {
		return nil, wrapEncoding(err)
	}
	e.attachment = b
	return e, nil
}

// header returns the notification of an attachment: {uid, type,
// attachmentId}, the ID a string as node-postgres reads a bigint.
func header(typ int, id int64) string {
	h := clustermsg.Object{{Key: "uid", Val: uid}, {Key: "type", Val: int64(typ)}, {Key: "attachmentId", Val: strconv.FormatInt(id, 10)}}
	return string(clustermsg.AppendJSON(nil, h, clustermsg.JSONPlain, nil))
}

func (p *postgresTransport) send(ctx context.Context, nsp string, typ int, data clustermsg.Object) error {
	e, err := p.encode(nsp, typ, data)
	if err != nil {
		return err
	}
	if e.attachment != nil {
		if !pgTableNameRE.MatchString(p.table) {
			return fmt.Errorf("%w: %q", ErrBadTableName, p.table)
		}
		var id int64
		if err := p.pool.QueryRow(ctx, "INSERT INTO "+p.table+" (payload) VALUES ($1) RETURNING id", e.attachment).Scan(&id); err != nil {
			return err
		}
		e.payload = header(typ, id)
	}
	_, err = p.pool.Exec(ctx, "SELECT pg_notify($1, $2)", e.channel, e.payload)
	return err
}

package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosio/sio/internal/clustermsg"
)

// The message types of socket.io-adapter's ClusterAdapterWithHeartbeat
// (MessageType in lib/cluster-adapter.ts), which the reference's 0.5.x
// builds on.
const (
	typeInitialHeartbeat       = 1
	typeHeartbeat              = 2
	typeBroadcast              = 3
	typeSocketsJoin            = 4
	typeSocketsLeave           = 5
	typeDisconnectSockets      = 6
	typeFetchSockets           = 7
	typeFetchSocketsResponse   = 8
	typeServerSideEmit         = 9
	typeServerSideEmitResponse = 10
	typeBroadcastClientCount   = 11
	typeBroadcastAck           = 12
	typeAdapterClose           = 13
)

// emitterUID is the uid of socket.io's emitters, which are no servers.
const emitterUID = "emitter"

// message is a ClusterAdapter message {type, data, uid, nsp}.
type message struct {
	uid  string // the sender's uid
	nsp  string
	typ  int
	data clustermsg.Object // nil for heartbeats
}

// requestID returns data.requestId; "" when absent.
func (m *message) requestID() string { return clustermsg.Str(m.data.Get("requestId")) }

// mayContainBinary reports whether the reference checks a message of type
// typ for binary data, which then goes to the table as msgpack.
func mayContainBinary(typ int) bool {
	switch typ {
	case typeBroadcast, typeBroadcastAck, typeServerSideEmit, typeServerSideEmitResponse:
		return true
	}
	return false
}

// tree returns m as the reference writes it: {type, data, uid, nsp}.
func (m *message) tree() clustermsg.Object {
	t := clustermsg.Object{{"type", int64(m.typ)}}
	if m.data != nil {
		t = append(t, clustermsg.Member{Key: "data", Val: m.data})
	}
	return append(t, clustermsg.Member{Key: "uid", Val: m.uid}, clustermsg.Member{Key: "nsp", Val: m.nsp})
}

// encode returns the notification payload of m (its JSON), or, when m
// holds binary data or its JSON reaches threshold bytes, the msgpack of
// m for the table.
func encode(m *message, threshold int) (payload string, attachment []byte, err error) {
	t := m.tree()
	if !(mayContainBinary(m.typ) && clustermsg.HasBinary(m.data)) {
		js := clustermsg.AppendJSON(nil, t, clustermsg.JSONPlain, nil)
		if len(js) < threshold {
			return string(js), nil, nil
		}
	}
	b, err := clustermsg.EncodeMsgpack(t)
	return "", b, err
}

// decodeTree reads a message from its JSON or msgpack tree. A header
// {uid, type, attachmentId} comes back with attachment set and no nsp.
func decodeTree(v any) (m *message, attachment string, err error) {
	obj, ok := v.(clustermsg.Object)
	if !ok {
		return nil, "", fmt.Errorf("%w: message is not an object", clustermsg.ErrMalformed)
	}
	typ, ok := clustermsg.Integer(obj.Get("type"))
	if !ok {
		return nil, "", fmt.Errorf("%w: message without a type", clustermsg.ErrMalformed)
	}
	switch id := obj.Get("attachmentId").(type) {
	case string:
		attachment = id
	case int64:
		attachment = strconv.FormatInt(id, 10)
	case float64:
		attachment = strconv.FormatInt(int64(id), 10)
	}
	data, _ := obj.Get("data").(clustermsg.Object)
	return &message{uid: clustermsg.Str(obj.Get("uid")), nsp: clustermsg.Str(obj.Get("nsp")), typ: typ, data: data}, attachment, nil
}

// decodeNotification decodes a notification's JSON payload.
func decodeNotification(payload string) (*message, string, error) {
	v, err := clustermsg.ParseJSON([]byte(payload), nil)
	if err != nil {
		return nil, "", err
	}
	return decodeTree(v)
}

// decodeAttachment decodes the msgpack of a message from the table.
func decodeAttachment(b []byte) (*message, error) {
	v, err := clustermsg.ParseMsgpack(b)
	if err != nil {
		return nil, err
	}
	m, _, err := decodeTree(v)
	return m, err
}

// channelName returns the notification channel of namespace nsp, as the
// reference names it.
func channelName(prefix, nsp string) string { return prefix + "#" + nsp }

// randomID returns 16 hex digits, as the reference's
// randomBytes(8).toString("hex"): server uids and request IDs.
func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tableNameRE accepts one identifier, or schema.table.
var tableNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$`)

// CreateTable creates the attachments table name (Options.TableName; ""
// means the default, "socket_io_attachments") with the reference's
// columns, unless it exists:
//
//	CREATE TABLE IF NOT EXISTS socket_io_attachments (
//	    id          bigserial UNIQUE,
//	    created_at  timestamptz DEFAULT NOW(),
//	    payload     bytea
//	);
//
// Node servers expect the table to be made this way beforehand; run it
// once, from any server (servers that run it together are fine). It fails with [ErrBadTableName] for a name that
// is not a plain identifier (optionally schema-qualified).
func CreateTable(ctx context.Context, pool *pgxpool.Pool, name string) error {
	if name == "" {
		name = defaultTableName
	}
	if !tableNameRE.MatchString(name) {
		return fmt.Errorf("%w: %q", ErrBadTableName, name)
	}
	_, err := pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+name+
		" (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)")
	// Two servers that start together race in IF NOT EXISTS: the one
	// that loses finds the table made.
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P07" || pe.Code == "42710") {
		return nil
	}
	return err
}

// quoteChannel returns channel as a quoted SQL identifier, for LISTEN.
func quoteChannel(channel string) string { return pgx.Identifier{channel}.Sanitize() }

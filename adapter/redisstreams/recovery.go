package redisstreams

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/clustermsg"
	"github.com/gosio/sio/room"
)

// Connection state recovery, as the reference's persistSession and
// restoreSession do it: a session is the base64 of the msgpack of {sid,
// pid, rooms, data}, kept under <SessionKeyPrefix><pid> with SET … PX
// <window in ms>, read and deleted in one MULTI (GET, DEL). An offset is
// the ID of a broadcast's stream entry; the packets a session missed are
// the broadcasts of its namespace after that entry, to its rooms and not
// to its except. The entry of the offset itself must still be in the
// stream: when MAXLEN trimmed it, entries after it may be gone too, and
// the client gets a new session rather than a partial replay.

const (
	// maxPIDLen bounds a pid looked up in Redis; the reference's are 20
	// characters.
	maxPIDLen = 256
	// restoreBatch is the COUNT of one XRANGE of a restore, and
	// restoreMaxCalls bounds them: a replay longer than that gives a new
	// session (the reference stops after 100 calls, replaying less).
	restoreBatch    = 1000
	restoreMaxCalls = 100
)

// streamID is a stream entry ID <ms>-<seq>.
type streamID struct{ ms, seq uint64 }

// parseStreamID parses an entry ID as the reference accepts an offset
// (^[0-9]+-[0-9]+$); it reports false for anything else.
func parseStreamID(s string) (streamID, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok || !digits(a) || !digits(b) {
		return streamID{}, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil {
		return streamID{}, false
	}
	return streamID{ms, seq}, true
}

func digits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (id streamID) String() string {
	return strconv.FormatUint(id.ms, 10) + "-" + strconv.FormatUint(id.seq, 10)
}

func (id streamID) less(o streamID) bool {
	return id.ms < o.ms || (id.ms == o.ms && id.seq < o.seq)
}

// next is the smallest ID after id: an exclusive XRANGE start that Redis
// before 6.2 takes too, as the reference's nextOffset. The largest ID,
// which Redis never gives out, is its own next.
func (id streamID) next() streamID {
	if id.seq == ^uint64(0) {
		if id.ms == ^uint64(0) {
			return id
		}
		return streamID{id.ms + 1, 0}
	}
	return streamID{id.ms, id.seq + 1}
}

// LogsOffsets implements [adapter.OffsetLogger]: with the server's
// recovery on, a broadcast is delivered locally once its entry is in the
// stream, with the entry's ID as its last argument.
func (a *Adapter) LogsOffsets() bool { return a.window > 0 }

// sessionKey is the Redis key of session pid.
func (a *Adapter) sessionKey(pid string) string { return a.opts.SessionKeyPrefix + pid }

// PersistSession implements [adapter.Adapter]: s is stored under
// <SessionKeyPrefix><pid> for the server's MaxDisconnectionDuration. It
// waits for Redis (at most Options.RequestsTimeout), so that a client
// reconnecting to another server finds its session. A Data that is nil is
// stored as {}, the reference's default socket.data; other values as
// clustermsg turns Go values into msgpack (through encoding/json for
// types it does not know). It returns [adapter.ErrNotSupported] when the
// server's recovery is off.
func (a *Adapter) PersistSession(s *adapter.Session) (err error) {
	if a.window <= 0 {
		return adapter.ErrNotSupported
	}
	if a.isClosed() {
		return errClosed
	}
	var data any = clustermsg.Object{}
	if s.Data != nil {
		t, err := clustermsg.FromGo(s.Data)
		if err != nil {
			return fmt.Errorf("redis streams adapter: session data: %w", err)
		}
		data = t
	}
	b, err := clustermsg.EncodeMsgpack(clustermsg.Object{
		{"sid", string(s.SID)},
		{"pid", s.PID},
		{"rooms", clustermsg.RoomsTree(s.Rooms)},
		{"data", data},
	})
	if err != nil {
		return fmt.Errorf("redis streams adapter: session: %w", err)
	}
	ctx, cancel := context.WithTimeout(a.ctx, a.opts.RequestsTimeout)
	defer cancel()
	defer a.timed(adapter.RequestPersistSession, time.Now(), &err)
	// PX in milliseconds, as the reference writes it.
	err = a.client.Do(ctx, "SET", a.sessionKey(s.PID), base64.StdEncoding.EncodeToString(b), "PX", a.window.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("redis streams adapter: persist session: %w", err)
	}
	return nil
}

// RestoreSession implements [adapter.Adapter]; see
// [Adapter.RestoreSessionAndJoin].
func (a *Adapter) RestoreSession(pid, offset string) (*adapter.Session, []*adapter.Packet, error) {
	return a.RestoreSessionAndJoin(pid, offset, nil)
}

var (
	_ adapter.OffsetLogger = (*Adapter)(nil)
	_ adapter.Restorer     = (*Adapter)(nil)
)

// RestoreSessionAndJoin implements [adapter.Restorer]. It returns nil,
// nil, nil, a new session for the client, when there is nothing to
// restore: recovery off, a pid that is not a stored session (unknown,
// expired, already restored, forged), a malformed session, or an offset
// that is not an entry ID still in the stream (malformed, from another
// cluster, trimmed by MAXLEN). The session is deleted whatever follows,
// as the reference does, so a pid restores once.
//
// With newMember, the socket joins its rooms in one step with respect to
// the stream's reader: every broadcast entry up to the last one the
// reader delivered here is among the returned packets, and every later
// one reaches the member through the reader, so each missed broadcast
// comes exactly once and in stream order.
func (a *Adapter) RestoreSessionAndJoin(pid, offset string, newMember func(*adapter.Session) adapter.Member) (*adapter.Session, []*adapter.Packet, error) {
	if a.window <= 0 || pid == "" || len(pid) > maxPIDLen {
		return nil, nil, nil
	}
	from, ok := parseStreamID(offset)
	if !ok {
		return nil, nil, nil
	}
	ctx, cancel := context.WithTimeout(a.ctx, a.opts.RequestsTimeout)
	defer cancel()
	var failure error // what went wrong with Redis, for the stats
	defer a.timed(adapter.RequestRestoreSession, time.Now(), &failure)
	select {
	case <-a.reader.ready: // its start is where this server's deliveries begin
	case <-ctx.Done():
		failure = ctx.Err()
		return nil, nil, nil
	}
	s, err := a.takeSession(ctx, pid)
	if err != nil || s == nil {
		if !errors.Is(err, redis.Nil) {
			failure = err // a session that is not there is no failure
		}
		return nil, nil, nil
	}
	// The entry of the offset must still be there: trimming removes the
	// oldest entries first, so then every later one is there too.
	at, err := a.client.XRangeN(ctx, a.stream, from.String(), from.String(), 1).Result()
	if err != nil || len(at) != 1 || at[0].ID != from.String() {
		failure = err
		return nil, nil, nil
	}
	in := make(map[room.Room]struct{}, len(s.Rooms))
	for _, r := range s.Rooms {
		in[r] = struct{}{}
	}
	var missed []*missedPacket
	last, complete := a.replay(ctx, in, from, streamID{^uint64(0), ^uint64(0)}, &missed)
	if !complete {
		return nil, nil, nil
	}
	if newMember == nil {
		return s, packets(missed), nil
	}

	a.dmu.Lock()
	seen := a.seenLocked()
	if last.less(seen) {
		// The reader delivered entries here after the replay's last
		// one: they are missed too (one more round trip, with the
		// reader held).
		if _, complete = a.replay(ctx, in, last, seen, &missed); !complete {
			a.dmu.Unlock()
			return nil, nil, nil
		}
	} else {
		// The reader has yet to deliver the replay's entries after
		// seen: they will reach the member, so they are not replayed.
		n := len(missed)
		for n > 0 && seen.less(missed[n-1].id) {
			n--
		}
		missed = missed[:n]
	}
	changes := a.local.Index().Add(s.SID, newMember(s), s.Rooms...)
	a.dmu.Unlock()
	a.local.EmitChanges(s.SID, changes)
	return s, packets(missed), nil
}

func packets(missed []*missedPacket) []*adapter.Packet {
	out := make([]*adapter.Packet, len(missed))
	for i, m := range missed {
		out[i] = m.Packet
	}
	return out
}

// takeSession reads and deletes session pid in one MULTI, as the
// reference's GETDEL; nil when there is none or it does not decode.
func (a *Adapter) takeSession(ctx context.Context, pid string) (*adapter.Session, error) {
	var get *redis.StringCmd
	_, err := a.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, a.sessionKey(pid))
		p.Del(ctx, a.sessionKey(pid))
		return nil
	})
	if err != nil {
		return nil, err // redis.Nil when there is none
	}
	return decodeSession(get.Val(), pid)
}

// decodeSession decodes a stored session; it must be the session of pid.
func decodeSession(raw, pid string) (*adapter.Session, error) {
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, err
	}
	v, err := clustermsg.ParseMsgpack(b)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(clustermsg.Object)
	if !ok {
		return nil, fmt.Errorf("%w: session is not an object", clustermsg.ErrMalformed)
	}
	sid, _ := obj.Get("sid").(string)
	if sid == "" || clustermsg.Str(obj.Get("pid")) != pid {
		return nil, fmt.Errorf("%w: session without sid or of another pid", clustermsg.ErrMalformed)
	}
	s := &adapter.Session{SID: room.SocketID(sid), PID: pid, Rooms: clustermsg.DecodeRooms(obj.Get("rooms"))}
	if d := clustermsg.ToGo(obj.Get("data")); d != nil {
		if m, ok := d.(map[string]any); !ok || len(m) > 0 {
			s.Data = d // {} is the reference's default: Data nil
		}
	}
	return s, nil
}

// missedPacket is a replayed packet with its entry's ID.
type missedPacket struct {
	*adapter.Packet
	id streamID
}

// replay appends to missed the broadcasts of the namespace in (after,
// upto] that reach a socket in the rooms of in, encoded with their
// offset. It returns the last entry ID read, and false when it could not
// read to the end (Redis failed, or the range is longer than
// restoreMaxCalls batches).
func (a *Adapter) replay(ctx context.Context, in map[room.Room]struct{}, after, upto streamID, missed *[]*missedPacket) (streamID, bool) {
	end := "+"
	if upto.ms != ^uint64(0) {
		end = upto.String()
	}
	for range restoreMaxCalls {
		entries, err := a.client.XRangeN(ctx, a.stream, after.next().String(), end, restoreBatch).Result()
		if err != nil {
			return after, false
		}
		for _, e := range entries {
			id, ok := parseStreamID(e.ID)
			if !ok {
				return after, false
			}
			after = id
			if p := a.missedPacket(e, in); p != nil {
				*missed = append(*missed, &missedPacket{Packet: p, id: id})
			}
		}
		if len(entries) < restoreBatch {
			return after, true
		}
	}
	return after, false
}

// missedPacket returns the packet of entry e, with its offset, when e is
// a broadcast of the namespace that a socket in the rooms of in received:
// not Local (never in the stream), not Volatile (delivered without an
// offset, as the reference's, and not replayed), not with acks.
func (a *Adapter) missedPacket(e redis.XMessage, in map[room.Room]struct{}) *adapter.Packet {
	if e.Values["nsp"] != a.nsp.Name() || e.Values["type"] != strconv.Itoa(typeBroadcast) {
		return nil
	}
	m, err := decodeEntry(e.Values)
	if err != nil || m == nil || m.requestID() != "" {
		return nil
	}
	opts := clustermsg.DecodeOpts(m.data.Get("opts"))
	if opts.Flags.Volatile || !includes(in, opts) {
		return nil
	}
	p, err := clustermsg.DecodePacket(m.data.Get("packet"), a.nsp.Name())
	if err != nil || p == nil {
		return nil
	}
	a.prepareWithOffset(p, e.ID)
	return p
}

// includes reports whether a socket in the rooms of in was a recipient of
// a broadcast with opts: in one of its rooms (or it had none) and in none
// of its except, as the reference's shouldIncludePacket.
func includes(in map[room.Room]struct{}, opts adapter.BroadcastOptions) bool {
	for _, r := range opts.Except {
		if _, ok := in[r]; ok {
			return false
		}
	}
	if len(opts.Rooms) == 0 {
		return true
	}
	for _, r := range opts.Rooms {
		if _, ok := in[r]; ok {
			return true
		}
	}
	return false
}

// prepareWithOffset encodes p, once for every local recipient, with
// offset as its last argument.
func (a *Adapter) prepareWithOffset(p *adapter.Packet, offset string) {
	if op, ok := a.nsp.(adapter.OffsetPreparer); ok {
		op.PrepareWithOffset(p, offset)
		return
	}
	p.Data = adapter.AppendOffset(p.Data, offset)
	p.Encoded = nil
	a.nsp.Prepare(p)
}

// seenLocked returns the ID of the last broadcast entry of the namespace
// the reader delivered here, or the reader's start before the first.
// a.dmu must be held.
func (a *Adapter) seenLocked() streamID {
	if a.seen != (streamID{}) {
		return a.seen
	}
	id, _ := parseStreamID(a.reader.startID())
	return id
}

// deliverEntry delivers a broadcast entry to the local sockets, on the
// reader's goroutine, with its ID as the offset when recovery is on and
// the broadcast is not volatile.
func (a *Adapter) deliverEntry(p *adapter.Packet, opts adapter.BroadcastOptions, id string) {
	sid, _ := parseStreamID(id)
	a.dmu.Lock()
	defer a.dmu.Unlock()
	if a.window > 0 && !opts.Flags.Volatile {
		a.prepareWithOffset(p, id)
	} else {
		a.nsp.Prepare(p)
	}
	_ = a.local.Broadcast(p, opts)
	a.seen = sid
}

// recoveryWindow is how long the adapter keeps a session: the server's
// recovery window, 0 when recovery is off.
func recoveryWindow(nsp adapter.Namespace) time.Duration {
	if rw, ok := nsp.(adapter.RecoveryWindow); ok {
		if d, on := rw.MaxDisconnectionDuration(); on && d > 0 {
			return d
		}
	}
	return 0
}

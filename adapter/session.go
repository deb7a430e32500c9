package adapter

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosio/sio/room"
)

// Defaults of connection-state recovery.
const (
	// DefaultMaxDisconnectionDuration is how long a session and the
	// packets it may miss are kept, as in the reference (2 minutes).
	DefaultMaxDisconnectionDuration = 2 * time.Minute
	// DefaultMaxLogBytes bounds the packet log of one namespace (32 MiB).
	DefaultMaxLogBytes = 32 << 20
)

// RecoveryOptions configure the session store of [NewSessionAware].
type RecoveryOptions struct {
	// MaxDisconnectionDuration is how long a disconnected socket's session,
	// and every broadcast, is kept. Zero means 2 minutes.
	MaxDisconnectionDuration time.Duration
	// MaxLogBytes bounds the memory of the packet log, counted as each
	// packet's encoded size (its JSON text twice, once for the log and
	// once for the frame, plus its binary attachments) and ~100 bytes of
	// bookkeeping. Past it the oldest packets are dropped, and a client
	// whose last offset is older than what remains gets a new session:
	// never a partial replay. Zero means [DefaultMaxLogBytes].
	MaxLogBytes int
}

// OffsetLogger is implemented by an adapter that logs broadcasts for
// connection-state recovery and appends each one's offset as its last
// argument, as the reference's SessionAwareAdapter does. Such an adapter
// encodes the packets it logs itself, after the offset is known (through
// [OffsetPreparer] or [Namespace.Prepare]): the layer above leaves
// Packet.Encoded nil for a broadcast without the Volatile flag, so that
// the packet is still encoded once, and its Data may be reused once
// Broadcast returns.
type OffsetLogger interface {
	// LogsOffsets reports whether the adapter appends offsets.
	LogsOffsets() bool
}

// OffsetPreparer is implemented by a [Namespace] that encodes a packet
// with an offset appended to its arguments, in one pass: it sets p.Data
// to the JSON array with the offset and p.Encoded. The socketio package's
// namespaces implement it.
type OffsetPreparer interface {
	PrepareWithOffset(p *Packet, offset string)
}

// Restorer is implemented by an adapter that can restore a session and
// put its socket back in its rooms in one step with respect to
// broadcasts, so that every logged broadcast reaches the socket exactly
// once: among the returned packets, or through the member's Deliver.
type Restorer interface {
	// RestoreSessionAndJoin is [Adapter.RestoreSession]; when it finds the
	// session it calls newMember (without any lock of the caller's kind:
	// it must only build the member) and adds it to the session's rooms.
	RestoreSessionAndJoin(pid, offset string, newMember func(*Session) Member) (*Session, []*Packet, error)
}

// SessionAware is the in-memory adapter with connection-state recovery
// (the reference's SessionAwareAdapter): it keeps the sessions of
// disconnected sockets and a log of the broadcasts for
// MaxDisconnectionDuration, and bounds the log in bytes.
//
// A session is returned once: RestoreSession removes it, so a copied pid
// cannot give a second client the same socket. Broadcasts are logged
// whether or not a session is stored, since a socket still connected may
// disconnect before it receives them. A timer prunes what expired; it runs
// only while something is stored and is stopped by Close.
//
// Lock order: the store's lock comes before the room index's lock, so
// that logging a broadcast and choosing its recipients, or restoring a
// session and joining its rooms, are each one step. No Member or
// Namespace is called under the store's lock, except the room index's.
type SessionAware struct {
	*InMemory
	maxAge   time.Duration
	maxBytes int
	now      func() time.Time
	// prefix, random per adapter, starts every offset it gives out, so
	// that an offset from another adapter or another process never
	// matches.
	prefix string

	mu       sync.Mutex
	closed   bool
	sessions map[string]storedSession
	log      []logEntry // log[head:] are kept, oldest first
	head     int
	first    uint64 // the sequence number of log[head]
	next     uint64 // the sequence number of the next packet
	bytes    int
	timer    *time.Timer // armed while something is stored
	timerGen uint64      // tells a stale timer's run from the current one's
}

type storedSession struct {
	s  Session
	at time.Time // when it was persisted
}

type logEntry struct {
	p      *Packet
	rooms  []room.Room
	except []room.Room
	at     time.Time
	size   int
}

// logEntryOverhead approximates what a log entry costs beyond its bytes.
const logEntryOverhead = 96

// NewSessionAware returns a [Factory] of in-memory adapters with
// connection-state recovery configured by opts.
func NewSessionAware(opts RecoveryOptions) Factory {
	return func(nsp Namespace) Adapter { return newSessionAware(nsp, opts) }
}

func newSessionAware(nsp Namespace, opts RecoveryOptions) *SessionAware {
	if opts.MaxDisconnectionDuration <= 0 {
		opts.MaxDisconnectionDuration = DefaultMaxDisconnectionDuration
	}
	if opts.MaxLogBytes <= 0 {
		opts.MaxLogBytes = DefaultMaxLogBytes
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &SessionAware{
		InMemory: &InMemory{nsp: nsp},
		maxAge:   opts.MaxDisconnectionDuration,
		maxBytes: opts.MaxLogBytes,
		now:      time.Now,
		prefix:   base64.RawURLEncoding.EncodeToString(b[:]) + ".",
		sessions: make(map[string]storedSession),
	}
}

var (
	_ OffsetLogger = (*SessionAware)(nil)
	_ Restorer     = (*SessionAware)(nil)
)

// LogsOffsets implements [OffsetLogger].
func (a *SessionAware) LogsOffsets() bool { return true }

// Broadcast implements [Adapter]. A packet without the Volatile flag is
// given the next offset as its last argument (p.Data and p.Encoded are
// replaced), encoded once, logged and delivered; a volatile one is
// delivered only, as in the reference. The log keeps p, opts.Rooms and
// opts.Except: the caller must not change them afterwards (the socketio
// package's operators never change a slice they handed out).
func (a *SessionAware) Broadcast(p *Packet, opts BroadcastOptions) error {
	if opts.Flags.Volatile {
		if p.Encoded == nil {
			a.nsp.Prepare(p)
		}
		return a.InMemory.Broadcast(p, opts)
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		if p.Encoded == nil {
			a.nsp.Prepare(p)
		}
		return a.InMemory.Broadcast(p, opts)
	}
	seq := a.next
	a.next++
	lp := p // the log keeps it: Data and Encoded are replaced
	a.prepareWithOffset(lp, a.offset(seq))
	e := logEntry{p: lp, rooms: opts.Rooms, except: opts.Except, at: a.now()}
	e.size = 2*len(lp.Data) + logEntryOverhead
	for _, att := range lp.Attachments {
		e.size += len(att)
	}
	for _, r := range e.rooms {
		e.size += len(r)
	}
	for _, r := range e.except {
		e.size += len(r)
	}
	if a.head == len(a.log) {
		a.first = seq
	}
	a.log = append(a.log, e)
	a.bytes += e.size
	for a.bytes > a.maxBytes && a.head < len(a.log) {
		a.dropOldestLocked()
	}
	a.armLocked()
	// The recipients are chosen under the store's lock, so that a session
	// restored concurrently gets this packet either in its replay or
	// here, never both, never neither.
	bp := a.selected(opts)
	a.mu.Unlock()
	for _, m := range *bp {
		m.Deliver(lp, opts.Flags)
	}
	putMembers(bp)
	return nil
}

// prepareWithOffset encodes p with offset as its last argument.
func (a *SessionAware) prepareWithOffset(p *Packet, offset string) {
	if op, ok := a.nsp.(OffsetPreparer); ok {
		op.PrepareWithOffset(p, offset)
		return
	}
	p.Data = AppendOffset(p.Data, offset)
	p.Encoded = nil
	a.nsp.Prepare(p)
}

// AppendOffset returns the JSON array data with the string offset added
// as its last element, in a new slice. offset must need no escaping.
func AppendOffset(data []byte, offset string) []byte {
	out := make([]byte, 0, len(data)+len(offset)+3)
	if len(data) < 2 || data[len(data)-1] != ']' {
		data = []byte("[]")
	}
	out = append(out, data[:len(data)-1]...)
	if len(data) > 2 {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, offset...)
	return append(out, '"', ']')
}

func cloneRooms(rs []room.Room) []room.Room {
	if len(rs) == 0 {
		return nil
	}
	return append([]room.Room(nil), rs...)
}

// offset is the offset of the packet with sequence number seq.
func (a *SessionAware) offset(seq uint64) string {
	var b [32]byte
	return string(strconv.AppendUint(append(b[:0], a.prefix...), seq, 36))
}

// parseOffset returns the sequence number of an offset this adapter gave
// out, in its canonical form only.
func (a *SessionAware) parseOffset(offset string) (uint64, bool) {
	rest, ok := strings.CutPrefix(offset, a.prefix)
	if !ok || rest == "" || len(rest) > 13 {
		return 0, false
	}
	seq, err := strconv.ParseUint(rest, 36, 64)
	if err != nil || strconv.FormatUint(seq, 36) != rest {
		return 0, false
	}
	return seq, true
}

// dropOldestLocked forgets the oldest logged packet.
func (a *SessionAware) dropOldestLocked() {
	a.bytes -= a.log[a.head].size
	a.log[a.head] = logEntry{}
	a.head++
	a.first++
	if a.head == len(a.log) {
		a.log, a.head = a.log[:0], 0
	} else if a.head > 64 && a.head > len(a.log)/2 {
		n := copy(a.log, a.log[a.head:])
		clear(a.log[n:])
		a.log, a.head = a.log[:n], 0
	}
}

// PersistSession implements [Adapter]: s is kept for
// MaxDisconnectionDuration.
func (a *SessionAware) PersistSession(s *Session) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrClosed
	}
	c := *s
	c.Rooms = cloneRooms(s.Rooms)
	a.sessions[s.PID] = storedSession{s: c, at: a.now()}
	a.armLocked()
	return nil
}

// RestoreSession implements [Adapter]. It returns nil, nil, nil when
// there is nothing to restore: pid unknown or expired, or offset not given
// out by this adapter or older than the log (the packets after it are no
// longer all kept).
func (a *SessionAware) RestoreSession(pid, offset string) (*Session, []*Packet, error) {
	return a.RestoreSessionAndJoin(pid, offset, nil)
}

// RestoreSessionAndJoin implements [Restorer].
func (a *SessionAware) RestoreSessionAndJoin(pid, offset string, newMember func(*Session) Member) (*Session, []*Packet, error) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, nil, ErrClosed
	}
	st, ok := a.sessions[pid]
	if !ok {
		a.mu.Unlock()
		return nil, nil, nil
	}
	delete(a.sessions, pid) // once only, whatever follows
	now := a.now()
	seq, valid := a.parseOffset(offset)
	if now.Sub(st.at) > a.maxAge || !valid || seq >= a.next || seq+1 < a.first {
		a.disarmIfEmptyLocked()
		a.mu.Unlock()
		return nil, nil, nil
	}
	s := st.s
	in := make(map[room.Room]struct{}, len(s.Rooms))
	for _, r := range s.Rooms {
		in[r] = struct{}{}
	}
	var missed []*Packet
	for _, e := range a.log[a.head+int(seq+1-a.first):] {
		if includes(in, e) {
			missed = append(missed, e.p)
		}
	}
	var changes []room.Change
	if newMember != nil {
		changes = a.index.Add(s.SID, newMember(&s), s.Rooms...)
	}
	a.disarmIfEmptyLocked()
	a.mu.Unlock()
	a.emit(s.SID, changes)
	return &s, missed, nil
}

// includes reports whether a socket in the rooms of set was a recipient
// of e: in one of its rooms (or it had none) and in none of its except.
func includes(set map[room.Room]struct{}, e logEntry) bool {
	for _, r := range e.except {
		if _, ok := set[r]; ok {
			return false
		}
	}
	if len(e.rooms) == 0 {
		return true
	}
	for _, r := range e.rooms {
		if _, ok := set[r]; ok {
			return true
		}
	}
	return false
}

// pruneInterval is how often the timer runs while something is stored:
// a quarter of the recovery window, so that nothing outstays it by more.
func (a *SessionAware) pruneInterval() time.Duration {
	return max(a.maxAge/4, time.Millisecond)
}

// armLocked starts the prune timer if it is not running.
func (a *SessionAware) armLocked() {
	if a.timer == nil && !a.closed {
		a.timerGen++
		gen := a.timerGen
		a.timer = time.AfterFunc(a.pruneInterval(), func() { a.onTimer(gen) })
	}
}

// disarmIfEmptyLocked stops the timer once nothing is stored.
func (a *SessionAware) disarmIfEmptyLocked() {
	if a.timer != nil && len(a.sessions) == 0 && a.head == len(a.log) {
		a.timer.Stop()
		a.timer = nil
	}
}

func (a *SessionAware) onTimer(gen uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed || gen != a.timerGen || a.timer == nil {
		return // stopped, or replaced, after it fired
	}
	a.timer = nil
	a.pruneLocked(a.now())
	if len(a.sessions) > 0 || a.head < len(a.log) {
		a.armLocked()
	}
}

// pruneLocked forgets the sessions and packets older than the window.
func (a *SessionAware) pruneLocked(now time.Time) {
	for pid, st := range a.sessions {
		if now.Sub(st.at) > a.maxAge {
			delete(a.sessions, pid)
		}
	}
	for a.head < len(a.log) && now.Sub(a.log[a.head].at) > a.maxAge {
		a.dropOldestLocked()
	}
}

// SessionStats is what a [SessionAware] adapter holds.
type SessionStats struct {
	Sessions int // stored sessions
	Packets  int // logged packets
	Bytes    int // the log's size, as MaxLogBytes counts it
}

// Stats returns what the adapter holds now.
func (a *SessionAware) Stats() SessionStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return SessionStats{Sessions: len(a.sessions), Packets: len(a.log) - a.head, Bytes: a.bytes}
}

// Close implements [Adapter]: it forgets every session and packet and
// stops the timer.
func (a *SessionAware) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	a.sessions = nil
	a.log, a.head, a.bytes = nil, 0, 0
	return nil
}

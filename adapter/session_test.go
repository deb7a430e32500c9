package adapter

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/room"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable time source for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newStore(t *testing.T, opts RecoveryOptions) (*SessionAware, *clock) {
	t.Helper()
	clk := &clock{t: time.Unix(1_000_000, 0)}
	a := newSessionAware(&fakeNsp{}, opts)
	a.now = clk.now
	t.Cleanup(func() { _ = a.Close() })
	return a, clk
}

// emit broadcasts the event name to opts and returns the offset the
// adapter appended, the last element of the logged JSON array.
func emit(t *testing.T, a *SessionAware, name string, opts BroadcastOptions) string {
	t.Helper()
	m := &fakeMember{id: "probe"}
	a.AddAll("probe", m, "probe-room")
	defer a.DelAll("probe")
	o := opts
	if len(o.Rooms) > 0 {
		o.Rooms = append(append([]room.Room(nil), opts.Rooms...), "probe-room")
	}
	require.NoError(t, a.Broadcast(&Packet{Namespace: "/", Data: []byte(`["` + name + `"]`)}, o))
	require.Len(t, m.got, 1)
	return lastString(t, m.got[0].Data)
}

func lastString(t *testing.T, data []byte) string {
	t.Helper()
	var arr []any
	require.NoError(t, json.Unmarshal(data, &arr))
	s, ok := arr[len(arr)-1].(string)
	require.True(t, ok, "%s", data)
	return s
}

func names(t *testing.T, ps []*Packet) []string {
	var out []string
	for _, p := range ps {
		var arr []any
		require.NoError(t, json.Unmarshal(p.Data, &arr))
		out = append(out, arr[0].(string))
	}
	return out
}

func (a *SessionAware) armed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.timer != nil
}

func (a *SessionAware) logLen() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.log) - a.head
}

// The reference's rule: a stored session gets back the packets sent after
// its offset to one of its rooms, except those excluding one of them, in
// order; its rooms and data come back.
func TestSessionAwareReplaysWhatTheSessionMissed(t *testing.T) {
	a, _ := newStore(t, RecoveryOptions{})
	off := emit(t, a, "seen", BroadcastOptions{})
	require.NoError(t, a.PersistSession(&Session{SID: "s1", PID: "p1", Rooms: []room.Room{"s1", "r1"}, Data: "data"}))
	emit(t, a, "all", BroadcastOptions{})
	emit(t, a, "r1", BroadcastOptions{Rooms: []room.Room{"r1"}})
	emit(t, a, "r2", BroadcastOptions{Rooms: []room.Room{"r2"}})
	emit(t, a, "not-r1", BroadcastOptions{Except: []room.Room{"r1"}})
	emit(t, a, "to-s1", BroadcastOptions{Rooms: []room.Room{"s1"}})
	emit(t, a, "r2-or-r1-not-x", BroadcastOptions{Rooms: []room.Room{"r2", "r1"}, Except: []room.Room{"x"}})
	require.NoError(t, a.Broadcast(&Packet{Data: []byte(`["volatile"]`)}, BroadcastOptions{Flags: Flags{Volatile: true}}))

	m := &fakeMember{id: "s1"}
	s, missed, err := a.RestoreSessionAndJoin("p1", off, func(s *Session) Member { return m })
	require.NoError(t, err)
	require.NotNil(t, s)
	assert.Equal(t, room.SocketID("s1"), s.SID)
	assert.Equal(t, "data", s.Data)
	assert.Equal(t, []string{"all", "r1", "to-s1", "r2-or-r1-not-x"}, names(t, missed))
	assert.ElementsMatch(t, []room.Room{"s1", "r1"}, a.SocketRooms("s1"))

	// Once only: the pid is spent.
	s, _, err = a.RestoreSession("p1", off)
	require.NoError(t, err)
	assert.Nil(t, s)
}

// The offset is the last argument, after binary placeholders too, and a
// volatile broadcast carries none.
func TestSessionAwareAppendsTheOffsetLast(t *testing.T) {
	assert.Equal(t, `["a","o"]`, string(AppendOffset([]byte(`["a"]`), "o")))
	assert.Equal(t, `["o"]`, string(AppendOffset([]byte(`[]`), "o")))
	assert.Equal(t, `["a",{"_placeholder":true,"num":0},"o"]`,
		string(AppendOffset([]byte(`["a",{"_placeholder":true,"num":0}]`), "o")))

	a, _ := newStore(t, RecoveryOptions{})
	m := &fakeMember{id: "m"}
	a.AddAll("m", m, "m")
	require.NoError(t, a.Broadcast(&Packet{Data: []byte(`["v"]`)}, BroadcastOptions{Flags: Flags{Volatile: true}}))
	require.NoError(t, a.Broadcast(&Packet{Data: []byte(`["e",1]`)}, BroadcastOptions{}))
	require.Len(t, m.got, 2)
	assert.Equal(t, `["v"]`, string(m.got[0].Data))
	assert.Regexp(t, `^\["e",1,"[A-Za-z0-9_-]{8}\.0"\]$`, string(m.got[1].Data))
	assert.Equal(t, 1, a.logLen())
}

func TestSessionAwareExpiry(t *testing.T) {
	a, clk := newStore(t, RecoveryOptions{MaxDisconnectionDuration: time.Hour})
	off := emit(t, a, "x", BroadcastOptions{})
	require.NoError(t, a.PersistSession(&Session{SID: "s", PID: "p"}))
	require.NoError(t, a.PersistSession(&Session{SID: "t", PID: "q"}))
	clk.add(59 * time.Minute)
	s, _, err := a.RestoreSession("q", off)
	require.NoError(t, err)
	assert.NotNil(t, s, "within the window")
	clk.add(2 * time.Minute)
	s, _, err = a.RestoreSession("p", off)
	require.NoError(t, err)
	assert.Nil(t, s, "expired")
}

// The prune timer runs only while something is stored: it starts with the
// first session or packet, forgets what expired when it fires, and stops
// once nothing is left; a restore that empties the store stops it too.
func TestSessionAwarePruneTimerIsIdleWhenEmpty(t *testing.T) {
	a, clk := newStore(t, RecoveryOptions{MaxDisconnectionDuration: time.Hour})
	assert.False(t, a.armed(), "nothing stored")
	require.NoError(t, a.PersistSession(&Session{SID: "s", PID: "p"}))
	assert.True(t, a.armed())
	s, _, _ := a.RestoreSession("p", "bad")
	assert.Nil(t, s)
	assert.False(t, a.armed(), "the only session is gone")

	emit(t, a, "x", BroadcastOptions{})
	require.NoError(t, a.PersistSession(&Session{SID: "s", PID: "p"}))
	assert.True(t, a.armed())
	clk.add(30 * time.Minute)
	a.fire()
	assert.True(t, a.armed(), "not yet expired: armed again")
	assert.Equal(t, 1, a.logLen())
	clk.add(31 * time.Minute)
	a.fire()
	assert.False(t, a.armed(), "everything expired: stopped")
	assert.Equal(t, 0, a.logLen())

	// A real timer: a short window empties the store by itself.
	b, _ := newStore(t, RecoveryOptions{MaxDisconnectionDuration: 20 * time.Millisecond})
	b.now = time.Now
	emit(t, b, "x", BroadcastOptions{})
	require.NoError(t, b.PersistSession(&Session{SID: "s", PID: "p"}))
	testkit.Eventually(t, "the store to empty and its timer to stop", func() bool {
		return !b.armed() && b.logLen() == 0
	})
}

// fire runs the prune timer's work as if it had fired now.
func (a *SessionAware) fire() {
	a.mu.Lock()
	gen := a.timerGen
	a.mu.Unlock()
	a.onTimer(gen)
}

// Past MaxLogBytes the oldest packets go; a session whose offset is older
// than what is left gets nothing (a new session), never a partial replay;
// one whose offset is still covered gets everything.
func TestSessionAwareByteBoundGivesAFreshSession(t *testing.T) {
	a, _ := newStore(t, RecoveryOptions{MaxLogBytes: 10 * (logEntryOverhead + 40)})
	old := emit(t, a, "old", BroadcastOptions{})
	require.NoError(t, a.PersistSession(&Session{SID: "s", PID: "old"}))
	var recent string
	for i := range 30 {
		off := emit(t, a, fmt.Sprint("p", i), BroadcastOptions{})
		if i == 25 {
			recent = off
		}
	}
	assert.LessOrEqual(t, a.logLen(), 10)
	s, missed, err := a.RestoreSession("old", old)
	require.NoError(t, err)
	assert.Nil(t, s)
	assert.Nil(t, missed)

	require.NoError(t, a.PersistSession(&Session{SID: "s", PID: "new"}))
	s, missed, err = a.RestoreSession("new", recent)
	require.NoError(t, err)
	require.NotNil(t, s)
	assert.Equal(t, []string{"p26", "p27", "p28", "p29"}, names(t, missed))
}

// A forged, foreign or malformed pid or offset restores nothing and is
// not an error; a session whose offset does not match is spent.
func TestSessionAwareBadInput(t *testing.T) {
	a, _ := newStore(t, RecoveryOptions{})
	other, _ := newStore(t, RecoveryOptions{})
	off := emit(t, a, "x", BroadcastOptions{})
	foreign := emit(t, other, "x", BroadcastOptions{})
	last := emit(t, a, "y", BroadcastOptions{})
	prefix := off[:len(off)-1]
	for _, tt := range []struct{ name, pid, offset string }{
		{"unknown pid", "nope", off},
		{"empty pid", "", off},
		{"offset of another adapter", "p", foreign},
		{"offset never given out", "p", prefix + "z"},
		{"offset not canonical", "p", prefix + "00"},
		{"offset upper case", "p", prefix + "A"},
		{"offset with sign", "p", prefix + "+0"},
		{"offset too long", "p", prefix + "1zzzzzzzzzzzzzzzzzz"},
		{"offset prefix only", "p", prefix},
		{"empty offset", "p", ""},
		{"garbage", "p", "\x00\xff"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, a.PersistSession(&Session{SID: "s", PID: "p"}))
			s, missed, err := a.RestoreSession(tt.pid, tt.offset)
			assert.NoError(t, err)
			assert.Nil(t, s)
			assert.Nil(t, missed)
		})
	}
	require.NoError(t, a.PersistSession(&Session{SID: "s", PID: "p"}))
	s, missed, err := a.RestoreSession("p", last)
	require.NoError(t, err)
	require.NotNil(t, s, "the last offset: nothing missed")
	assert.Empty(t, missed)
}

// A restore that joins the rooms races broadcasts: each logged broadcast
// reaches the restored member exactly once, replayed or delivered, in
// order.
func TestSessionAwareRestoreAndJoinIsExactlyOnce(t *testing.T) {
	a, _ := newStore(t, RecoveryOptions{})
	off := emit(t, a, "start", BroadcastOptions{})
	const sessions, n = 200, 1500
	for i := range sessions {
		id := room.SocketID(fmt.Sprint("s", i))
		require.NoError(t, a.PersistSession(&Session{SID: id, PID: fmt.Sprint("p", i), Rooms: []room.Room{room.Room(id), "r"}}))
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			_ = a.Broadcast(&Packet{Data: []byte(fmt.Sprintf(`["%d"]`, i))}, BroadcastOptions{Rooms: []room.Room{"r"}})
		}
	}()
	members := make([]*fakeMember, sessions)
	replays := make([][]*Packet, sessions)
	for i := range sessions {
		members[i] = &fakeMember{id: room.SocketID(fmt.Sprint("s", i))}
		s, missed, err := a.RestoreSessionAndJoin(fmt.Sprint("p", i), off, func(*Session) Member { return members[i] })
		require.NoError(t, err)
		require.NotNil(t, s)
		replays[i] = missed
	}
	wg.Wait()
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprint(i)
	}
	for i, m := range members {
		m.mu.Lock()
		got := append(names(t, replays[i]), names(t, m.got)...)
		m.mu.Unlock()
		require.Equal(t, want, got, "session %d", i)
	}
}

func TestSessionAwareClose(t *testing.T) {
	a, _ := newStore(t, RecoveryOptions{})
	emit(t, a, "x", BroadcastOptions{})
	require.NoError(t, a.PersistSession(&Session{SID: "s", PID: "p"}))
	require.NoError(t, a.Close())
	assert.False(t, a.armed())
	assert.ErrorIs(t, a.PersistSession(&Session{SID: "s", PID: "p"}), ErrClosed)
	_, _, err := a.RestoreSession("p", "x")
	assert.ErrorIs(t, err, ErrClosed)
	// Broadcasts still reach the sockets, unlogged.
	m := &fakeMember{id: "m"}
	a.AddAll("m", m, "m")
	require.NoError(t, a.Broadcast(&Packet{Data: []byte(`["e"]`)}, BroadcastOptions{}))
	assert.Len(t, m.got, 1)
	assert.False(t, a.armed())
}

package room

import (
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func ids(x *Index[int], rooms, except []Room) []string {
	var out []string
	x.ForEach(rooms, except, func(id SocketID, _ int) bool {
		out = append(out, string(id))
		return true
	})
	sort.Strings(out)
	return out
}

func TestIndexResolvesRoomsExceptAndUnion(t *testing.T) {
	var x Index[int]
	x.Add("a", 1, "a", "r1", "r2")
	x.Add("b", 2, "b", "r2", "vip")
	x.Add("c", 3, "c", "r3")
	tests := []struct {
		name          string
		rooms, except []Room
		want          []string
	}{
		{"everyone", nil, nil, []string{"a", "b", "c"}},
		{"one room", []Room{"r2"}, nil, []string{"a", "b"}},
		{"union without duplicates", []Room{"r1", "r2", "r3"}, nil, []string{"a", "b", "c"}},
		{"except a room", []Room{"r2"}, []Room{"vip"}, []string{"a"}},
		{"everyone except one socket", nil, []Room{"b"}, []string{"a", "c"}},
		{"unknown room", []Room{"nope"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ids(&x, tt.rooms, tt.except))
		})
	}
}

func TestIndexReportsChanges(t *testing.T) {
	var x Index[int]
	assert.Equal(t, []Change{{Created, "a"}, {Joined, "a"}, {Created, "r"}, {Joined, "r"}}, x.Add("a", 1, "a", "r"))
	assert.Equal(t, []Change{{Joined, "r"}}, x.Add("b", 2, "r"))
	assert.Empty(t, x.Add("b", 2, "r"), "joining twice changes nothing")
	assert.Equal(t, []Change{{Left, "r"}}, x.Remove("a", "r"))
	assert.Empty(t, x.Remove("a", "r"), "leaving twice changes nothing")
	assert.Equal(t, []Change{{Left, "r"}, {Deleted, "r"}}, x.RemoveAll("b"))
	assert.Equal(t, []Room{"a"}, x.Rooms("a"))
	assert.True(t, x.Has("a", "a"))
	assert.False(t, x.Has("b", "r"))
	assert.Equal(t, 1, x.Len())
	assert.ElementsMatch(t, []Room{"a"}, x.AllRooms())
}

func TestIndexIsSafeForConcurrentUse(t *testing.T) {
	var x Index[int]
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				id := SocketID(fmt.Sprintf("%d-%d", i, j))
				x.Add(id, j, Room(id), "shared")
				x.ForEach([]Room{"shared"}, nil, func(SocketID, int) bool { return true })
				x.RemoveAll(id)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, x.Len())
	assert.Empty(t, x.AllRooms())
}

func BenchmarkForEachRoom(b *testing.B) {
	var x Index[int]
	for i := range 1000 {
		id := SocketID(fmt.Sprint(i))
		x.Add(id, i, Room(id), "all")
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		x.ForEach([]Room{"all"}, nil, func(SocketID, int) bool { n++; return true })
	}
}

func TestIndexRoomGrowsFromOneMemberAndShrinks(t *testing.T) {
	var x Index[int]
	assert.Equal(t, []Change{{Created, "r"}, {Joined, "r"}}, x.Add("a", 1, "r"))
	assert.Equal(t, []string{"a"}, ids(&x, []Room{"r"}, nil))
	assert.Equal(t, []Change{{Joined, "r"}}, x.Add("b", 2, "r"))
	assert.Equal(t, []Change{{Joined, "r"}}, x.Add("c", 3, "r"))
	assert.Equal(t, []string{"a", "b", "c"}, ids(&x, []Room{"r"}, nil))
	var got []int
	x.ForEach([]Room{"r"}, nil, func(_ SocketID, m int) bool { got = append(got, m); return true })
	assert.ElementsMatch(t, []int{1, 2, 3}, got, "every member keeps its value")
	assert.Equal(t, []Change{{Left, "r"}}, x.Remove("a", "r"))
	assert.Equal(t, []Change{{Left, "r"}}, x.RemoveAll("b"))
	assert.Equal(t, []string{"c"}, ids(&x, []Room{"r"}, nil))
	assert.Equal(t, []Change{{Left, "r"}, {Deleted, "r"}}, x.Remove("c", "r"))
	assert.Empty(t, x.AllRooms())
	// A room that lost its map can start again with one member.
	assert.Equal(t, []Change{{Created, "r"}, {Joined, "r"}}, x.Add("a", 1, "r"))
	assert.Equal(t, []string{"a"}, ids(&x, []Room{"r"}, []Room{"nope"}))
	assert.Empty(t, ids(&x, []Room{"r"}, []Room{"r"}))
}

func TestIndexSocketInManyRooms(t *testing.T) {
	var x Index[int]
	var rooms []Room
	for i := range 3 * maxRoomList {
		rooms = append(rooms, Room(fmt.Sprint("r", i)))
	}
	x.Add("a", 1, rooms[:maxRoomList-1]...)
	x.Add("a", 1, rooms...) // crosses from the slice to the map
	x.Add("b", 2, rooms[0], rooms[2*maxRoomList])
	assert.ElementsMatch(t, rooms, x.Rooms("a"))
	for _, r := range rooms {
		assert.True(t, x.Has("a", r), r)
	}
	assert.Equal(t, []Change{{Left, "r0"}}, x.Remove("a", "r0"))
	assert.False(t, x.Has("a", "r0"))
	assert.Len(t, x.Rooms("a"), len(rooms)-1)
	assert.Equal(t, []string{"b"}, ids(&x, []Room{"r0"}, []Room{"r1"}))
	assert.Equal(t, []string{"a", "b"}, ids(&x, []Room{"r0", "r1", "r4"}, nil))
	changes := x.RemoveAll("a")
	assert.Len(t, changes, 2*(len(rooms)-1)-1, "left each room, deleted all but the one shared with b")
	assert.ElementsMatch(t, []Room{rooms[0], rooms[2*maxRoomList]}, x.AllRooms())

	// A short list: removal keeps the others and their order.
	x.Add("c", 3, "c", "x", "y", "z")
	x.Remove("c", "x")
	assert.Equal(t, []Room{"c", "y", "z"}, x.Rooms("c"))
}

package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientFrame encodes a frame as a client sends it: masked with key.
func clientFrame(fin bool, op byte, payload []byte, key uint32) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	f = binary.LittleEndian.AppendUint32(f, key)
	start := len(f)
	f = append(f, payload...)
	unmask(f[start:], f[start:], key)
	return f
}

type gotFrame struct {
	op   byte
	data string
}

// collect feeds stream to a new reader in pieces of size step and returns
// what it parsed and the first error.
func collect(t *testing.T, max int64, stream []byte, step int) ([]gotFrame, error) {
	t.Helper()
	r := frameReader{max: max}
	var got []gotFrame
	sink := func(op byte, data []byte) bool {
		got = append(got, gotFrame{op, string(data)})
		return true
	}
	for len(stream) > 0 {
		n := min(step, len(stream))
		if err := r.feed(stream[:n], sink); err != nil {
			return got, err
		}
		stream = stream[n:]
	}
	assert.Nil(t, r.carry, "nothing is kept between complete frames")
	return got, nil
}

func TestFrameReaderParsesInAnyPieces(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 70000)
	mid := bytes.Repeat([]byte("y"), 300)
	var stream []byte
	stream = append(stream, clientFrame(true, opText, []byte("4hello"), 0x01020304)...)
	stream = append(stream, clientFrame(true, opBinary, []byte{0, 1, 2, 255}, 0xdeadbeef)...)
	stream = append(stream, clientFrame(false, opText, []byte("4fr"), 7)...)
	stream = append(stream, clientFrame(true, opPing, []byte("pi"), 9)...) // between fragments
	stream = append(stream, clientFrame(false, opContinuation, []byte("ag"), 8)...)
	stream = append(stream, clientFrame(true, opContinuation, []byte("ments"), 6)...)
	stream = append(stream, clientFrame(true, opText, mid, 0x55aa55aa)...)
	stream = append(stream, clientFrame(true, opText, long, 0x12345678)...)
	stream = append(stream, clientFrame(true, opPong, nil, 1)...)
	stream = append(stream, clientFrame(true, opText, nil, 2)...)
	want := []gotFrame{
		{opText, "4hello"}, {opBinary, "\x00\x01\x02\xff"}, {opPing, "pi"},
		{opText, "4fragments"}, {opText, string(mid)}, {opText, string(long)}, {opPong, ""}, {opText, ""},
	}
	for _, step := range []int{1, 2, 3, 7, 64, 1000, 16 << 10, len(stream)} {
		got, err := collect(t, 1e6, stream, step)
		require.NoError(t, err, "step %d", step)
		require.Equal(t, want, got, "step %d", step)
	}
}

func TestFrameReaderRefusesBadFrames(t *testing.T) {
	unmasked := clientFrame(true, opText, []byte("4x"), 0)
	unmasked[1] &^= 0x80
	rsv := clientFrame(true, opText, []byte("4x"), 1)
	rsv[0] |= 0x40
	huge := []byte{0x81, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0}
	for name, tc := range map[string]struct {
		stream []byte
		want   error
	}{
		"unmasked":                   {unmasked, errWSProtocol},
		"reserved bit":               {rsv, errWSProtocol},
		"unknown opcode":             {clientFrame(true, 3, nil, 1), errWSProtocol},
		"continuation first":         {clientFrame(true, opContinuation, []byte("x"), 1), errWSProtocol},
		"text inside fragments":      {append(clientFrame(false, opText, []byte("4"), 1), clientFrame(true, opText, []byte("4"), 1)...), errWSProtocol},
		"fragmented ping":            {clientFrame(false, opPing, nil, 1), errWSProtocol},
		"long ping":                  {clientFrame(true, opPing, make([]byte, 126), 1), errWSProtocol},
		"length with top bit":        {huge, errWSProtocol},
		"too large, header only":     {clientFrame(true, opText, make([]byte, 101), 1)[:4], errTooLarge},
		"too large in fragments":     {append(clientFrame(false, opText, make([]byte, 60), 1), clientFrame(true, opContinuation, make([]byte, 41), 1)...), errTooLarge},
		"close with one byte":        {clientFrame(true, opClose, []byte{3}, 1), errWSProtocol},
		"close with reserved code":   {clientFrame(true, opClose, []byte{0x03, 0xed}, 1), errWSProtocol}, // 1005
		"close with invalid utf8":    {clientFrame(true, opClose, []byte{0x03, 0xe8, 0xff}, 1), errWSProtocol},
		"close, then nothing parsed": {append(clientFrame(true, opClose, []byte{0x03, 0xe8}, 1), clientFrame(true, opText, []byte("4x"), 1)...), &wsCloseError{Code: 1000}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := collect(t, 100, tc.stream, len(tc.stream))
			var ce *wsCloseError
			if errors.As(tc.want, &ce) {
				assert.Equal(t, tc.want, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
			assert.Empty(t, got)
		})
	}
}

func TestFrameReaderCloseFrames(t *testing.T) {
	_, err := collect(t, 100, clientFrame(true, opClose, nil, 1), 100)
	assert.Equal(t, &wsCloseError{Code: closeNoStatus}, err)
	_, err = collect(t, 100, clientFrame(true, opClose, []byte("\x0f\xa0bye"), 1), 100)
	assert.Equal(t, &wsCloseError{Code: 4000, Text: "bye"}, err)
}

// A sink that stops keeps the rest of the bytes for a later feed(nil).
func TestFrameReaderStopKeepsTheRest(t *testing.T) {
	stream := append(clientFrame(true, opText, []byte("45"), 1), clientFrame(true, opText, []byte("4a"), 2)...)
	stream = append(stream, clientFrame(true, opText, []byte("4bc"), 3)[:3]...)
	r := frameReader{max: 100}
	var got []string
	err := r.feed(stream, func(_ byte, d []byte) bool { got = append(got, string(d)); return false })
	require.ErrorIs(t, err, errStopped)
	require.NoError(t, r.feed(nil, func(_ byte, d []byte) bool { got = append(got, string(d)); return true }))
	require.NoError(t, r.feed(clientFrame(true, opText, []byte("4bc"), 3)[3:], func(_ byte, d []byte) bool { got = append(got, string(d)); return true }))
	assert.Equal(t, []string{"45", "4a", "4bc"}, got)
	assert.Nil(t, r.carry)
}

// Messages belong to the sink: the reader does not reuse their memory.
func TestFrameReaderMessagesAreNotReused(t *testing.T) {
	r := frameReader{max: 100}
	var kept [][]byte
	buf := clientFrame(true, opText, []byte("4one"), 5)
	require.NoError(t, r.feed(buf, func(_ byte, d []byte) bool { kept = append(kept, d); return true }))
	copy(buf, clientFrame(true, opText, []byte("4two"), 6))
	require.NoError(t, r.feed(buf, func(_ byte, d []byte) bool { kept = append(kept, d); return true }))
	assert.Equal(t, "4one", string(kept[0]))
	assert.Equal(t, "4two", string(kept[1]))
}

func FuzzFrameReader(f *testing.F) {
	f.Add(clientFrame(true, opText, []byte("4hello"), 1), uint8(3))
	f.Add(append(clientFrame(false, opBinary, []byte{1, 2}, 2), clientFrame(true, opContinuation, []byte{3}, 3)...), uint8(1))
	f.Add(clientFrame(true, opClose, []byte{3, 232, 'x'}, 4), uint8(2))
	f.Fuzz(func(t *testing.T, stream []byte, step uint8) {
		r := frameReader{max: 1000}
		total := 0
		sink := func(op byte, data []byte) bool {
			total += len(data)
			if op != opText && op != opBinary && op != opPing && op != opPong {
				t.Fatalf("sink got opcode %d", op)
			}
			return true
		}
		s := int(step%64) + 1
		for len(stream) > 0 {
			n := min(s, len(stream))
			if err := r.feed(stream[:n], sink); err != nil {
				return
			}
			stream = stream[n:]
		}
		if int64(len(r.carry)) > r.max+14 || int64(len(r.msg)) > r.max {
			t.Fatalf("kept %d + %d bytes, max %d", len(r.carry), len(r.msg), r.max)
		}
	})
}

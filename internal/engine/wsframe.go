package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Websocket close codes the reader uses (RFC 6455 section 7.4.1).
const (
	closeNormal         = 1000
	closeGoingAway      = 1001
	closeProtocolError  = 1002
	closeUnsupported    = 1003
	closeNoStatus       = 1005
	closeInvalidPayload = 1007
	closeTooBig         = 1009
)

// Opcodes the reader handles besides those in packet.go.
const (
	opContinuation = 0
	opPing         = 9
)

// errWSProtocol is the description of a close caused by a frame that breaks
// the websocket protocol.
var errWSProtocol = errors.New("engine: websocket protocol error")

// A wsCloseError is the close frame a client sent.
type wsCloseError struct {
	Code int    // the close code, closeNoStatus when the frame had none
	Text string // the reason the client gave
}

func (e *wsCloseError) Error() string {
	return fmt.Sprintf("engine: websocket closed by the client: %d %s", e.Code, e.Text)
}

// frameReader parses the frames a client sends over a websocket, as bytes
// arrive in pieces of any size: it keeps what it needs of an incomplete
// frame between two calls to feed, and nothing otherwise. It has no
// buffer of its own while the connection is idle.
type frameReader struct {
	max   int64  // the largest message accepted, in bytes
	carry []byte // the start of an incomplete frame
	msg   []byte // the fragments received of a fragmented message
	msgOp byte   // the opcode of the message in msg; 0 when none
}

// A frameSink receives what feed parsed: each complete text or binary
// message (data belongs to the sink), and each ping and pong (data is only
// valid during the call). It returns false to make feed stop.
type frameSink func(op byte, data []byte) bool

// feed parses b after what is left of earlier calls, handing each complete
// message and control frame to sink in order. It returns errTooLarge for a
// message larger than max (before reading it whole), a *wsCloseError for
// the client's close frame, and errWSProtocol for a malformed frame. When
// sink returns false, feed returns errStopped and keeps the bytes it has
// not parsed: feed(nil, sink) goes on from there. b is not retained.
func (r *frameReader) feed(b []byte, sink frameSink) error {
	data := b
	if len(r.carry) > 0 {
		r.carry = append(r.carry, b...)
		data = r.carry
	}
	var err error
	for len(data) > 0 {
		var n int
		n, err = r.frame(data, sink)
		if err != nil {
			r.carry = nil
			return err
		}
		if n == 0 {
			break // incomplete
		}
		if n < 0 { // the sink asked to stop: keep the rest for later
			data = data[-n:]
			err = errStopped
			break
		}
		data = data[n:]
	}
	// Keep the unparsed rest, if any, at the start of carry.
	switch {
	case len(data) == 0:
		r.carry = nil
	case len(r.carry) > 0:
		r.carry = r.carry[:copy(r.carry, data)]
	default:
		r.carry = append([]byte(nil), data...)
	}
	return err
}

// errStopped is what feed returns when its sink asked it to stop.
var errStopped = errors.New("engine: reading stopped")

// frame parses the frame at the start of data. It returns the frame's
// length once handled, 0 if data does not hold all of it yet, or minus the
// length if the sink asked to stop.
func (r *frameReader) frame(data []byte, sink frameSink) (int, error) {
	if len(data) < 2 {
		return 0, nil
	}
	b0, b1 := data[0], data[1]
	fin := b0&0x80 != 0
	op := b0 & 0x0f
	if b0&0x70 != 0 || b1&0x80 == 0 {
		return 0, errWSProtocol // reserved bits without an extension, or unmasked
	}
	hdr := 6
	length := uint64(b1 & 0x7f)
	switch length {
	case 126:
		hdr = 8
		if len(data) < 4 {
			return 0, nil
		}
		length = uint64(binary.BigEndian.Uint16(data[2:]))
	case 127:
		hdr = 14
		if len(data) < 10 {
			return 0, nil
		}
		length = binary.BigEndian.Uint64(data[2:])
		if length>>63 != 0 {
			return 0, errWSProtocol
		}
	}
	switch op {
	case opContinuation:
		if r.msgOp == 0 {
			return 0, errWSProtocol
		}
	case opText, opBinary:
		if r.msgOp != 0 {
			return 0, errWSProtocol
		}
	case opClose, opPing, opPong:
		if !fin || length > 125 {
			return 0, errWSProtocol
		}
	default:
		return 0, errWSProtocol
	}
	if op < opClose && uint64(len(r.msg))+length > uint64(r.max) {
		return 0, errTooLarge
	}
	total := hdr + int(length)
	if len(data) < total {
		return 0, nil
	}
	key := binary.LittleEndian.Uint32(data[hdr-4:])
	payload := data[hdr:total]
	switch {
	case op >= opClose:
		var ctl [125]byte
		c := ctl[:len(payload)]
		unmask(c, payload, key)
		if op == opClose {
			return 0, closeFrame(c)
		}
		if !sink(op, c) {
			return -total, nil
		}
		return total, nil
	case fin && op != opContinuation:
		m := make([]byte, len(payload))
		unmask(m, payload, key)
		if !sink(op, m) {
			return -total, nil
		}
		return total, nil
	}
	// A fragment.
	if op != opContinuation {
		r.msgOp = op
	}
	start := len(r.msg)
	r.msg = append(r.msg, payload...)
	unmask(r.msg[start:], payload, key)
	if !fin {
		return total, nil
	}
	m, mop := r.msg, r.msgOp
	r.msg, r.msgOp = nil, 0
	if !sink(mop, m) {
		return -total, nil
	}
	return total, nil
}

// closeFrame returns the error describing a close frame's payload p.
func closeFrame(p []byte) error {
	switch {
	case len(p) == 0:
		return &wsCloseError{Code: closeNoStatus}
	case len(p) == 1:
		return errWSProtocol
	}
	code := int(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) || !utf8.Valid(p[2:]) {
		return errWSProtocol
	}
	return &wsCloseError{Code: code, Text: string(p[2:])}
}

// validCloseCode reports whether a peer may send code in a close frame.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// unmask writes src XORed with the masking key to dst (len(dst) ==
// len(src); they may be the same slice).
func unmask(dst, src []byte, key uint32) {
	k8 := uint64(key) | uint64(key)<<32
	i := 0
	for ; i+8 <= len(src); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(src[i:])^k8)
	}
	for ; i < len(src); i++ {
		dst[i] = src[i] ^ byte(key>>(8*(i&3)))
	}
}

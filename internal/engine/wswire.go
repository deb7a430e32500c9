package engine

import (
	"io"
	"net"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// A wsWire is how a websocket's frames cross the network: [ownFrames],
// which writes the frames pre-encoded in each [Packet] and parses the
// client's with a frameReader, or [gorillaFrames], which leaves both to
// gorilla/websocket for a connection with permessage-deflate. A [wsConn]
// holds one and never asks which it is, except through wsConn.rawIO.
//
// Only the session's current writer (see [writerRole]) calls the write
// methods; only the connection's one reader calls the read methods.
type wsWire interface {
	// setWriteDeadline sets the deadline of the writes that wait.
	setWriteDeadline(t time.Time) error
	// writeFrames writes batch in order, within the deadline last set;
	// timeout bounds a control frame that sets its own.
	writeFrames(batch []*Packet, timeout time.Duration) error
	// writeClose writes a close frame with code (closeNoStatus: one
	// without a code), best effort, waiting at most timeout.
	writeClose(code int, timeout time.Duration)
	// readBlocking reads on the calling goroutine, handing each message
	// and control frame to sink and calling chunkDone, if set, after each
	// read, until reading fails or sink returns false (errStopped).
	readBlocking(sink frameSink, chunkDone func()) error
	// feedBuffered hands sink what an earlier reader read but left
	// unparsed.
	feedBuffered(sink frameSink) error
	// pingsTo makes ping frames go to sink, whoever is reading, as the
	// session's reply to them must go through its writer.
	pingsTo(sink frameSink)
}

// ownFrames is the wire of a websocket without permessage-deflate: frames
// are written raw, a batch in one vectored write, and read by a
// frameReader, from a goroutine or (when rc is set) by the poller.
type ownFrames struct {
	conn net.Conn
	// rc is the socket when the poller can watch it and the flusher write
	// it without waiting (see rawConnOf); nil otherwise. Set before the
	// connection is added to the poller.
	rc    syscall.RawConn
	bufs  net.Buffers // scratch for the writer
	rd    frameReader // one reader at a time
	tally *statSlot   // counts the bytes read
}

func (w *ownFrames) setWriteDeadline(t time.Time) error { return w.conn.SetWriteDeadline(t) }

func (w *ownFrames) writeFrames(batch []*Packet, _ time.Duration) error {
	bufs := w.bufs[:0]
	for _, p := range batch {
		bufs = append(bufs, p.frame)
	}
	w.bufs = bufs
	_, err := bufs.WriteTo(w.conn)
	clear(w.bufs)
	return err
}

func (w *ownFrames) writeClose(code int, timeout time.Duration) {
	var p []byte
	if code != closeNoStatus {
		p = []byte{byte(code >> 8), byte(code)}
	}
	_ = w.conn.SetWriteDeadline(time.Now().Add(timeout))
	_, _ = w.conn.Write(newControl(opClose, p).frame)
}

func (w *ownFrames) readBlocking(sink frameSink, chunkDone func()) error {
	if err := w.rd.feed(nil, sink); err != nil { // what an earlier reader left
		return err
	}
	buf := make([]byte, wsReadBufferSize)
	for {
		n, err := w.conn.Read(buf)
		if n > 0 {
			w.tally.bytesIn.Add(uint64(n))
			if ferr := w.rd.feed(buf[:n], sink); ferr != nil {
				return ferr
			}
			if chunkDone != nil {
				chunkDone()
			}
		}
		if err != nil {
			return err
		}
	}
}

func (w *ownFrames) feedBuffered(sink frameSink) error { return w.rd.feed(nil, sink) }

// pingsTo does nothing: the frameReader hands pings to the sink it feeds.
func (w *ownFrames) pingsTo(frameSink) {}

// gorillaFrames is the wire of a websocket with permessage-deflate:
// gorilla/websocket did the handshake, and reads and writes every frame.
type gorillaFrames struct {
	gc    *websocket.Conn
	max   int64     // the largest message accepted, in bytes
	tally *statSlot // counts the bytes read (messages as decompressed)
}

// newGorillaFrames returns the wire of a connection gorilla upgraded.
func newGorillaFrames(c *websocket.Conn, max int64, tally *statSlot) *gorillaFrames {
	// gorilla must never write control frames itself: they would race with
	// the session's writer. Pings are answered through the session's
	// queue once the connection is attached to a session; a close frame
	// is echoed by the session's close.
	c.SetPingHandler(func(string) error { return nil })
	c.SetCloseHandler(func(int, string) error { return nil })
	c.EnableWriteCompression(true)
	return &gorillaFrames{gc: c, max: max, tally: tally}
}

// setWriteDeadline sets gorilla's deadline, which it sets on the
// connection before each frame.
func (w *gorillaFrames) setWriteDeadline(t time.Time) error {
	_ = w.gc.SetWriteDeadline(t)
	return nil
}

func (w *gorillaFrames) writeFrames(batch []*Packet, timeout time.Duration) error {
	for _, p := range batch {
		var err error
		switch {
		case p.ctrl:
			err = w.gc.WriteControl(int(p.frame[0]&0x0f), p.Payload(), time.Now().Add(timeout))
		case p.binary:
			w.gc.EnableWriteCompression(!p.noCompress)
			err = w.gc.WriteMessage(websocket.BinaryMessage, p.Payload())
		default:
			w.gc.EnableWriteCompression(!p.noCompress)
			err = w.gc.WriteMessage(websocket.TextMessage, p.Payload())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *gorillaFrames) writeClose(code int, timeout time.Duration) {
	_ = w.gc.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(code, ""), time.Now().Add(timeout))
}

func (w *gorillaFrames) readBlocking(sink frameSink, chunkDone func()) error {
	for {
		op, data, err := w.readMessage()
		if err != nil {
			return err
		}
		w.tally.bytesIn.Add(uint64(len(data)))
		if !sink(byte(op), data) {
			return errStopped
		}
		if chunkDone != nil {
			chunkDone()
		}
	}
}

// readMessage reads the next message, refusing one larger than max bytes
// without reading more than max+1 of it.
func (w *gorillaFrames) readMessage() (int, []byte, error) {
	op, r, err := w.gc.NextReader()
	if err != nil {
		return 0, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, w.max+1))
	if err != nil {
		return 0, nil, err
	}
	if int64(len(data)) > w.max {
		return 0, nil, errTooLarge
	}
	return op, data, nil
}

// feedBuffered has nothing to do: gorilla keeps what it has read.
func (w *gorillaFrames) feedBuffered(frameSink) error { return nil }

// pingsTo replaces gorilla's ping handler, which would write the pong
// itself, racing with the session's writer.
func (w *gorillaFrames) pingsTo(sink frameSink) {
	w.gc.SetPingHandler(func(data string) error {
		sink(opPing, []byte(data))
		return nil
	})
}

//go:build !linux

package engine

import (
	"errors"
	"net"
	"syscall"

	"github.com/gosio/sio/internal/workers"
)

// poller is Linux-only; elsewhere each websocket has a reading goroutine.
type poller struct{}

func newPoller() (*poller, error) { return nil, errors.ErrUnsupported }

func rawConnOf(net.Conn) syscall.RawConn { return nil }

func (p *poller) add(*wsConn) error { return errors.ErrUnsupported }
func (p *poller) forget(*wsConn)    {}
func (p *poller) close()            {}

func readNow(syscall.RawConn, []byte) (int, error) { return 0, errors.ErrUnsupported }

func (s *Session) flushHere() { panic("engine: flushHere without a poller") }

// flusher is Linux-only, like the poller: elsewhere every session has a
// writer goroutine of its own, and push is never called.
type flusher struct{}

func newFlusher(*workers.Pool) *flusher { return nil }

func (f *flusher) push(*Session) { panic("engine: flusher without a poller") }

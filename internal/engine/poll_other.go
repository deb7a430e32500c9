//go:build !linux

package engine

import (
	"errors"
	"net"
	"syscall"
)

// poller is Linux-only; elsewhere each websocket has a reading goroutine.
type poller struct{}

// pollReg is a connection's registration with the poller: none here.
type pollReg struct{}

func newPoller() (*poller, error) { return nil, errors.ErrUnsupported }

func rawConnOf(net.Conn) syscall.RawConn { return nil }

func (p *poller) add(*wsConn) error { return errors.ErrUnsupported }
func (p *poller) forget(*wsConn)    {}
func (p *poller) close()            {}

func readNow(syscall.RawConn, []byte) (int, error) { return 0, errors.ErrUnsupported }

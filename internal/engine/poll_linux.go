package engine

import (
	"net"
	"os"
	"sync"
	"syscall"
)

// A poller tells which websocket connections have bytes to read, so that an
// idle connection needs no goroutine (and no goroutine stack) waiting on it:
// a worker reads a connection only while it has data. It is an epoll set of
// the connections' sockets; the epoll descriptor itself waits in the Go
// runtime's network poller like any socket, so the poller's goroutine
// parks there rather than in a system call.
type poller struct {
	epfd int
	file *os.File        // epfd, for the runtime's network poller
	rc   syscall.RawConn // file's
	done chan struct{}   // closed when run returns

	mu    sync.Mutex
	conns map[int32]*wsConn // by socket descriptor
	next  int32             // the last registration number given
}

// pollReg is a connection's registration with the poller: its socket
// descriptor, and a number that tells it from an earlier connection that
// had the same descriptor.
type pollReg struct{ fd, id int32 }

// pollEvents are the events a connection is registered for: readable, or
// the peer closed its side, edge-triggered.
const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLET&0xffffffff

// newPoller returns a running poller.
func newPoller() (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	f := os.NewFile(uintptr(epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	p := &poller{epfd: epfd, file: f, rc: rc, done: make(chan struct{}), conns: make(map[int32]*wsConn)}
	go p.run()
	return p, nil
}

// rawConnOf returns the socket under c if the poller can watch it: a plain
// TCP or Unix connection (not TLS, whose reads must go through crypto/tls).
func rawConnOf(c net.Conn) syscall.RawConn {
	var sc syscall.Conn
	switch c := c.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// add starts watching c, whose own.rc is set. From then on c.ready is called
// when it has bytes to read, including bytes that were already waiting.
func (p *poller) add(c *wsConn) error {
	var fd int32 = -1
	if err := c.own.rc.Control(func(f uintptr) { fd = int32(f) }); err != nil {
		return err
	}
	p.mu.Lock()
	p.next++
	c.pollReg = pollReg{fd: fd, id: p.next}
	p.conns[fd] = c
	p.mu.Unlock()
	ev := syscall.EpollEvent{Events: pollEvents, Fd: fd, Pad: c.pollReg.id}
	var err error
	cerr := c.own.rc.Control(func(f uintptr) {
		err = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(f), &ev)
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		p.forget(c)
	}
	return err
}

// forget stops dispatching events to c. The kernel drops the socket from
// the epoll set itself when the socket is closed.
func (p *poller) forget(c *wsConn) {
	p.mu.Lock()
	if p.conns[c.pollReg.fd] == c {
		delete(p.conns, c.pollReg.fd)
	}
	p.mu.Unlock()
}

// run waits for events and hands each ready connection to c.ready, until
// the poller is closed.
func (p *poller) run() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 128)
	ready := make([]*wsConn, 0, 128)
	for {
		n := 0
		err := p.rc.Read(func(uintptr) bool {
			var err error
			n, err = syscall.EpollWait(p.epfd, events, 0)
			if err != nil {
				n = 0 // EINTR: look again when woken
			}
			return n > 0
		})
		if err != nil {
			return // closed
		}
		ready = ready[:0]
		p.mu.Lock()
		for _, ev := range events[:n] {
			if c := p.conns[ev.Fd]; c != nil && c.pollReg.id == ev.Pad {
				if ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
					c.hangup.Store(true) // before the read it starts
				}
				ready = append(ready, c)
			}
		}
		p.mu.Unlock()
		for i, c := range ready {
			c.ready()
			ready[i] = nil
		}
	}
}

// close stops the poller and waits for its goroutine to end.
func (p *poller) close() {
	p.file.Close()
	<-p.done
}

// readNow reads what the socket holds without waiting: it returns
// syscall.EAGAIN when there is nothing, and 0, nil at the end of the
// stream.
//
// It goes through rc.Control rather than rc.Read: a read that never waits
// has no use for a deadline, and rc.Read refuses to start once the
// connection's read deadline has passed. The poller's worker is the only
// reader (see wsConn.claim).
func readNow(rc syscall.RawConn, b []byte) (int, error) {
	var n int
	var err error
	cerr := rc.Control(func(fd uintptr) {
		for {
			n, err = syscall.Read(int(fd), b)
			if err != syscall.EINTR {
				return
			}
		}
	})
	if cerr != nil {
		return 0, cerr
	}
	return max(n, 0), err
}

// ready is called by the poller when c has bytes to read: it starts a
// worker reading c unless one is.
func (c *wsConn) ready() {
	if c.claim() {
		c.workers.Go(c.readFn)
	}
}

// claim reports whether the caller is to start reading c: no worker reads
// it. Otherwise it tells the worker that reads it to read again.
func (c *wsConn) claim() bool {
	for {
		switch c.pollState.Load() {
		case pollIdle:
			if c.pollState.CompareAndSwap(pollIdle, pollRunning) {
				return true
			}
		case pollRunning:
			if c.pollState.CompareAndSwap(pollRunning, pollAgain) {
				return false
			}
		default:
			return false
		}
	}
}

// Command probe measures, from outside, how a Socket.IO server copes with
// four hostile situations, so that servers can be compared on equal terms:
//
//   - stalled: 200 websocket clients, one of which stops reading, under a
//     flood of broadcasts: how long until the server drops the stalled
//     client, how much its RSS grows, and whether the others get every
//     message;
//   - churn: abrupt websocket disconnects and abandoned polling
//     handshakes: the server's file descriptors and RSS once the heartbeat
//     has reaped them;
//   - malformed: malformed inputs over websocket and polling: RSS growth;
//   - shutdown: connected clients when the server gets SIGTERM: how many
//     are told (an Engine.IO close packet or a close frame) before their
//     connection ends;
//   - flood (not run unless named): 200 websocket readers, none slow, and
//     a publisher sending 1 KB broadcasts at -rate per second for -for:
//     how many connections the server closed (it should close none) and
//     how many readers got every message.
//
// The server is started by the probe (-cmd, run through sh, with PORT set)
// so that it can read the server's /proc entries. It must follow the
// benchmark contract: path /socket.io/, event "broadcast" re-emitted as
// "msg" to every socket. Everything runs on 127.0.0.1 and is bounded.
//
//	go run ./internal/probe -cmd 'go run ./bench/server'
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

var (
	cmdline  = flag.String("cmd", "go run ./bench/server", "server command (sh -c), PORT is set")
	port     = flag.Int("port", 3299, "port for the server on 127.0.0.1")
	reapWait = flag.Duration("reap", 50*time.Second, "how long to wait for the heartbeat to reap vanished clients (pingInterval+pingTimeout+margin)")
	only     = flag.String("only", "stalled,churn,malformed,shutdown", "situations to run (of stalled, churn, malformed, shutdown, flood)")
	rate     = flag.Int("rate", 300, "flood: broadcasts per second")
	floodFor = flag.Duration("for", time.Minute, "flood: how long to publish")
)

type server struct {
	cmd  *exec.Cmd
	pid  int
	addr string
}

func start() *server {
	c := exec.Command("sh", "-c", "exec "+*cmdline)
	c.Env = append(os.Environ(), "PORT="+strconv.Itoa(*port), "HOST=127.0.0.1")
	c.Stdout, c.Stderr = io.Discard, os.Stderr
	if err := c.Start(); err != nil {
		log.Fatal(err)
	}
	s := &server{cmd: c, pid: c.Process.Pid, addr: "127.0.0.1:" + strconv.Itoa(*port)}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if conn, err := net.Dial("tcp", s.addr); err == nil {
			conn.Close()
			return s
		}
	}
	log.Fatal("server did not start")
	return nil
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

func (s *server) status(key string) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key+":") {
			f := strings.Fields(line)
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return -1
}

func (s *server) rss() int64 { return s.status("VmRSS") }
func (s *server) hwm() int64 { return s.status("VmHWM") }
func (s *server) fds() int {
	e, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.pid))
	return len(e)
}

type client struct {
	conn *websocket.Conn
	raw  net.Conn
}

// connect opens a websocket, joins "/" and answers pings until stopped
// reading by the caller.
func connect(addr string, readBuf int) (*client, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: nil}
	if readBuf > 0 {
		d.NetDial = func(network, a string) (net.Conn, error) {
			c, err := net.Dial(network, a)
			if err == nil {
				_ = c.(*net.TCPConn).SetReadBuffer(readBuf)
			}
			return c, err
		}
	}
	conn, _, err := d.Dial("ws://"+addr+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := conn.ReadMessage(); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.WriteMessage(websocket.TextMessage, []byte("40"))
	for {
		_, m, err := conn.ReadMessage()
		if err != nil {
			conn.Close()
			return nil, err
		}
		if strings.HasPrefix(string(m), "40") {
			break
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	return &client{conn, conn.UnderlyingConn()}, nil
}

func stalled() {
	s := start()
	defer s.stop()
	const n, total = 200, 20000
	var readers []*client
	var got = make([]atomic.Int64, n)
	var wg sync.WaitGroup
	for i := range n {
		c, err := connect(s.addr, 0)
		if err != nil {
			log.Fatalf("stalled: connect: %v", err)
		}
		readers = append(readers, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for got[i].Load() < total {
				_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
				_, m, err := c.conn.ReadMessage()
				if err != nil {
					return
				}
				switch {
				case string(m) == "2":
					_ = c.conn.WriteMessage(websocket.TextMessage, []byte("3"))
				case strings.HasPrefix(string(m), `42["msg"`):
					got[i].Add(1)
				}
			}
		}()
	}
	stall, err := connect(s.addr, 4096)
	if err != nil {
		log.Fatal(err)
	}
	baseRSS, baseFDs := s.rss(), s.fds()
	payload := strings.Repeat("x", 100)
	start := time.Now()
	pub := readers[0]
	var dropped time.Duration
	go func() {
		for dropped == 0 && time.Since(start) < 120*time.Second {
			if s.fds() < baseFDs {
				dropped = time.Since(start)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	for range total {
		if err := pub.conn.WriteMessage(websocket.TextMessage, []byte(`42["broadcast","`+payload+`"]`)); err != nil {
			log.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(120 * time.Second):
	}
	for dropped == 0 && time.Since(start) < 120*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	complete := 0
	for i := range got {
		if got[i].Load() == total {
			complete++
		}
	}
	drop := "not dropped within 120 s"
	if dropped > 0 {
		drop = dropped.Round(time.Millisecond).String()
	}
	fmt.Printf("stalled: %d broadcasts to %d readers + 1 stalled: stalled client dropped after %s; RSS %d -> peak %d KiB (+%d); readers with every message: %d/%d\n",
		total, n, drop, baseRSS, s.hwm(), s.hwm()-baseRSS, complete, n)
	for _, c := range readers {
		c.conn.Close()
	}
	stall.conn.Close()
}

func churn() {
	s := start()
	defer s.stop()
	baseRSS, baseFDs := s.rss(), s.fds()
	const abrupt, polling = 5000, 1000
	sem := make(chan struct{}, 100)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range abrupt {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := connect(s.addr, 0)
			if err != nil {
				failed.Add(1)
				return
			}
			if tc, ok := c.raw.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST, no close frame
			}
			c.raw.Close()
		}()
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	for range polling {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := hc.Get("http://" + s.addr + "/socket.io/?EIO=4&transport=polling")
			if err != nil {
				failed.Add(1)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}()
	}
	wg.Wait()
	hc.CloseIdleConnections()
	peakFDs, peakRSS := s.fds(), s.rss()
	time.Sleep(*reapWait)
	fmt.Printf("churn: %d abrupt websocket disconnects + %d abandoned polling handshakes (%d failed): fds %d -> %d -> %d after %v; RSS %d -> %d -> %d KiB\n",
		abrupt, polling, failed.Load(), baseFDs, peakFDs, s.fds(), *reapWait, baseRSS, peakRSS, s.rss())
}

func malformed() {
	s := start()
	defer s.stop()
	baseRSS := s.rss()
	bad := []string{"4x", "9", `42{}`, `42["disconnect"]`, `4511-[]`, `42abc["x"]`, `40/nope`,
		`42["a",` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `]`,
		`451-["a",{"_placeholder":true,"num":9}]`, `4299999999999999999999["a"]`}
	const total = 2000
	hc := &http.Client{Timeout: 10 * time.Second}
	for i := range total {
		p := bad[i%len(bad)]
		if i%2 == 0 {
			c, err := connect(s.addr, 0)
			if err != nil {
				continue
			}
			_ = c.conn.WriteMessage(websocket.TextMessage, []byte(p))
			_ = c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			for {
				_, m, err := c.conn.ReadMessage()
				if err != nil || strings.HasPrefix(string(m), "44") {
					break // closed, or refused with CONNECT_ERROR
				}
			}
			c.conn.Close()
			continue
		}
		res, err := hc.Get("http://" + s.addr + "/socket.io/?EIO=4&transport=polling")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var open struct{ Sid string }
		if len(body) < 2 || json.Unmarshal(body[1:], &open) != nil {
			continue
		}
		r2, err := hc.Post("http://"+s.addr+"/socket.io/?EIO=4&transport=polling&sid="+open.Sid, "text/plain", strings.NewReader("40\x1e"+p))
		if err == nil {
			_, _ = io.Copy(io.Discard, r2.Body)
			r2.Body.Close()
		}
	}
	alive := "yes"
	if _, err := connect(s.addr, 0); err != nil {
		alive = "NO: " + err.Error()
	}
	fmt.Printf("malformed: %d malformed inputs (websocket and polling): RSS %d -> %d KiB (peak %d); server still serving: %s\n",
		total, baseRSS, s.rss(), s.hwm(), alive)
}

func shutdown() {
	s := start()
	const n = 1000
	var clients []*client
	for range n {
		c, err := connect(s.addr, 0)
		if err != nil {
			log.Fatalf("shutdown: connect: %v", err)
		}
		clients = append(clients, c)
	}
	var engineClose, closeFrame, sioDisconnect atomic.Int64
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			for {
				_, m, err := c.conn.ReadMessage()
				if err != nil {
					var ce *websocket.CloseError
					if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
						closeFrame.Add(1)
					}
					return
				}
				switch string(m) {
				case "1":
					engineClose.Add(1)
				case "41":
					sioDisconnect.Add(1)
				case "2":
					_ = c.conn.WriteMessage(websocket.TextMessage, []byte("3"))
				}
			}
		}()
	}
	s.stop()
	wg.Wait()
	fmt.Printf("shutdown: SIGTERM with %d clients: Engine.IO close packet to %d, close frame to %d, Socket.IO DISCONNECT to %d\n",
		n, engineClose.Load(), closeFrame.Load(), sioDisconnect.Load())
}

// flood publishes 1 KB broadcasts at a steady rate to 200 readers that all
// keep up, for longer than every timeout of the server, and counts the
// connections that ended before the probe closed them.
func flood() {
	s := start()
	defer s.stop()
	const n = 200
	type reader struct {
		c      *client
		got    atomic.Int64
		closed atomic.Int64 // when the connection ended, in ns since start; 0 if it did not
		err    atomic.Value
	}
	start := time.Now()
	var stopping atomic.Bool
	readers := make([]*reader, n)
	var wg sync.WaitGroup
	for i := range readers {
		c, err := connect(s.addr, 0)
		if err != nil {
			log.Fatalf("flood: connect: %v", err)
		}
		r := &reader{c: c}
		readers[i] = r
		wg.Add(1)
		go func() {
			defer wg.Done()
			var wmu sync.Mutex
			for {
				_ = c.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
				_, m, err := c.conn.ReadMessage()
				if err != nil {
					if !stopping.Load() {
						r.closed.Store(int64(time.Since(start)))
						r.err.Store(err.Error())
					}
					return
				}
				switch {
				case string(m) == "2":
					wmu.Lock()
					_ = c.conn.WriteMessage(websocket.TextMessage, []byte("3"))
					wmu.Unlock()
				case strings.HasPrefix(string(m), `42["msg"`):
					r.got.Add(1)
				}
			}
		}()
	}
	pub, err := connect(s.addr, 0)
	if err != nil {
		log.Fatalf("flood: connect: %v", err)
	}
	var pubClosed atomic.Value
	go func() { // the publisher reads too: pings, and its own copies
		for {
			_ = pub.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
			_, m, err := pub.conn.ReadMessage()
			if err != nil {
				if !stopping.Load() {
					pubClosed.Store(fmt.Sprintf("after %v: %v", time.Since(start).Round(time.Millisecond), err))
				}
				return
			}
			if string(m) == "2" {
				_ = pub.conn.WriteMessage(websocket.TextMessage, []byte("3"))
			}
		}
	}()
	msg := []byte(`42["broadcast","` + strings.Repeat("x", 1000) + `"]`)
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	sent := 0
	for pubStart := time.Now(); time.Since(pubStart) < *floodFor; sent++ {
		<-tick.C
		if err := pub.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			pubClosed.Store(fmt.Sprintf("write after %v: %v", time.Since(start).Round(time.Millisecond), err))
			break
		}
	}
	tick.Stop()
	// Give the last messages a moment, then count.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		all := true
		for _, r := range readers {
			if r.closed.Load() == 0 && r.got.Load() < int64(sent) {
				all = false
				break
			}
		}
		if all {
			break
		}
	}
	stopping.Store(true)
	closed, complete := 0, 0
	var first string
	for _, r := range readers {
		if at := r.closed.Load(); at != 0 {
			closed++
			if first == "" {
				first = fmt.Sprintf("; first after %v: %v", time.Duration(at).Round(time.Millisecond), r.err.Load())
			}
		}
		if r.got.Load() == int64(sent) {
			complete++
		}
		r.c.conn.Close()
	}
	pubState := "publisher stayed connected"
	if v := pubClosed.Load(); v != nil {
		pubState = "publisher lost its connection " + v.(string)
	}
	pub.conn.Close()
	wg.Wait()
	fmt.Printf("flood: %d broadcasts of 1 KB at %d/s over %v to %d readers: %d connections closed by the server%s; %s; readers with every message: %d/%d\n",
		sent, *rate, *floodFor, n, closed, first, pubState, complete, n)
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	for _, name := range strings.Split(*only, ",") {
		switch name {
		case "stalled":
			stalled()
		case "churn":
			churn()
		case "malformed":
			malformed()
		case "shutdown":
			shutdown()
		case "flood":
			flood()
		}
	}
}

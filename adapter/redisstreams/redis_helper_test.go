package redisstreams

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a redis-server process of the tests' own, on a free
// port of 127.0.0.1, with no persistence.
type redisServer struct {
	port  int
	dir   string
	extra []string // more redis-server arguments

	mu  sync.Mutex
	cmd *exec.Cmd
}

// redisBinary finds redis-server; .ci/run installs Debian's package.
func redisBinary(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redis-server not found on PATH: the adapter/redisstreams tests need it (Debian: apt-get install -y redis-server; .ci/run installs it)")
	}
	return p
}

// startRedis starts a redis-server for the test; it stops at the end of
// the test.
func startRedis(tb testing.TB) *redisServer {
	tb.Helper()
	r := &redisServer{port: freePort(tb), dir: tb.TempDir()}
	if err := r.start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.stop)
	return r
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }
func (r *redisServer) url() string  { return "redis://" + r.addr() }

// start runs redis-server and waits until it answers PING.
func (r *redisServer) start() error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not found on PATH: the adapter/redisstreams tests need it (Debian: apt-get install -y redis-server; .ci/run installs it)")
	}
	args := []string{
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir,
		"--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
	}
	cmd := exec.Command(bin, append(args, r.extra...)...)
	stderr, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	var log strings.Builder
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
		}
	}()
	r.mu.Lock()
	r.cmd = cmd
	r.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", r.addr(), 200*time.Millisecond)
		if err == nil {
			_, _ = c.Write([]byte("PING\r\n"))
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			buf := make([]byte, 16)
			n, _ := c.Read(buf)
			c.Close()
			if strings.HasPrefix(string(buf[:n]), "+PONG") {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.stop()
	logMu.Lock()
	defer logMu.Unlock()
	return fmt.Errorf("redis-server on %s did not start: %s", r.addr(), log.String())
}

// stop kills redis-server, as a crash would, and waits for it.
func (r *redisServer) stop() {
	r.mu.Lock()
	cmd := r.cmd
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// newClient returns a go-redis client of r, closed at the end of the test.
func (r *redisServer) newClient(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.addr(), DialTimeout: time.Second, MaxRetries: 1})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// sharedRedis is one redis-server for the tests that do not restart it;
// each test isolates itself with a Key of its own.
var (
	sharedOnce sync.Once
	shared     *redisServer
	sharedErr  error
)

func sharedRedis(tb testing.TB) *redisServer {
	tb.Helper()
	redisBinary(tb)
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sio-redis-test")
		if err != nil {
			sharedErr = err
			return
		}
		shared = &redisServer{dir: dir}
		shared.port = freePort(tb)
		sharedErr = shared.start()
	})
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

// stopShared is called by TestMain.
func stopShared() {
	if shared != nil {
		shared.stop()
		_ = os.RemoveAll(shared.dir)
	}
}

var keySeq struct {
	sync.Mutex
	n int
}

// uniqueKey returns a channel prefix of the test's own.
func uniqueKey(name string) string {
	keySeq.Lock()
	defer keySeq.Unlock()
	keySeq.n++
	return fmt.Sprintf("t%d-%d-%s", os.Getpid(), keySeq.n, strings.NewReplacer("/", "_", " ", "_").Replace(name))
}

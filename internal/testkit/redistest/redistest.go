// Package redistest runs redis-server processes for the tests of the Redis
// adapters: a server of the test's own (Start), or one shared by a
// package's tests (Shared), on a free port of 127.0.0.1 with no
// persistence unless the test asks for it (Server.Extra). It needs
// Debian's redis-server on the PATH, which make test installs.
package redistest

import (
	"bufio"
	"context"
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
	"go.uber.org/goleak"
)

// Server is a redis-server process of the tests' own, on a free
// port of 127.0.0.1, with no persistence.
type Server struct {
	Port  int      // its port on 127.0.0.1
	Dir   string   // its working directory
	Extra []string // more redis-server arguments, for Start

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Binary finds redis-server; .ci/run installs Debian's package.
func Binary(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redis-server not found on PATH: the Redis tests need it (Debian: apt-get install -y redis-server; .ci/run installs it)")
	}
	return p
}

// Start starts a redis-server for the test; it stops at the end of
// the test.
func Start(tb testing.TB) *Server {
	tb.Helper()
	r := &Server{Port: FreePort(tb), Dir: tb.TempDir()}
	if err := r.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.Stop)
	return r
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr returns the server's host:port.
func (r *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.Port) }

// URL returns the server's redis:// URL.
func (r *Server) URL() string { return "redis://" + r.Addr() }

// Start runs redis-server and waits until it answers PING.
func (r *Server) Start() error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not found on PATH: the Redis tests need it (Debian: apt-get install -y redis-server; .ci/run installs it)")
	}
	args := []string{
		"--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.Dir,
		"--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
	}
	cmd := exec.Command(bin, append(args, r.Extra...)...)
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
		c, err := net.DialTimeout("tcp", r.Addr(), 200*time.Millisecond)
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
	r.Stop()
	logMu.Lock()
	defer logMu.Unlock()
	return fmt.Errorf("redis-server on %s did not start: %s", r.Addr(), log.String())
}

// Stop kills redis-server, as a crash would, and waits for it.
func (r *Server) Stop() {
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

// NewClient returns a go-redis client of r, closed at the end of the test.
func (r *Server) NewClient(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), DialTimeout: time.Second, MaxRetries: 1})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// MajorVersion returns the server's major version.
func (r *Server) MajorVersion(tb testing.TB) int {
	tb.Helper()
	c := r.NewClient(tb)
	info, err := c.Info(context.Background(), "server").Result()
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			major, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
			return major
		}
	}
	return 0
}

// The shared server of Shared.
var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Shared returns one redis-server for the tests of a package that do not
// restart it; each test isolates itself with a key of its own
// (UniqueKey). TestMain stops it with StopShared.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	Binary(tb)
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sio-redis-test")
		if err != nil {
			sharedErr = err
			return
		}
		shared = &Server{Dir: dir}
		shared.Port = FreePort(tb)
		sharedErr = shared.Start()
	})
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

// Main runs the tests of a package that uses the shared server, stops the
// server, and then, if every test passed, fails the run when goroutines
// are left behind (go.uber.org/goleak). A TestMain is
//
//	func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	StopShared()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak: goroutines left behind:", err)
			code = 1
		}
	}
	return code
}

// StopShared stops the shared server; Main calls it.
func StopShared() {
	if shared != nil {
		shared.Stop()
		_ = os.RemoveAll(shared.Dir)
	}
}

var keySeq struct {
	sync.Mutex
	n int
}

// UniqueKey returns a channel prefix of the test's own.
func UniqueKey(name string) string {
	keySeq.Lock()
	defer keySeq.Unlock()
	keySeq.n++
	return fmt.Sprintf("t%d-%d-%s", os.Getpid(), keySeq.n, strings.NewReplacer("/", "_", " ", "_").Replace(name))
}

// StartCluster starts a Redis Cluster of three masters (no replicas),
// each owning a third of the slots, stopped when the test ends, and
// returns their addresses.
func StartCluster(t testing.TB) []string {
	t.Helper()
	Binary(t)
	const n = 3
	addrs := make([]string, n)
	for i := range n {
		r := &Server{Port: FreePort(t), Dir: t.TempDir()}
		r.Extra = []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"}
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Stop)
		addrs[i] = r.Addr()
	}
	ctx := context.Background()
	per := 16384 / n
	for i, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		lo, hi := i*per, (i+1)*per-1
		if i == n-1 {
			hi = 16383
		}
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			host, port, _ := strings.Cut(addrs[0], ":")
			p, _ := strconv.Atoi(port)
			if err := c.ClusterMeet(ctx, host, strconv.Itoa(p)).Err(); err != nil {
				t.Fatal(err)
			}
		}
		_ = c.Close()
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n)) {
				break
			}
			if time.Now().After(deadline) {
				_ = c.Close()
				t.Fatalf("the Redis Cluster did not form: %s %v", info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		_ = c.Close()
	}
	return addrs
}

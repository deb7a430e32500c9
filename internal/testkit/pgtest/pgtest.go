// Package pgtest runs PostgreSQL servers for the tests of the Postgres
// adapter: a server of the test's own (Start), which the test may stop and
// start again (Restart), or one shared by a package's tests (Shared), each
// on a temporary data directory and a free port of 127.0.0.1, with no
// fsync, trusting local connections. It needs Debian's PostgreSQL (the
// postgresql package, which make test-deps installs): initdb and postgres
// are looked for in /usr/lib/postgresql/<version>/bin, newest first, then
// on the PATH. Run as root, the server runs as the postgres user, since
// initdb refuses root.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/gosio/sio/internal/testkit"
)

// ErrNoPostgres is returned when no PostgreSQL binaries are found.
var ErrNoPostgres = errors.New("pgtest: PostgreSQL not found (initdb and postgres in /usr/lib/postgresql/*/bin or on PATH): " +
	"the Postgres adapter's tests need it (Debian: apt-get install -y postgresql; make test-deps installs it)")

// Server is a PostgreSQL server of the tests, on a free port of
// 127.0.0.1, with its data in a temporary directory.
type Server struct {
	Port int    // its port on 127.0.0.1
	Dir  string // its data directory

	bin  string              // the directory of initdb and postgres
	cred *syscall.Credential // the postgres user's, when run as root

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	log    *testkit.SyncBuffer
}

// BinDir returns the directory that holds initdb and postgres.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// New makes a data directory with initdb; the server is not started.
func New() (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	dir, err := os.MkdirTemp("", "sio-pgtest-")
	if err != nil {
		return nil, err
	}
	s.Dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root, and no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
	cmd := s.command("initdb", "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	s.Port = port
	return s, nil
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts a server for the test; it stops, and its data directory
// goes, at the end of the test. It fails the test when PostgreSQL is
// missing or does not start.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := New()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Remove)
	if err := s.startOnFreePort(); err != nil {
		tb.Fatal(err)
	}
	return s
}

// startOnFreePort starts the server, on another free port when its port
// was taken meanwhile (up to three times).
func (s *Server) startOnFreePort() error {
	var err error
	for range 3 {
		if err = s.Start(); err == nil || !strings.Contains(err.Error(), "could not bind") {
			return err
		}
		if s.Port, err = freePort(); err != nil {
			return err
		}
	}
	return err
}

// Start runs postgres and waits until it accepts connections.
func (s *Server) Start() error {
	log := &testkit.SyncBuffer{}
	cmd := s.command("postgres", "-D", filepath.Join(s.Dir, "data"),
		"-p", strconv.Itoa(s.Port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.Dir, "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=100", "-c", "shared_buffers=16MB")
	cmd.Stdout = log
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited, s.log = cmd, exited, log
	s.mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			s.mu.Lock()
			s.cmd, s.exited = nil, nil
			s.mu.Unlock()
			return fmt.Errorf("pgtest: postgres exited at start: %s", log.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := pgx.Connect(ctx, s.URL())
		if err == nil {
			err = c.Ping(ctx)
			_ = c.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	return fmt.Errorf("pgtest: postgres on port %d did not accept connections within 20s: %s", s.Port, log.String())
}

// Stop shuts the server down fast (SIGINT: every connection is
// terminated, as when a server goes away) and waits for it; the data stay
// for Start.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, ch := s.cmd, s.exited
	s.cmd, s.exited = nil, nil
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-ch:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-ch
		}
	}
}

// Restart stops the server and starts it again on the same port and data.
func (s *Server) Restart() error {
	s.Stop()
	return s.Start()
}

// Remove stops the server and deletes its data directory.
func (s *Server) Remove() {
	s.Stop()
	if s.Dir != "" {
		_ = os.RemoveAll(s.Dir)
	}
}

// Log returns what the running server printed.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return ""
	}
	return s.log.String()
}

// URL returns the server's connection URL (user postgres, database
// postgres, no TLS).
func (s *Server) URL() string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(s.Port) + "/postgres?sslmode=disable"
}

// NewPool returns a pgx pool on the server, closed at the end of the test.
func (s *Server) NewPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(s.URL())
	if err != nil {
		tb.Fatal(err)
	}
	cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// The shared server of Shared.
var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// Shared returns one server for the tests of a package that do not
// restart it; each test isolates itself with names of its own
// (UniqueName). TestMain stops it with Main or StopShared.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	sharedOnce.Do(func() {
		shared, sharedErr = New()
		if sharedErr == nil {
			if sharedErr = shared.startOnFreePort(); sharedErr != nil {
				shared.Remove()
				shared = nil
			}
		}
	})
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

// StopShared stops the shared server and removes its data.
func StopShared() {
	if shared != nil {
		shared.Remove()
	}
}

// Main runs the tests of a package that uses the shared server, stops the
// server, and then, if every test passed, fails the run when goroutines
// are left behind (go.uber.org/goleak). A TestMain is
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
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

var nameSeq struct {
	sync.Mutex
	n int
}

// UniqueName returns a lower-case SQL identifier of the test's own, for a
// channel prefix or a table name: letters, digits and underscores.
func UniqueName(name string) string {
	nameSeq.Lock()
	defer nameSeq.Unlock()
	nameSeq.n++
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, name)
	if len(clean) > 30 {
		clean = clean[:30]
	}
	return fmt.Sprintf("t%d_%d_%s", os.Getpid()%100000, nameSeq.n, clean)
}

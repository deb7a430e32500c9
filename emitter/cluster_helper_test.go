package emitter_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gosio/sio/adapter"
	redisadapter "github.com/gosio/sio/adapter/redis"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/clustertest"
	"github.com/gosio/sio/socketio"
)

// note is a server-side event a server received.
type note struct {
	Nsp  string `json:"nsp"`
	Args []any  `json:"args"` // the event name first
}

// goServer is a Go server on adapter/redis, with the namespaces "/" and
// "/admin": their sockets answer "join" (room, ack) after joining, and
// their server-side events go to notes.
type goServer struct {
	io    *socketio.Server
	ts    *httptest.Server
	url   string
	notes chan note
}

func startGoServer(t testing.TB, client redis.UniversalClient, key string) *goServer {
	t.Helper()
	return startGoServerOn(t, redisadapter.NewAdapter(client, &redisadapter.Options{Key: key}))
}

// startGoServerOn starts a goServer on the adapter of factory.
func startGoServerOn(t testing.TB, factory adapter.Factory) *goServer {
	t.Helper()
	g := &goServer{notes: make(chan note, 16)}
	g.io = socketio.NewServer(&socketio.Options{Adapter: factory})
	for _, nsp := range []*socketio.Namespace{g.io.Sockets(), g.io.Of("/admin")} {
		name := nsp.Name()
		nsp.OnConnection(func(s *socketio.Socket) {
			s.On("join", func(room string, ack socketio.Ack) {
				_ = s.Join(room)
				_ = ack()
			})
		})
		nsp.OnServerSideEmit(func(event string, args []any, _ func(any)) {
			g.notes <- note{Nsp: name, Args: append([]any{event}, args...)}
		})
	}
	g.ts = httptest.NewServer(g.io)
	g.url = g.ts.URL
	t.Cleanup(func() {
		g.ts.CloseClientConnections()
		_ = g.io.Close()
		g.ts.Close()
	})
	return g
}

// waitServerCount waits until the Go server's adapter counts want servers
// on the cluster, so that none misses a message published after.
func waitServerCount(t testing.TB, io *socketio.Server, want int) {
	t.Helper()
	var n int
	testkit.Eventually(t, "the servers to subscribe", func() bool {
		n, _ = io.Sockets().Adapter().ServerCount(context.Background())
		return n == want
	})
}

// --- the Node.js server -----------------------------------------------------

// nodeDir is the npm project of the Node side (make installs it with
// npm ci; so do the tests, when it is missing or older than its lock).
var nodeDir = filepath.Join("testdata", "node")

// npmInstall installs the Node side's npm packages, once per test run.
func npmInstall(t testing.TB) { testkit.NPMInstall(t, nodeDir) }

// nodeServer is testdata/node/server.mjs: a socket.io server on
// @socket.io/redis-adapter with the official emitter beside it.
type nodeServer struct {
	url string
}

func startNodeServer(t testing.TB, redisURL, key string) *nodeServer {
	t.Helper()
	return startNodeScript(t, "server.mjs", "REDIS_URL="+redisURL, "KEY="+key)
}

// startNodeScript runs script of testdata/node with env added to the
// test's, and waits for its "READY <port>".
func startNodeScript(t testing.TB, script string, env ...string) *nodeServer {
	t.Helper()
	npmInstall(t)
	cmd := exec.Command("node", script)
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testkit.SyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if port, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- port
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	t.Cleanup(func() {
		_ = stdin.Close() // the server exits when its stdin ends
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	select {
	case port := <-ready:
		return &nodeServer{url: "http://127.0.0.1:" + port}
	case <-time.After(15 * time.Second):
		t.Fatalf("node server did not start within 15s: %s", stderr.String())
		return nil
	}
}

// nodeDo runs an operation of server.mjs through c, a client of the Node
// server, and decodes its result into out (if not nil).
func nodeDo(t testing.TB, c *clustertest.Client, op map[string]any, out any) {
	t.Helper()
	res := c.Call(t, "do", op)
	if len(res) != 1 {
		t.Fatalf("do %v: ack %v", op, res)
	}
	var r struct {
		OK    json.RawMessage `json:"ok"`
		Error string          `json:"error"`
	}
	if err := json.Unmarshal(res[0], &r); err != nil {
		t.Fatal(err)
	}
	if r.Error != "" {
		t.Fatalf("do %v: %s", op, r.Error)
	}
	if out != nil {
		if err := json.Unmarshal(r.OK, out); err != nil {
			t.Fatalf("do %v: %s: %v", op, r.OK, err)
		}
	}
}

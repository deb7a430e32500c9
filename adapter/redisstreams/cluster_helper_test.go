package redisstreams

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

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/socketio"
)

// goNode is a Go server of a test cluster.
type goNode struct {
	name string
	io   *socketio.Server
	ts   *httptest.Server
	url  string
	// notes receives the server-side events without ack.
	notes chan []any
}

// startGoNode starts a Go server with the adapter factory; it stops at the
// end of the test. Its sockets answer "join" (ack after joining the room),
// carry data {"name", "server"}, and the namespace answers the
// server-side events "ssping" (with {"from", "arg"}) and records "note".
func startGoNode(t testing.TB, name string, factory adapter.Factory) *goNode {
	t.Helper()
	n := &goNode{name: name, notes: make(chan []any, 64)}
	n.io = socketio.NewServer(&socketio.Options{Adapter: factory})
	n.io.OnConnection(func(s *socketio.Socket) {
		s.SetData(map[string]any{"name": s.Handshake().Query.Get("name"), "server": name})
		s.On("join", func(room string, ack socketio.Ack) {
			s.Join(room)
			_ = ack()
		})
	})
	n.io.Sockets().OnServerSideEmit(func(event string, args []any, ack func(any)) {
		switch event {
		case "ssping":
			if ack != nil {
				var arg any
				if len(args) > 0 {
					arg = args[0]
				}
				ack(map[string]any{"from": name, "arg": arg})
			}
		case "ssbinary":
			if ack != nil && len(args) > 0 {
				b, ok := args[0].([]byte)
				ack(map[string]any{"from": name, "isBytes": ok, "bytes": bytesToInts(b)})
			}
		case "note":
			n.notes <- args
		}
	})
	n.ts = httptest.NewServer(n.io)
	n.url = n.ts.URL
	t.Cleanup(n.stop)
	return n
}

func bytesToInts(b []byte) []int {
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

func (n *goNode) stop() {
	n.ts.CloseClientConnections()
	_ = n.io.Close()
	n.ts.Close()
}

// waitReady waits until the stream reader of the main namespace has
// found where to start: entries added from then on reach it.
func waitReady(t testing.TB, io *socketio.Server) {
	t.Helper()
	a, ok := io.Sockets().Adapter().(*Adapter)
	if !ok {
		t.Fatalf("adapter is %T", io.Sockets().Adapter())
	}
	select {
	case <-a.reader.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream reader did not start")
	}
}

// waitServerCount waits until the namespace's adapter counts want servers.
func waitServerCount(t testing.TB, io *socketio.Server, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var n int
	var err error
	for time.Now().Before(deadline) {
		n, err = io.Sockets().Adapter().ServerCount(context.Background())
		if err == nil && n == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server count: got %d (%v), want %d", n, err, want)
}

// --- the Node.js server -----------------------------------------------------

// nodeDir is the npm project of the Node side.
func nodeDir() string { return filepath.Join("testdata", "node") }

// npmInstall installs the Node side's npm packages, once per test run.
func npmInstall(t testing.TB) { testkit.NPMInstall(t, nodeDir()) }

// nodeNode is the Node.js server of a test cluster.
type nodeNode struct {
	url string
	cmd *exec.Cmd
	in  io.WriteCloser
	out chan string
}

// startNodeNode starts testdata/node/server.mjs on the Redis at redisURL,
// with key as its stream name and channel prefix, and env (KEY=value) added
// to its environment.
func startNodeNode(t testing.TB, redisURL, key, name string, env ...string) *nodeNode {
	t.Helper()
	npmInstall(t)
	cmd := exec.Command("node", "server.mjs")
	cmd.Dir = nodeDir()
	cmd.Env = append(append(os.Environ(), "REDIS_URL="+redisURL, "KEY="+key, "NAME="+name), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testkit.SyncBuffer // read while the process may still write
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &nodeNode{cmd: cmd, in: stdin, out: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case n.out <- sc.Text():
			default:
			}
		}
		close(n.out)
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
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
	case line, ok := <-n.out:
		port, found := strings.CutPrefix(line, "READY ")
		if !ok || !found {
			t.Fatalf("node server did not start: %q %s", line, stderr.String())
		}
		n.url = "http://127.0.0.1:" + port
	case <-time.After(15 * time.Second):
		t.Fatalf("node server did not start within 15s: %s", stderr.String())
	}
	return n
}

// do runs an operation on the Node server through client c (connected to
// it) and decodes its result into out.
func do(t testing.TB, c *wsClient, op map[string]any, out any) {
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

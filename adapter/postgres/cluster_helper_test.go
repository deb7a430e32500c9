package postgres

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gosio/sio/adapter"
	"github.com/gosio/sio/internal/testkit"
	"github.com/gosio/sio/internal/testkit/clustertest"
	"github.com/gosio/sio/internal/testkit/pgtest"
	"github.com/gosio/sio/socketio"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The cluster tests' client: internal/testkit/clustertest, shared with
// the Redis adapters' tests.
type wsClient = clustertest.Client

func dialClient(t testing.TB, base, name string) *wsClient { return clustertest.Dial(t, base, name) }

// testOptions returns options with a channel prefix and an attachments
// table of the test's own (made here), and heartbeats every second.
func testOptions(t testing.TB, pool *pgxpool.Pool) *Options {
	t.Helper()
	key := pgtest.UniqueName(t.Name())
	if err := CreateTable(context.Background(), pool, key); err != nil {
		t.Fatal(err)
	}
	o := &Options{ChannelPrefix: key, TableName: key, HeartbeatInterval: time.Second, HeartbeatTimeout: 4 * time.Second,
		ReconnectDelay: 500 * time.Millisecond}
	if os.Getenv("PGADAPTER_DEBUG") != "" {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return o
}

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
// server-side events "ssping" (with {"from", "arg"}) and "ssbinary", and
// records "note".
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
	waitListening(t, n.io)
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

// pgAdapter returns the main namespace's adapter of a Go server.
func pgAdapter(t testing.TB, io *socketio.Server) *Adapter {
	t.Helper()
	a, ok := io.Sockets().Adapter().(*Adapter)
	if !ok {
		t.Fatalf("adapter is %T", io.Sockets().Adapter())
	}
	return a
}

// waitListening waits until the main namespace's channel is listened to.
func waitListening(t testing.TB, io *socketio.Server) {
	t.Helper()
	select {
	case <-pgAdapter(t, io).Listening():
	case <-time.After(10 * time.Second):
		t.Fatal("the namespace's channel was not listened to within 10s")
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

func flush(t *testing.T, n *goNode, clients ...*wsClient) {
	t.Helper()
	if err := n.io.Emit("flush"); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		c.Expect(t, "flush")
	}
}

func socketIDs(socks []*socketio.RemoteSocket) []string {
	out := make([]string, len(socks))
	for i, s := range socks {
		out[i] = s.ID()
	}
	sort.Strings(out)
	return out
}

func ids(clients ...*wsClient) []string {
	out := make([]string, len(clients))
	for i, c := range clients {
		out[i] = c.ID
	}
	sort.Strings(out)
	return out
}

func rawStrings(rs []socketio.Raw) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// --- the Node.js server -----------------------------------------------------

// nodeDir is the npm project of the Node side.
func nodeDir() string { return filepath.Join("testdata", "node") }

// npmInstall installs the Node side's npm packages, once per test run.
func npmInstall(t testing.TB) { testkit.NPMInstall(t, nodeDir()) }

// nodeNode is the Node.js server of a test cluster.
type nodeNode struct {
	url    string
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    chan string
	stderr *testkit.SyncBuffer
}

// startNodeNode starts testdata/node/server.mjs on the database at pgURL,
// with key as its channel prefix and table name.
func startNodeNode(t testing.TB, pgURL, key, name string) *nodeNode {
	t.Helper()
	npmInstall(t)
	cmd := exec.Command("node", "server.mjs")
	cmd.Dir = nodeDir()
	cmd.Env = append(os.Environ(), "PG_URL="+pgURL, "KEY="+key, "NAME="+name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &testkit.SyncBuffer{} // read while the process may still write
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &nodeNode{cmd: cmd, in: stdin, out: make(chan string, 16), stderr: stderr}
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
		if t.Failed() {
			t.Logf("node server %s stderr:\n%s", name, stderr.String())
		}
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

// waitNodeServerCount asks the Node server, through c, how many servers it
// counts, until it counts want.
func waitNodeServerCount(t testing.TB, c *wsClient, want int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var n int
	for time.Now().Before(deadline) {
		do(t, c, map[string]any{"op": "serverCount"}, &n)
		if n == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("node server count: got %d, want %d", n, want)
}

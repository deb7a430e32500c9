package redisstreams

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/gosio/sio/internal/testkit"
)

// officialClient is the official socket.io-client (npm, 4.8) running
// testdata/node/client.mjs: what it sees comes back as lines.
type officialClient struct {
	in    io.WriteCloser
	lines chan clientLine
	err   *testkit.SyncBuffer
}

// clientLine is one line of client.mjs.
type clientLine struct {
	Ev        string            `json:"ev"`
	ID        string            `json:"id"`
	PID       string            `json:"pid"`
	Recovered bool              `json:"recovered"`
	Name      string            `json:"name"`
	Args      []json.RawMessage `json:"args"`
	Reason    string            `json:"reason"`
}

// startOfficialClient runs the official client against url, with query
// name=<name>; it stops at the end of the test.
func startOfficialClient(t *testing.T, url, name string) *officialClient {
	t.Helper()
	npmInstall(t)
	cmd := exec.Command("node", "client.mjs")
	cmd.Dir = nodeDir()
	cmd.Env = append(os.Environ(), "URL="+url, "NAME="+name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &officialClient{in: stdin, lines: make(chan clientLine, 256), err: &testkit.SyncBuffer{}}
	cmd.Stderr = c.err
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var l clientLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				c.lines <- l
			}
		}
		close(c.lines)
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
	return c
}

// send writes a command line to the client.
func (c *officialClient) send(t *testing.T, cmd string) {
	t.Helper()
	if _, err := io.WriteString(c.in, cmd+"\n"); err != nil {
		t.Fatal(err)
	}
}

// next returns the client's next line, which must be of kind ev.
func (c *officialClient) next(t *testing.T, ev string) clientLine {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			t.Fatalf("official client exited: %s", c.err.String())
		}
		if l.Ev != ev {
			t.Fatalf("official client: got %+v, want %s", l, ev)
		}
		return l
	case <-time.After(2 * testkit.Timeout):
		t.Fatalf("official client: no %s within %v: %s", ev, 2*testkit.Timeout, c.err.String())
	}
	return clientLine{}
}

// event returns the client's next event, which must be named name, and
// its arguments as JSON.
func (c *officialClient) event(t *testing.T, name string) []string {
	t.Helper()
	l := c.next(t, "event")
	if l.Name != name {
		t.Fatalf("official client: got event %s %s, want %s", l.Name, l.Args, name)
	}
	out := make([]string, len(l.Args))
	for i, a := range l.Args {
		out[i] = string(a)
	}
	return out
}

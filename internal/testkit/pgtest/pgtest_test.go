package pgtest

import (
	"context"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestRestart starts a server, restarts it on the same port and data, and
// checks that a table made before the restart is still there.
func TestRestart(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	p := s.NewPool(t)
	if _, err := p.Exec(ctx, "CREATE TABLE kept (x int)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	p2 := s.NewPool(t)
	if _, err := p2.Exec(ctx, "INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if got := UniqueName("A/b c"); got == "" {
		t.Fatal("empty name")
	}
}

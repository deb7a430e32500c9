package emitter_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/gosio/sio/internal/testkit/pgtest"
	"github.com/gosio/sio/internal/testkit/redistest"
)

// The tests share one redis-server and one PostgreSQL server (each test
// with a key or prefix of its own), and fail on goroutines left behind.
func TestMain(m *testing.M) {
	code := m.Run()
	redistest.StopShared()
	pgtest.StopShared()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak: goroutines left behind:", err)
			code = 1
		}
	}
	os.Exit(code)
}

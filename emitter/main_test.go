package emitter_test

import (
	"os"
	"testing"

	"github.com/gosio/sio/internal/testkit/redistest"
)

// The tests share one redis-server (each with a key of its own) and fail
// on goroutines left behind.
func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

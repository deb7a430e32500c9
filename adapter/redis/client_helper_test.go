package redis

import (
	"testing"

	"github.com/gosio/sio/internal/testkit/clustertest"
)

// The cluster tests' client: internal/testkit/clustertest, shared with
// the other Redis adapter's tests.
type wsClient = clustertest.Client

var errNoAnswer = clustertest.ErrNoAnswer

func dialClient(t testing.TB, base, name string) *wsClient { return clustertest.Dial(t, base, name) }

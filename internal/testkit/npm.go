package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// npmRuns holds one *npmRun per directory: npm ci runs at most once per
// directory and test process.
var npmRuns sync.Map

type npmRun struct {
	once sync.Once
	err  error
}

// NPMInstall makes sure the npm project in dir (a test's Node.js side) is
// installed: it runs npm ci there once per test process, unless
// node_modules/.installed (which the Makefile's rules and NPMInstall
// write) is newer than package-lock.json. It fails t if node or npm is
// missing or npm ci fails.
func NPMInstall(t testing.TB, dir string) {
	t.Helper()
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not found on PATH: the tests with a Node.js side need Node.js 20 and npm", bin)
		}
	}
	v, _ := npmRuns.LoadOrStore(dir, new(npmRun))
	r := v.(*npmRun)
	r.once.Do(func() {
		stamp := filepath.Join(dir, "node_modules", ".installed")
		if si, err := os.Stat(stamp); err == nil {
			if li, err := os.Stat(filepath.Join(dir, "package-lock.json")); err == nil && !li.ModTime().After(si.ModTime()) {
				return
			}
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			r.err = fmt.Errorf("%w: %s", err, out)
			return
		}
		r.err = os.WriteFile(stamp, nil, 0o644)
	})
	if r.err != nil {
		t.Fatalf("npm ci in %s: %v", dir, r.err)
	}
}

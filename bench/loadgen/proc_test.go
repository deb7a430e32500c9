package main

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"testing"
)

// processTree finds a child of this process, and treeCPU measures the
// tree (for -db-pid: PostgreSQL's postmaster and its backends).
func TestProcessTree(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	tree0 := startTree(os.Getpid())
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if tree := processTree(os.Getpid()); tree[0] != os.Getpid() || !slices.Contains(tree, cmd.Process.Pid) {
		t.Fatalf("processTree(self) = %v, want self first and the child %d", tree, cmd.Process.Pid)
	}
	tree0.stop()
	if tree0.used < 0 || tree0.count < 2 {
		t.Fatalf("treeCPU: used %v over %d processes, want >= 0 over self and the child", tree0.used, tree0.count)
	}
}

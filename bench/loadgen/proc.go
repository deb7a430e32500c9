package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procStatusKB returns a kB field of /proc/PID/status (VmRSS, VmHWM), or -1.
func procStatusKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return v
				}
			}
		}
	}
	return -1
}

// sumStatusKB sums procStatusKB over pids; -1 if any is unknown.
func sumStatusKB(pids []int, field string) int64 {
	var sum int64
	for _, pid := range pids {
		v := procStatusKB(pid, field)
		if v < 0 {
			return -1
		}
		sum += v
	}
	return sum
}

// procTicks returns the process's utime+stime from /proc/PID/stat, in
// clock ticks of 10 ms (USER_HZ is 100 on Linux), including exited threads.
func procTicks(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The command name may hold spaces: the fields start after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 { // f[0] is field 3 (state); utime is field 14, stime 15
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(u+s) * 10 * time.Millisecond
}

// procSchedNS sums the nanosecond run times of the process's live threads
// (/proc/PID/task/*/schedstat). It misses threads that exited.
func procSchedNS(pid int) time.Duration {
	paths, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(paths) == 0 {
		return -1
	}
	var sum int64
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			v, _ := strconv.ParseInt(f[0], 10, 64)
			sum += v
		}
	}
	return time.Duration(sum)
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sysTicks returns the busy and total CPU ticks of the whole machine (all
// cores) from the first line of /proc/stat.
func sysTicks() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1, -1
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return -1, -1
	}
	for i, x := range f[1:] {
		if i >= 8 { // guest time is already counted in user
			break
		}
		v, _ := strconv.ParseInt(x, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

// procCPU is one process's CPU time over a window.
type procCPU struct {
	pid            int
	ticks0, sched0 time.Duration
	used           time.Duration // -1: unknown
}

func startProc(pid int) procCPU {
	return procCPU{pid: pid, ticks0: procTicks(pid), sched0: procSchedNS(pid), used: -1}
}

// stop ends the window. The CPU time is the tick count's difference,
// replaced by the thread run times' difference (ns resolution) when both
// agree within 20 ms + 10%, i.e. when no thread came and went in between.
func (p *procCPU) stop() {
	p.used = -1
	if p.ticks0 < 0 {
		return
	}
	ticks, sched := procTicks(p.pid), procSchedNS(p.pid)
	if ticks < 0 {
		return
	}
	p.used = ticks - p.ticks0
	if sched >= 0 && p.sched0 >= 0 {
		d := sched - p.sched0
		diff := d - p.used
		if diff < 0 {
			diff = -diff
		}
		if diff <= 20*time.Millisecond+p.used/10 {
			p.used = d
		}
	}
}

// sumCPU adds the processes' CPU times; -1 if any is unknown or there are
// none.
func sumCPU(ps []procCPU) time.Duration {
	if len(ps) == 0 {
		return -1
	}
	var sum time.Duration
	for _, p := range ps {
		if p.used < 0 {
			return -1
		}
		sum += p.used
	}
	return sum
}

// cpuWindow measures the CPU time of the server (the sum over its
// processes: the nodes of a cluster), of Redis and of
// the load generator over a window of wall time.
type cpuWindow struct {
	servers, redis   []procCPU
	t0               time.Time
	self0            time.Duration
	busy0, total0    int64
	otherCores       float64 // -1: unknown
	wall             time.Duration
	server, redisCPU time.Duration // -1: unknown
	self             time.Duration
	db               *treeCPU // a database server's process tree (-db-pid), or nil
}

// startCPU starts a window over the server processes pids (none or 0:
// the server's CPU is not measured) and the Redis processes.
func startCPU(pids []int, redis ...int) *cpuWindow {
	w := &cpuWindow{t0: time.Now(), self0: selfCPU(), otherCores: -1}
	w.busy0, w.total0 = sysTicks()
	for _, pid := range pids {
		if pid > 0 {
			w.servers = append(w.servers, startProc(pid))
		}
	}
	for _, pid := range redis {
		if pid > 0 {
			w.redis = append(w.redis, startProc(pid))
		}
	}
	return w
}

// withDB adds a database server's process tree (root: its main process)
// to the window, measured apart like Redis; root 0 adds nothing.
func (w *cpuWindow) withDB(root int) *cpuWindow {
	if root > 0 {
		w.db = startTree(root)
	}
	return w
}

// stop ends the window.
func (w *cpuWindow) stop() {
	w.wall = time.Since(w.t0)
	w.self = selfCPU() - w.self0
	busy, total := sysTicks()
	for i := range w.servers {
		w.servers[i].stop()
	}
	for i := range w.redis {
		w.redis[i].stop()
	}
	w.server, w.redisCPU = sumCPU(w.servers), sumCPU(w.redis)
	if w.db != nil {
		w.db.stop()
	}
	// What the rest of the machine used meanwhile: a busy neighbour makes
	// the run's figures unreliable.
	if w.busy0 < 0 || busy < 0 || total <= w.total0 || w.server < 0 {
		return
	}
	ours := w.server + w.self
	if w.redisCPU > 0 {
		ours += w.redisCPU
	}
	if w.db != nil && w.db.used > 0 {
		ours += w.db.used
	}
	cores := float64(runtime.NumCPU()) * float64(busy-w.busy0) / float64(total-w.total0)
	w.otherCores = max(0, cores-ours.Seconds()/w.wall.Seconds())
}

// report writes the window into r; ops > 0 also gives server CPU per op.
// With several server processes, server_cpu_s_each lists each one's share.
func (w *cpuWindow) report(r *result, opName string, ops int) {
	r.set("window_s", round(w.wall.Seconds(), 4))
	r.set("loadgen_cpu_cores", round(w.self.Seconds()/w.wall.Seconds(), 3))
	if w.redisCPU >= 0 {
		r.set("redis_cpu_cores", round(w.redisCPU.Seconds()/w.wall.Seconds(), 3))
	}
	if w.db != nil && w.db.used >= 0 {
		r.set("db_cpu_cores", round(w.db.used.Seconds()/w.wall.Seconds(), 3))
		r.set("db_processes", w.db.count)
	}
	if w.server < 0 {
		return
	}
	if w.otherCores >= 0 {
		r.set("other_cpu_cores", round(w.otherCores, 2))
	}
	r.set("server_cpu_s", round(w.server.Seconds(), 4))
	r.set("server_cpu_cores", round(w.server.Seconds()/w.wall.Seconds(), 3))
	if len(w.servers) > 1 {
		each := make([]float64, len(w.servers))
		for i, p := range w.servers {
			each[i] = round(p.used.Seconds(), 4)
		}
		r.set("server_cpu_s_each", each)
	}
	if ops > 0 && opName != "" {
		r.set("server_cpu_us_per_"+opName, round(w.server.Seconds()*1e6/float64(ops), 3))
	}
}

// processTree returns root and every process below it (children,
// grandchildren, ...), from the parent IDs in /proc/*/stat: a database
// server that forks a process per connection, such as PostgreSQL's
// postmaster and its backends.
func processTree(root int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return []int{root}
	}
	children := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], pid)
		}
	}
	tree := []int{root}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	return tree
}

// treeCPU is the CPU time of a process tree over a window: the processes
// found at its start measured as procCPU, those that appeared meanwhile
// counted with all their CPU time (they began within the window). A
// process that exits within the window loses what it used in it.
type treeCPU struct {
	root  int
	procs []procCPU
	known map[int]bool
	used  time.Duration // -1: unknown
	count int           // processes measured at the end
}

func startTree(root int) *treeCPU {
	t := &treeCPU{root: root, known: map[int]bool{}, used: -1}
	for _, pid := range processTree(root) {
		t.procs = append(t.procs, startProc(pid))
		t.known[pid] = true
	}
	return t
}

func (t *treeCPU) stop() {
	t.used, t.count = -1, 0
	var sum time.Duration
	for i := range t.procs {
		t.procs[i].stop()
		if t.procs[i].used >= 0 {
			sum += t.procs[i].used
			t.count++
		} else if t.procs[i].pid == t.root {
			return // the root is gone: unknown
		}
	}
	for _, pid := range processTree(t.root) {
		if !t.known[pid] {
			if v := procTicks(pid); v >= 0 {
				sum += v
				t.count++
			}
		}
	}
	t.used = sum
}

// Package proccpu tells where a benchmark's CPU time went, process by process, from Linux's
// /proc: a snapshot before and after a run, and the difference grouped by program name. On
// systems without /proc the snapshots are empty.
package proccpu

import (
	"bytes"
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's CPU times (USER_HZ), 100 on every Linux
// platform Go supports.
const clockTick = 10 * time.Millisecond

type proc struct {
	name  string
	ppid  int
	start int64         // start time since boot, in ticks: tells a reused pid apart
	cpu   time.Duration // user + system
}

// Snapshot is the CPU time every process, and the machine as a whole, had used at one moment.
type Snapshot struct {
	procs map[int]proc
	busy  time.Duration // machine-wide user, system and steal time (interrupts left out)
}

// Take reads every process's CPU time and the machine's.
func Take() Snapshot {
	s := Snapshot{procs: map[int]proc{}, busy: machineBusy()}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		if p, ok := readStat(filepath.Join(dir, "stat")); ok {
			s.procs[pid] = p
		}
	}
	return s
}

// machineBusy reads the first line of /proc/stat: "cpu user nice system idle iowait irq
// softirq steal ...", in clock ticks.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 8} {
		n, _ := strconv.ParseInt(string(f[i]), 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * clockTick
}

// readStat parses the fields of /proc/<pid>/stat that matter here: comm (2), ppid (4),
// utime (14), stime (15) and starttime (22). comm is in parentheses and may hold spaces or
// parentheses (and kernel threads rename themselves: it does not identify a process).
func readStat(path string) (proc, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return proc{}, false
	}
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return proc{}, false
	}
	f := bytes.Fields(b[end+1:]) // f[0] is field 3
	if len(f) < 20 {
		return proc{}, false
	}
	field := func(n int) int64 {
		v, _ := strconv.ParseInt(string(f[n-3]), 10, 64)
		return v
	}
	return proc{
		name:  string(b[open+1 : end]),
		ppid:  int(field(4)),
		start: field(22),
		cpu:   time.Duration(field(14)+field(15)) * clockTick,
	}, true
}

// Usage is the CPU time one group of processes used between two snapshots.
type Usage struct {
	Name string
	CPU  time.Duration
}

// Diff returns the CPU time used from before to after by the processes that group names,
// grouped by that name, largest first. group returns "" for processes to leave out; it may
// consult the snapshot (for instance to follow parent ids). Processes that started after
// before count in full.
func Diff(before, after Snapshot, group func(s Snapshot, pid int) string) []Usage {
	byName := map[string]time.Duration{}
	for pid := range after.procs {
		if name := group(after, pid); name != "" {
			byName[name] += used(before, after, pid)
		}
	}
	var out []Usage
	for name, cpu := range byName {
		out = append(out, Usage{Name: name, CPU: cpu})
	}
	slices.SortFunc(out, func(a, b Usage) int {
		return cmp.Or(cmp.Compare(b.CPU, a.CPU), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Foreign returns the CPU time from before to after that went neither to the processes ours
// accepts nor to the kernel's own threads: other programs, including those that started and
// ended in between, and time the hypervisor took from this machine (steal). It is what
// disturbed a measurement. On systems without /proc it is 0.
func Foreign(before, after Snapshot, ours func(s Snapshot, pid int) bool) time.Duration {
	foreign := after.busy - before.busy
	for pid := range after.procs {
		if ours(after, pid) || after.Kernel(pid) {
			foreign -= used(before, after, pid)
		}
	}
	return max(foreign, 0)
}

func used(before, after Snapshot, pid int) time.Duration {
	p := after.procs[pid]
	if b, ok := before.procs[pid]; ok && b.start == p.start {
		return p.cpu - b.cpu
	}
	return p.cpu
}

// kernelThreads is kthreadd's process id: the kernel's threads are it and its children.
const kernelThreads = 2

// Kernel reports whether pid is one of the kernel's own threads.
func (s Snapshot) Kernel(pid int) bool {
	return pid == kernelThreads || s.procs[pid].ppid == kernelThreads
}

// Name returns the program name of pid ("" when unknown).
func (s Snapshot) Name(pid int) string { return s.procs[pid].name }

// Find returns a process named name that descends from ancestor (not ancestor itself), if
// there is one.
func (s Snapshot) Find(name string, ancestor int) (int, bool) {
	for pid, p := range s.procs {
		if p.name == name && pid != ancestor && s.Descends(pid, ancestor) {
			return pid, true
		}
	}
	return 0, false
}

// Descends reports whether pid is ancestor or a descendant of it.
func (s Snapshot) Descends(pid, ancestor int) bool {
	for seen := 0; pid > 0 && seen < 64; seen++ {
		if pid == ancestor {
			return true
		}
		p, ok := s.procs[pid]
		if !ok {
			return false
		}
		pid = p.ppid
	}
	return false
}

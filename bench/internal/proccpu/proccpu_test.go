package proccpu

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func TestReadStat_NameWithSpacesAndParentheses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stat")
	line := "4242 (my (odd) prog) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 98765 1000 100\n"
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	got, ok := readStat(path)
	want := proc{name: "my (odd) prog", ppid: 17, start: 98765, cpu: 300 * clockTick}
	if !ok || got != want {
		t.Fatalf("readStat = %+v, %t; want %+v", got, ok, want)
	}
}

func TestDiff_CountsThisProcessesWork(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	self := os.Getpid()
	before := Take()
	// Spin until the process has used 150ms of CPU by its own account (getrusage), however
	// busy the machine is: wall time would give it less on a loaded machine.
	for start, used := time.Now(), rusage(t); rusage(t)-used < 150*time.Millisecond; {
		if time.Since(start) > 30*time.Second {
			t.Fatal("could not use 150ms of CPU in 30s")
		}
	}
	after := Take()
	usage := Diff(before, after, func(_ Snapshot, pid int) string {
		if pid == self {
			return "me"
		}
		return ""
	})
	if len(usage) != 1 || usage[0].Name != "me" || usage[0].CPU < 100*time.Millisecond {
		t.Fatalf("usage = %+v, want this process with ≥ 100ms", usage)
	}
	if after.busy-before.busy < usage[0].CPU-2*clockTick {
		t.Fatalf("machine busy %s < this process's %s", after.busy-before.busy, usage[0].CPU)
	}
}

// rusage is the CPU time (user + system) the process has used so far.
func rusage(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package proccpu

import (
	"os"
	"path/filepath"
	"runtime"
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
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
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

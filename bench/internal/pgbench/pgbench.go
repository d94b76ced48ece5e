// Package pgbench runs PostgreSQL's pgbench with a custom script and reads the throughput it
// reports: the raw-tool ceiling that write benchmarks compare themselves with.
package pgbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// ErrNotFound means no pgbench binary was found on PATH or under /usr/lib/postgresql.
var ErrNotFound = errors.New("pgbench: binary not found on PATH or under /usr/lib/postgresql/*/bin")

// Find returns the path of pgbench: from PATH, else from the newest
// /usr/lib/postgresql/<version>/bin.
func Find() (string, error) {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		p := filepath.Join(d, "pgbench")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Run is one pgbench run of a custom script with prepared statements and no vacuum.
type Run struct {
	// Binary is pgbench's path (see Find).
	Binary string
	// URL is the database to run against (a postgres:// URL).
	URL string
	// Script is the custom script (pgbench's -f file), one transaction per execution.
	Script string
	// Clients and Threads are pgbench's -c and -j.
	Clients, Threads int
	// Duration is pgbench's -T, rounded up to whole seconds.
	Duration time.Duration
}

// Result is what a run reports.
type Result struct {
	// TPS is the transactions per second, without the initial connection time.
	TPS float64
	// Transactions is the number of transactions processed.
	Transactions int64
	// Output is pgbench's report, for a reader who wants the details.
	Output string
}

var (
	tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)
	txLine  = regexp.MustCompile(`(?m)^number of transactions actually processed: ([0-9]+)`)
	failed  = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
)

// Do runs pgbench and parses its report. A run with failed transactions is an error: the
// ceiling would not be comparable.
func (r Run) Do(ctx context.Context) (Result, error) {
	if r.Clients < 1 || r.Threads < 1 || r.Duration <= 0 || r.Script == "" || r.URL == "" || r.Binary == "" {
		return Result{}, fmt.Errorf("pgbench: incomplete run %+v", r)
	}
	f, err := os.CreateTemp("", "storefront-pgbench-*.sql")
	if err != nil {
		return Result{}, fmt.Errorf("pgbench: script file: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(r.Script); err != nil {
		f.Close()
		return Result{}, fmt.Errorf("pgbench: write script: %w", err)
	}
	if err := f.Close(); err != nil {
		return Result{}, fmt.Errorf("pgbench: write script: %w", err)
	}
	secs := int((r.Duration + time.Second - 1) / time.Second)
	// The run stops by itself after -T; the deadline only catches a hung server.
	ctx, cancel := context.WithTimeout(ctx, r.Duration+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.Binary, "-n", "-M", "prepared",
		"-c", strconv.Itoa(r.Clients), "-j", strconv.Itoa(r.Threads), "-T", strconv.Itoa(secs),
		"-f", f.Name(), r.URL)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("pgbench: %w: %s", err, out.String())
	}
	res := Result{Output: out.String()}
	m := tpsLine.FindStringSubmatch(res.Output)
	if m == nil {
		return res, fmt.Errorf("pgbench: no tps in its report: %s", res.Output)
	}
	if res.TPS, err = strconv.ParseFloat(m[1], 64); err != nil {
		return res, fmt.Errorf("pgbench: tps %q: %w", m[1], err)
	}
	if m := txLine.FindStringSubmatch(res.Output); m != nil {
		res.Transactions, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := failed.FindStringSubmatch(res.Output); m != nil && m[1] != "0" {
		return res, fmt.Errorf("pgbench: %s failed transactions: %s", m[1], res.Output)
	}
	return res, nil
}

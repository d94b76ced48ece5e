// Package benchline prints benchmark results in the one line format tools read:
//
//	BENCH name=<name> ours=<value> limit=<value> unit=<unit> ratio=<ours/limit> goal=<ratio> ok=<true|false>
//
// where limit is the reference (a hardware or raw-tool ceiling) measured in the same run.
// For figures where lower is better (latencies), ratio is still ours/limit and the goal is a
// ceiling: ok means ratio ≤ goal.
package benchline

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// Result is one figure of a benchmark.
type Result struct {
	Name  string  // e.g. "es.append.single.8writers"
	Ours  float64 // our measured value
	Limit float64 // the reference measured in the same run
	Unit  string  // e.g. "events/s", "ms"
	Goal  float64 // the ratio to reach
	// LowerIsBetter flips the comparison with Goal (latencies).
	LowerIsBetter bool
}

// Ratio is Ours/Limit (0 when Limit is 0).
func (r Result) Ratio() float64 {
	if r.Limit == 0 {
		return 0
	}
	return r.Ours / r.Limit
}

// OK reports whether the ratio meets the goal.
func (r Result) OK() bool {
	if r.LowerIsBetter {
		return r.Limit != 0 && r.Ratio() <= r.Goal
	}
	return r.Ratio() >= r.Goal
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_.:/-]+$`)

// Line renders r in the BENCH format.
func (r Result) Line() string {
	name, unit := r.Name, r.Unit
	if !validName.MatchString(name) {
		name = strconv.Quote(name)
	}
	if !validName.MatchString(unit) {
		unit = strconv.Quote(unit)
	}
	return fmt.Sprintf("BENCH name=%s ours=%s limit=%s unit=%s ratio=%s goal=%s ok=%t",
		name, num(r.Ours), num(r.Limit), unit, num(r.Ratio()), num(r.Goal), r.OK())
}

// Print writes r's line to w.
func Print(w io.Writer, r Result) {
	fmt.Fprintln(w, r.Line())
}

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100 || v <= -100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

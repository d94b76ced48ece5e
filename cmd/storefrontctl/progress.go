package main

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressSnapshot is one rebuild progress as shown: position, total and fraction never go
// backwards from one snapshot of a tracker to the next.
type progressSnapshot struct {
	position, total float64
	fraction        float64 // of total, 0..1; 0 while the total is unknown
	rate, eta       float64 // events per second, seconds
}

// text is "1200/5000 (24%) 850 events/s ETA 4s".
func (s progressSnapshot) text() string {
	t := fmt.Sprintf("%s events read", num(s.position))
	if s.total > 0 {
		t = fmt.Sprintf("%s/%s (%d%%)", num(s.position), num(s.total), s.percent())
	}
	t += fmt.Sprintf(" %s events/s", num(math.Round(s.rate)))
	if s.eta > 0 {
		t += " ETA " + time.Duration(math.Round(s.eta)*float64(time.Second)).String()
	}
	return t
}

func (s progressSnapshot) percent() int { return int(math.Floor(s.fraction * 100)) }

// progressTracker clamps the rebuild progress the API reports, sampled while the rebuild
// runs, so that what is shown never goes backwards: a later sample that reads a lower
// position (another replica answering, a resumed rebuild) or a larger total does not move
// the position or the percentage back.
type progressTracker struct {
	last progressSnapshot
}

func (t *progressTracker) update(r rebuildProgress) progressSnapshot {
	s := progressSnapshot{rate: r.Rate, eta: r.ETASeconds}
	s.position = max(t.last.position, r.Position, 0)
	s.total = t.last.total
	if r.Total > 0 {
		s.total = r.Total
	}
	if s.total > 0 {
		s.total = max(s.total, s.position)
		s.fraction = s.position / s.total
	}
	s.fraction = max(t.last.fraction, min(s.fraction, 1))
	t.last = s
	return s
}

// progressReporter shows a waited-for rebuild. Calls come from one goroutine.
type progressReporter interface {
	// waiting: asked for, not running yet.
	waiting()
	// progress: running.
	progress(s progressSnapshot)
	// done ends the display with a last line.
	done(line string)
	// stop ends the display without a last line (a failure or an interruption follows).
	stop()
}

// plainReporter prints at most one line per period, for logs and pipes:
// "catalog: rebuilding 1200/5000 (24%) 850 events/s ETA 4s".
type plainReporter struct {
	w      io.Writer
	name   string
	every  time.Duration
	last   time.Time
	primed bool
}

func (r *plainReporter) line(text string) {
	now := time.Now()
	if r.primed && now.Sub(r.last) < r.every {
		return
	}
	r.primed, r.last = true, now
	fmt.Fprintf(r.w, "%s: %s\n", r.name, text)
}

func (r *plainReporter) waiting()                    { r.line("rebuild requested, waiting for it to start") }
func (r *plainReporter) progress(s progressSnapshot) { r.line("rebuilding " + s.text()) }
func (r *plainReporter) done(line string)            { fmt.Fprintf(r.w, "%s: %s\n", r.name, line) }
func (r *plainReporter) stop()                       {}

// barScale is the bar's resolution: it shows the tracker's clamped fraction in tenths of a
// percent, and the counts, rate and ETA as text, so it is as monotonic as the tracker.
const barScale = 1000

// barReporter draws a live progress bar on a terminal.
type barReporter struct {
	w    io.Writer
	name string
	bar  *progressbar.ProgressBar
}

func newBarReporter(w io.Writer, name string) *barReporter {
	bar := progressbar.NewOptions64(barScale,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(name+": waiting for the rebuild to start"),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetElapsedTime(false),
		progressbar.OptionSetRenderBlankState(true),
	)
	return &barReporter{w: w, name: name, bar: bar}
}

func (r *barReporter) waiting() {}

func (r *barReporter) progress(s progressSnapshot) {
	// Each call draws the bar: the second frame shows both changes.
	_ = r.bar.Set64(int64(math.Floor(s.fraction * barScale)))
	r.bar.Describe(r.name + ": " + s.text())
}

func (r *barReporter) done(line string) {
	_ = r.bar.Finish()
	fmt.Fprintf(r.w, "\n%s: %s\n", r.name, line)
}

func (r *barReporter) stop() {
	_ = r.bar.Exit()
	fmt.Fprintln(r.w)
}

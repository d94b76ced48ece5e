package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// proj is a Projection as the API sends it, every field present.
type proj struct {
	state                 string
	pos, total, rate, eta float64
	switchedAt, err       string
	startedAt             string
	generation            int
}

func (p proj) json() string {
	b, _ := json.Marshal(map[string]any{
		"name": "catalog", "position": 5000, "lag": 0, "lag_seconds": 0, "state": p.state,
		"rebuild": map[string]any{"position": p.pos, "total": p.total, "rate": p.rate, "eta_seconds": p.eta,
			"applied": p.pos, "started_at": p.startedAt},
		"active_generation": p.generation, "building_generation": p.generation + 1, "error": p.err,
		"switched_at": p.switchedAt, "contexts": []string{"catalog"}, "dead_letters": 0,
		"rebuild_requested_at": "2026-11-24T10:00:00Z",
	})
	return string(b)
}

const (
	switchedEarlier = "2026-11-24T09:00:00Z"
	switchedLater   = "2026-11-24T10:05:00.5Z"
)

// rebuildFake serves GET /admin/projections: before until the rebuild is asked for, then
// the states of after one per poll, the last one for good.
type rebuildFake struct {
	mu     sync.Mutex
	before proj
	after  []proj
	posted int
	polls  int
}

func (rf *rebuildFake) install(f *fakeAPI) {
	other := `{"name":"ordering","position":1,"lag":0,"lag_seconds":0,"state":"live","rebuild":{"position":0,"total":0,"rate":0,"eta_seconds":0,"applied":0,"started_at":""},"active_generation":1,"building_generation":0,"error":"","switched_at":"","contexts":["ordering"],"dead_letters":0,"rebuild_requested_at":""}`
	f.handle("GET /api/v1/admin/projections", func(w http.ResponseWriter, _ *http.Request) {
		rf.mu.Lock()
		p := rf.before
		if rf.posted > 0 {
			p = rf.after[min(rf.polls, len(rf.after)-1)]
			rf.polls++
		}
		rf.mu.Unlock()
		writeJSON(w, 200, `{"items":[`+other+`,`+p.json()+`]}`)
	})
	f.handle("POST /api/v1/admin/projections/{name}/rebuild", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") != "catalog" {
			writeJSON(w, 404, `{"error":{"code":"not_found","message":"no projection","details":[]}}`)
			return
		}
		rf.mu.Lock()
		rf.posted++
		p := rf.before
		rf.mu.Unlock()
		writeJSON(w, 202, p.json())
	})
}

func TestRebuildWait_PlainLinesAreMonotonicUntilTheSwitch(t *testing.T) {
	live := proj{state: "live", switchedAt: switchedEarlier, generation: 1}
	rf := &rebuildFake{
		before: live,
		after: []proj{
			live, // asked for, not started yet
			{state: "rebuilding", pos: 0, total: 5000, switchedAt: switchedEarlier, generation: 1},
			{state: "rebuilding", pos: 2500, total: 5000, rate: 850.2, eta: 2.9, switchedAt: switchedEarlier, generation: 1},
			{state: "rebuilding", pos: 2400, total: 5200, rate: 800, eta: 3.4, switchedAt: switchedEarlier, generation: 1}, // an older sample
			{state: "rebuilding", pos: 5000, total: 5000, rate: 900, eta: 0, switchedAt: switchedEarlier, generation: 1},
			{state: "live", switchedAt: switchedLater, generation: 2},
		},
	}
	f := newFakeAPI(t)
	rf.install(f)
	res := f.newInvocation().run(t, "projections", "rebuild", "catalog", "--wait", "--interval", "5ms")
	if res.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	want := "" +
		"catalog: rebuild requested, waiting for it to start\n" +
		"catalog: rebuilding 0/5000 (0%) 0 events/s\n" +
		"catalog: rebuilding 2500/5000 (50%) 850 events/s ETA 3s\n" +
		"catalog: rebuilding 2500/5200 (50%) 800 events/s ETA 3s\n" +
		"catalog: rebuilding 5000/5000 (100%) 900 events/s\n" +
		"catalog: rebuilt, generation 2 switched in at " + switchedLater + "\n"
	if diff := cmp.Diff(want, res.stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	assertMonotonic(t, res.stdout)
	if rf.posted != 1 {
		t.Errorf("rebuild asked for %d times, want 1", rf.posted)
	}
}

func TestRebuildWait_JSONPutsProgressOnStderrAndTheProjectionOnStdout(t *testing.T) {
	done := proj{state: "live", switchedAt: switchedLater, generation: 2}
	rf := &rebuildFake{
		before: proj{state: "live", switchedAt: switchedEarlier, generation: 1},
		after:  []proj{{state: "rebuilding", pos: 10, total: 20, switchedAt: switchedEarlier, generation: 1}, done},
	}
	f := newFakeAPI(t)
	rf.install(f)
	res := f.newInvocation().run(t, "--json", "projections", "rebuild", "catalog", "--wait", "--interval", "5ms")
	if res.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	if diff := cmp.Diff(indented(t, done.json()), res.stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if !strings.Contains(res.stderr, "catalog: rebuilding 10/20 (50%)") {
		t.Errorf("stderr lacks the progress:\n%s", res.stderr)
	}
}

func TestRebuildWait_FailedRebuildExits7(t *testing.T) {
	rf := &rebuildFake{
		before: proj{state: "live", switchedAt: switchedEarlier, generation: 1},
		after: []proj{
			{state: "rebuilding", pos: 1000, total: 5000, switchedAt: switchedEarlier, generation: 1, startedAt: "2026-11-24T10:00:01Z"},
			{state: "failed", pos: 1000, total: 5000, switchedAt: switchedEarlier, generation: 1, startedAt: "2026-11-24T10:00:01Z", err: "apply: boom"},
		},
	}
	f := newFakeAPI(t)
	rf.install(f)
	res := f.newInvocation().run(t, "projections", "rebuild", "catalog", "--wait", "--interval", "5ms")
	if res.code != exitRebuildFailed {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", res.code, exitRebuildFailed, res.stderr)
	}
	if want := "error: the rebuild of catalog failed: apply: boom\n"; res.stderr != want {
		t.Errorf("stderr = %q, want %q", res.stderr, want)
	}
}

func TestRebuildWait_AnEarlierFailureIsNotThisRebuilds(t *testing.T) {
	old := proj{state: "failed", switchedAt: switchedEarlier, generation: 1, startedAt: "2026-11-23T10:00:00Z", err: "old failure"}
	rf := &rebuildFake{
		before: old,
		after: []proj{
			old, old, // the projector has not picked the request up yet
			{state: "rebuilding", pos: 1, total: 2, switchedAt: switchedEarlier, generation: 1, startedAt: "2026-11-24T10:00:01Z"},
			{state: "live", switchedAt: switchedLater, generation: 2},
		},
	}
	f := newFakeAPI(t)
	rf.install(f)
	res := f.newInvocation().run(t, "projections", "rebuild", "catalog", "--wait", "--interval", "5ms")
	if res.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	if !strings.HasSuffix(res.stdout, "catalog: rebuilt, generation 2 switched in at "+switchedLater+"\n") {
		t.Errorf("stdout:\n%s", res.stdout)
	}
}

func TestRebuildWait_TransientErrorsArePolledThrough(t *testing.T) {
	f := newFakeAPI(t)
	var mu sync.Mutex
	polls := 0
	f.handle("POST /api/v1/admin/projections/{name}/rebuild", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 202, proj{state: "live"}.json())
	})
	f.handle("GET /api/v1/admin/projections", func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		polls++
		n := polls
		mu.Unlock()
		switch n {
		case 1:
			writeJSON(w, 200, `{"items":[`+proj{state: "live", switchedAt: switchedEarlier}.json()+`]}`)
		case 2:
			writeJSON(w, 503, `{"error":{"code":"unavailable","message":"projector restarting","details":[]}}`)
		default:
			writeJSON(w, 200, `{"items":[`+proj{state: "live", switchedAt: switchedLater, generation: 2}.json()+`]}`)
		}
	})
	res := f.newInvocation().run(t, "projections", "rebuild", "catalog", "--wait", "--interval", "5ms")
	if res.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	if want := "warning: unavailable: projector restarting (retrying)\n"; res.stderr != want {
		t.Errorf("stderr = %q, want %q", res.stderr, want)
	}
}

func TestRebuildWait_ProgressBarOnATerminal(t *testing.T) {
	rf := &rebuildFake{
		before: proj{state: "live", switchedAt: switchedEarlier, generation: 1},
		after: []proj{
			{state: "rebuilding", pos: 0, total: 5000, switchedAt: switchedEarlier},
			{state: "rebuilding", pos: 2500, total: 5000, rate: 850, eta: 3, switchedAt: switchedEarlier},
			{state: "rebuilding", pos: 2000, total: 5000, rate: 850, eta: 3, switchedAt: switchedEarlier},
			{state: "rebuilding", pos: 5000, total: 5000, rate: 850, switchedAt: switchedEarlier},
			{state: "live", switchedAt: switchedLater, generation: 2},
		},
	}
	f := newFakeAPI(t)
	rf.install(f)
	inv := f.newInvocation()
	inv.settings.isTerminal = func(any) bool { return true }
	res := inv.run(t, "projections", "rebuild", "catalog", "--wait", "--interval", "5ms")
	if res.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	for _, want := range []string{"\r", " 50% |", "2500/5000 (50%) 850 events/s ETA 3s", "100% |", "catalog: rebuilt, generation 2"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%q", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "2000/5000") {
		t.Errorf("the bar went back to an older sample:\n%q", res.stdout)
	}
	assertMonotonic(t, res.stdout)
}

// assertMonotonic checks that the positions and percentages shown never go backwards.
func assertMonotonic(t *testing.T, out string) {
	t.Helper()
	re := regexp.MustCompile(`(\d+)/\d+ \((\d+)%\)`)
	lastPos, lastPct := -1, -1
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		pos, _ := strconv.Atoi(m[1])
		pct, _ := strconv.Atoi(m[2])
		if pos < lastPos || pct < lastPct {
			t.Errorf("progress went backwards: %s after %d (%d%%)", m[0], lastPos, lastPct)
		}
		lastPos, lastPct = pos, pct
	}
	if lastPos < 0 {
		t.Errorf("no progress shown:\n%s", out)
	}
}

func TestProgressTracker_NeverGoesBackwards(t *testing.T) {
	var tr progressTracker
	samples := []struct {
		in          rebuildProgress
		pos, total  float64
		wantPercent int
	}{
		{rebuildProgress{Position: 0, Total: 0}, 0, 0, 0},
		{rebuildProgress{Position: 100, Total: 0}, 100, 0, 0},        // total unknown
		{rebuildProgress{Position: 500, Total: 1000}, 500, 1000, 50}, //
		{rebuildProgress{Position: 400, Total: 1000}, 500, 1000, 50}, // position back
		{rebuildProgress{Position: 600, Total: 2000}, 600, 2000, 50}, // total grew: 30% is not shown
		{rebuildProgress{Position: 1500, Total: 2000}, 1500, 2000, 75},
		{rebuildProgress{Position: 2500, Total: 2000}, 2500, 2500, 100}, // past the total
		{rebuildProgress{Position: 2500, Total: 0}, 2500, 2500, 100},
	}
	for i, s := range samples {
		got := tr.update(s.in)
		if got.position != s.pos || got.total != s.total || got.percent() != s.wantPercent {
			t.Errorf("sample %d %+v: got %s/%s (%d%%), want %s/%s (%d%%)", i, s.in,
				num(got.position), num(got.total), got.percent(), num(s.pos), num(s.total), s.wantPercent)
		}
	}
}

func TestPlainReporter_PrintsAtMostOneLinePerPeriod(t *testing.T) {
	var out strings.Builder
	r := &plainReporter{w: &out, name: "catalog", every: time.Hour}
	r.progress(progressSnapshot{position: 1, total: 2, fraction: 0.5})
	r.progress(progressSnapshot{position: 2, total: 2, fraction: 1})
	r.done("rebuilt")
	want := "catalog: rebuilding 1/2 (50%) 0 events/s\ncatalog: rebuilt\n"
	if out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
}

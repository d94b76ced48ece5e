package benchline

import "testing"

func TestLine(t *testing.T) {
	tests := []struct {
		r    Result
		want string
	}{
		{Result{Name: "es.append.single", Ours: 8123.4, Limit: 15000, Unit: "events/s", Goal: 0.5},
			"BENCH name=es.append.single ours=8123 limit=15000 unit=events/s ratio=0.542 goal=0.500 ok=true"},
		{Result{Name: "es.append.batch10", Ours: 30000, Limit: 107000, Unit: "rows/s", Goal: 0.35},
			"BENCH name=es.append.batch10 ours=30000 limit=107000 unit=rows/s ratio=0.280 goal=0.350 ok=false"},
		{Result{Name: "relay.p99", Ours: 42.5, Limit: 250, Unit: "ms", Goal: 1, LowerIsBetter: true},
			"BENCH name=relay.p99 ours=42.500 limit=250 unit=ms ratio=0.170 goal=1.000 ok=true"},
		{Result{Name: "no limit", Ours: 1, Limit: 0, Unit: "x", Goal: 1, LowerIsBetter: true},
			`BENCH name="no limit" ours=1.000 limit=0 unit=x ratio=0 goal=1.000 ok=false`},
	}
	for _, tt := range tests {
		if got := tt.r.Line(); got != tt.want {
			t.Errorf("Line() =\n  %s\nwant\n  %s", got, tt.want)
		}
	}
}

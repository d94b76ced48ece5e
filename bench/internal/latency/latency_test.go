package latency

import (
	"math"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestQuantile_InterpolatesWithinTheBucket(t *testing.T) {
	dp := metricdata.HistogramDataPoint[float64]{
		Bounds:       []float64{1, 2, 4},
		BucketCounts: []uint64{50, 40, 10, 0},
		Count:        100,
	}
	tests := []struct{ q, want float64 }{
		{0.5, 1},   // the last of the first bucket
		{0.7, 1.5}, // half-way through (1, 2]
		{0.99, 3.8},
		{1, 4},
	}
	for _, tt := range tests {
		got, err := Quantile(dp, tt.q)
		if err != nil || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Quantile(%v) = %v, %v; want %v", tt.q, got, err, tt.want)
		}
	}
}

func TestQuantile_OverflowIsTheMaximum(t *testing.T) {
	dp := metricdata.HistogramDataPoint[float64]{
		Bounds:       []float64{1},
		BucketCounts: []uint64{1, 99},
		Count:        100,
		Max:          metricdata.NewExtrema(7.5),
	}
	if got, err := Quantile(dp, 0.99); err != nil || got != 7.5 {
		t.Fatalf("Quantile = %v, %v; want the maximum 7.5", got, err)
	}
}

func TestBounds_Increase(t *testing.T) {
	b := Bounds()
	for i := 1; i < len(b); i++ {
		if b[i] <= b[i-1] {
			t.Fatalf("bound %d (%v) not above %v", i, b[i], b[i-1])
		}
	}
}

// Package latency reads quantiles out of OpenTelemetry explicit-bucket histograms, so that a
// benchmark can report a latency the code under test measures itself.
package latency

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Bounds returns histogram bucket boundaries in seconds, fine enough for a p99 to within a
// few percent: 0.5ms steps up to 50ms, 2ms up to 250ms, 10ms up to 1s, 100ms up to 10s,
// then 1s up to a minute.
func Bounds() []float64 {
	var b []float64
	add := func(from, to, step time.Duration) {
		for d := from; d <= to; d += step {
			b = append(b, d.Seconds())
		}
	}
	add(500*time.Microsecond, 50*time.Millisecond, 500*time.Microsecond)
	add(52*time.Millisecond, 250*time.Millisecond, 2*time.Millisecond)
	add(260*time.Millisecond, time.Second, 10*time.Millisecond)
	add(1100*time.Millisecond, 10*time.Second, 100*time.Millisecond)
	add(11*time.Second, time.Minute, time.Second)
	return b
}

// ErrNoData means the metric was not found or recorded nothing.
var ErrNoData = errors.New("latency: no data recorded")

// Find returns the histogram named name in rm, its data points merged (they must share
// their bounds).
func Find(rm metricdata.ResourceMetrics, name string) (metricdata.HistogramDataPoint[float64], error) {
	var merged metricdata.HistogramDataPoint[float64]
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok {
				return merged, fmt.Errorf("latency: metric %s is a %T, not a float64 histogram", name, m.Data)
			}
			for _, dp := range h.DataPoints {
				if merged.BucketCounts == nil {
					merged.Bounds = dp.Bounds
					merged.BucketCounts = make([]uint64, len(dp.BucketCounts))
				}
				if len(dp.BucketCounts) != len(merged.BucketCounts) {
					return merged, fmt.Errorf("latency: metric %s: data points with different bounds", name)
				}
				for i, c := range dp.BucketCounts {
					merged.BucketCounts[i] += c
				}
				merged.Count += dp.Count
				merged.Sum += dp.Sum
				if v, ok := dp.Max.Value(); ok {
					if old, had := merged.Max.Value(); !had || v > old {
						merged.Max = metricdata.NewExtrema(v)
					}
				}
			}
		}
	}
	if merged.Count == 0 {
		return merged, fmt.Errorf("%w: %s", ErrNoData, name)
	}
	return merged, nil
}

// Quantile returns the q-quantile (0 < q ≤ 1) of a histogram in its unit, interpolating
// linearly within the bucket that holds it. A quantile in the overflow bucket is the
// recorded maximum (or the last bound, if no maximum was kept).
func Quantile(dp metricdata.HistogramDataPoint[float64], q float64) (float64, error) {
	if q <= 0 || q > 1 {
		return 0, fmt.Errorf("latency: quantile %v, want 0 < q ≤ 1", q)
	}
	if dp.Count == 0 || len(dp.BucketCounts) != len(dp.Bounds)+1 {
		return 0, ErrNoData
	}
	rank := q * float64(dp.Count)
	var cum float64
	for i, c := range dp.BucketCounts {
		if c == 0 || cum+float64(c) < rank {
			cum += float64(c)
			continue
		}
		if i == len(dp.Bounds) {
			if v, ok := dp.Max.Value(); ok {
				return v, nil
			}
			return dp.Bounds[len(dp.Bounds)-1], nil
		}
		lo, hi := 0.0, dp.Bounds[i]
		if i > 0 {
			lo = dp.Bounds[i-1]
		}
		return lo + (hi-lo)*(rank-cum)/float64(c), nil
	}
	return dp.Bounds[len(dp.Bounds)-1], nil
}

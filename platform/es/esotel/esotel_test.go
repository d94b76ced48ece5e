package esotel_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/esotel"
	"github.com/storefront/storefront/platform/es/estest"
	"github.com/storefront/storefront/platform/es/memstore"
)

// The instrumented store is still a store: the whole contract holds through it.
func TestContract(t *testing.T) {
	estest.Run(t, func(t *testing.T) es.Store {
		s, err := esotel.Instrument(memstore.New(), "test", sdkmetric.NewMeterProvider(), sdktrace.NewTracerProvider())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestAppend_RecordsLatencyByOutcomeAndASpan(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	s, err := esotel.Instrument(memstore.New(), "identity", sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ev := []es.EventData{{Type: "t.A"}, {Type: "t.B"}}
	if _, err := s.Append(ctx, "s-1", es.NoStream, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "s-1", es.NoStream, ev); err == nil {
		t.Fatal("conflict expected")
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]uint64{}
	var appended int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch m.Name {
			case esotel.MetricAppendDuration:
				for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					o, _ := dp.Attributes.Value("outcome")
					outcomes[o.AsString()] += dp.Count
				}
			case esotel.MetricEventsAppended:
				for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
					appended += dp.Value
				}
			}
		}
	}
	if outcomes["ok"] != 1 || outcomes["conflict"] != 1 || appended != 2 {
		t.Fatalf("outcomes %v, appended %d", outcomes, appended)
	}
	if n := len(spans.Ended()); n != 2 || spans.Ended()[0].Name() != "es.append" {
		t.Fatalf("spans: %d", n)
	}
}

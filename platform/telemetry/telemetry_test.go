package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLogger_AddsTraceIDsOfTheContextsSpan(t *testing.T) {
	tel, err := Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	var buf bytes.Buffer
	log := NewLogger(&buf, "test", slog.LevelInfo)
	ctx, span := tel.Tracer.Tracer("t").Start(context.Background(), "op")
	log.InfoContext(ctx, "inside")
	span.End()
	log.Info("outside")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	var inside, outside map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &inside)
	_ = json.Unmarshal([]byte(lines[1]), &outside)
	if inside["trace_id"] != span.SpanContext().TraceID().String() || inside["span_id"] != span.SpanContext().SpanID().String() {
		t.Errorf("line inside the span = %v, want its trace and span ids", inside)
	}
	if _, ok := outside["trace_id"]; ok {
		t.Errorf("line outside any span has a trace id: %v", outside)
	}
	if inside["service"] != "test" {
		t.Errorf("service attribute missing: %v", inside)
	}
}

func TestMetricsHandler_ServesOTelInstruments(t *testing.T) {
	tel, err := Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	c, _ := tel.Meter.Meter("t").Int64Counter("storefront.test.things")
	c.Add(context.Background(), 3)

	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if !strings.Contains(string(body), "storefront_test_things_total") || !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("metrics output lacks the counter or Go runtime metrics:\n%.2000s", body)
	}
}

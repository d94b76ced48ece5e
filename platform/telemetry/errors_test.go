package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// sentrySink is an in-test Sentry endpoint: it keeps the events posted to the envelope API.
type sentrySink struct {
	mu     sync.Mutex
	events []map[string]any
}

func (s *sentrySink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// An envelope is newline-separated JSON: a header, then item header / payload pairs.
	lines := bytes.Split(body, []byte("\n"))
	for i := 1; i+1 < len(lines); i += 2 {
		var item map[string]any
		if json.Unmarshal(lines[i], &item) == nil && item["type"] == "event" {
			var ev map[string]any
			if err := json.Unmarshal(lines[i+1], &ev); err == nil {
				s.mu.Lock()
				s.events = append(s.events, ev)
				s.mu.Unlock()
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

func TestWithErrorReports_SendsErrorsWithTheTraceAndNothingElse(t *testing.T) {
	sink := &sentrySink{}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	dsn := strings.Replace(srv.URL, "http://", "http://public@", 1) + "/42"
	var out bytes.Buffer
	l, flush, err := WithErrorReports(NewLogger(&out, "catalog", slog.LevelInfo), "catalog", ErrorReports{DSN: dsn, Environment: "test"})
	if err != nil {
		t.Fatal(err)
	}
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled}))

	l.InfoContext(ctx, "all is well")
	l.WarnContext(ctx, "slow, but fine")
	l.With("projection", "catalog").ErrorContext(ctx, "event parked", "err", errors.New("decode: bad payload"), "event_id", "e1")
	flush(5 * time.Second)

	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.events) != 1 {
		t.Fatalf("%d events reported, want only the error: %v", len(sink.events), sink.events)
	}
	ev := sink.events[0]
	tags, _ := ev["tags"].(map[string]any)
	contexts, _ := ev["contexts"].(map[string]any)
	extra, _ := contexts["log"].(map[string]any)
	if ev["message"] != "event parked" || tags["trace_id"] != traceID.String() || tags["service"] != "catalog" ||
		extra["projection"] != "catalog" || extra["event_id"] != "e1" || extra["err"] != "decode: bad payload" || ev["environment"] != "test" {
		t.Fatalf("event %v", ev)
	}
	// The log line itself is written as before.
	if !strings.Contains(out.String(), `"msg":"event parked"`) || !strings.Contains(out.String(), `"msg":"all is well"`) {
		t.Fatalf("log output %s", out.String())
	}
}

func TestWithErrorReports_OffWithoutDSN(t *testing.T) {
	l := NewLogger(io.Discard, "x", slog.LevelInfo)
	got, flush, err := WithErrorReports(l, "x", ErrorReports{})
	if err != nil || got != l {
		t.Fatalf("without a DSN: %v, same logger %v", err, got == l)
	}
	flush(time.Millisecond)
	if _, _, err := WithErrorReports(l, "x", ErrorReports{DSN: "not a dsn"}); err == nil {
		t.Fatal("a malformed DSN was accepted")
	}
}

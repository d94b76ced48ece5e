package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/storefront/storefront/platform/config"
	"go.opentelemetry.io/otel/trace"
)

// ErrorReports configures error tracking: every record a process logs at Error level or above
// (5xx answers, recovered panics, parked events and timers — everything the fleet logs as
// unexpected) is also sent to a Sentry-compatible endpoint, with the request's trace id.
type ErrorReports struct {
	// DSN of the project (SENTRY_DSN); empty turns reporting off.
	DSN string
	// Environment and Release tag the reports (SENTRY_ENVIRONMENT, SENTRY_RELEASE).
	Environment, Release string
}

// ErrorReportsFromEnv reads SENTRY_DSN, SENTRY_ENVIRONMENT and SENTRY_RELEASE.
func ErrorReportsFromEnv(env *config.Env) ErrorReports {
	return ErrorReports{DSN: env.String("SENTRY_DSN", ""), Environment: env.String("SENTRY_ENVIRONMENT", ""),
		Release: env.String("SENTRY_RELEASE", "")}
}

// WithErrorReports returns l reporting its errors as r says, and a flush to call before the
// process exits (it waits at most timeout for reports in flight). With no DSN it returns l
// unchanged and a flush that does nothing.
func WithErrorReports(l *slog.Logger, service string, r ErrorReports) (*slog.Logger, func(timeout time.Duration), error) {
	if r.DSN == "" {
		return l, func(time.Duration) {}, nil
	}
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn: r.DSN, Environment: r.Environment, Release: r.Release, ServerName: service,
		// The logs carry the detail; reports need no stack of the logging call.
		AttachStacktrace: false,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("SENTRY_DSN: %w", err)
	}
	h := &reportHandler{Handler: l.Handler(), client: client, service: service}
	return slog.New(h), func(timeout time.Duration) { client.Flush(timeout) }, nil
}

type reportHandler struct {
	slog.Handler
	client  *sentry.Client
	service string
	attrs   []slog.Attr // from With, as "key" or "group.key"
	group   string
}

func (h *reportHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.report(ctx, r)
	}
	return h.Handler.Handle(ctx, r)
}

func (h *reportHandler) report(ctx context.Context, r slog.Record) {
	ev := sentry.NewEvent()
	ev.Level = sentry.LevelError
	ev.Message = r.Message
	ev.Timestamp = r.Time
	ev.Tags = map[string]string{"service": h.service}
	extra := map[string]any{}
	add := func(prefix string, a slog.Attr) {
		key := a.Key
		if prefix != "" {
			key = prefix + "." + key
		}
		v := a.Value.Resolve()
		if err, ok := v.Any().(error); ok {
			extra[key] = err.Error()
			if key == "err" || key == "error" {
				ev.Exception = []sentry.Exception{{Type: fmt.Sprintf("%T", err), Value: err.Error()}}
			}
			return
		}
		extra[key] = v.String()
	}
	for _, a := range h.attrs {
		add("", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		add(h.group, a)
		return true
	})
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		ev.Tags["trace_id"] = sc.TraceID().String()
		ev.Contexts["trace"] = sentry.Context{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String()}
	}
	ev.Contexts["log"] = sentry.Context(extra) // the record's attributes
	h.client.CaptureEvent(ev, nil, nil)
}

func (h *reportHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.Handler = h.Handler.WithAttrs(attrs)
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		if h.group != "" {
			a.Key = h.group + "." + a.Key
		}
		c.attrs = append(c.attrs, a)
	}
	return &c
}

func (h *reportHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.Handler = h.Handler.WithGroup(name)
	if h.group != "" {
		name = h.group + "." + name
	}
	c.group = name
	return &c
}

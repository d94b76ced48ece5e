// Package telemetry sets up what every process of the fleet reports: OpenTelemetry traces and
// metrics with W3C trace-context propagation, Prometheus exposition of the metrics, and
// log/slog lines that carry the trace and span ids of their context.
//
// Traces and metrics are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT (or the
// signal-specific variables of the OpenTelemetry spec) is set, and not exported otherwise;
// metrics are always served in Prometheus format by MetricsHandler.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// Telemetry owns one process's tracer and meter providers. Pass its Tracer, Meter and
// Propagator to the components that report; there is no global state to rely on.
type Telemetry struct {
	Tracer         trace.TracerProvider
	Meter          metric.MeterProvider
	Propagator     propagation.TextMapPropagator
	registry       *prometheus.Registry
	tracerProvider *sdktrace.TracerProvider
	meterProvider  *sdkmetric.MeterProvider
}

// Setup builds the providers for the named service.
func Setup(ctx context.Context, service string) (*Telemetry, error) {
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(service)))
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	promExporter, err := otelprom.New(otelprom.WithRegisterer(registry))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	meterOpts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promExporter)}
	// Without an exporter nothing would read recorded spans: keep propagating trace context
	// (ids flow through calls, events and log lines) but record nothing.
	traceOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sdktrace.NeverSample())}
	if otlpConfigured() {
		spanExporter, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp trace exporter: %w", err)
		}
		traceOpts = append(traceOpts, sdktrace.WithBatcher(spanExporter),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
		metricExporter, err := otlpmetricgrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp metric exporter: %w", err)
		}
		meterOpts = append(meterOpts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricExporter)))
	}
	tp := sdktrace.NewTracerProvider(traceOpts...)
	mp := sdkmetric.NewMeterProvider(meterOpts...)
	return &Telemetry{
		Tracer:         tp,
		Meter:          mp,
		Propagator:     propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		registry:       registry,
		tracerProvider: tp,
		meterProvider:  mp,
	}, nil
}

func otlpConfigured() bool {
	for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

// MetricsHandler serves every metric of the process in Prometheus text format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{})
}

// Shutdown flushes and stops the exporters.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	return errors.Join(t.tracerProvider.Shutdown(ctx), t.meterProvider.Shutdown(ctx))
}

// ServeMetrics serves MetricsHandler at /metrics on addr until ctx ends. Services run it on an
// internal port; the edge serves its metrics on its own HTTP port.
func (t *Telemetry) ServeMetrics(ctx context.Context, addr string) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", t.MetricsHandler())
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics server on %s: %w", addr, err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// MetricDependencyUp is the gauge WatchDependencies exports (storefront_dependency_up): 1
// while a dependency answers, 0 when it does not.
const MetricDependencyUp = "storefront.dependency.up"

// WatchDependencies exports storefront.dependency.up{dependency=name} for each check, run at
// every collection (each bounded to two seconds), so "PostgreSQL down" or "Redis down" is an
// alert on a metric rather than on log lines.
func (t *Telemetry) WatchDependencies(checks map[string]func(context.Context) error) error {
	meter := t.Meter.Meter("github.com/storefront/storefront/platform/telemetry")
	up, err := meter.Int64ObservableGauge(MetricDependencyUp,
		metric.WithDescription("1 while the process reaches the dependency, 0 when it does not."))
	if err != nil {
		return err
	}
	_, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		for name, check := range checks {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			v := int64(1)
			if check(cctx) != nil {
				v = 0
			}
			cancel()
			o.ObserveInt64(up, v, metric.WithAttributes(attribute.String("dependency", name)))
		}
		return nil
	}, up)
	return err
}

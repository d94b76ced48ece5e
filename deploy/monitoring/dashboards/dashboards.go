// Package dashboards defines the fleet's Grafana dashboards in Go with the Grafana Foundation
// SDK's builders (so each is a valid dashboard by construction), and renders them as the JSON
// files next to this file, which Grafana provisions; `make generate` writes them (cmd gen)
// and a test checks the committed files are what this code renders.
package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Query is one PromQL expression of a panel, with its legend.
type Query struct{ Expr, Legend string }

// panel describes a panel: a time series unless single is set (a stat).
type panel struct {
	title, unit string
	single      bool
	queries     []Query
}

type board struct {
	file, uid, title, description string
	panels                        []panel
}

var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

func q(expr, legend string) Query { return Query{expr, legend} }

var boards = []board{
	{"fleet-overview.json", "storefront-fleet", "Storefront: fleet overview",
		"Traffic, errors and latency at the edge and per RPC; the dependencies each process reaches.", []panel{
			{"Requests per second by status", "reqps", false, []Query{q(`sum by (http_response_status_code) (rate(http_server_request_duration_seconds_count[5m]))`, "{{http_response_status_code}}")}},
			{"5xx ratio", "percentunit", false, []Query{q(`sum(rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[5m])) / sum(rate(http_server_request_duration_seconds_count[5m]))`, "5xx")}},
			{"Edge latency p50 / p99", "s", false, []Query{
				q(`histogram_quantile(0.5, sum by (le) (rate(http_server_request_duration_seconds_bucket[5m])))`, "p50"),
				q(`histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[5m])))`, "p99")}},
			{"p99 per route (RPC)", "s", false, []Query{q(`topk(10, histogram_quantile(0.99, sum by (rpc_method, le) (rate(rpc_server_call_duration_seconds_bucket{rpc_method!~"grpc.health.*"}[5m]))))`, "{{rpc_method}}")}},
			{"RPC errors by code", "reqps", false, []Query{q(`sum by (rpc_method, rpc_response_status_code) (rate(rpc_server_call_duration_seconds_count{rpc_response_status_code!="OK"}[5m]))`, "{{rpc_method}} {{rpc_response_status_code}}")}},
			{"Dependencies up", "short", true, []Query{q(`min by (job, dependency) (storefront_dependency_up)`, "{{job}} → {{dependency}}")}},
			{"Event store appends p99", "s", false, []Query{q(`histogram_quantile(0.99, sum by (store, le) (rate(storefront_es_append_duration_seconds_bucket[5m])))`, "{{store}}")}},
			{"Goroutines per process", "short", false, []Query{q(`go_goroutines`, "{{job}}")}},
		}},
	{"checkout-funnel.json", "storefront-checkout", "Storefront: checkout funnel",
		"From carts to paid orders, from the events the contexts append.", []panel{
			{"Items added to carts per minute", "short", false, []Query{q(`sum(rate(storefront_es_events_appended_total{type="CartItemAdded"}[5m])) * 60`, "added")}},
			{"Orders placed, paid, cancelled per minute", "short", false, []Query{q(`sum by (type) (rate(storefront_es_events_appended_total{type=~"OrderPlaced|OrderPaid|OrderCancelled"}[5m])) * 60`, "{{type}}")}},
			{"Placed → paid conversion (1h)", "percentunit", true, []Query{q(`sum(increase(storefront_es_events_appended_total{type="OrderPaid"}[1h])) / sum(increase(storefront_es_events_appended_total{type="OrderPlaced"}[1h]))`, "paid / placed")}},
			{"Payments processed, declined, expired per minute", "short", false, []Query{q(`sum by (type) (rate(storefront_es_events_appended_total{type=~"PaymentProcessed|PaymentDeclined|PaymentExpired"}[5m])) * 60`, "{{type}}")}},
			{"Refunds per minute", "short", false, []Query{q(`sum by (type) (rate(storefront_es_events_appended_total{type=~"RefundIssued|RefundFailed"}[5m])) * 60`, "{{type}}")}},
			{"Checkout saga: unsettled steps", "short", false, []Query{q(`reaction_consumer_pending{reaction="checkout"}`, "pending")}},
		}},
	{"event-pipeline.json", "storefront-events", "Storefront: event pipeline",
		"Event store → relay → JetStream → projectors and reactions.", []panel{
			{"Events appended per second by store", "short", false, []Query{q(`sum by (store) (rate(storefront_es_events_appended_total[5m]))`, "{{store}}")}},
			{"Relay lag (seconds)", "s", false, []Query{q(`max by (relay_schema) (relay_lag_seconds)`, "{{relay_schema}}")}},
			{"Relay lag (events)", "short", false, []Query{q(`max by (relay_schema) (relay_lag_events)`, "{{relay_schema}}")}},
			{"Commit → JetStream ack p99", "s", false, []Query{q(`histogram_quantile(0.99, sum by (le) (rate(relay_commit_to_ack_duration_seconds_bucket[5m])))`, "p99")}},
			{"Projection lag (messages)", "short", false, []Query{q(`max by (projection, context) (projector_consumer_lag)`, "{{projection}} ← {{context}}")}},
			{"Projection batch p99", "s", false, []Query{q(`histogram_quantile(0.99, sum by (le) (rate(projector_batch_duration_seconds_bucket[5m])))`, "p99")}},
			{"Events applied per second", "short", false, []Query{q(`sum by (projection) (rate(projector_events_applied_total[5m]))`, "{{projection}}")}},
			{"Parked events (dead letters)", "short", false, []Query{
				q(`sum by (projection) (projector_events_parked_total)`, "{{projection}}"),
				q(`sum by (reaction) (reaction_events_parked_total)`, "reaction {{reaction}}")}},
			{"Reactions: unsettled messages", "short", false, []Query{q(`reaction_consumer_pending`, "{{reaction}}")}},
		}},
}

// Files renders every dashboard: file name → JSON.
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, b := range boards {
		// The classic dashboard model (schemaVersion 42) is what file provisioning loads in every
		// Grafana in use; the SDK marks it deprecated in favour of the v2 resource of Grafana 12.
		//lint:ignore SA1019 see above
		d := dashboard.NewDashboardBuilder(b.title).Uid(b.uid).Description(b.description).Tags([]string{"storefront"}).
			Editable().Refresh("30s").Time("now-6h", "now").
			WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Prometheus").Type("prometheus"))
		for _, p := range b.panels {
			if p.single {
				sp := stat.NewPanelBuilder().Title(p.title).Unit(p.unit).Datasource(datasource).Height(8).Span(12)
				for i, query := range p.queries {
					sp.WithTarget(target(query, i))
				}
				d.WithPanel(sp)
				continue
			}
			tp := timeseries.NewPanelBuilder().Title(p.title).Unit(p.unit).Datasource(datasource).Height(8).Span(12).
				Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)).
				Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderNone))
			for i, query := range p.queries {
				tp.WithTarget(target(query, i))
			}
			d.WithPanel(tp)
		}
		built, err := d.Build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", b.uid, err)
		}
		raw, err := json.MarshalIndent(built, "", "  ")
		if err != nil {
			return nil, err
		}
		out[b.file] = append(raw, '\n')
	}
	return out, nil
}

func target(query Query, i int) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(string(rune('A' + i))).Expr(query.Expr).LegendFormat(query.Legend).Datasource(datasource)
}

// Queries returns every expression of every dashboard, by "file: panel".
func Queries() map[string][]Query {
	out := map[string][]Query{}
	for _, b := range boards {
		for _, p := range b.panels {
			out[b.file+": "+p.title] = p.queries
		}
	}
	return out
}

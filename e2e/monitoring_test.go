package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/storefront/storefront/deploy/monitoring/dashboards"
	_ "github.com/storefront/storefront/proto/storefront/cart/v1"
	_ "github.com/storefront/storefront/proto/storefront/ordering/v1"
	_ "github.com/storefront/storefront/proto/storefront/payments/v1"
)

const monitoring = "../deploy/monitoring"

// TestMonitoring_RulesAndDashboardsUseWhatTheFleetExports parses the alert rules (Prometheus'
// own rule-file parser) and the Grafana dashboards (the Grafana Foundation SDK's types), then
// checks every metric an expression names against the /metrics of the fleet as `make run`
// starts it, after a little traffic: a rule or panel on a metric nobody exports never fires.
// Event types a funnel panel filters on must be events of the fleet.
func TestMonitoring_RulesAndDashboardsUseWhatTheFleetExports(t *testing.T) {
	promql := parser.NewParser(parser.Options{})
	exprs := map[string]string{} // expression → where it is
	groups, errs := rulefmt.ParseFile(filepath.Join(monitoring, "alerts.yml"), false, model.UTF8Validation, promql, slog.New(slog.DiscardHandler))
	if len(errs) != 0 {
		t.Fatalf("alerts.yml: %v", errs)
	}
	rules := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			exprs[r.Expr] = "alert " + r.Alert
			rules++
		}
	}
	if rules < 9 {
		t.Fatalf("%d alert rules, want at least the nine of the issue", rules)
	}
	rendered, err := dashboards.Files()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(monitoring, "dashboards", "*.json"))
	if len(files) != len(rendered) || len(files) < 3 {
		t.Fatalf("dashboards %v, want fleet overview, checkout funnel and event pipeline", files)
	}
	plugins.RegisterDefaultPlugins()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(rendered[filepath.Base(f)]) != string(raw) {
			t.Fatalf("%s is not what package dashboards renders: run make generate", f)
		}
		//lint:ignore SA1019 the classic model is what the files hold (see package dashboards)
		var d dashboard.Dashboard
		if err := d.UnmarshalJSONStrict(raw); err != nil && !noBuildErrors(err) {
			t.Fatalf("%s: %v", f, err)
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	// The committed files are what package dashboards renders, so its queries are theirs.
	for where, queries := range dashboards.Queries() {
		for _, q := range queries {
			exprs[q.Expr] = where
		}
	}

	needed := map[string]string{}     // metric → where
	eventTypes := map[string]string{} // event type in a matcher → where
	for expr, where := range exprs {
		e, err := promql.ParseExpr(expr)
		if err != nil {
			t.Fatalf("%s: %q: %v", where, expr, err)
		}
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			vs, ok := n.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			needed[vs.Name] = where
			for _, m := range vs.LabelMatchers {
				if m.Name == "type" {
					for _, v := range strings.Split(m.Value, "|") {
						eventTypes[v] = where
					}
				}
			}
			return nil
		})
	}
	known := fleetEventTypes()
	for typ, where := range eventTypes {
		if !known[typ] {
			t.Errorf("%s filters on event type %q, which no context records", where, typ)
		}
	}

	f := startFleet(t, "STOREFRONT_DEMO_DATA=true")
	// Traffic: a product list, a missing page, a failed login; the demo load appends and
	// publishes events, which the projector applies.
	f.do(t, "GET", "/api/v1/products", nil, "")
	f.do(t, "GET", "/api/v1/no-such-route", nil, "")
	f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": "nobody@example.com", "password": "wrong-password-1"}, "")
	endpoints := regexp.MustCompile(`http://127\.0\.0\.1:\d+/metrics`).FindAllString(f.logs.String(), -1)
	slices.Sort(endpoints)
	endpoints = slices.Compact(endpoints)
	if len(endpoints) < 10 {
		t.Fatalf("metrics endpoints %v, want one per process", endpoints)
	}
	var missing []string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
		exported := map[string]bool{}
		for _, u := range endpoints {
			for name := range scrape(t, u) {
				exported[name] = true
			}
		}
		missing = missing[:0]
		for name := range needed {
			if !exported[name] {
				missing = append(missing, name+" ("+needed[name]+")")
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			slices.Sort(missing)
			t.Fatalf("metrics the rules and dashboards use that the fleet does not export:\n  %s", strings.Join(missing, "\n  "))
		}
	}
}

// noBuildErrors: the SDK's strict decoding can return an empty error list as a non-nil
// error.
func noBuildErrors(err error) bool {
	be, ok := err.(cog.BuildErrors)
	return ok && len(be) == 0
}

// scrape returns the names of the series an endpoint exports (histograms as their _bucket,
// _sum and _count series, as PromQL names them).
func scrape(t *testing.T, url string) map[string]bool {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	names := map[string]bool{}
	for name, mf := range families {
		if len(mf.GetMetric()) == 0 {
			continue
		}
		switch mf.GetType().String() {
		case "HISTOGRAM":
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case "SUMMARY":
			names[name], names[name+"_sum"], names[name+"_count"] = true, true, true
		default:
			names[name] = true
		}
	}
	return names
}

// fleetEventTypes are the short names of every protobuf message of the fleet's contexts.
func fleetEventTypes() map[string]bool {
	out := map[string]bool{}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(fd.Package()), "storefront.") {
			for i := range fd.Messages().Len() {
				out[string(fd.Messages().Get(i).Name())] = true
			}
		}
		return true
	})
	return out
}

package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const projectionsBody = `{"items": [
 {"name": "catalog", "position": 5000, "lag": 0, "lag_seconds": 0, "state": "live",
  "rebuild": {"position": 0, "total": 0, "rate": 0, "eta_seconds": 0, "applied": 0, "started_at": ""},
  "active_generation": 2, "building_generation": 0, "error": "", "switched_at": "2026-11-24T09:00:00Z",
  "contexts": ["catalog", "reviews"], "dead_letters": 0, "rebuild_requested_at": ""},
 {"name": "ordering", "position": 1234567, "lag": 12, "lag_seconds": 1.25, "state": "rebuilding",
  "rebuild": {"position": 1200, "total": 5000, "rate": 850.4, "eta_seconds": 4.4, "applied": 1200, "started_at": "2026-11-24T10:00:00Z"},
  "active_generation": 3, "building_generation": 4, "error": "", "switched_at": "2026-11-20T08:00:00Z",
  "contexts": ["ordering"], "dead_letters": 2, "rebuild_requested_at": "2026-11-24T10:00:00Z"},
 {"name": "reviews", "position": 10, "lag": 0, "lag_seconds": 0, "state": "failed",
  "rebuild": {"position": 3, "total": 10, "rate": 0, "eta_seconds": 0, "applied": 3, "started_at": "2026-11-24T10:00:00Z"},
  "active_generation": 1, "building_generation": 2, "error": "apply reviews.v1.ReviewPosted: duplicate key", "switched_at": "",
  "contexts": ["reviews"], "dead_letters": 0, "rebuild_requested_at": "2026-11-24T10:00:00Z", "future_field": true}
]}`

const streamsBody = `{"items": [
 {"id": "product-5b0e", "context": "catalog", "version": 7, "updated_at": "2026-11-24T10:00:00Z"},
 {"id": "order-77", "context": "ordering", "version": 12, "updated_at": "2026-11-24T11:30:00Z"}
], "page": 2, "per_page": 2, "total": 5}`

const eventJSON = `{"id": "e-3", "stream_id": "order/7 x", "version": 3, "type": "storefront.ordering.v1.OrderPaid",
 "position": 42, "recorded_at": "2026-11-24T10:00:00Z", "data": {"order_id": "7", "total": {"amount": "12.50", "currency": "USD"}},
 "metadata": {"trace_id": "t-1", "causation_id": "c-1", "correlation_id": "r-1", "actor_id": "u-9"},
 "context": "ordering", "schema_version": 1, "data_base64": ""}`

const deadLettersBody = `{"items": [
 {"id": "dl-1", "projection": "catalog", "event": {"id": "e-9", "stream_id": "product-1", "version": 2,
  "type": "storefront.catalog.v1.ProductPriced", "position": 9, "recorded_at": "2026-11-24T10:00:00Z", "data": {},
  "metadata": {"trace_id": "", "causation_id": "", "correlation_id": "", "actor_id": ""}, "context": "catalog",
  "schema_version": 1, "data_base64": ""},
  "error": "apply storefront.catalog.v1.ProductPriced: product 1 not found in catalog_products, the projection is out of order",
  "attempts": 3, "parked_at": "2026-11-24T10:01:00Z", "reason": "handler_failed", "requested": "redrive"}
], "page": 1, "per_page": 24, "total": 1}`

const auditBody = `{"items": [
 {"at": "2026-11-24T10:02:00Z", "actor_id": "u-1", "action": "projection.rebuild_requested", "target": "projection/catalog", "event_id": "e-20"},
 {"at": "2026-11-24T10:01:00Z", "actor_id": "u-2", "action": "product.created", "target": "product/5b0e", "event_id": "e-19"}
], "page": 1, "per_page": 24, "total": 2}`

func TestCommands_HumanOutputAndRequests(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		pattern    string // the route the command must call
		status     int
		body       string
		wantPath   string     // escaped path of the request
		wantQuery  url.Values // nil: none
		wantBody   string     // of a POST
		wantStdout string
	}{
		{
			name:     "projections list",
			args:     []string{"projections", "list"},
			pattern:  "GET /api/v1/admin/projections",
			status:   200,
			body:     projectionsBody,
			wantPath: "/api/v1/admin/projections",
			wantStdout: "" +
				"NAME      STATE       POSITION  LAG  LAG(S)  DLQ  REBUILD\n" +
				"catalog   live        5000      0    0s      0    -\n" +
				"ordering  rebuilding  1234567   12   1.3s    2    1200/5000 (24%) 850 events/s ETA 4s\n" +
				"reviews   failed      10        0    0s      0    failed: apply reviews.v1.ReviewPosted: duplicate key\n",
		},
		{
			name:      "streams list with filters",
			args:      []string{"streams", "list", "--context", "catalog", "--prefix", "product-", "--page", "2", "--per-page", "2"},
			pattern:   "GET /api/v1/admin/streams",
			status:    200,
			body:      streamsBody,
			wantPath:  "/api/v1/admin/streams",
			wantQuery: url.Values{"context": {"catalog"}, "prefix": {"product-"}, "page": {"2"}, "per_page": {"2"}},
			wantStdout: "" +
				"ID            CONTEXT   VERSION  UPDATED\n" +
				"product-5b0e  catalog   7        2026-11-24T10:00:00Z\n" +
				"order-77      ordering  12       2026-11-24T11:30:00Z\n" +
				"page 2 of 3, 5 streams\n",
		},
		{
			name:      "streams show escapes the id",
			args:      []string{"streams", "show", "order/7 x", "--from", "3", "--max", "1", "--context", "ordering"},
			pattern:   "GET /api/v1/admin/streams/{id}",
			status:    200,
			body:      `{"items": [` + eventJSON + `]}`,
			wantPath:  "/api/v1/admin/streams/order%2F7%20x",
			wantQuery: url.Values{"from": {"3"}, "max": {"1"}, "context": {"ordering"}},
			wantStdout: "" +
				"VERSION  TYPE                              RECORDED              POSITION  EVENT-ID  ACTOR\n" +
				"3        storefront.ordering.v1.OrderPaid  2026-11-24T10:00:00Z  42        e-3       u-9\n" +
				"more may follow: --from 4\n",
		},
		{
			name:     "events show: fields then indented data",
			args:     []string{"events", "show", "e-3"},
			pattern:  "GET /api/v1/admin/events/{id}",
			status:   200,
			body:     eventJSON,
			wantPath: "/api/v1/admin/events/e-3",
			wantStdout: "" +
				"ID:             e-3\n" +
				"Type:           storefront.ordering.v1.OrderPaid\n" +
				"Schema version: 1\n" +
				"Stream:         order/7 x\n" +
				"Version:        3\n" +
				"Context:        ordering\n" +
				"Position:       42\n" +
				"Recorded at:    2026-11-24T10:00:00Z\n" +
				"Actor:          u-9\n" +
				"Trace:          t-1\n" +
				"Causation:      c-1\n" +
				"Correlation:    r-1\n" +
				"\n" +
				"Data:\n" +
				"{\n" +
				"  \"order_id\": \"7\",\n" +
				"  \"total\": {\n" +
				"    \"amount\": \"12.50\",\n" +
				"    \"currency\": \"USD\"\n" +
				"  }\n" +
				"}\n",
		},
		{
			name:      "dlq list truncates the error",
			args:      []string{"dlq", "list", "--projection", "catalog"},
			pattern:   "GET /api/v1/admin/dead-letters",
			status:    200,
			body:      deadLettersBody,
			wantPath:  "/api/v1/admin/dead-letters",
			wantQuery: url.Values{"projection": {"catalog"}},
			wantStdout: "" +
				"ID    CONSUMER  REASON                              ATTEMPTS  PARKED                EVENT-TYPE                           STREAM     ERROR\n" +
				"dl-1  catalog   handler_failed (redrive requested)  3         2026-11-24T10:01:00Z  storefront.catalog.v1.ProductPriced  product-1  apply storefront.catalog.v1.ProductPriced: product 1 not fo…\n" +
				"page 1 of 1, 1 dead letters\n",
		},
		{
			name:       "dlq redrive",
			args:       []string{"dlq", "redrive", "dl-1"},
			pattern:    "POST /api/v1/admin/dead-letters/{id}/redrive",
			status:     202,
			body:       strings.TrimSuffix(strings.TrimPrefix(deadLettersBody, `{"items": [`), `], "page": 1, "per_page": 24, "total": 1}`),
			wantPath:   "/api/v1/admin/dead-letters/dl-1/redrive",
			wantBody:   "{}",
			wantStdout: "dead letter dl-1: redrive requested (consumer catalog, event storefront.catalog.v1.ProductPriced)\n",
		},
		{
			name:       "dlq discard",
			args:       []string{"dlq", "discard", "dl-1"},
			pattern:    "POST /api/v1/admin/dead-letters/{id}/discard",
			status:     204,
			wantPath:   "/api/v1/admin/dead-letters/dl-1/discard",
			wantBody:   "{}",
			wantStdout: "dead letter dl-1: discarded\n",
		},
		{
			name:      "audit",
			args:      []string{"audit", "--page", "1", "--per-page", "2"},
			pattern:   "GET /api/v1/admin/audit",
			status:    200,
			body:      auditBody,
			wantPath:  "/api/v1/admin/audit",
			wantQuery: url.Values{"page": {"1"}, "per_page": {"2"}},
			wantStdout: "" +
				"AT                    ACTOR  ACTION                        TARGET              EVENT-ID\n" +
				"2026-11-24T10:02:00Z  u-1    projection.rebuild_requested  projection/catalog  e-20\n" +
				"2026-11-24T10:01:00Z  u-2    product.created               product/5b0e        e-19\n" +
				"page 1 of 1, 2 entries\n",
		},
		{
			name:       "projections rebuild without --wait",
			args:       []string{"projections", "rebuild", "catalog"},
			pattern:    "POST /api/v1/admin/projections/{name}/rebuild",
			status:     202,
			body:       `{"name": "catalog", "state": "live"}`,
			wantPath:   "/api/v1/admin/projections/catalog/rebuild",
			wantBody:   "{}",
			wantStdout: "catalog: rebuild requested; follow it with 'storefrontctl projections list' or wait with --wait\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.reply(tc.pattern, tc.status, tc.body)
			res := f.newInvocation().run(t, tc.args...)
			if res.code != 0 {
				t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
			}
			if diff := cmp.Diff(tc.wantStdout, res.stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if res.stderr != "" {
				t.Errorf("stderr = %q, want nothing", res.stderr)
			}
			reqs := f.recorded()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1: %+v", len(reqs), reqs)
			}
			r := reqs[0]
			method, _, _ := strings.Cut(tc.pattern, " ")
			if r.method != method || r.rawPath != tc.wantPath {
				t.Errorf("request %s %s, want %s %s", r.method, r.rawPath, method, tc.wantPath)
			}
			if r.auth != "Bearer "+testToken {
				t.Errorf("Authorization = %q", r.auth)
			}
			gotQuery, _ := url.ParseQuery(r.query)
			if tc.wantQuery == nil {
				tc.wantQuery = url.Values{}
			}
			if diff := cmp.Diff(tc.wantQuery, gotQuery); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
			if r.body != tc.wantBody {
				t.Errorf("body = %q, want %q", r.body, tc.wantBody)
			}
		})
	}
}

func TestJSON_PrintsTheAPIDocumentAsReceived(t *testing.T) {
	tests := []struct {
		args    []string
		pattern string
		status  int
		body    string
		want    string // "" → the body indented
	}{
		{[]string{"projections", "list"}, "GET /api/v1/admin/projections", 200, projectionsBody, ""},
		{[]string{"streams", "list"}, "GET /api/v1/admin/streams", 200, streamsBody, ""},
		{[]string{"streams", "show", "x"}, "GET /api/v1/admin/streams/{id}", 200, `{"items":[` + eventJSON + `]}`, ""},
		{[]string{"events", "show", "e-3"}, "GET /api/v1/admin/events/{id}", 200, eventJSON, ""},
		{[]string{"dlq", "list"}, "GET /api/v1/admin/dead-letters", 200, deadLettersBody, ""},
		{[]string{"audit"}, "GET /api/v1/admin/audit", 200, auditBody, ""},
		{[]string{"projections", "rebuild", "catalog"}, "POST /api/v1/admin/projections/{name}/rebuild", 202, `{"name":"catalog","state":"live","x":[1,2]}`, ""},
		{[]string{"dlq", "discard", "dl-1"}, "POST /api/v1/admin/dead-letters/{id}/discard", 204, "", "{}\n"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f := newFakeAPI(t)
			f.reply(tc.pattern, tc.status, tc.body)
			res := f.newInvocation().run(t, append([]string{"--json"}, tc.args...)...)
			if res.code != 0 {
				t.Fatalf("exit code %d, stderr:\n%s", res.code, res.stderr)
			}
			want := tc.want
			if want == "" {
				want = indented(t, tc.body)
			}
			if diff := cmp.Diff(want, res.stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrors_MapToExitCodesAndPrintTheAPIError(t *testing.T) {
	closed := newFakeAPI(t)
	closedURL := closed.srv.URL
	closed.srv.Close()

	tests := []struct {
		name       string
		status     int
		body       string
		header     map[string]string
		url        string // instead of the fake's
		args       []string
		wantCode   int
		wantStderr string
		partial    bool // wantStderr is a part of it
	}{
		{
			name: "400 with field details", status: 400,
			body:     `{"error":{"code":"invalid_argument","message":"invalid list parameters","details":[{"field":"per_page","reason":"must be 1..100"}]}}`,
			args:     []string{"streams", "list", "--per-page", "500"},
			wantCode: exitUsage,
			wantStderr: "error: invalid_argument: invalid list parameters\n" +
				"  per_page: must be 1..100\n",
		},
		{
			name: "401", status: 401, body: `{"error":{"code":"unauthenticated","message":"token expired","details":[]}}`,
			wantCode: exitAuth, wantStderr: "error: unauthenticated: token expired\n",
		},
		{
			name: "403", status: 403, body: `{"error":{"code":"permission_denied","message":"admins only","details":[]}}`,
			wantCode: exitAuth, wantStderr: "error: permission_denied: admins only\n",
		},
		{
			name: "404", status: 404, body: `{"error":{"code":"not_found","message":"no projection \"nope\"","details":[]}}`,
			args:     []string{"projections", "rebuild", "nope"},
			wantCode: exitNotFound, wantStderr: "error: not_found: no projection \"nope\"\n",
		},
		{
			name: "409 rebuild already running", status: 409,
			body:     `{"error":{"code":"failed_precondition","message":"a rebuild of catalog is already running","details":[]}}`,
			args:     []string{"projections", "rebuild", "catalog"},
			wantCode: exitConflict, wantStderr: "error: failed_precondition: a rebuild of catalog is already running\n",
		},
		{
			name: "429", status: 429, body: `{"error":{"code":"resource_exhausted","message":"rate limited","details":[]}}`,
			header:   map[string]string{"Retry-After": "30"},
			wantCode: exitError, wantStderr: "error: resource_exhausted: rate limited\n  retry after 30s\n",
		},
		{
			name: "500", status: 500, body: `{"error":{"code":"internal","message":"internal error","details":[]}}`,
			wantCode: exitUnavailable, wantStderr: "error: internal: internal error\n",
		},
		{
			name: "503", status: 503, body: `{"error":{"code":"unavailable","message":"projector unavailable","details":[]}}`,
			wantCode: exitUnavailable, wantStderr: "error: unavailable: projector unavailable\n",
		},
		{
			name: "502 from a proxy, not JSON", status: 502, body: `<html>bad gateway</html>`,
			wantCode: exitUnavailable, wantStderr: "error: HTTP 502 Bad Gateway\n",
		},
		{
			name: "connection refused", url: closedURL,
			wantCode: exitUnavailable, wantStderr: "error: server unreachable: GET " + closedURL + ": dial tcp", partial: true,
		},
		{
			name: "timeout", status: -1, args: []string{"--timeout", "50ms", "projections", "list"},
			wantCode: exitUnavailable, wantStderr: "no answer within 50ms", partial: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("/", func(w http.ResponseWriter, r *http.Request) {
				if tc.status == -1 {
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					return
				}
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			})
			inv := f.newInvocation()
			if tc.url != "" {
				inv.env["STOREFRONT_URL"] = tc.url
			}
			args := tc.args
			if args == nil {
				args = []string{"projections", "list"}
			}
			res := inv.run(t, args...)
			if res.code != tc.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", res.code, tc.wantCode, res.stderr)
			}
			if tc.partial && !strings.Contains(res.stderr, tc.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", res.stderr, tc.wantStderr)
			}
			if !tc.partial && res.stderr != tc.wantStderr {
				t.Errorf("stderr = %q, want %q", res.stderr, tc.wantStderr)
			}
			if res.stdout != "" {
				t.Errorf("stdout = %q, want nothing", res.stdout)
			}
		})
	}
}

func TestUsageAndAuthErrors_NeverCallTheAPI(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		noToken    bool
		wantCode   int
		wantStderr string
	}{
		{"unknown command", []string{"frobnicate"}, false, exitUsage, `error: unknown command "frobnicate" for "storefrontctl"`},
		{"unknown subcommand", []string{"streams", "frobnicate"}, false, exitUsage, `error: unknown command "frobnicate" for "storefrontctl streams"`},
		{"unknown flag", []string{"projections", "list", "--bogus"}, false, exitUsage, "error: unknown flag: --bogus"},
		{"bad flag value", []string{"streams", "list", "--page", "two"}, false, exitUsage, `invalid argument "two" for "--page"`},
		{"missing argument", []string{"streams", "show"}, false, exitUsage, "error: storefrontctl streams show takes 1 argument(s) ([ID]), got 0"},
		{"extra argument", []string{"projections", "list", "x"}, false, exitUsage, "takes 0 argument(s)"},
		{"bad interval", []string{"projections", "rebuild", "catalog", "--wait", "--interval", "0s"}, false, exitUsage, "error: --interval must be positive"},
		{"negative timeout", []string{"--timeout", "-1s", "audit"}, false, exitUsage, "error: --timeout must not be negative"},
		{"bad url", []string{"--url", "ftp://example.com", "audit"}, false, exitUsage, `error: invalid --url "ftp://example.com"`},
		{"not logged in", []string{"projections", "list"}, true, exitAuth, "error: not logged in to http://127.0.0.1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			inv := f.newInvocation()
			if tc.noToken {
				delete(inv.env, "STOREFRONT_TOKEN")
			}
			res := inv.run(t, tc.args...)
			if res.code != tc.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", res.code, tc.wantCode, res.stderr)
			}
			if !strings.Contains(res.stderr, tc.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", res.stderr, tc.wantStderr)
			}
			if n := len(f.recorded()); n != 0 {
				t.Errorf("%d requests made, want none", n)
			}
		})
	}
}

func TestHelp_DocumentsExitCodesAndCompletion(t *testing.T) {
	f := newFakeAPI(t)
	res := f.newInvocation().run(t, "--help")
	if res.code != 0 {
		t.Fatalf("exit code %d", res.code)
	}
	for _, want := range []string{"Exit codes:", "3  not logged in, not authenticated or not an admin (401, 403)",
		"7  projections rebuild --wait: the rebuild failed", "completion", "--json", "--timeout"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, res.stdout)
		}
	}
	for shell, want := range map[string]string{
		"bash": "bash completion V2 for storefrontctl", "zsh": "#compdef storefrontctl",
		"fish": "fish completion for storefrontctl", "powershell": "powershell completion for storefrontctl",
	} {
		res := f.newInvocation().run(t, "completion", shell)
		if res.code != 0 || !strings.Contains(res.stdout, want) {
			t.Errorf("completion %s: exit %d, output lacks %q", shell, res.code, want)
		}
	}
}

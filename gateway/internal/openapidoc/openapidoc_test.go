package openapidoc

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/storefront/storefront/gateway/internal/backends"
	"github.com/storefront/storefront/gateway/internal/policy"
)

func TestEnrich_EveryRouteDeclaresItsAuthAndErrors(t *testing.T) {
	raw, err := os.ReadFile("../../openapi/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	table, err := policy.Load(backends.Services()...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Enrich(raw, table)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(raw) {
		t.Fatal("the committed openapi.json is not what make generate writes: run make generate")
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Security  []map[string]any          `json:"security"`
			Responses map[string]map[string]any `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range table.Routes() {
		op, ok := doc.Paths[r.Path][map[string]string{"GET": "get", "POST": "post", "PUT": "put", "PATCH": "patch", "DELETE": "delete"}[r.Verb]]
		if !ok {
			t.Errorf("%s %s missing", r.Verb, r.Path)
			continue
		}
		if _, ok := op.Responses[itoa(r.Status)]; !ok {
			t.Errorf("%s %s: no %d response: %v", r.Verb, r.Path, r.Status, keys(op.Responses))
		}
		for _, code := range []string{"400", "429", "500"} {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s %s: no %s response", r.Verb, r.Path, code)
			}
		}
		wantBearer := r.Access.String() != "ACCESS_PUBLIC"
		if (len(op.Security) == 1) != wantBearer {
			t.Errorf("%s %s: security %v, access %s", r.Verb, r.Path, op.Security, r.Access)
		}
		if _, ok := op.Responses["401"]; wantBearer && !ok {
			t.Errorf("%s %s: needs a token but documents no 401", r.Verb, r.Path)
		}
	}
	for _, p := range []string{"/healthz", "/readyz", "/api/v1/openapi.json"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("edge path %s missing", p)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestEnrich_DropsTheTagsOfInternalServices(t *testing.T) {
	raw, err := os.ReadFile("../../openapi/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tags []struct {
			Name string `json:"name"`
		} `json:"tags"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tag := range doc.Tags {
		names = append(names, tag.Name)
	}
	if slices.Contains(names, "PaymentService") || !slices.Contains(names, "CartService") {
		t.Fatalf("tags %v: want the services with routes only", names)
	}
}

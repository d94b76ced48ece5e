package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
)

// TestOperations drives the operators' API through the REST edge against the fleet as
// `make run` starts it (with its demo data): the projections and their progress, the streams
// and events with their payloads as JSON (secrets redacted) and metadata, a blue/green rebuild
// of the catalog while a load loop reads products (0 failed reads, never fewer products, one
// switch, progress never going back), 409 while it runs, a poison event parked, redriven
// (failing again), discarded, and the audit of every admin action. Only admins get in.
func TestOperations(t *testing.T) {
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=100000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=100000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword, "STOREFRONT_DEMO_DATA=true")
	r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	c := &opsClient{f: f, admin: r.json(t)["access_token"].(string)}
	_, ada := register(t, f, "ops-ada")
	c.customer = ada["access_token"].(string)
	c.customerID = f.do(t, "GET", "/api/v1/users/me", nil, c.customer).json(t)["id"].(string)
	c.adminID = f.do(t, "GET", "/api/v1/users/me", nil, c.admin).json(t)["id"].(string)

	t.Run("admins only", c.testAccess)
	t.Run("projections", c.testProjections)
	t.Run("streams and events", c.testStreams)
	t.Run("rebuild under load", c.testRebuild)
	t.Run("dead letters", c.testDeadLetters)
	t.Run("audit", c.testAudit)
}

type opsClient struct {
	f                   *fleet
	admin, customer     string
	adminID, customerID string
	product             string // created by the admin in testStreams
}

func (c *opsClient) get(t *testing.T, path string) map[string]any {
	t.Helper()
	r := c.f.do(t, "GET", path, nil, c.admin)
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	return r.json(t)
}

func (c *opsClient) testAccess(t *testing.T) {
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/v1/admin/projections"},
		{"POST", "/api/v1/admin/projections/catalog_products/rebuild"},
		{"GET", "/api/v1/admin/streams"},
		{"GET", "/api/v1/admin/streams/product-x"},
		{"GET", "/api/v1/admin/events/" + uuid.NewString()},
		{"GET", "/api/v1/admin/dead-letters"},
		{"POST", "/api/v1/admin/dead-letters/1/redrive"},
		{"POST", "/api/v1/admin/dead-letters/1/discard"},
		{"GET", "/api/v1/admin/audit"},
	} {
		var body any
		if rt.method == "POST" {
			body = map[string]any{}
		}
		assertError(t, c.f.do(t, rt.method, rt.path, body, ""), 401, "unauthenticated")
		assertError(t, c.f.do(t, rt.method, rt.path, body, c.customer), 403, "permission_denied")
	}
}

// projectionNames are the read models of the fleet; a new one shows without extra work.
var projectionNames = []string{"audit", "blog_posts", "cart_products", "catalog_products", "orders", "reviews", "support"}

func (c *opsClient) projections(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, it := range c.get(t, "/api/v1/admin/projections")["items"].([]any) {
		p := it.(map[string]any)
		out[p["name"].(string)] = p
	}
	return out
}

func (c *opsClient) testProjections(t *testing.T) {
	ps := c.projections(t)
	var names []string
	for n := range ps {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, projectionNames) {
		t.Fatalf("projections %v, want %v", names, projectionNames)
	}
	cat := ps["catalog_products"]
	for _, field := range []string{"position", "lag", "lag_seconds", "state", "rebuild", "active_generation", "contexts", "dead_letters", "switched_at"} {
		if _, ok := cat[field]; !ok {
			t.Errorf("catalog projection lacks %q: %v", field, cat)
		}
	}
	if cat["state"] != "live" || cat["position"].(float64) < 0 || cat["active_generation"].(float64) < 1 {
		t.Errorf("catalog projection: %v", cat)
	}
	if got := fmt.Sprint(cat["contexts"]); !strings.Contains(got, "catalog") || !strings.Contains(got, "reviews") {
		t.Errorf("catalog contexts %s, want catalog and reviews", got)
	}
	rb := cat["rebuild"].(map[string]any)
	for _, field := range []string{"position", "total", "rate", "eta_seconds"} {
		if _, ok := rb[field].(float64); !ok {
			t.Errorf("rebuild.%s is not a number: %v", field, rb)
		}
	}
	assertError(t, c.f.do(t, "POST", "/api/v1/admin/projections/nope/rebuild", map[string]any{}, c.admin), 404, "not_found")
}

var traceIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (c *opsClient) testStreams(t *testing.T) {
	cat := catalogClient{f: c.f, admin: c.admin, customer: c.customer}.category(t, "")
	r := c.f.do(t, "POST", "/api/v1/products", productBody("OPS-"+suffix(), cat), c.admin)
	if r.status != 201 {
		t.Fatalf("create product: %d %s", r.status, r.body)
	}
	c.product = r.json(t)["id"].(string)
	stream := "product-" + c.product

	list := c.get(t, "/api/v1/admin/streams?context=catalog&prefix="+url.QueryEscape(stream))
	items := list["items"].([]any)
	if list["total"].(float64) != 1 || len(items) != 1 {
		t.Fatalf("streams with prefix %s: %v", stream, list)
	}
	st := items[0].(map[string]any)
	if st["id"] != stream || st["context"] != "catalog" || st["version"].(float64) < 1 || st["updated_at"] == "" {
		t.Errorf("stream %v", st)
	}
	all := c.get(t, "/api/v1/admin/streams?per_page=10")
	if all["total"].(float64) <= 10 || len(all["items"].([]any)) != 10 {
		t.Errorf("every context's streams: total %v, %d items", all["total"], len(all["items"].([]any)))
	}

	evs := c.get(t, "/api/v1/admin/streams/"+url.PathEscape(stream))["items"].([]any)
	if len(evs) < 1 {
		t.Fatalf("stream %s has no events", stream)
	}
	first := evs[0].(map[string]any)
	data := first["data"].(map[string]any)
	md := first["metadata"].(map[string]any)
	if first["type"] != "storefront.catalog.v1.ProductCreated" || first["version"].(float64) != 1 || first["stream_id"] != stream ||
		data["product_id"] != c.product || md["actor_id"] != c.adminID || !traceIDPattern.MatchString(fmt.Sprint(md["trace_id"])) {
		t.Errorf("first event of %s: %v", stream, first)
	}
	one := c.get(t, "/api/v1/admin/events/"+first["id"].(string))
	if one["id"] != first["id"] || one["context"] != "catalog" || fmt.Sprint(one["data"]) != fmt.Sprint(data) {
		t.Errorf("GET /admin/events/%s: %v", first["id"], one)
	}

	// The customer's identity stream: its password hash is not shown.
	user := c.get(t, "/api/v1/admin/streams/user-"+c.customerID)["items"].([]any)
	raw, _ := json.Marshal(user)
	if !strings.Contains(string(raw), `"password_hash":"[redacted]"`) || strings.Contains(string(raw), "$2a$") {
		t.Errorf("identity stream of the customer shows or lacks its redacted password hash: %s", raw)
	}

	assertError(t, c.f.do(t, "GET", "/api/v1/admin/streams/nope-"+uuid.NewString(), nil, c.admin), 404, "not_found")
	assertError(t, c.f.do(t, "GET", "/api/v1/admin/events/"+uuid.NewString(), nil, c.admin), 404, "not_found")
	assertError(t, c.f.do(t, "GET", "/api/v1/admin/events/not-a-uuid", nil, c.admin), 400, "invalid_argument", "id")
	assertError(t, c.f.do(t, "GET", "/api/v1/admin/streams?context=nope", nil, c.admin), 400, "invalid_argument", "context")
	assertError(t, c.f.do(t, "GET", "/api/v1/admin/streams/"+stream+"?max=0", nil, c.admin), 400, "invalid_argument", "max")
}

func (c *opsClient) testRebuild(t *testing.T) {
	// The demo catalog loads after the fleet is ready.
	var wantTotal float64
	c.eventually(t, "the demo catalog loaded", func() bool {
		wantTotal = c.get(t, "/api/v1/products?per_page=1")["total"].(float64)
		return wantTotal >= 250
	})
	time.Sleep(time.Second) // and its last products reached the read model
	wantTotal = c.get(t, "/api/v1/products?per_page=1")["total"].(float64)
	before := c.projections(t)["catalog_products"]

	// The load loop: shoppers list products throughout the rebuild.
	var (
		reads, failed atomic.Int64
		fewer         atomic.Int64
		stop          = make(chan struct{})
		wg            sync.WaitGroup
	)
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := c.f.do(t, "GET", "/api/v1/products?per_page=24&sort=price_asc", nil, c.customer)
				reads.Add(1)
				switch {
				case r.status != 200:
					failed.Add(1)
				case r.json(t)["total"].(float64) < wantTotal:
					fewer.Add(1)
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)

	r := c.f.do(t, "POST", "/api/v1/admin/projections/catalog_products/rebuild", map[string]any{}, c.admin)
	if r.status != 202 {
		t.Fatalf("rebuild: %d %s", r.status, r.body)
	}
	if got := r.json(t); got["name"] != "catalog_products" || got["rebuild_requested_at"] == "" {
		t.Errorf("rebuild answer: %v", got)
	}
	assertError(t, c.f.do(t, "POST", "/api/v1/admin/projections/catalog_products/rebuild", map[string]any{}, c.admin), 409, "failed_precondition")

	deadline := time.Now().Add(60 * time.Second)
	var (
		last     float64
		after    map[string]any
		sawBuild bool
	)
	for {
		p := c.projections(t)["catalog_products"]
		if p["state"] == "rebuilding" {
			sawBuild = true
			pos := p["rebuild"].(map[string]any)["position"].(float64)
			if pos < last {
				t.Errorf("rebuild progress went back from %v to %v", last, pos)
			}
			last = pos
		}
		if p["state"] == "live" && p["active_generation"].(float64) > before["active_generation"].(float64) {
			after = p
			break
		}
		if p["state"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("rebuild did not switch in: %v", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // reads after the switch too
	close(stop)
	wg.Wait()

	if after["active_generation"].(float64) != before["active_generation"].(float64)+1 {
		t.Errorf("generation %v → %v, want one switch", before["active_generation"], after["active_generation"])
	}
	if after["switched_at"].(string) <= before["switched_at"].(string) || after["position"].(float64) <= 0 {
		t.Errorf("switched_at %v → %v, position %v", before["switched_at"], after["switched_at"], after["position"])
	}
	t.Logf("rebuild under load: %d reads, %d failed, %d with fewer products; progress seen: %v", reads.Load(), failed.Load(), fewer.Load(), sawBuild)
	if failed.Load() != 0 || fewer.Load() != 0 || reads.Load() < 10 {
		t.Errorf("reads during the rebuild: %d, failed %d, fewer products %d", reads.Load(), failed.Load(), fewer.Load())
	}
	// A new request is accepted once it is done.
	if r := c.f.do(t, "POST", "/api/v1/admin/projections/cart_products/rebuild", map[string]any{}, c.admin); r.status != 202 {
		t.Errorf("rebuild of cart: %d %s", r.status, r.body)
	}
}

// poison publishes an event the content projection cannot decode (an unknown type) on the
// content context's stream, as the relay would.
func (c *opsClient) poison(t *testing.T) string {
	t.Helper()
	nc, err := nats.Connect(c.f.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ev := es.RecordedEvent{ID: uuid.New(), StreamID: "blogpost-" + uuid.NewString(), Version: 1, Type: "storefront.content.v1.BlogPostHaunted",
		SchemaVersion: 1, Payload: []byte{}, RecordedAt: time.Now().UTC()}
	msg := natsbus.Encode(natsbus.Subject("content", ev), ev)
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(msg); err != nil {
		t.Fatalf("publish the poison event: %v", err)
	}
	return ev.ID.String()
}

func (c *opsClient) deadLetter(t *testing.T, eventID string) map[string]any {
	t.Helper()
	for _, it := range c.get(t, "/api/v1/admin/dead-letters?projection=blog_posts")["items"].([]any) {
		d := it.(map[string]any)
		if d["event"].(map[string]any)["id"] == eventID {
			return d
		}
	}
	return nil
}

func (c *opsClient) eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 60s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *opsClient) testDeadLetters(t *testing.T) {
	eventID := c.poison(t)
	var d map[string]any
	c.eventually(t, "the poison event parked", func() bool { d = c.deadLetter(t, eventID); return d != nil })
	if d["reason"] != "unknown_event" || d["attempts"].(float64) != 1 || d["projection"] != "blog_posts" || d["parked_at"] == "" ||
		d["event"].(map[string]any)["type"] != "storefront.content.v1.BlogPostHaunted" || d["error"] == "" {
		t.Errorf("dead letter %v", d)
	}
	id := d["id"].(string)
	if n := c.projections(t)["blog_posts"]["dead_letters"].(float64); n != 1 {
		t.Errorf("content projection counts %v dead letters, want 1", n)
	}

	r := c.f.do(t, "POST", "/api/v1/admin/dead-letters/"+id+"/redrive", map[string]any{}, c.admin)
	if r.status != 202 {
		t.Fatalf("redrive: %d %s", r.status, r.body)
	}
	// Still unknown: it fails again and stays parked, one attempt more.
	c.eventually(t, "the redrive carried out", func() bool {
		d = c.deadLetter(t, eventID)
		return d != nil && d["attempts"].(float64) == 2 && d["requested"] == ""
	})

	if r := c.f.do(t, "POST", "/api/v1/admin/dead-letters/"+id+"/discard", map[string]any{}, c.admin); r.status != 204 {
		t.Fatalf("discard: %d %s", r.status, r.body)
	}
	c.eventually(t, "the discard carried out", func() bool { return c.deadLetter(t, eventID) == nil })
	assertError(t, c.f.do(t, "POST", "/api/v1/admin/dead-letters/"+id+"/redrive", map[string]any{}, c.admin), 404, "not_found")
	assertError(t, c.f.do(t, "POST", "/api/v1/admin/dead-letters/999999/discard", map[string]any{}, c.admin), 404, "not_found")
	assertError(t, c.f.do(t, "POST", "/api/v1/admin/dead-letters/abc/redrive", map[string]any{}, c.admin), 400, "invalid_argument", "id")
}

func (c *opsClient) testAudit(t *testing.T) {
	want := map[string]string{
		"product_created":               "product/" + c.product,
		"projection_rebuild_requested":  "projection/catalog_products",
		"dead_letter_redrive_requested": "dead-letter/",
		"dead_letter_discarded":         "dead-letter/",
	}
	var entries []any
	c.eventually(t, "the audit lists the admin's actions", func() bool {
		// Every page: the demo catalog's entries are many.
		entries = nil
		for page := 1; ; page++ {
			got := c.get(t, fmt.Sprintf("/api/v1/admin/audit?per_page=100&page=%d", page))
			items := got["items"].([]any)
			entries = append(entries, items...)
			if len(items) == 0 || float64(len(entries)) >= got["total"].(float64) {
				break
			}
		}
		found := 0
		for action, target := range want {
			for _, it := range entries {
				e := it.(map[string]any)
				if e["action"] == action && strings.HasPrefix(e["target"].(string), target) && e["actor_id"] == c.adminID {
					found++
					break
				}
			}
		}
		return found == len(want)
	})
	for i := 1; i < len(entries); i++ {
		if entries[i-1].(map[string]any)["at"].(string) < entries[i].(map[string]any)["at"].(string) {
			t.Errorf("audit not newest first at %d: %v", i, entries[i-1:i+1])
		}
	}
	for _, it := range entries {
		if e := it.(map[string]any); e["actor_id"] == c.customerID {
			t.Errorf("a customer's action in the audit: %v", e)
		}
	}
}

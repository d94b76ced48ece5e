package e2e

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	"github.com/storefront/storefront/services/catalog/demo"
)

var demoDiscount = regexp.MustCompile(`msg="demo discount created" .*code=WELCOME10`)

var demoLoaded = regexp.MustCompile(`msg="demo catalog loaded" .*catalog=(\S+) categories_created=(\d+) categories_existing=(\d+) products_created=(\d+) products_existing=(\d+) took=(\S+)`)

// TestDemoCatalog_LoadedOnceAtStart starts the fleet as `make run` does, demo data on (its
// default), and checks that the launcher loaded the demo catalog through the catalog's
// commands: every category and product created, their events on the CATALOG stream, and a
// second load creating nothing.
func TestDemoCatalog_LoadedOnceAtStart(t *testing.T) {
	f := startFleet(t, "STOREFRONT_DEMO_DATA=true")
	categories, products := len(demo.Categories()), len(demo.Products())

	var m []string
	for deadline := time.Now().Add(60 * time.Second); m == nil; time.Sleep(50 * time.Millisecond) {
		if m = demoLoaded.FindStringSubmatch(f.logs.String()); m == nil && time.Now().After(deadline) {
			t.Fatalf("the launcher logged no demo catalog load within 60s:\n%s", f.logs)
		}
	}
	t.Logf("launcher: %s", m[0])
	// After the catalog, the demo store's welcome discount.
	for deadline := time.Now().Add(30 * time.Second); !demoDiscount.MatchString(f.logs.String()); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the launcher created no demo discount:\n%s", f.logs)
		}
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	if n(2) != categories || n(3) != 0 || n(4) != products || n(5) != 0 {
		t.Fatalf("first load: %s, want %d categories and %d products created", m[0], categories, products)
	}

	nc, err := nats.Connect(f.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// count is how many messages of subject the CATALOG stream holds.
	count := func(subject string) int {
		s, err := js.Stream(t.Context(), "CATALOG")
		if err != nil {
			return 0
		}
		info, err := s.Info(t.Context(), jetstream.WithSubjectFilter(subject))
		if err != nil {
			t.Fatal(err)
		}
		return int(info.State.Subjects[subject])
	}
	const created = "catalog.product.ProductCreated"
	for deadline := time.Now().Add(20 * time.Second); count(created) != products; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d ProductCreated on the CATALOG stream, want %d", count(created), products)
		}
	}

	conn, err := grpc.NewClient(m[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	appended := func() int64 { // the catalog's events in its event store
		var n int64
		if err := f.db.Pool.QueryRow(t.Context(), "SELECT count(*) FROM catalog.events").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := appended()
	res, err := demo.LoadDemo(demo.AdminContext(t.Context()), catalogv1.NewCatalogServiceClient(conn), demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.CategoriesCreated+res.ProductsCreated != 0 || res.CategoriesExisting != categories || res.ProductsExisting != products {
		t.Fatalf("second load: %+v, want everything existing", res)
	}
	// Nothing was appended, so the relay has nothing more to publish.
	if after := appended(); after != before {
		t.Fatalf("the second load appended %d events", after-before)
	}
	if got := count(created); got != products {
		t.Fatalf("%d ProductCreated after the second load, want still %d", got, products)
	}

	// Then the demo reviews: the first demo product has reviews, and a rating in the catalog.
	for deadline := time.Now().Add(30 * time.Second); !demoReviews.MatchString(f.logs.String()); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the launcher loaded no demo reviews:\n%s", f.logs)
		}
	}
	first := demo.Products()[0].Slug
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		r := f.do(t, "GET", "/api/v1/products/"+first, nil, "")
		rating, _ := r.json(t)["rating"].(map[string]any)
		lr := f.do(t, "GET", "/api/v1/products/"+first+"/reviews", nil, "")
		if r.status == 200 && rating["count"] == 1.0 && lr.status == 200 && lr.json(t)["total"] == 1.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo product %s: %s; reviews %s", first, r.body, lr.body)
		}
	}

	// Every demo product has its category's generated picture, in all three renditions, and
	// the edge serves them.
	images, _ := f.do(t, "GET", "/api/v1/products/"+first, nil, "").json(t)["images"].([]any)
	if len(images) != 1 {
		t.Fatalf("demo product %s has images %v, want one uploaded picture", first, images)
	}
	variants, _ := images[0].(map[string]any)["variants"].([]any)
	if len(variants) != 3 {
		t.Fatalf("demo picture variants %v, want 320, 640 and 1280", variants)
	}
	for _, v := range variants {
		m := f.do(t, "GET", mediaPath(t, v.(map[string]any)["url"].(string)), nil, "")
		if m.status != 200 || m.header.Get("Content-Type") != "image/webp" || len(m.body) == 0 {
			t.Fatalf("GET %v: %d %v", v, m.status, m.header)
		}
	}
}

var demoReviews = regexp.MustCompile(`msg="demo reviews loaded" .*reviewers=4 reviews=\d+`)

package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func validDetails() Details {
	return Details{
		SKU: "KB-001", Name: "Split Keyboard", Slug: "split-keyboard", Description: "Ergonomic.", Category: "keyboards",
		Brand: "Keeb Co", Specs: []Spec{{"switches", "Gateron Brown", ""}, {"weight", "1.2", "kg"}},
		Images: []Image{{URL: "https://img.example.com/kb.png", Alt: "the keyboard"}},
	}
}

// fields returns the fields a validation error names.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var v *errs.Validation
	if !errors.As(err, &v) {
		t.Fatalf("err = %v, want a validation error", err)
	}
	var out []string
	for _, x := range v.Violations {
		out = append(out, x.Field)
	}
	return out
}

func hasField(fs []string, f string) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}

func TestDetailsValidate_NamesEveryBadField(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Details)
		field  string // "" means valid
	}{
		{"valid", func(*Details) {}, ""},
		{"no sku", func(d *Details) { d.SKU = "" }, "sku"},
		{"sku with a space", func(d *Details) { d.SKU = "KB 1" }, "sku"},
		{"sku starting with a dash", func(d *Details) { d.SKU = "-KB" }, "sku"},
		{"sku too long", func(d *Details) { d.SKU = strings.Repeat("A", MaxSKULen+1) }, "sku"},
		{"sku with slash and dot", func(d *Details) { d.SKU = "KB/1.2_x-3" }, ""},
		{"no name", func(d *Details) { d.Name = "" }, "name"},
		{"name too long", func(d *Details) { d.Name = strings.Repeat("é", MaxNameLen+1) }, "name"},
		{"name at the bound", func(d *Details) { d.Name = strings.Repeat("é", MaxNameLen) }, ""},
		{"name with a control character", func(d *Details) { d.Name = "a\x00b" }, "name"},
		{"upper-case slug", func(d *Details) { d.Slug = "Split" }, "slug"},
		{"slug with double hyphen", func(d *Details) { d.Slug = "split--kb" }, "slug"},
		{"slug ending with hyphen", func(d *Details) { d.Slug = "split-" }, "slug"},
		{"slug that is a uuid", func(d *Details) { d.Slug = "0190e4c2-7d5a-7c3e-8f00-0123456789ab" }, "slug"},
		{"empty slug (derive or keep)", func(d *Details) { d.Slug = "" }, ""},
		{"no category", func(d *Details) { d.Category = "" }, "category"},
		{"malformed category", func(d *Details) { d.Category = "Key Boards" }, "category"},
		{"description too long", func(d *Details) { d.Description = strings.Repeat("x", MaxDescriptionLen+1) }, "description"},
		{"brand too long", func(d *Details) { d.Brand = strings.Repeat("x", MaxBrandLen+1) }, "brand"},
		{"spec without key", func(d *Details) { d.Specs[1].Key = "" }, "specs[1].key"},
		{"spec without value", func(d *Details) { d.Specs[0].Value = "" }, "specs[0].value"},
		{"spec unit too long", func(d *Details) { d.Specs[0].Unit = strings.Repeat("u", MaxSpecUnitLen+1) }, "specs[0].unit"},
		{"too many specs", func(d *Details) { d.Specs = make([]Spec, MaxSpecs+1); fill(d.Specs) }, "specs"},
		{"too many images", func(d *Details) {
			d.Images = make([]Image, MaxImages+1)
			for i := range d.Images {
				d.Images[i] = Image{URL: "https://x.example/a.png"}
			}
		}, "images"},
		{"ftp image", func(d *Details) { d.Images[0].URL = "ftp://img.example.com/kb.png" }, "images[0].url"},
		{"javascript image", func(d *Details) { d.Images[0].URL = "javascript:alert(1)" }, "images[0].url"},
		{"relative image", func(d *Details) { d.Images[0].URL = "/kb.png" }, "images[0].url"},
		{"image without host", func(d *Details) { d.Images[0].URL = "https:///kb.png" }, "images[0].url"},
		{"image with credentials", func(d *Details) { d.Images[0].URL = "https://u:p@img.example.com/kb.png" }, "images[0].url"},
		{"image with a space", func(d *Details) { d.Images[0].URL = "https://img.example.com/k b.png" }, "images[0].url"},
		{"image URL too long", func(d *Details) { d.Images[0].URL = "https://x.example/" + strings.Repeat("a", MaxURLLen) }, "images[0].url"},
		{"http image with port and query", func(d *Details) { d.Images[0].URL = "HTTP://img.example.com:8080/kb.png?w=200" }, ""},
		{"alt too long", func(d *Details) { d.Images[0].Alt = strings.Repeat("a", MaxAltLen+1) }, "images[0].alt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validDetails()
			tt.change(&d)
			var v errs.Validation
			d.Normalize().Validate(&v)
			if tt.field == "" {
				if err := v.Err(); err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if fs := fields(t, v.Err()); !hasField(fs, tt.field) {
				t.Fatalf("violations %v lack %q", fs, tt.field)
			}
		})
	}
}

func fill(specs []Spec) {
	for i := range specs {
		specs[i] = Spec{Key: "k", Value: "v"}
	}
}

func TestParsePrice(t *testing.T) {
	tests := []struct {
		amount, currency string
		want             int64
		field            string // "" means valid
	}{
		{"129.99", "USD", 12999, ""},
		{"12.5", "", 1250, ""},
		{"10", "usd", 1000, ""},
		{"0.01", "", 1, ""},
		{"007.10", "", 710, ""},
		{"0", "", 0, "price"},
		{"0.00", "", 0, "price"},
		{"-5", "", 0, "price"},
		{"12.345", "", 0, "price"},
		{"1e3", "", 0, "price"},
		{"12.", "", 0, "price"},
		{".5", "", 0, "price"},
		{"", "", 0, "price"},
		{"1,000", "", 0, "price"},
		{"100000000.01", "", 0, "price"},
		{"99999999999999999999", "", 0, "price"},
		{"10", "EUR", 0, "price.currency"},
	}
	for _, tt := range tests {
		got, err := ParsePrice("price", tt.amount, tt.currency, "USD")
		if tt.field == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParsePrice(%q, %q) = %d, %v; want %d", tt.amount, tt.currency, got, err, tt.want)
			}
			continue
		}
		if err == nil || !hasField(fields(t, err), tt.field) {
			t.Errorf("ParsePrice(%q, %q) = %d, %v; want a violation of %s", tt.amount, tt.currency, got, err, tt.field)
		}
	}
}

func TestDeriveSlug(t *testing.T) {
	tests := map[string]string{
		"Split Keyboard":                       "split-keyboard",
		"  Raspberry Pi 5 (8 GB)  ":            "raspberry-pi-5-8-gb",
		"Crème Brûlée — Édition Spéciale":      "creme-brulee-edition-speciale",
		"C++ Primer, 5th ed.":                  "c-primer-5th-ed",
		"日本語":                                  "product",
		"---":                                  "product",
		strings.Repeat("word ", 40):            strings.TrimRight(strings.Repeat("word-", 16), "-"),
		"0190e4c2-7d5a-7c3e-8f00-0123456789ab": "product-0190e4c2-7d5a-7c3e-8f00-0123456789ab",
	}
	for name, want := range tests {
		got := DeriveSlug(name)
		if got != want {
			t.Errorf("DeriveSlug(%q) = %q, want %q", name, got, want)
		}
		if err := ValidateSlug("slug", got, MaxSlugLen); err != nil {
			t.Errorf("DeriveSlug(%q) = %q, which is not a valid slug: %v", name, got, err)
		}
	}
}

func TestSlugCandidate_SuffixesAndStaysWithinBounds(t *testing.T) {
	if got := SlugCandidate("kb", 1); got != "kb" {
		t.Errorf("first candidate = %q", got)
	}
	if got := SlugCandidate("kb", 2); got != "kb-2" {
		t.Errorf("second candidate = %q", got)
	}
	long := strings.TrimRight(strings.Repeat("abcd-", 16), "-") // 79 characters
	got := SlugCandidate(long, 12)
	if len(got) > MaxSlugLen || !strings.HasSuffix(got, "-12") || ValidateSlug("slug", got, MaxSlugLen) != nil {
		t.Errorf("candidate of a long base = %q (%d)", got, len(got))
	}
}

func newProduct(t *testing.T, stock int32) *Product {
	t.Helper()
	p, err := CreateProduct("p1", validDetails(), 12999, "USD", stock, now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// replay loads a product from the events it recorded, as the store would.
func replay(t *testing.T, p *Product) *Product {
	t.Helper()
	q := NewProduct(p.StreamID())
	for _, e := range p.Pending() {
		if err := q.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	return q
}

func TestCreateProduct_InvariantsAndClaims(t *testing.T) {
	tests := []struct {
		name  string
		price int64
		stock int32
		slug  string
		field string
	}{
		{"valid", 12999, 5, "split-keyboard", ""},
		{"zero price", 0, 5, "split-keyboard", "price"},
		{"negative price", -1, 5, "split-keyboard", "price"},
		{"negative stock", 100, -1, "split-keyboard", "stock"},
		{"stock too large", 100, MaxStock + 1, "split-keyboard", "stock"},
		{"no slug", 100, 0, "", "slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validDetails()
			d.Slug = tt.slug
			p, err := CreateProduct("p1", d, tt.price, "USD", tt.stock, now)
			if tt.field != "" {
				if err == nil || !hasField(fields(t, err), tt.field) {
					t.Fatalf("err = %v, want a violation of %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.OnHand() != 5 || p.Available() != 5 || p.Status() != StatusActive {
				t.Fatalf("product %+v", p)
			}
			created := p.Pending()[0].(*catalogv1.ProductCreated)
			if created.GetAvailable() != 5 || created.GetOnHand() != 5 || created.GetPriceMinor() != 12999 || len(created.GetSpecs()) != 2 {
				t.Fatalf("event %v lacks fields", created)
			}
			claims := map[string]string{}
			for _, c := range claimsOf(p) {
				claims[c.Scope] = c.Value
			}
			if claims[ScopeSKU] != "KB-001" || claims[ScopeSlug] != "split-keyboard" {
				t.Fatalf("claims = %v, want the SKU (upper-cased) and the slug", claims)
			}
		})
	}
}

// claimsOf reads the claims an aggregate will save, through the store it would save to.
func claimsOf(p *Product) []es.Claim {
	rec := &recordingStore{}
	_ = saveWith(rec, p)
	return rec.claims
}

func TestSKUKey_CaseInsensitive(t *testing.T) {
	if SKUKey("kb-001") != SKUKey("KB-001") {
		t.Fatal("SKUs differing in case must claim the same value")
	}
}

func TestUpdateDetails_ClaimsNewSKUAndSlugReleasesOld(t *testing.T) {
	p := replay(t, newProduct(t, 1))
	d := validDetails()
	d.SKU, d.Slug, d.Name = "KB-002", "split-keyboard-v2", "Split Keyboard v2"
	if err := p.UpdateDetails(d, now); err != nil {
		t.Fatal(err)
	}
	rec := &recordingStore{}
	if err := saveWith(rec, p); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"claim product.sku KB-002": true, "release product.sku KB-001": true,
		"claim product.slug split-keyboard-v2": true, "release product.slug split-keyboard": true}
	got := map[string]bool{}
	for _, c := range rec.claims {
		got["claim "+c.Scope+" "+c.Value] = true
	}
	for _, c := range rec.releases {
		got["release "+c.Scope+" "+c.Value] = true
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing %s in %v", k, got)
		}
	}
	ev := rec.events[0].(*catalogv1.ProductDetailsUpdated)
	if strings.Join(ev.GetChanged(), ",") != "sku,name,slug" {
		t.Errorf("changed = %v", ev.GetChanged())
	}

	// Same details: nothing recorded. Empty slug keeps the slug.
	q := replay(t, newProduct(t, 1))
	d = validDetails()
	d.Slug = ""
	if err := q.UpdateDetails(d, now); err != nil || len(q.Pending()) != 0 {
		t.Fatalf("unchanged update recorded events: %v %d", err, len(q.Pending()))
	}
	// Changing only the SKU's case records the change but keeps the claim.
	d.SKU = "kb-001"
	if err := q.UpdateDetails(d, now); err != nil {
		t.Fatal(err)
	}
	rec = &recordingStore{}
	_ = saveWith(rec, q)
	if len(rec.claims) != 0 || len(rec.releases) != 0 || q.Details().SKU != "kb-001" {
		t.Fatalf("case-only SKU change: claims %v releases %v sku %q", rec.claims, rec.releases, q.Details().SKU)
	}
}

func TestChangePriceAndStock(t *testing.T) {
	p := newProduct(t, 10)
	if err := p.ChangePrice(0, now); err == nil {
		t.Fatal("price 0 accepted")
	}
	if err := p.ChangePrice(5000, now); err != nil || p.PriceMinor() != 5000 {
		t.Fatalf("change price: %v %d", err, p.PriceMinor())
	}
	if err := p.Reserve("o1", 4, now); err != nil {
		t.Fatal(err)
	}
	// Setting available stock keeps the holds covered: on hand = available + held.
	if err := p.SetAvailable(2, now); err != nil {
		t.Fatal(err)
	}
	if p.Available() != 2 || p.OnHand() != 6 || p.Reserved() != 4 {
		t.Fatalf("after set: available %d on hand %d reserved %d", p.Available(), p.OnHand(), p.Reserved())
	}
	adj := p.Pending()[len(p.Pending())-1].(*catalogv1.StockAdjusted)
	if adj.GetDelta() != -4 || adj.GetOnHand() != 6 || adj.GetAvailable() != 2 || adj.GetReason() != ReasonSetByAdmin {
		t.Fatalf("adjustment %v", adj)
	}
	for _, bad := range []int32{-1, MaxStock + 1} {
		if err := p.SetAvailable(bad, now); err == nil || !hasField(fields(t, err), "stock") {
			t.Errorf("SetAvailable(%d) = %v", bad, err)
		}
	}
	n := len(p.Pending())
	if err := p.SetAvailable(2, now); err != nil || len(p.Pending()) != n {
		t.Fatal("setting the same stock recorded an event")
	}
}

func TestReserve_NeverMakesStockNegative(t *testing.T) {
	tests := []struct {
		name      string
		stock     int32
		requests  []int32 // one order each
		wantOK    int
		wantAvail int32
	}{
		{"exactly enough", 3, []int32{1, 1, 1}, 3, 0},
		{"one too many", 3, []int32{1, 1, 1, 1}, 3, 0},
		{"a large order does not fit", 5, []int32{4, 2, 1}, 2, 0},
		{"none in stock", 0, []int32{1}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProduct(t, tt.stock)
			ok := 0
			for i, q := range tt.requests {
				err := p.Reserve(orderID(i), q, now)
				var short *InsufficientStockError
				switch {
				case err == nil:
					ok++
				case errors.As(err, &short) && errors.Is(err, errs.FailedPrecondition):
					if short.ProductID != "p1" || !strings.Contains(err.Error(), "p1") {
						t.Fatalf("error does not name the product: %v", err)
					}
				default:
					t.Fatalf("reserve: %v", err)
				}
				if p.Available() < 0 {
					t.Fatalf("available went negative: %d", p.Available())
				}
			}
			if ok != tt.wantOK || p.Available() != tt.wantAvail || replay(t, p).Available() != tt.wantAvail {
				t.Fatalf("ok %d available %d, want %d and %d", ok, p.Available(), tt.wantOK, tt.wantAvail)
			}
		})
	}
}

func orderID(i int) string { return "order-" + string(rune('a'+i)) }

func TestReserve_IdempotentPerOrder_ReleaseAndCommit(t *testing.T) {
	p := newProduct(t, 10)
	if err := p.Reserve("o1", 3, now); err != nil {
		t.Fatal(err)
	}
	n := len(p.Pending())
	if err := p.Reserve("o1", 3, now); err != nil || len(p.Pending()) != n || p.Available() != 7 {
		t.Fatalf("repeated reserve: %v, events %d, available %d", err, len(p.Pending()), p.Available())
	}
	if err := p.Reserve("o1", 4, now); !errors.Is(err, ErrHoldMismatch) {
		t.Fatalf("other quantity for the same order: %v", err)
	}
	// Release returns the units; a second release changes nothing.
	p.ReleaseHold("o1", now)
	p.ReleaseHold("o1", now)
	if p.Available() != 10 || p.Reserved() != 0 || len(p.Pending()) != n+1 {
		t.Fatalf("after release: available %d reserved %d events %d", p.Available(), p.Reserved(), len(p.Pending()))
	}
	// Commit takes the units off the shelf; repeating it, or reserving again for the order,
	// changes nothing.
	if err := p.Reserve("o2", 4, now); err != nil {
		t.Fatal(err)
	}
	p.CommitHold("o2", now)
	p.CommitHold("o2", now)
	if err := p.Reserve("o2", 4, now); err != nil {
		t.Fatal(err)
	}
	if p.OnHand() != 6 || p.Available() != 6 || p.Reserved() != 0 {
		t.Fatalf("after commit: on hand %d available %d reserved %d", p.OnHand(), p.Available(), p.Reserved())
	}
	last := p.Pending()[len(p.Pending())-1].(*catalogv1.StockReservationCommitted)
	if last.GetOnHand() != 6 || last.GetAvailable() != 6 || last.GetQuantity() != 4 {
		t.Fatalf("commit event %v", last)
	}
	q := replay(t, p)
	if q.OnHand() != 6 || q.Available() != 6 || q.Hold("o1") != 0 {
		t.Fatalf("replayed: %d %d", q.OnHand(), q.Available())
	}
	// Commit and release without a hold record nothing.
	n = len(p.Pending())
	p.CommitHold("nobody", now)
	p.ReleaseHold("nobody", now)
	if len(p.Pending()) != n {
		t.Fatal("commit or release without a hold recorded an event")
	}
}

func TestDeleteAndRestore(t *testing.T) {
	p := newProduct(t, 5)
	if err := p.Reserve("o1", 2, now); err != nil {
		t.Fatal(err)
	}
	p.Delete(now)
	n := len(p.Pending())
	p.Delete(now)
	if len(p.Pending()) != n || p.Status() != StatusDeleted {
		t.Fatal("second delete recorded an event")
	}
	if err := p.Reserve("o2", 1, now); !errors.Is(err, ErrProductUnavailable) {
		t.Fatalf("reserve of a deleted product: %v", err)
	}
	if err := p.UpdateDetails(validDetails(), now); !errors.Is(err, ErrProductDeleted) {
		t.Fatalf("update of a deleted product: %v", err)
	}
	if err := p.ChangePrice(1, now); !errors.Is(err, ErrProductDeleted) {
		t.Fatalf("price change of a deleted product: %v", err)
	}
	// Orders placed before the deletion still settle.
	p.CommitHold("o1", now)
	if p.OnHand() != 3 {
		t.Fatalf("on hand %d", p.OnHand())
	}
	p.Restore(now)
	if p.Status() != StatusActive || replay(t, p).Status() != StatusActive {
		t.Fatal("not restored")
	}
	// Deleting keeps the SKU and slug claimed: no releases are recorded.
	rec := &recordingStore{}
	q := replay(t, newProduct(t, 1))
	q.Delete(now)
	_ = saveWith(rec, q)
	if len(rec.releases) != 0 {
		t.Fatalf("delete released %v", rec.releases)
	}
}

func TestCategory_ParentMustExist(t *testing.T) {
	tests := []struct {
		name, slug, cname, parent string
		parentExists              bool
		field                     string
	}{
		{"top level", "keyboards", "Keyboards", "", false, ""},
		{"child of an existing parent", "split-keyboards", "Split", "keyboards", true, ""},
		{"missing parent", "split-keyboards", "Split", "keyboards", false, "parent"},
		{"own parent", "keyboards", "Keyboards", "keyboards", true, "parent"},
		{"malformed parent", "split", "Split", "Key Boards", true, "parent"},
		{"malformed slug", "Key_Boards", "Keyboards", "", false, "slug"},
		{"no name", "keyboards", " ", "", false, "name"},
		{"slug too long", strings.Repeat("a", MaxCategorySlugLen+1), "A", "", false, "slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CreateCategory(tt.slug, tt.cname, tt.parent, tt.parentExists, now)
			if tt.field != "" {
				if err == nil || !hasField(fields(t, err), tt.field) {
					t.Fatalf("err = %v, want a violation of %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ev := c.Pending()[0].(*catalogv1.CategoryCreated)
			if ev.GetSlug() != tt.slug || ev.GetParent() != tt.parent || c.StreamID() != "category-"+tt.slug {
				t.Fatalf("event %v stream %s", ev, c.StreamID())
			}
		})
	}
}

func TestValidateReservation(t *testing.T) {
	tests := []struct {
		name  string
		order string
		lines []Line
		field string
	}{
		{"valid", "0190e4c2-7d5a-7c3e-8f00-0123456789ab", []Line{{"b", 1}, {"a", 2}}, ""},
		{"no order id", "", []Line{{"a", 1}}, "order_id"},
		{"order id with a slash", "a/b", []Line{{"a", 1}}, "order_id"},
		{"no items", "o1", nil, "items"},
		{"zero quantity", "o1", []Line{{"a", 0}}, "items[0].quantity"},
		{"quantity too large", "o1", []Line{{"a", MaxLineQuantity + 1}}, "items[0].quantity"},
		{"product twice", "o1", []Line{{"a", 1}, {"a", 2}}, "items[1].product_id"},
		{"no product id", "o1", []Line{{"", 1}}, "items[0].product_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateReservation(tt.order, tt.lines)
			if tt.field != "" {
				if err == nil || !hasField(fields(t, err), tt.field) {
					t.Fatalf("err = %v, want a violation of %s", err, tt.field)
				}
				return
			}
			if err != nil || got[0].ProductID != "a" || got[1].ProductID != "b" {
				t.Fatalf("got %v, %v; want the lines sorted by product", got, err)
			}
		})
	}
}

func TestReservation_StateMachine(t *testing.T) {
	lines := []Line{{"a", 1}, {"b", 2}}
	reserved := []ReservedLine{{ProductID: "a", Quantity: 1}, {ProductID: "b", Quantity: 2}}
	type step struct {
		do      func(r *Reservation) error
		wantErr error // nil: success; errSettled; or an errs kind
		state   ReservationState
	}
	confirm := func(r *Reservation) error { return r.Confirm(reserved, now) }
	reject := func(r *Reservation) error {
		return r.Reject(Rejection{ProductID: "b", Reason: RejectInsufficientStock, Requested: 2, Available: 1}, now)
	}
	release := func(r *Reservation) error { return r.Release(now) }
	commit := func(r *Reservation) error { return r.Commit(now) }
	tests := []struct {
		name  string
		steps []step
	}{
		{"confirm then commit, twice", []step{{confirm, nil, ReservationConfirmed}, {commit, nil, ReservationCommitted}, {commit, nil, ReservationCommitted}}},
		{"confirm then release, twice", []step{{confirm, nil, ReservationConfirmed}, {release, nil, ReservationReleased}, {release, nil, ReservationReleased}}},
		{"commit before confirm", []step{{commit, errs.FailedPrecondition, ReservationRequested}}},
		{"release while pending", []step{{release, nil, ReservationReleased}, {confirm, errSettled, ReservationReleased}}},
		{"committed cannot be released", []step{{confirm, nil, ReservationConfirmed}, {commit, nil, ReservationCommitted}, {release, errs.FailedPrecondition, ReservationCommitted}}},
		{"released cannot be committed", []step{{confirm, nil, ReservationConfirmed}, {release, nil, ReservationReleased}, {commit, errs.FailedPrecondition, ReservationReleased}}},
		{"rejected stays rejected", []step{{reject, nil, ReservationRejected}, {confirm, errSettled, ReservationRejected}, {commit, errs.FailedPrecondition, ReservationRejected}, {release, nil, ReservationRejected}}},
		{"confirmed cannot be rejected", []step{{confirm, nil, ReservationConfirmed}, {reject, errSettled, ReservationConfirmed}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := RequestReservation("o1", lines, now)
			for i, s := range tt.steps {
				err := s.do(r)
				if (s.wantErr == nil) != (err == nil) || s.wantErr != nil && !errors.Is(err, s.wantErr) {
					t.Fatalf("step %d: err = %v, want %v", i, err, s.wantErr)
				}
				if r.State() != s.state {
					t.Fatalf("step %d: state %d, want %d", i, r.State(), s.state)
				}
			}
			// Replaying the events gives the same state.
			q := NewReservation(r.StreamID())
			for _, e := range r.Pending() {
				if err := q.Apply(e); err != nil {
					t.Fatal(err)
				}
			}
			if q.State() != r.State() || !q.SameLines(lines) {
				t.Fatalf("replayed state %d lines %v", q.State(), q.Lines())
			}
		})
	}
}

func TestReservation_OutcomeOfARepeatedRequest(t *testing.T) {
	r := RequestReservation("o1", []Line{{"a", 3}}, now)
	if err := r.Outcome(); !errors.Is(err, ErrReservationPending) {
		t.Fatalf("pending outcome: %v", err)
	}
	_ = r.Reject(Rejection{ProductID: "a", Reason: RejectInsufficientStock, Requested: 3, Available: 1}, now)
	err := r.Outcome()
	if !errors.Is(err, errs.FailedPrecondition) || !strings.Contains(err.Error(), "product a") {
		t.Fatalf("rejected outcome: %v", err)
	}
	if r.SameLines([]Line{{"a", 2}}) {
		t.Fatal("other lines compare equal")
	}
	adv := ReleasedInAdvance("o2", now)
	if !errors.Is(adv.Outcome(), ErrReservationReleased) {
		t.Fatalf("released in advance: %v", adv.Outcome())
	}
}

// recordingStore captures what an aggregate would append, through aggregate.Store.Save.
type recordingStore struct {
	events   []proto.Message
	claims   []es.Claim
	releases []es.Claim
}

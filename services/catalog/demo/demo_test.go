package demo

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

func TestCategories_AreAValidTreeWithParentsFirst(t *testing.T) {
	cs := Categories()
	if len(cs) < 10 {
		t.Fatalf("%d categories, want at least 10", len(cs))
	}
	seen := map[string]bool{}
	children := 0
	for _, c := range cs {
		if _, _, _, err := domain.ValidateCategory(c.Slug, c.Name, c.Parent); err != nil {
			t.Errorf("category %s: %v", c.Slug, err)
		}
		if seen[c.Slug] {
			t.Errorf("category %s listed twice", c.Slug)
		}
		if c.Parent != "" {
			children++
			if !seen[c.Parent] {
				t.Errorf("category %s comes before its parent %s", c.Slug, c.Parent)
			}
		}
		seen[c.Slug] = true
	}
	if children < 5 {
		t.Errorf("%d subcategories, want a tree", children)
	}
}

func TestProducts_MeetTheDemoBrief(t *testing.T) {
	ps := Products()
	if len(ps) < 240 {
		t.Fatalf("%d products, want at least 240", len(ps))
	}
	checkProducts(t, ps, true)

	perCategory := map[string]int{}
	prices := map[int64]bool{}
	brands := map[string]bool{}
	soldOut := 0
	for _, p := range ps {
		perCategory[p.Category]++
		prices[p.PriceMinor] = true
		brands[p.Brand] = true
		if p.Stock == 0 {
			soldOut++
		}
		if p.Slug != domain.DeriveSlug(p.Name) {
			t.Errorf("%s: slug %q, the catalog would derive %q", p.SKU, p.Slug, domain.DeriveSlug(p.Name))
		}
		if n := len(p.Specs); n < 2 || n > 6 {
			t.Errorf("%s: %d specs, want 2 to 6", p.SKU, n)
		}
		if n := strings.Count(p.Description, ". ") + 1; n > 3 {
			t.Errorf("%s: %d sentences in %q, want 1 to 3", p.SKU, n, p.Description)
		}
	}
	if len(perCategory) < 10 {
		t.Errorf("products in %d categories, want at least 10: %v", len(perCategory), perCategory)
	}
	for c, n := range perCategory {
		if n < 6 {
			t.Errorf("category %s has %d products, want a shelf of at least 6", c, n)
		}
	}
	if soldOut < len(ps)/20 || soldOut > len(ps)/5 {
		t.Errorf("%d of %d products sold out, want some but not most", soldOut, len(ps))
	}
	if soldOut == len(ps) {
		t.Error("nothing in stock")
	}
	if len(prices) < 80 {
		t.Errorf("%d distinct prices, want them varied", len(prices))
	}
	if len(brands) < 25 {
		t.Errorf("%d brands, want them varied", len(brands))
	}
	if !reflect.DeepEqual(ps, Products()) {
		t.Error("Products differs between calls")
	}
}

func TestGenerate_UniqueValidAndDeterministic(t *testing.T) {
	const n = 20000
	ps := Generate(n, 42)
	if len(ps) != n {
		t.Fatalf("%d products, want %d", len(ps), n)
	}
	checkProducts(t, ps, true)

	if !reflect.DeepEqual(ps[:500], Generate(500, 42)) {
		t.Error("Generate(500, 42) is not the start of Generate(20000, 42)")
	}
	other := Generate(500, 7)
	if reflect.DeepEqual(ps[:500], other) {
		t.Error("seeds 42 and 7 give the same products")
	}
	// Catalogs of two seeds and the demo catalog can share the store (names may repeat
	// across seeds; SKUs and slugs may not).
	checkProducts(t, append(append(append([]Product(nil), ps[:500]...), other...), Products()...), false)

	perCategory := map[string]int{}
	soldOut := 0
	words := map[string]int{}
	for _, p := range ps {
		perCategory[p.Category]++
		if p.Stock == 0 {
			soldOut++
		}
		seen := map[string]bool{}
		for _, w := range strings.Fields(strings.ToLower(p.Name + " " + p.Description)) {
			if !seen[w] {
				seen[w] = true
				words[w]++
			}
		}
	}
	if len(perCategory) < 10 {
		t.Errorf("generated products in %d categories, want the demo categories", len(perCategory))
	}
	if soldOut < n/20 || soldOut > n/8 {
		t.Errorf("%d of %d sold out, want about 8%%", soldOut, n)
	}
	// Full-text selectivity: some words are rare, some common, none in everything.
	rare, common := 0, 0
	for w, c := range words {
		switch {
		case c == n:
			t.Errorf("%q is in every product", w)
		case c < n/200:
			rare++
		case c > n/20:
			common++
		}
	}
	if rare < 200 || common < 5 {
		t.Errorf("%d rare and %d common words, want a spread of selectivity", rare, common)
	}
}

// checkProducts checks what the catalog would check, plus uniqueness of SKUs (regardless of
// case), slugs and (when uniqueNames) names, and that every category exists.
func checkProducts(t *testing.T, ps []Product, uniqueNames bool) {
	t.Helper()
	categories := map[string]bool{}
	for _, c := range Categories() {
		categories[c.Slug] = true
	}
	skus, names, slugs := map[string]string{}, map[string]string{}, map[string]string{}
	for _, p := range ps {
		if prev, ok := skus[domain.SKUKey(p.SKU)]; ok {
			t.Fatalf("SKU %s twice (%s)", p.SKU, prev)
		}
		skus[domain.SKUKey(p.SKU)] = p.SKU
		if prev, ok := names[p.Name]; ok && uniqueNames {
			t.Fatalf("name %q of %s and %s", p.Name, p.SKU, prev)
		}
		names[p.Name] = p.SKU
		if prev, ok := slugs[p.Slug]; ok {
			t.Fatalf("slug %q of %s and %s", p.Slug, p.SKU, prev)
		}
		slugs[p.Slug] = p.SKU
		if !categories[p.Category] {
			t.Errorf("%s: category %q is not a demo category", p.SKU, p.Category)
		}
		if err := validate(p); err != nil {
			t.Errorf("%s: the catalog would refuse it: %v", p.SKU, err)
		}
		if p.Description == "" || p.Brand == "" || len(p.Images) == 0 {
			t.Errorf("%s: description, brand or images missing", p.SKU)
		}
		for _, im := range p.Images {
			if u, err := url.Parse(im.URL); err != nil || u.Scheme != "https" || im.Alt == "" {
				t.Errorf("%s: image %+v, want an https URL with alt text", p.SKU, im)
			}
		}
	}
}

// validate runs a product through the catalog domain's rules, as CreateProduct does.
func validate(p Product) error {
	r := p.Request()
	d := domain.Details{SKU: r.Sku, Name: r.Name, Slug: r.Slug, Description: r.Description, Category: r.Category, Brand: r.Brand}
	for _, s := range r.Specs {
		d.Specs = append(d.Specs, domain.Spec{Key: s.Key, Value: s.Value, Unit: s.Unit})
	}
	for _, im := range r.Images {
		d.Images = append(d.Images, domain.Image{URL: im.Url, Alt: im.Alt})
	}
	if d.Normalize().Slug != d.Slug || d.Normalize().Name != d.Name {
		return errors.New("fields have surrounding white space")
	}
	var v errs.Validation
	d.Validate(&v)
	if err := domain.ValidateStock("stock", int64(r.Stock)); err != nil {
		return err
	}
	price, err := domain.ParsePrice("price", r.Price.Amount, r.Price.Currency, Currency)
	if err != nil {
		return err
	}
	if price != p.PriceMinor || price <= 0 {
		return errors.New("price " + r.Price.Amount + " does not round-trip or is not positive")
	}
	return v.Err()
}

package demo

import (
	"fmt"
	"hash/fnv"
	"strings"

	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	typev1 "github.com/storefront/storefront/proto/storefront/type/v1"
)

// Currency is the currency of every price here: the store's (cmd/catalog sells in USD).
const Currency = "USD"

// ImageBase is where the demo catalog's pictures would be served from. The host is under
// .example (RFC 2606): the URLs are valid but resolve nowhere.
const ImageBase = "https://images.storefront.example/"

// Category is a node of the category tree.
type Category struct {
	Slug, Name string
	// Parent is the parent's slug, "" for a top-level category.
	Parent string
}

// Spec is one technical specification, e.g. {"weight", "1.2", "kg"}.
type Spec struct {
	Key, Value, Unit string
}

// Image is a picture of a product.
type Image struct {
	URL, Alt string
}

// Product is a product to create, with the fields of CatalogService.CreateProduct.
type Product struct {
	SKU         string
	Name        string
	Slug        string
	Brand       string
	Description string
	// Category is the slug of the product's category.
	Category string
	// PriceMinor is the price in cents of Currency; always > 0.
	PriceMinor int64
	Specs      []Spec
	Images     []Image
	// Stock is the units available; 0 for a sold-out product.
	Stock int32
}

// Price renders PriceMinor as the API's decimal amount, e.g. "129.99".
func (p Product) Price() string {
	return fmt.Sprintf("%d.%02d", p.PriceMinor/100, p.PriceMinor%100)
}

// Request is the CreateProduct request that creates p.
func (p Product) Request() *catalogv1.CreateProductRequest {
	r := &catalogv1.CreateProductRequest{
		Sku: p.SKU, Name: p.Name, Slug: p.Slug, Description: p.Description, Category: p.Category, Brand: p.Brand,
		Price: &typev1.Money{Amount: p.Price(), Currency: Currency},
		Stock: p.Stock,
	}
	for _, s := range p.Specs {
		r.Specs = append(r.Specs, &catalogv1.Spec{Key: s.Key, Value: s.Value, Unit: s.Unit})
	}
	for _, im := range p.Images {
		r.Images = append(r.Images, &catalogv1.Image{Url: im.URL, Alt: im.Alt})
	}
	return r
}

// Request is the CreateCategory request that creates c.
func (c Category) Request() *catalogv1.CreateCategoryRequest {
	return &catalogv1.CreateCategoryRequest{Slug: c.Slug, Name: c.Name, Parent: c.Parent}
}

// maxSlugLen is the catalog's bound on a product slug.
const maxSlugLen = 80

// slugify turns an ASCII name into a slug the way the catalog derives one: lower-case letters
// and digits, every other run of characters one hyphen, cut at a word boundary within max.
func slugify(name string, max int) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
			continue
		}
		hyphen = true
	}
	s := b.String()
	if len(s) > max {
		cut := s[:max]
		if s[max] != '-' {
			if i := strings.LastIndexByte(cut, '-'); i > max/2 {
				cut = cut[:i]
			}
		}
		s = strings.Trim(cut, "-")
	}
	return s
}

// images are a product's pictures: a front view, and for some products a second angle.
func images(slug, name string, two bool) []Image {
	ims := []Image{{URL: ImageBase + slug + ".jpg", Alt: name}}
	if two {
		ims = append(ims, Image{URL: ImageBase + slug + "-side.jpg", Alt: name + ", side view"})
	}
	return ims
}

// hash is a stable 64-bit hash of s, to vary stock and details without randomness.
func hash(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

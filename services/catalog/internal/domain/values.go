package domain

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/money"
)

// Claim scopes: values unique across the catalog, reserved in the event store.
const (
	// ScopeSKU holds upper-cased SKUs, so that "kb-1" and "KB-1" cannot both exist.
	ScopeSKU = "product.sku"
	// ScopeSlug holds product slugs.
	ScopeSlug = "product.slug"
	// ScopeCategory holds category slugs (the category's stream is named by it too).
	ScopeCategory = "category.slug"
)

// Bounds of what a product holds.
const (
	MaxSKULen         = 64
	MaxNameLen        = 200
	MaxSlugLen        = 80
	MaxDescriptionLen = 10000
	MaxBrandLen       = 100
	MaxSpecs          = 50
	MaxSpecKeyLen     = 100
	MaxSpecValueLen   = 500
	MaxSpecUnitLen    = 20
	MaxImages         = 20
	MaxURLLen         = 2048
	MaxAltLen         = 300
	MaxStock          = 1_000_000
	// MaxPriceMinor is 100 million major units: beyond any product of this store, and far
	// from int64 overflow when multiplied by order quantities.
	MaxPriceMinor = 100_000_000_00

	MaxCategorySlugLen = 64
	MaxCategoryNameLen = 100
)

// Spec is one technical specification of a product.
type Spec struct {
	Key, Value, Unit string
}

// Details are the descriptive fields of a product.
type Details struct {
	SKU         string
	Name        string
	Slug        string
	Description string
	Category    string
	Brand       string
	Specs       []Spec
	Images      []Image
}

// Normalize trims surrounding white space from every text field.
func (d Details) Normalize() Details {
	d.SKU = strings.TrimSpace(d.SKU)
	d.Name = strings.TrimSpace(d.Name)
	d.Slug = strings.TrimSpace(d.Slug)
	d.Description = strings.TrimSpace(d.Description)
	d.Category = strings.TrimSpace(d.Category)
	d.Brand = strings.TrimSpace(d.Brand)
	d.Specs = append([]Spec(nil), d.Specs...)
	for i, s := range d.Specs {
		d.Specs[i] = Spec{Key: strings.TrimSpace(s.Key), Value: strings.TrimSpace(s.Value), Unit: strings.TrimSpace(s.Unit)}
	}
	d.Images = append([]Image(nil), d.Images...)
	for i, im := range d.Images {
		im.URL, im.Alt, im.ID = strings.TrimSpace(im.URL), strings.TrimSpace(im.Alt), strings.TrimSpace(im.ID)
		d.Images[i] = im
	}
	return d
}

// Validate adds a violation to v for every invalid field of normalised details. An empty
// slug is valid here: it means "derive one" (create) or "keep it" (update).
func (d Details) Validate(v *errs.Validation) {
	validateSKU(v, d.SKU)
	text(v, "name", d.Name, 1, MaxNameLen)
	if d.Slug != "" {
		if err := ValidateSlug("slug", d.Slug, MaxSlugLen); err != nil {
			v.Violations = append(v.Violations, err.(*errs.Validation).Violations...)
		}
	}
	text(v, "description", d.Description, 0, MaxDescriptionLen)
	if d.Category == "" {
		v.Add("category", "is required")
	} else if err := ValidateSlug("category", d.Category, MaxCategorySlugLen); err != nil {
		v.Violations = append(v.Violations, err.(*errs.Validation).Violations...)
	}
	text(v, "brand", d.Brand, 0, MaxBrandLen)
	if len(d.Specs) > MaxSpecs {
		v.Addf("specs", "at most %d specs", MaxSpecs)
	}
	for i, s := range d.Specs {
		text(v, fmt.Sprintf("specs[%d].key", i), s.Key, 1, MaxSpecKeyLen)
		text(v, fmt.Sprintf("specs[%d].value", i), s.Value, 1, MaxSpecValueLen)
		text(v, fmt.Sprintf("specs[%d].unit", i), s.Unit, 0, MaxSpecUnitLen)
	}
	if len(d.Images) > MaxImages {
		v.Addf("images", "at most %d images", MaxImages)
	}
	seen := map[string]bool{}
	for i, im := range d.Images {
		if im.ID != "" && seen[im.ID] {
			v.Add(fmt.Sprintf("images[%d]", i), "is listed twice")
		}
		seen[im.ID] = true
		if reason := checkImageURL(im.URL); !im.Stored() && reason != "" {
			v.Add(fmt.Sprintf("images[%d].url", i), reason)
		}
		text(v, fmt.Sprintf("images[%d].alt", i), im.Alt, 0, MaxAltLen)
	}
}

// text checks a text field's length in characters and that it holds no control characters.
func text(v *errs.Validation, field, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "is not valid UTF-8")
	case n < min && min == 1:
		v.Add(field, "is required")
	case n < min:
		v.Addf(field, "must be at least %d characters", min)
	case n > max:
		v.Addf(field, "must be at most %d characters", max)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }) >= 0:
		v.Add(field, "must not contain control characters")
	}
}

// validateSKU: 1 to 64 ASCII letters, digits and . _ - /, starting with a letter or digit.
func validateSKU(v *errs.Validation, sku string) {
	if sku == "" {
		v.Add("sku", "is required")
		return
	}
	if len(sku) > MaxSKULen {
		v.Addf("sku", "must be at most %d characters", MaxSKULen)
		return
	}
	for i, c := range sku {
		ok := c < utf8.RuneSelf && (isAlnum(byte(c)) || (i > 0 && strings.ContainsRune("._-/", c)))
		if !ok {
			v.Add("sku", "may hold only ASCII letters, digits and . _ - /, and must start with a letter or digit")
			return
		}
	}
}

// SKUKey is the value a SKU is claimed under: SKUs are unique regardless of case.
func SKUKey(sku string) string { return strings.ToUpper(sku) }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// checkImageURL returns why u is not an acceptable image URL, or "".
func checkImageURL(u string) string {
	if u == "" {
		return "is required"
	}
	if len(u) > MaxURLLen {
		return fmt.Sprintf("must be at most %d characters", MaxURLLen)
	}
	if strings.IndexFunc(u, func(r rune) bool { return r <= ' ' || r == 0x7f || r >= utf8.RuneSelf }) >= 0 {
		return "must not contain spaces, control or non-ASCII characters (percent-encode them)"
	}
	p, err := url.Parse(u)
	if err != nil {
		return "is not a URL"
	}
	if s := strings.ToLower(p.Scheme); s != "http" && s != "https" {
		return "must be an http or https URL"
	}
	if p.Host == "" || p.Hostname() == "" {
		return "must name a host"
	}
	if p.User != nil {
		return "must not carry credentials"
	}
	return ""
}

// ValidateSlug checks a slug: 1 to max lower-case ASCII letters and digits in groups joined
// by single hyphens. A slug that reads as a UUID is refused: GET /products/{id} takes an id
// or a slug, so the two must never be confused.
func ValidateSlug(field, s string, max int) error {
	switch {
	case s == "":
		return errs.Field(field, "is required")
	case len(s) > max:
		return errs.Field(field, fmt.Sprintf("must be at most %d characters", max))
	case !isSlug(s):
		return errs.Field(field, "may hold only lower-case letters a-z, digits and single hyphens between them")
	}
	if _, err := uuid.Parse(s); err == nil {
		return errs.Field(field, "must not look like an id")
	}
	return nil
}

func isSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// fallbackSlug is the slug of a product whose name has no ASCII letter or digit.
const fallbackSlug = "product"

// DeriveSlug turns a product name into a slug: accents dropped, lower-case ASCII letters and
// digits kept, every other run of characters one hyphen, at most MaxSlugLen characters.
func DeriveSlug(name string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFD.String(name) {
		if unicode.Is(unicode.Mn, r) {
			continue // a combining accent: "é" becomes "e"
		}
		r = unicode.ToLower(r)
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
	if len(s) > MaxSlugLen {
		// Cut at the last word boundary that fits, unless that loses most of the slug.
		cut := s[:MaxSlugLen]
		if s[MaxSlugLen] != '-' {
			if i := strings.LastIndexByte(cut, '-'); i > MaxSlugLen/2 {
				cut = cut[:i]
			}
		}
		s = strings.Trim(cut, "-")
	}
	if s == "" {
		return fallbackSlug
	}
	if _, err := uuid.Parse(s); err == nil {
		return fallbackSlug + "-" + s
	}
	return s
}

// SlugCandidate is the n-th slug to try for a derived base (n ≥ 1): the base itself, then
// base-2, base-3, ..., shortened so that the whole stays within MaxSlugLen.
func SlugCandidate(base string, n int) string {
	if n <= 1 {
		return base
	}
	suffix := "-" + strconv.Itoa(n)
	if len(base)+len(suffix) > MaxSlugLen {
		base = strings.TrimRight(base[:MaxSlugLen-len(suffix)], "-")
	}
	return base + suffix
}

// ParsePrice reads a product's price: amount in major units, in the store's currency (an
// empty currency means the store's), greater than zero. Violations name field.
func ParsePrice(field, amount, currency, storeCurrency string) (int64, error) {
	if currency != "" && strings.ToUpper(strings.TrimSpace(currency)) != storeCurrency {
		return 0, errs.Field(field+".currency", "must be "+storeCurrency+", the store's currency")
	}
	if strings.TrimSpace(amount) == "" {
		return 0, errs.Field(field, "is required")
	}
	minor, err := money.Parse(strings.TrimSpace(amount), storeCurrency)
	switch {
	case err != nil:
		return 0, errs.Field(field, err.Error())
	case minor <= 0:
		return 0, errs.Field(field, "must be greater than 0")
	case minor > MaxPriceMinor:
		return 0, errs.Field(field, "must be at most "+money.Format(MaxPriceMinor, storeCurrency))
	}
	return minor, nil
}

// ValidateStock checks a quantity of stock.
func ValidateStock(field string, n int64) error {
	if n < 0 || n > MaxStock {
		return errs.Field(field, fmt.Sprintf("must be between 0 and %d", MaxStock))
	}
	return nil
}

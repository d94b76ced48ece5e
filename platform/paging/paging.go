// Package paging is the REST API's list pagination (API.md, "Lists"): ?page&per_page, page
// from 1 (default 1), per_page 1..100 (default 24); out of range is a validation error of the
// field.
package paging

import "github.com/storefront/storefront/platform/errs"

// Defaults and bounds.
const (
	DefaultPerPage = 24
	MaxPerPage     = 100
)

// Request is a requested page; nil fields take the defaults.
type Request struct{ Page, PerPage *int32 }

// Page is a checked page.
type Page struct{ Page, PerPage int }

// Offset is the number of items before the page.
func (p Page) Offset() int { return (p.Page - 1) * p.PerPage }

// Resolve checks the request, adding each bad field to v, and returns the page it asks for.
func (r Request) Resolve(v *errs.Validation) Page {
	p := Page{Page: 1, PerPage: DefaultPerPage}
	if r.Page != nil {
		if *r.Page < 1 {
			v.Add("page", "must be at least 1")
		}
		p.Page = int(*r.Page)
	}
	if r.PerPage != nil {
		if *r.PerPage < 1 || *r.PerPage > MaxPerPage {
			v.Addf("per_page", "must be between 1 and %d", MaxPerPage)
		}
		p.PerPage = int(*r.PerPage)
	}
	return p
}

package domain

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// CategoryStream is the stream id of a category: categories are named by their slug.
func CategoryStream(slug string) string { return "category-" + slug }

// Category is a node of the category tree.
type Category struct {
	aggregate.Changes
	slug      string
	name      string
	parent    string
	createdAt time.Time
}

// NewCategory returns an empty category for the stream id, for loading.
func NewCategory(streamID string) *Category { return &Category{slug: streamID[len("category-"):]} }

// ValidateCategory normalises and checks the fields of a new category; the parent's
// existence is the caller's to check (it needs the store).
func ValidateCategory(slug, name, parent string) (string, string, string, error) {
	slug, name, parent = strings.TrimSpace(slug), strings.TrimSpace(name), strings.TrimSpace(parent)
	var v errs.Validation
	if err := ValidateSlug("slug", slug, MaxCategorySlugLen); err != nil {
		v.Violations = append(v.Violations, err.(*errs.Validation).Violations...)
	}
	text(&v, "name", name, 1, MaxCategoryNameLen)
	if parent != "" {
		if err := ValidateSlug("parent", parent, MaxCategorySlugLen); err != nil {
			v.Violations = append(v.Violations, err.(*errs.Validation).Violations...)
		} else if parent == slug {
			v.Add("parent", "a category cannot be its own parent")
		}
	}
	return slug, name, parent, v.Err()
}

// CreateCategory records a new category. parentExists says whether the parent category
// exists (ignored for a top-level category). The slug is claimed: saving fails with
// es.ErrDuplicate (or es.ErrConcurrency, the stream being taken) when it exists.
func CreateCategory(slug, name, parent string, parentExists bool, now time.Time) (*Category, error) {
	slug, name, parent, err := ValidateCategory(slug, name, parent)
	if err != nil {
		return nil, err
	}
	if parent != "" && !parentExists {
		return nil, errs.Field("parent", "no such category")
	}
	c := NewCategory(CategoryStream(slug))
	c.Claim(ScopeCategory, slug)
	c.record(&catalogv1.CategoryCreated{Slug: slug, Name: name, Parent: parent, CreatedAt: now.UnixMicro()})
	return c, nil
}

// Getters.
func (c *Category) Slug() string         { return c.slug }
func (c *Category) Name() string         { return c.name }
func (c *Category) Parent() string       { return c.parent }
func (c *Category) CreatedAt() time.Time { return c.createdAt }

// StreamID implements aggregate.Root.
func (c *Category) StreamID() string { return CategoryStream(c.slug) }

func (c *Category) record(e proto.Message) {
	_ = c.Apply(e)
	c.Record(e)
}

// Apply implements aggregate.Root.
func (c *Category) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *catalogv1.CategoryCreated:
		c.slug, c.name, c.parent = e.GetSlug(), e.GetName(), e.GetParent()
		c.createdAt = time.UnixMicro(e.GetCreatedAt()).UTC()
	default:
		return fmt.Errorf("category: unexpected event %T", e)
	}
	return nil
}

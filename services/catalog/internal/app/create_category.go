package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/services/catalog/internal/domain"
)

// ErrCategoryExists: a category has the slug.
var ErrCategoryExists = fmt.Errorf("%w: a category with this slug exists", errs.AlreadyExists)

// CreateCategory adds a category.
type CreateCategory struct {
	Slug, Name, Parent string
}

// CreateCategoryHandler handles CreateCategory.
type CreateCategoryHandler struct{ d Deps }

// Handle checks the parent exists and records the category.
func (h CreateCategoryHandler) Handle(ctx context.Context, cmd CreateCategory) (CategoryView, error) {
	slug, name, parent, err := domain.ValidateCategory(cmd.Slug, cmd.Name, cmd.Parent)
	if err != nil {
		return CategoryView{}, err
	}
	parentExists := false
	if parent != "" {
		if parentExists, err = h.d.categoryExists(ctx, parent); err != nil {
			return CategoryView{}, err
		}
	}
	c, err := domain.CreateCategory(slug, name, parent, parentExists, h.d.Clock())
	if err != nil {
		return CategoryView{}, err
	}
	// The stream is named by the slug, so a second category with it clashes on the stream's
	// version as well as on the claim.
	if err := h.d.Categories.Save(ctx, c); err != nil {
		if errors.Is(err, es.ErrConcurrency) || errors.Is(err, es.ErrDuplicate) {
			return CategoryView{}, ErrCategoryExists
		}
		return CategoryView{}, err
	}
	return CategoryView{Slug: c.Slug(), Name: c.Name(), Parent: c.Parent()}, nil
}

package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/storage"
	"github.com/storefront/storefront/services/catalog/internal/domain"
	"github.com/storefront/storefront/services/catalog/internal/imaging"
)

// MediaStore keeps the uploaded pictures and their renditions (package storage).
type MediaStore = storage.Store

// AddProductImage uploads a picture of a product.
type AddProductImage struct {
	ProductID string
	File      []byte
	Alt       string
}

// AddProductImageHandler handles AddProductImage.
type AddProductImageHandler struct{ d Deps }

// Handle checks the file is a picture, stores it and its renditions under keys derived from
// its content (images/<sha256>/...), then records the image on the product. Nothing is
// stored for a bad upload. The files are written before the event: a crash in between
// leaves files no event names (harmless, and reused by the retry); never an event naming
// files that are not there.
func (h AddProductImageHandler) Handle(ctx context.Context, cmd AddProductImage) (ProductView, error) {
	var v errs.Validation
	if cmd.ProductID == "" {
		v.Add("product_id", "is required")
	}
	if len(cmd.File) == 0 {
		v.Add("file", "is required")
	}
	cmd.Alt = strings.TrimSpace(cmd.Alt)
	if err := domain.ValidateAlt("alt", cmd.Alt); err != nil {
		var bad *errs.Validation
		errors.As(err, &bad)
		v.Violations = append(v.Violations, bad.Violations...)
	}
	if err := v.Err(); err != nil {
		return ProductView{}, err
	}
	if h.d.Media == nil {
		return ProductView{}, fmt.Errorf("%w: image uploads are not configured", errs.Unavailable)
	}
	if _, _, err := imaging.Inspect(cmd.File); err != nil {
		return ProductView{}, errs.Field("file", err.Error())
	}
	// The product must exist and take another picture before any work is done.
	p, err := h.d.Products.Load(ctx, domain.ProductStream(cmd.ProductID))
	if errors.Is(err, aggregate.ErrNotFound) {
		return ProductView{}, ErrProductNotFound
	}
	if err != nil {
		return ProductView{}, err
	}
	if p.Deleted() {
		return ProductView{}, domain.ErrProductDeleted
	}
	plan, err := imaging.Plan(cmd.File)
	if err != nil {
		return ProductView{}, errs.Field("file", err.Error())
	}
	im, err := h.store(ctx, plan, cmd.File)
	if err != nil {
		return ProductView{}, err
	}
	pic := plan
	im.ID, im.Alt = domain.StoredImageID(cmd.ProductID, pic.Hash), cmd.Alt
	now := h.d.Clock()
	p, err = h.d.Products.Update(ctx, domain.ProductStream(cmd.ProductID), func(p *domain.Product) error {
		return p.AddImage(im, now)
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return ProductView{}, ErrProductNotFound
	}
	if err != nil {
		return ProductView{}, err
	}
	avg, count := h.d.ratingOf(ctx, p.ID())
	return viewOf(p, avg, count), nil
}

// store writes the renditions, then the original: the original is written last, so its
// presence says the set is complete and a second upload of the same picture (to another
// product, say) is neither decoded nor stored again. plan is imaging.Plan's: the sizes
// without the bytes.
func (h AddProductImageHandler) store(ctx context.Context, plan *imaging.Picture, original []byte) (domain.Image, error) {
	pic := plan
	dir := "images/" + pic.Hash + "/"
	im := domain.Image{Key: dir + "original" + pic.Format.Ext, ContentType: pic.Format.ContentType,
		Width: int32(pic.Width), Height: int32(pic.Height)}
	for _, r := range pic.Renditions {
		im.Variants = append(im.Variants, domain.ImageVariant{Width: int32(r.Width), Height: int32(r.Height),
			Key: dir + "w" + strconv.Itoa(r.Width) + ".webp", Format: "webp"})
	}
	done, err := h.d.Media.Exists(ctx, im.Key)
	if err != nil {
		return domain.Image{}, fmt.Errorf("%w: media store: %w", errs.Unavailable, err)
	}
	if done {
		return im, nil
	}
	pic, err = imaging.Process(original)
	if err != nil {
		return domain.Image{}, errs.Field("file", err.Error())
	}
	for i, r := range pic.Renditions {
		if err := h.d.Media.Put(ctx, im.Variants[i].Key, "image/webp", r.Data); err != nil {
			return domain.Image{}, fmt.Errorf("%w: media store: %w", errs.Unavailable, err)
		}
	}
	if err := h.d.Media.Put(ctx, im.Key, pic.Format.ContentType, original); err != nil {
		return domain.Image{}, fmt.Errorf("%w: media store: %w", errs.Unavailable, err)
	}
	return im, nil
}

// RemoveProductImage takes a picture off a product.
type RemoveProductImage struct {
	ProductID, ImageID string
}

// RemoveProductImageHandler handles RemoveProductImage.
type RemoveProductImageHandler struct{ d Deps }

// Handle removes the image from the product; the stored files stay.
func (h RemoveProductImageHandler) Handle(ctx context.Context, cmd RemoveProductImage) error {
	var v errs.Validation
	if cmd.ProductID == "" {
		v.Add("product_id", "is required")
	}
	if cmd.ImageID == "" {
		v.Add("image_id", "is required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := h.d.Clock()
	_, err := h.d.Products.Update(ctx, domain.ProductStream(cmd.ProductID), func(p *domain.Product) error {
		return p.RemoveImage(cmd.ImageID, now)
	})
	if errors.Is(err, aggregate.ErrNotFound) {
		return ErrProductNotFound
	}
	return err
}

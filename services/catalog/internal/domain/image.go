package domain

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/errs"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// Image is a picture of a product: given by URL (URL set, Key empty), or uploaded to the
// media store (Key set, URL empty; its URL is the media base URL + Key).
type Image struct {
	ID            string
	URL           string
	Key           string
	Alt           string
	Width, Height int32
	ContentType   string
	Variants      []ImageVariant
}

// ImageVariant is a WebP rendition of an uploaded image.
type ImageVariant struct {
	Width, Height int32
	Key           string
	Format        string
}

// Stored says whether the image was uploaded to the media store.
func (im Image) Stored() bool { return im.Key != "" }

func (im Image) equal(o Image) bool {
	return im.ID == o.ID && im.URL == o.URL && im.Key == o.Key && im.Alt == o.Alt && im.Width == o.Width &&
		im.Height == o.Height && im.ContentType == o.ContentType && slices.Equal(im.Variants, o.Variants)
}

// imageIDs is the namespace of image ids: an image's id is derived from its product and its
// URL or content, so the same picture is the same image (an upload retried after a timeout
// adds nothing) and events from before ids existed get the id they would have had.
var imageIDs = uuid.MustParse("6f1c7a52-2f4e-4c1e-9a8e-2d0c5b7e9a31")

// URLImageID is the id of the image at url on a product.
func URLImageID(productID, url string) string {
	return uuid.NewSHA1(imageIDs, []byte(productID+"\nurl\n"+url)).String()
}

// StoredImageID is the id of an uploaded picture (by the SHA-256 of its bytes) on a product.
func StoredImageID(productID, sha256Hex string) string {
	return uuid.NewSHA1(imageIDs, []byte(productID+"\nsha256\n"+sha256Hex)).String()
}

// ValidateAlt checks an image's alternative text: up to MaxAltLen characters, no control
// characters.
func ValidateAlt(field, alt string) error {
	var v errs.Validation
	text(&v, field, alt, 0, MaxAltLen)
	return v.Err()
}

// resolveImages turns the images of an update into the product's: an id of one of its
// uploaded images keeps that image (taking the new alt); anything else is an image given by
// URL, with the id derived from it.
func (p *Product) resolveImages(in []Image) []Image {
	out := make([]Image, len(in))
	for i, im := range in {
		if j := p.imageIndex(im.ID); j >= 0 && p.details.Images[j].Stored() {
			kept := p.details.Images[j]
			kept.Alt = im.Alt
			out[i] = kept
			continue
		}
		out[i] = Image{ID: URLImageID(p.id, im.URL), URL: im.URL, Alt: im.Alt}
	}
	return out
}

func (p *Product) imageIndex(id string) int {
	if id == "" {
		return -1
	}
	return slices.IndexFunc(p.details.Images, func(im Image) bool { return im.ID == id })
}

// Image returns the product's image with the id.
func (p *Product) Image(id string) (Image, bool) {
	if i := p.imageIndex(id); i >= 0 {
		return p.details.Images[i], true
	}
	return Image{}, false
}

// AddImage appends an uploaded picture (im.Key, size and variants set by the caller from the
// stored files; the id is StoredImageID). A picture the product already has changes nothing.
func (p *Product) AddImage(im Image, now time.Time) error {
	if p.deleted {
		return ErrProductDeleted
	}
	if !im.Stored() || im.ID == "" {
		return fmt.Errorf("domain: AddImage needs a stored image with an id")
	}
	if err := ValidateAlt("alt", im.Alt); err != nil {
		return err
	}
	if p.imageIndex(im.ID) >= 0 {
		return nil
	}
	if len(p.details.Images) >= MaxImages {
		return fmt.Errorf("%w: a product has at most %d images; remove one first", errs.FailedPrecondition, MaxImages)
	}
	images := append(slices.Clone(p.details.Images), im)
	p.record(&catalogv1.ProductImageAdded{ProductId: p.id, Image: imagePB(im), Images: imagesPB(images), AddedAt: now.UnixMicro()})
	return nil
}

// RemoveImage takes an image off the product. Its stored files stay (past orders and caches
// may point at them).
func (p *Product) RemoveImage(id string, now time.Time) error {
	if p.deleted {
		return ErrProductDeleted
	}
	i := p.imageIndex(id)
	if i < 0 {
		return fmt.Errorf("%w: the product has no image %q", errs.NotFound, id)
	}
	images := slices.Delete(slices.Clone(p.details.Images), i, i+1)
	p.record(&catalogv1.ProductImageRemoved{ProductId: p.id, ImageId: id, Images: imagesPB(images), RemovedAt: now.UnixMicro()})
	return nil
}

func imagePB(im Image) *catalogv1.ProductImage {
	out := &catalogv1.ProductImage{Id: im.ID, Url: im.URL, Key: im.Key, Alt: im.Alt, Width: im.Width, Height: im.Height, ContentType: im.ContentType}
	for _, v := range im.Variants {
		out.Variants = append(out.Variants, &catalogv1.ProductImageVariant{Width: v.Width, Height: v.Height, Key: v.Key, Format: v.Format})
	}
	return out
}

func imagesPB(images []Image) []*catalogv1.ProductImage {
	out := make([]*catalogv1.ProductImage, len(images))
	for i, im := range images {
		out[i] = imagePB(im)
	}
	return out
}

// imagesOf reads the images of an event of product productID.
func imagesOf(productID string, pb []*catalogv1.ProductImage) []Image {
	out := make([]Image, len(pb))
	for i, im := range pb {
		out[i] = Image{ID: im.GetId(), URL: im.GetUrl(), Key: im.GetKey(), Alt: im.GetAlt(), Width: im.GetWidth(),
			Height: im.GetHeight(), ContentType: im.GetContentType()}
		if out[i].ID == "" {
			out[i].ID = URLImageID(productID, im.GetUrl())
		}
		for _, v := range im.GetVariants() {
			out[i].Variants = append(out[i].Variants, ImageVariant{Width: v.GetWidth(), Height: v.GetHeight(), Key: v.GetKey(), Format: v.GetFormat()})
		}
	}
	return out
}

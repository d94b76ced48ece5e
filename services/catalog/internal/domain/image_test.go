package domain

import (
	"errors"
	"fmt"
	"testing"

	"github.com/storefront/storefront/platform/errs"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

func storedImage(p *Product, hash string) Image {
	return Image{ID: StoredImageID(p.ID(), hash), Key: "images/" + hash + "/original.png", ContentType: "image/png",
		Width: 800, Height: 600, Alt: "front", Variants: []ImageVariant{{320, 240, "images/" + hash + "/w320.webp", "webp"}, {640, 480, "images/" + hash + "/w640.webp", "webp"}}}
}

func TestAddImage_AppendsOnceAndEveryEventCarriesTheWholeList(t *testing.T) {
	p := newProduct(t, 1)
	urlImage := p.Details().Images[0]
	if urlImage.ID != URLImageID(p.ID(), urlImage.URL) {
		t.Fatalf("an image given by URL has id %q", urlImage.ID)
	}
	im := storedImage(p, "aa")
	if err := p.AddImage(im, now); err != nil {
		t.Fatal(err)
	}
	n := len(p.Pending())
	if err := p.AddImage(im, now); err != nil || len(p.Pending()) != n {
		t.Fatalf("adding the same picture again: %v, %d events", err, len(p.Pending())-n)
	}
	added := p.Pending()[n-1].(*catalogv1.ProductImageAdded)
	if added.GetImage().GetId() != im.ID || len(added.GetImages()) != 2 || len(added.GetImage().GetVariants()) != 2 {
		t.Fatalf("event %v", added)
	}
	// Replaying the events gives the same images.
	replayed := NewProduct(p.StreamID())
	for _, e := range p.Pending() {
		if err := replayed.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	got, ok := replayed.Image(im.ID)
	if !ok || !got.equal(im) || len(replayed.Details().Images) != 2 {
		t.Fatalf("replayed image %+v", got)
	}
}

func TestAddImage_Refusals(t *testing.T) {
	full := newProduct(t, 1)
	for i := len(full.Details().Images); i < MaxImages; i++ {
		if err := full.AddImage(storedImage(full, fmt.Sprint(i)), now); err != nil {
			t.Fatal(err)
		}
	}
	deleted := newProduct(t, 1)
	deleted.Delete(now)
	long := newProduct(t, 1)
	for _, tc := range []struct {
		name string
		p    *Product
		im   Image
		want error
	}{
		{"the 21st image", full, storedImage(full, "x"), errs.FailedPrecondition},
		{"a deleted product", deleted, storedImage(deleted, "x"), errs.FailedPrecondition},
		{"alt too long", long, func() Image { im := storedImage(long, "x"); im.Alt = string(make([]rune, MaxAltLen+1)); return im }(), errs.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.p.Pending())
			if err := tc.p.AddImage(tc.im, now); !errors.Is(err, tc.want) {
				t.Fatalf("AddImage = %v, want %v", err, tc.want)
			}
			if len(tc.p.Pending()) != n {
				t.Fatal("a refused image recorded an event")
			}
		})
	}
}

func TestRemoveImage(t *testing.T) {
	p := newProduct(t, 1)
	im := storedImage(p, "bb")
	_ = p.AddImage(im, now)
	if err := p.RemoveImage("no-such-image", now); !errors.Is(err, errs.NotFound) {
		t.Fatalf("unknown image: %v", err)
	}
	if err := p.RemoveImage(im.ID, now); err != nil {
		t.Fatal(err)
	}
	removed := p.Pending()[len(p.Pending())-1].(*catalogv1.ProductImageRemoved)
	if removed.GetImageId() != im.ID || len(removed.GetImages()) != 1 {
		t.Fatalf("event %v", removed)
	}
	if _, ok := p.Image(im.ID); ok {
		t.Fatal("the image is still there")
	}
}

// A PUT sends the images back as it read them: an uploaded image's id keeps it (its files,
// size and variants), with the alt the PUT gives; anything else is an image given by URL.
func TestUpdateDetails_KeepsUploadedImagesByID(t *testing.T) {
	p := newProduct(t, 1)
	im := storedImage(p, "cc")
	_ = p.AddImage(im, now)
	d := p.Details()
	d.Images = []Image{{ID: im.ID, URL: "https://ignored.example/x.png", Alt: "new alt"}, {URL: "https://img.example.com/other.png"}}
	if err := p.UpdateDetails(d, now); err != nil {
		t.Fatal(err)
	}
	got := p.Details().Images
	want := im
	want.Alt = "new alt"
	if len(got) != 2 || !got[0].equal(want) || got[1].ID != URLImageID(p.ID(), "https://img.example.com/other.png") || got[1].Stored() {
		t.Fatalf("images %+v", got)
	}
	// The same image twice, and an unknown id without a URL, are refused.
	d.Images = []Image{{ID: im.ID}, {ID: im.ID}}
	if err := p.UpdateDetails(d, now); err == nil || !hasField(fields(t, err), "images[1]") {
		t.Fatalf("listed twice: %v", err)
	}
	d.Images = []Image{{ID: "0d7c1c1e-0000-4000-8000-000000000000"}}
	if err := p.UpdateDetails(d, now); err == nil || !hasField(fields(t, err), "images[0].url") {
		t.Fatalf("unknown id: %v", err)
	}
}

// Events from before images had ids give each image the id it would have had.
func TestImagesOf_DerivesTheIDsOfOldEvents(t *testing.T) {
	got := imagesOf("p1", []*catalogv1.ProductImage{{Url: "https://x.example/a.png", Alt: "a"}})
	if got[0].ID != URLImageID("p1", "https://x.example/a.png") {
		t.Fatalf("id %q", got[0].ID)
	}
}

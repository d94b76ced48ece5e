// Package imaging checks that an upload is really a picture and makes its WebP renditions:
// decoded with the standard library (JPEG, PNG) and golang.org/x/image (WebP), scaled with
// Catmull-Rom, encoded lossy at quality 80 with libwebp (github.com/gen2brain/webp: the
// system library when present, else its WebAssembly build).
package imaging

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/gen2brain/webp"
	"golang.org/x/image/draw"
	xwebp "golang.org/x/image/webp"
)

// Limits of an upload (API.md: at most 10 MiB). The pixel bound keeps a small file that
// decodes to a huge bitmap (a decompression bomb) from taking the service's memory.
const (
	MaxBytes     = 10 << 20
	MaxPixels    = 40_000_000
	MaxDimension = 12_000
	// quality of the lossy WebP renditions: visually clean for product photos at about a
	// tenth of a JPEG's bytes.
	quality = 80
)

// Widths of the renditions (API.md); only those not wider than the original are made.
var Widths = []int{320, 640, 1280}

// ErrNotImage: the bytes are not a JPEG, PNG or WebP picture this package can decode.
var ErrNotImage = errors.New("is not a JPEG, PNG or WebP image")

// ErrTooLarge: the file or its pixel size is over the limits.
var ErrTooLarge = errors.New("is too large")

// Format is an accepted original format.
type Format struct {
	Name        string // "jpeg", "png", "webp"
	ContentType string
	Ext         string
}

var formats = map[string]Format{
	"jpeg": {"jpeg", "image/jpeg", ".jpg"},
	"png":  {"png", "image/png", ".png"},
	"webp": {"webp", "image/webp", ".webp"},
}

// Picture is a checked upload and its renditions.
type Picture struct {
	// Hash is the hex SHA-256 of the original's bytes: the same picture uploaded twice is
	// the same picture.
	Hash          string
	Format        Format
	Width, Height int
	Renditions    []Rendition
}

// Rendition is one WebP rendition.
type Rendition struct {
	Width, Height int
	Data          []byte
}

// Inspect checks data cheaply, from its header: an accepted format within the limits.
func Inspect(data []byte) (Format, image.Config, error) {
	if len(data) > MaxBytes {
		return Format{}, image.Config{}, fmt.Errorf("%w: over %d MiB", ErrTooLarge, MaxBytes>>20)
	}
	name, decodeConfig := sniff(data)
	if decodeConfig == nil {
		return Format{}, image.Config{}, ErrNotImage
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return Format{}, image.Config{}, ErrNotImage
	}
	if cfg.Width > MaxDimension || cfg.Height > MaxDimension || cfg.Width*cfg.Height > MaxPixels {
		return Format{}, image.Config{}, fmt.Errorf("%w: %d×%d pixels (at most %d px a side and %d megapixels)",
			ErrTooLarge, cfg.Width, cfg.Height, MaxDimension, MaxPixels/1_000_000)
	}
	return formats[name], cfg, nil
}

// Plan returns what Process would make of data from its header alone: the hash, format,
// size and the renditions' sizes (without their bytes). When the files of a picture are
// stored already, that is all an upload needs.
func Plan(data []byte) (*Picture, error) {
	f, cfg, err := Inspect(data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	p := &Picture{Hash: hex.EncodeToString(sum[:]), Format: f, Width: cfg.Width, Height: cfg.Height}
	for _, w := range Widths {
		if w <= cfg.Width {
			p.Renditions = append(p.Renditions, Rendition{Width: w, Height: scaledHeight(cfg, w)})
		}
	}
	return p, nil
}

func scaledHeight(cfg image.Config, w int) int { return max(1, (cfg.Height*w+cfg.Width/2)/cfg.Width) }

// Process checks data fully (it must decode, not just start like a picture) and makes the
// renditions: each width of Widths up to the original's, the height keeping the aspect.
func Process(data []byte) (*Picture, error) {
	f, cfg, err := Inspect(data)
	if err != nil {
		return nil, err
	}
	src, err := decode(f.Name, data)
	if err != nil {
		return nil, ErrNotImage
	}
	sum := sha256.Sum256(data)
	p := &Picture{Hash: hex.EncodeToString(sum[:]), Format: f, Width: cfg.Width, Height: cfg.Height}
	// Each rendition is scaled from the next wider one (or the original): the same quality
	// as from the original for these ratios, at a fraction of the work.
	from := src
	for i := len(Widths) - 1; i >= 0; i-- {
		w := Widths[i]
		if w > cfg.Width {
			continue
		}
		h := scaledHeight(cfg, w)
		dst := image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.CatmullRom.Scale(dst, dst.Bounds(), from, from.Bounds(), draw.Src, nil)
		var buf bytes.Buffer
		if err := webp.Encode(&buf, dst, webp.Options{Quality: quality}); err != nil {
			return nil, fmt.Errorf("imaging: encode %d px: %w", w, err)
		}
		p.Renditions = append([]Rendition{{Width: w, Height: h, Data: buf.Bytes()}}, p.Renditions...)
		from = dst
	}
	return p, nil
}

// sniff recognises the format by its magic bytes (never by a client's file name or type).
func sniff(data []byte) (string, func(r *bytes.Reader) (image.Config, error)) {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return "jpeg", func(r *bytes.Reader) (image.Config, error) { return jpeg.DecodeConfig(r) }
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png", func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) }
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp", func(r *bytes.Reader) (image.Config, error) { return xwebp.DecodeConfig(r) }
	}
	return "", nil
}

func decode(format string, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		return jpeg.Decode(r)
	case "png":
		return png.Decode(r)
	default:
		return xwebp.Decode(r)
	}
}

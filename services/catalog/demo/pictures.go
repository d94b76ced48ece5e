package demo

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"strings"
	"sync"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Size of a generated picture: 3:2, wide enough for every rendition (320, 640, 1280 px).
const pictureW, pictureH = 1280, 854

// pictures makes one picture per category, once: a shaded backdrop in the category's own
// hue, a device silhouette, and the category's name. Every product of a category shares its
// picture, so the media store keeps one set of files per category.
type pictures struct {
	mu    sync.Mutex
	cache map[string][]byte
}

func newPictures() *pictures { return &pictures{cache: map[string][]byte{}} }

func (p *pictures) of(category string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.cache[category]; ok {
		return b
	}
	b := Picture(category)
	p.cache[category] = b
	return b
}

// Picture renders the PNG of a category.
func Picture(category string) []byte {
	h := fnv.New32a()
	_, _ = h.Write([]byte(category))
	hue := float64(h.Sum32()%360) / 360
	m := image.NewNRGBA(image.Rect(0, 0, pictureW, pictureH))
	for y := range pictureH {
		for x := range pictureW {
			// A diagonal gradient from a light to a deeper shade of the hue.
			t := (float64(x)/pictureW + float64(y)/pictureH) / 2
			m.SetNRGBA(x, y, hsl(hue, 0.45, 0.85-0.35*t))
		}
	}
	// The device: a dark rounded slab with a lighter screen.
	roundRect(m, image.Rect(340, 170, 940, 560), 36, color.NRGBA{34, 38, 46, 255})
	roundRect(m, image.Rect(372, 200, 908, 530), 18, hsl(hue, 0.55, 0.62))
	roundRect(m, image.Rect(560, 580, 720, 610), 12, color.NRGBA{34, 38, 46, 255})
	label(m, strings.ToUpper(strings.ReplaceAll(category, "-", " ")), 690, 6, color.NRGBA{255, 255, 255, 235})
	var b bytes.Buffer
	_ = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, m) // to memory: cannot fail
	return b.Bytes()
}

func roundRect(m *image.NRGBA, r image.Rectangle, radius int, c color.NRGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			dx := max(r.Min.X+radius-x, x-(r.Max.X-radius-1), 0)
			dy := max(r.Min.Y+radius-y, y-(r.Max.Y-radius-1), 0)
			if dx*dx+dy*dy <= radius*radius {
				m.SetNRGBA(x, y, c)
			}
		}
	}
}

// label draws text centred at baseline y, scale times the size of the 7×13 bitmap font.
func label(m *image.NRGBA, text string, y, scale int, c color.NRGBA) {
	face := basicfont.Face7x13
	w := font.MeasureString(face, text).Ceil()
	small := image.NewNRGBA(image.Rect(0, 0, w, 16))
	d := font.Drawer{Dst: small, Src: image.NewUniform(c), Face: face, Dot: fixed.P(0, 12)}
	d.DrawString(text)
	x := (pictureW - w*scale) / 2
	dst := image.Rect(x, y-12*scale, x+w*scale, y+4*scale)
	draw.NearestNeighbor.Scale(m, dst, small, small.Bounds(), draw.Over, nil)
}

// hsl converts a hue, saturation and lightness (0..1) to a colour.
func hsl(h, s, l float64) color.NRGBA {
	q := l * (1 + s)
	if l >= 0.5 {
		q = l + s - l*s
	}
	p := 2*l - q
	channel := func(t float64) uint8 {
		switch {
		case t < 0:
			t++
		case t > 1:
			t--
		}
		var v float64
		switch {
		case t < 1.0/6:
			v = p + (q-p)*6*t
		case t < 0.5:
			v = q
		case t < 2.0/3:
			v = p + (q-p)*(2.0/3-t)*6
		default:
			v = p
		}
		return uint8(v*255 + 0.5)
	}
	return color.NRGBA{channel(h + 1.0/3), channel(h), channel(h - 1.0/3), 255}
}

package imaging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/gen2brain/webp"
	xwebp "golang.org/x/image/webp"
)

func picture(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.NRGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	return m
}

func encodePNG(t *testing.T, m image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestProcess_RenditionsNeverWiderThanTheOriginal(t *testing.T) {
	var jpg, wp bytes.Buffer
	if err := jpeg.Encode(&jpg, picture(700, 350), nil); err != nil {
		t.Fatal(err)
	}
	if err := webp.Encode(&wp, picture(1600, 900)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		data       []byte
		format     string
		wantWidths []int
		wantHeight []int
	}{
		{"small png", encodePNG(t, picture(200, 100)), "png", nil, nil},
		{"png exactly 320", encodePNG(t, picture(320, 200)), "png", []int{320}, []int{200}},
		{"jpeg 700x350", jpg.Bytes(), "jpeg", []int{320, 640}, []int{160, 320}},
		{"webp 1600x900", wp.Bytes(), "webp", []int{320, 640, 1280}, []int{180, 360, 720}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Process(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if p.Format.Name != tc.format || len(p.Hash) != 64 {
				t.Fatalf("format %q hash %q", p.Format.Name, p.Hash)
			}
			if len(p.Renditions) != len(tc.wantWidths) {
				t.Fatalf("%d renditions, want %v", len(p.Renditions), tc.wantWidths)
			}
			for i, r := range p.Renditions {
				cfg, err := xwebp.DecodeConfig(bytes.NewReader(r.Data))
				if err != nil {
					t.Fatalf("rendition %d is not WebP: %v", i, err)
				}
				if r.Width != tc.wantWidths[i] || cfg.Width != r.Width || cfg.Height != tc.wantHeight[i] || r.Height != cfg.Height {
					t.Fatalf("rendition %d is %dx%d (says %dx%d), want %dx%d", i, cfg.Width, cfg.Height, r.Width, r.Height, tc.wantWidths[i], tc.wantHeight[i])
				}
			}
		})
	}
}

func TestProcess_RefusesWhatIsNotAnAcceptablePicture(t *testing.T) {
	good := encodePNG(t, picture(64, 64))
	var gif bytes.Buffer
	gif.WriteString("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	// A PNG header that claims 20000×20000: a decompression bomb in a few bytes.
	bomb := encodePNG(t, picture(1, 1))
	bomb[16], bomb[17], bomb[18], bomb[19] = 0, 0, 0x4e, 0x20
	bomb[20], bomb[21], bomb[22], bomb[23] = 0, 0, 0x4e, 0x20
	binary.BigEndian.PutUint32(bomb[29:33], crc32.ChecksumIEEE(bomb[12:29])) // the IHDR chunk's CRC
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotImage},
		{"text", []byte("hello, I am not a picture"), ErrNotImage},
		{"gif", gif.Bytes(), ErrNotImage},
		{"truncated png", good[:len(good)/2], ErrNotImage},
		{"png magic then junk", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...), ErrNotImage},
		{"over 10 MiB", append(good, make([]byte, MaxBytes)...), ErrTooLarge},
		{"bomb", bomb, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Process(tc.data); !errors.Is(err, tc.want) {
				t.Fatalf("Process = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestProcess_TheSameBytesHaveTheSameHash(t *testing.T) {
	data := encodePNG(t, picture(50, 50))
	a, err := Process(data)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Process(data)
	c, _ := Process(encodePNG(t, picture(51, 50)))
	if a.Hash != b.Hash || a.Hash == c.Hash {
		t.Fatalf("hashes %s %s %s", a.Hash, b.Hash, c.Hash)
	}
}

func TestPlan_PredictsWhatProcessMakes(t *testing.T) {
	data := encodePNG(t, picture(1000, 777))
	plan, err := Plan(data)
	if err != nil {
		t.Fatal(err)
	}
	pic, err := Process(data)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Hash != pic.Hash || plan.Width != pic.Width || plan.Height != pic.Height || len(plan.Renditions) != len(pic.Renditions) {
		t.Fatalf("plan %+v, process %+v", plan, pic)
	}
	for i := range plan.Renditions {
		if plan.Renditions[i].Width != pic.Renditions[i].Width || plan.Renditions[i].Height != pic.Renditions[i].Height {
			t.Fatalf("rendition %d: plan %dx%d, process %dx%d", i, plan.Renditions[i].Width, plan.Renditions[i].Height, pic.Renditions[i].Width, pic.Renditions[i].Height)
		}
	}
}

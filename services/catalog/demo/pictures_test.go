package demo

import (
	"bytes"
	"image/png"
	"testing"
)

func TestPicture_IsAPNGWideEnoughForEveryRendition(t *testing.T) {
	a, b := Picture("keyboards"), Picture("monitors")
	cfg, err := png.DecodeConfig(bytes.NewReader(a))
	if err != nil || cfg.Width != pictureW || cfg.Width < 1280 {
		t.Fatalf("%v %+v", err, cfg)
	}
	if bytes.Equal(a, b) || !bytes.Equal(a, Picture("keyboards")) {
		t.Fatal("pictures are not one per category, or not stable")
	}
}

package display_test

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"

	"github.com/parleyhq/parley/faultgen"
	"github.com/parleyhq/parley/perception/display"
)

// lcdPanel renders a 640x360 appliance panel with dark segments on a light liquid-crystal glass
// of colour glass, unlit segments drawn faintly darker than the glass when ghost is set.
func lcdPanel(text string, h int, glass color.RGBA, ghost bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 640, 360))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{222, 220, 214, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(150, 90, 500, 110+h+20), image.NewUniform(glass), image.Point{}, draw.Src)
	var g color.Color
	if ghost {
		g = color.RGBA{glass.R - 10, glass.G - 10, glass.B - 10, 255}
	}
	faultgen.DrawSevenSeg(img, text, 180, 110, h, color.RGBA{38, 44, 40, 255}, g)
	return img
}

func TestReadLCDDarkOnLight(t *testing.T) {
	green := color.RGBA{160, 182, 142, 255}
	grey := color.RGBA{176, 180, 172, 255}
	for _, c := range []struct {
		name  string
		text  string
		h     int
		glass color.RGBA
		ghost bool
		blur  int
		jpegQ int
	}{
		{"green E21", "E21", 100, green, false, 0, 0},
		{"grey F05 with ghost segments", "F05", 90, grey, true, 0, 0},
		{"green E13 blurred jpeg", "E13", 100, green, true, 2, 70},
		{"grey C4 small", "C4", 50, grey, false, 0, 80},
		{"green 1-23", "1-23", 70, green, true, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var img image.Image = lcdPanel(c.text, c.h, c.glass, c.ghost)
			if c.blur > 0 {
				img = blur(img.(*image.RGBA), c.blur)
			}
			if c.jpegQ > 0 {
				img = viaJPEG(t, img, c.jpegQ)
			}
			rd, err := display.Read(img)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.EqualFold(rd.Text, c.text) {
				t.Fatalf("read %q, want %q (%+v)", rd.Text, c.text, rd.Chars)
			}
			if rd.Polarity != display.DarkOnLight {
				t.Errorf("polarity %q, want %q", rd.Polarity, display.DarkOnLight)
			}
			if len(rd.Chars) != len(c.text) || rd.Confidence < 0.5 {
				t.Fatalf("chars %+v confidence %.2f", rd.Chars, rd.Confidence)
			}
			for _, ch := range rd.Chars {
				if ch.Confidence <= 0.5 || ch.Confidence > 1 {
					t.Errorf("char %q confidence %v", ch.Char, ch.Confidence)
				}
			}
			if !rd.Box.Overlaps(image.Rect(180, 110, 500, 110+c.h)) {
				t.Errorf("box %v is not on the display", rd.Box)
			}
		})
	}
}

// TestLEDPolarity checks that lit segments are still read as light on dark.
func TestLEDPolarity(t *testing.T) {
	rd, err := display.Read(panel("E21", 90, color.RGBA{255, 48, 48, 255}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if rd.Text != "E21" || rd.Polarity != display.LightOnDark {
		t.Fatalf("read %q polarity %q", rd.Text, rd.Polarity)
	}
}

// TestBlankPanelIsNotAnLCD checks that a blank white panel is not taken for a
// liquid-crystal display.
func TestBlankPanelIsNotAnLCD(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 640, 360))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{240, 240, 238, 255}), image.Point{}, draw.Src)
	if rd, err := display.Read(img); err == nil {
		t.Fatalf("read %q from a blank white panel", rd.Text)
	}
}

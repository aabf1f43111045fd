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

// dotPanel renders a 640x360 appliance panel with text on a dot-matrix display: lit round LEDs on
// a dark window, or dark square pixels on a light liquid-crystal glass (lcd).
func dotPanel(text string, pitch int, lcd, ghost bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 640, 360))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{214, 214, 210, 255}), image.Point{}, draw.Src)
	window, c := color.RGBA{24, 24, 26, 255}, color.RGBA{255, 170, 20, 255}
	g := &color.RGBA{40, 30, 20, 255}
	if lcd {
		window, c = color.RGBA{160, 182, 142, 255}, color.RGBA{36, 44, 40, 255}
		g = &color.RGBA{150, 172, 132, 255}
	}
	if !ghost {
		g = nil
	}
	draw.Draw(img, image.Rect(120, 90, 560, 110+7*pitch+20), image.NewUniform(window), image.Point{}, draw.Src)
	faultgen.DrawDotMatrix(img, text, 150, 110, pitch, !lcd, c, g)
	return img
}

func TestReadDotMatrix(t *testing.T) {
	for _, c := range []struct {
		name   string
		text   string
		pitch  int
		lcd    bool
		ghost  bool
		blur   int
		jpegQ  int
		varies string // a character allowed to be read with low confidence
	}{
		{"LED E21", "E21", 12, false, false, 0, 0, ""},
		{"LED F05 with ghost dots", "F05", 10, false, true, 0, 0, ""},
		{"LED E13 blurred jpeg", "E13", 12, false, true, 1, 70, ""},
		{"LCD E24", "E24", 11, true, false, 0, 0, ""},
		{"LCD F18 ghost blurred", "F18", 12, true, true, 1, 75, ""},
		{"LED small H7", "H7", 6, false, false, 0, 85, ""},
		{"LED 1-23", "1-23", 9, false, false, 0, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var img image.Image = dotPanel(c.text, c.pitch, c.lcd, c.ghost)
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
			if rd.Text != c.text || rd.Type != display.DotMatrix {
				t.Fatalf("read %q (%s), want %q dot-matrix (%+v)", rd.Text, rd.Type, c.text, rd.Chars)
			}
			for _, ch := range rd.Chars {
				if ch.Confidence < 0.6 || ch.Dots == nil {
					t.Errorf("char %q confidence %.2f, dots %v", ch.Char, ch.Confidence, ch.Dots)
				}
				if !ch.Box.In(img.Bounds()) || ch.Box.Empty() {
					t.Errorf("char %q box %v", ch.Char, ch.Box)
				}
			}
			if !strings.Contains(string(rd.Polarity), map[bool]string{true: "dark-on-light", false: "light-on-dark"}[c.lcd]) {
				t.Errorf("polarity %s", rd.Polarity)
			}
		})
	}
}

// TestDotMatrixNotSevenSegment checks that seven-segment displays are not taken for dot matrices
// and that a dot matrix's characters are not read as segments.
func TestDotMatrixNotSevenSegment(t *testing.T) {
	rd, err := display.Read(panel("E21", 100, color.RGBA{255, 48, 48, 255}, nil))
	if err != nil || rd.Type != display.SevenSegment || rd.Text != "E21" {
		t.Fatalf("seven-segment E21: %q %s %v", rd.Text, rd.Type, err)
	}
}

// TestDotGlyphs checks the font: every character is distinct from every other.
func TestDotGlyphs(t *testing.T) {
	seen := map[[7]uint8]byte{}
	for _, c := range []byte("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-") {
		g, ok := display.DotGlyph(c)
		if !ok {
			t.Fatalf("no glyph for %q", c)
		}
		if o, dup := seen[g]; dup {
			t.Fatalf("%q and %q share a glyph", c, o)
		}
		seen[g] = c
	}
	if _, ok := display.DotGlyph('~'); ok {
		t.Fatal("a glyph for ~")
	}
}

func BenchmarkReadDotMatrix(b *testing.B) {
	img := dotPanel("E21", 12, false, true)
	for b.Loop() {
		if _, err := display.Read(img); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDotMatrixOtherFont reads a display whose maker draws "6" and "0" otherwise than the reader's
// font: the characters match no shape exactly, but the code they can only be is matched with
// confidence.
func TestDotMatrixOtherFont(t *testing.T) {
	other := map[byte][7]uint8{
		'E': {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111},
		'6': {0b01110, 0b10000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110},
		'0': {0b01110, 0b10001, 0b10001, 0b10101, 0b10001, 0b10001, 0b01110},
	}
	img := image.NewRGBA(image.Rect(0, 0, 640, 360))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{214, 214, 210, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(120, 90, 560, 234), image.NewUniform(color.RGBA{24, 24, 26, 255}), image.Point{}, draw.Src)
	for i, c := range []byte("E60") {
		for r := 0; r < 7; r++ {
			for col := 0; col < 5; col++ {
				if other[c][r]&(1<<(4-col)) != 0 {
					x, y := 150+(6*i+col)*12, 110+r*12
					draw.Draw(img, image.Rect(x, y, x+9, y+9), image.NewUniform(color.RGBA{60, 230, 90, 255}), image.Point{}, draw.Src)
				}
			}
		}
	}
	rd, err := display.Read(img)
	if err != nil || rd.Type != display.DotMatrix {
		t.Fatalf("read %q %s %v", rd.Text, rd.Type, err)
	}
	code, conf, ok := display.MatchCode(rd, []string{"E60", "E09", "E10", "E21", "F05"})
	if !ok || code != "E60" || conf < 0.4 {
		t.Fatalf("read %q: matched %q at %.2f, want E60 (chars %+v)", rd.Text, code, conf, rd.Chars)
	}
}

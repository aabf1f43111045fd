package imagequal

import (
	"image"
	"math"
	"testing"
)

func TestRemoveRules(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 400, 120))
	for i := range g.Pix {
		g.Pix[i] = 230
	}
	// A box (rules) around a short "glyph" stroke.
	for x := 20; x < 380; x++ {
		g.Pix[20*400+x], g.Pix[100*400+x] = 10, 10
	}
	for y := 20; y <= 100; y++ {
		g.Pix[y*400+20], g.Pix[y*400+379] = 10, 10
	}
	for y := 40; y < 80; y++ {
		for x := 100; x < 106; x++ {
			g.Pix[y*400+x] = 10
		}
	}
	out := RemoveRules(g, 60)
	if v := out.GrayAt(200, 20).Y; v < 200 {
		t.Errorf("horizontal rule left: %d", v)
	}
	if v := out.GrayAt(20, 60).Y; v < 200 {
		t.Errorf("vertical rule left: %d", v)
	}
	if v := out.GrayAt(103, 60).Y; v > 50 {
		t.Errorf("glyph stroke erased: %d", v)
	}
}

func TestSkewOnLightBackground(t *testing.T) {
	// A document on a background as light as its paper: no outline, only the text lines.
	g := renderDoc(1400, 900, 4)
	for i, v := range g.Pix {
		if v == 80 {
			g.Pix[i] = 232
		}
	}
	a := Analyze(g)
	if a.Report.Found {
		t.Fatalf("outline found on a light background: %+v", a.Report)
	}
	if math.Abs(a.Report.Angle-4) > 0.6 {
		t.Fatalf("skew %.2f, want about 4", a.Report.Angle)
	}
}

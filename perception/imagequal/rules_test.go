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

func TestOutlineOnLightBackground(t *testing.T) {
	// A bordered document on a background as light as its paper: brightness
	// cannot separate them, the printed border can.
	g := renderDoc(1400, 900, 0)
	for i, v := range g.Pix {
		if v == 80 {
			g.Pix[i] = 228
		}
	}
	// Draw the document's border (its rectangle is 840×373 centred in the frame).
	x0, y0, x1, y1 := 280, 263, 1120, 636
	for x := x0; x <= x1; x++ {
		for d := 0; d < 3; d++ {
			g.Pix[(y0+d)*1400+x], g.Pix[(y1-d)*1400+x] = 60, 60
		}
	}
	for y := y0; y <= y1; y++ {
		for d := 0; d < 3; d++ {
			g.Pix[y*1400+x0+d], g.Pix[y*1400+x1-d] = 60, 60
		}
	}
	q, ok := outline(g)
	if !ok {
		t.Fatal("no outline found")
	}
	want := Quad{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
	for i := range q {
		if math.Abs(float64(q[i].X-want[i].X)) > 8 || math.Abs(float64(q[i].Y-want[i].Y)) > 8 {
			t.Fatalf("corner %d = %v, want %v (quad %v)", i, q[i], want[i], q)
		}
	}
}

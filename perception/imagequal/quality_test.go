package imagequal

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parleyhq/parley/media"
)

// renderDoc draws a light document with rows of dark "words" rotated by deg degrees on a dark
// background of w×h pixels, the document taking about 60% of the width.
func renderDoc(w, h int, deg float64) *image.Gray {
	dw, dh := w*6/10, w*6/10*800/1800
	doc := image.NewGray(image.Rect(0, 0, dw, dh))
	for i := range doc.Pix {
		doc.Pix[i] = 225
	}
	rng := rand.New(rand.NewPCG(1, 2))
	glyph := max(4, dh/40)
	for row := dh / 8; row < dh*7/8; row += dh / 7 {
		for x := dw / 20; x < dw*9/10; {
			cw := glyph/2 + rng.IntN(glyph)
			for yy := row; yy < row+glyph*2; yy++ {
				for xx := x; xx < x+cw && xx < dw; xx++ {
					// Strokes: vertical and horizontal bars make a glyph-like texture.
					if (xx-x) < 2 || (yy-row) < 2 || yy-row > glyph*2-3 || rng.IntN(9) == 0 {
						doc.Pix[yy*dw+xx] = 20
					}
				}
			}
			x += cw + glyph/3
			if rng.IntN(6) == 0 {
				x += glyph * 2
			}
		}
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	th := deg * math.Pi / 180
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			u := dx*math.Cos(th) + dy*math.Sin(th) + float64(dw)/2
			v := -dx*math.Sin(th) + dy*math.Cos(th) + float64(dh)/2
			if u >= 0 && v >= 0 && int(u) < dw && int(v) < dh {
				out.Pix[y*w+x] = doc.Pix[int(v)*dw+int(u)]
			} else {
				out.Pix[y*w+x] = 80
			}
		}
	}
	return out
}

func motionBlur(g *image.Gray, r int) *image.Gray {
	out := image.NewGray(g.Rect)
	w := g.Rect.Dx()
	for y := 0; y < g.Rect.Dy(); y++ {
		for x := 0; x < w; x++ {
			s, n := 0, 0
			for d := -r; d <= r; d++ {
				if xx := x + d; xx >= 0 && xx < w {
					s += int(g.Pix[y*w+xx])
					n++
				}
			}
			out.Pix[y*w+x] = uint8(s / n)
		}
	}
	return out
}

func TestAnalyzeQuality(t *testing.T) {
	base := renderDoc(1600, 1000, 3)
	glared := image.NewGray(base.Rect)
	copy(glared.Pix, base.Pix)
	for y := 0; y < 1000; y++ {
		for x := 0; x < 1600; x++ {
			if math.Hypot(float64(x-800), float64(y-500)) < 90 {
				glared.Pix[y*1600+x] = 255
			}
		}
	}
	cases := []struct {
		name  string
		img   *image.Gray
		issue string // "" means readable
		say   string
	}{
		{"sharp", base, "", ""},
		{"blurred", boxBlur(boxBlur(base, 4), 4), "blur", SayRefocus},
		{"motion", motionBlur(base, 12), "motion", SayHoldStill},
		{"glare", glared, "glare", SayGlare},
		{"cut off", base.SubImage(image.Rect(600, 0, 1600, 1000)).(*image.Gray), "cut_off", SayFitCorners},
		{"small", Resize(base, 400, 250), "low_resolution", SayCloser},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Analyze(tc.img).Report
			if tc.issue == "" {
				if !r.Readable || len(r.Issues) > 0 {
					t.Fatalf("want readable, got issues %v (%+v)", r.Issues, r)
				}
				if math.Abs(r.Angle-3) > 0.7 {
					t.Errorf("angle %.2f, want about 3", r.Angle)
				}
				return
			}
			if r.Readable || !slices.Contains(r.Issues, tc.issue) {
				t.Fatalf("want issue %q, got %v (%+v)", tc.issue, r.Issues, r)
			}
			if r.Instruction != tc.say {
				t.Errorf("instruction %q, want %q", r.Instruction, tc.say)
			}
		})
	}
}

func TestRectifyStraightens(t *testing.T) {
	a := Analyze(renderDoc(1600, 1000, -4))
	if !a.Report.Found || !a.Report.InFrame {
		t.Fatalf("document not found: %+v", a.Report)
	}
	w, h := a.Document.Rect.Dx(), a.Document.Rect.Dy()
	if w != NormWidth || math.Abs(float64(w)/float64(h)-1800.0/800) > 0.1 {
		t.Fatalf("rectified %dx%d, want %d wide with aspect 2.25", w, h, NormWidth)
	}
	// The corners of the rectified document are paper, not background.
	for _, p := range []image.Point{{20, 20}, {w - 20, 20}, {20, h - 20}, {w - 20, h - 20}} {
		if v := a.Document.GrayAt(p.X, p.Y).Y; v < 150 {
			t.Errorf("pixel %v = %d, want paper", p, v)
		}
	}
}

func encode(t *testing.T, img image.Image, format string) []byte {
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeErrors(t *testing.T) {
	img := renderDoc(400, 250, 0)
	good := encode(t, img, "jpeg")
	pngData := encode(t, img, "png")
	bomb := image.NewGray(image.Rect(0, 0, 3000, 3000))
	cases := []struct {
		name string
		data []byte
		max  int64
		want error
	}{
		{"empty", nil, 1e8, media.ErrEmpty},
		{"not an image", []byte("hello, this is text"), 1e8, media.ErrUnsupported},
		{"truncated jpeg", good[:len(good)/2], 1e8, ErrTruncated},
		{"truncated png", pngData[:len(pngData)*2/3], 1e8, media.ErrCorrupt},
		{"bomb", encode(t, bomb, "png"), 1_000_000, media.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Decode(tc.data, tc.max)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode: %v, want %v", err, tc.want)
			}
		})
	}
	if _, f, err := Decode(good, 1e8); err != nil || f != "jpeg" {
		t.Fatalf("Decode(good) = %q, %v", f, err)
	}
}

func TestOrient(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	src.Set(0, 0, color.White) // top-left marker
	cases := []struct {
		o    int
		w, h int
		at   image.Point
	}{
		{1, 3, 2, image.Pt(0, 0)}, {3, 3, 2, image.Pt(2, 1)}, {6, 2, 3, image.Pt(1, 0)}, {8, 2, 3, image.Pt(0, 2)},
	}
	for _, tc := range cases {
		out := orient(src, tc.o)
		if b := out.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Fatalf("orientation %d: size %v", tc.o, b)
		}
		if r, _, _, _ := out.At(tc.at.X, tc.at.Y).RGBA(); r != 0xffff {
			t.Errorf("orientation %d: marker not at %v", tc.o, tc.at)
		}
	}
}

func TestEnhanceFlattensShadow(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 600, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 600; x++ {
			g.Pix[y*600+x] = uint8(120 + x/6) // a shadow falling off to the left
		}
	}
	e := Enhance(g, EnhanceOptions{Flatten: true})
	if l, r := e.GrayAt(50, 100).Y, e.GrayAt(550, 100).Y; int(r)-int(l) > 15 {
		t.Errorf("shadow left after flattening: %d vs %d", l, r)
	}
}

func FuzzDecode(f *testing.F) {
	img := renderDoc(200, 120, 2)
	var j, p bytes.Buffer
	jpeg.Encode(&j, img, nil)
	png.Encode(&p, img)
	f.Add(j.Bytes())
	f.Add(p.Bytes())
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, _, err := Decode(data, 250_000)
		if err == nil {
			Analyze(img)
		}
	})
}

func BenchmarkAnalyze12MP(b *testing.B) {
	img := renderDoc(4000, 3000, 3)
	b.ResetTimer()
	for b.Loop() {
		Analyze(img)
	}
}

package report

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func packAssets(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for _, pat := range []string{"../packs/appliances/assets/*.svg", "../packs/telecom/assets/*.svg"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Base(f)] = b
		}
	}
	if len(out) < 4 {
		t.Fatalf("found %d pack pictures", len(out))
	}
	return out
}

func TestRasterizePackPictures(t *testing.T) {
	for name, svg := range packAssets(t) {
		b, err := RasterizeSVG(svg, 480)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if img.Bounds().Dx() != 480 {
			t.Errorf("%s: width %d", name, img.Bounds().Dx())
		}
		// The shapes are drawn (stroked outlines are dark) and so is the caption along the top.
		if n := darkIn(img, img.Bounds()); n < 500 {
			t.Errorf("%s: %d dark pixels, the shapes were not drawn", name, n)
		}
		var caption svgText
		for _, tx := range svgTexts(svg) {
			if len(tx.Text) > len(caption.Text) {
				caption = tx
			}
		}
		if caption.Text == "" {
			t.Fatalf("%s: no caption", name)
		}
		line := image.Rect(0, max(0, int(caption.Y)-20), 480, int(caption.Y)+4)
		if n := darkIn(img, line); n < 50 {
			t.Errorf("%s: caption %q not drawn (%d dark pixels)", name, caption.Text, n)
		}
		again, _ := RasterizeSVG(svg, 480)
		if &again[0] != &b[0] {
			t.Errorf("%s: rasterised twice, not cached", name)
		}
	}
}

func darkIn(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if (cr+cg+cb)/3 < 0x6000 {
				n++
			}
		}
	}
	return n
}

func TestRasterizeRejects(t *testing.T) {
	if _, err := RasterizeSVG([]byte("\x89PNG not svg"), 100); err != ErrNotSVG {
		t.Fatalf("err %v", err)
	}
	if _, err := RasterizeSVG([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 0 0"></svg>`), 100); err == nil {
		t.Fatal("empty view box rasterised")
	}
}

func TestGuidePDFHasAPicturePerStep(t *testing.T) {
	assets := packAssets(t)
	g := Guide{Title: "Clean the drain filter", Product: "washing machine", Code: "E21", Minutes: 15,
		Steps: []Step{
			{Text: "Unplug the machine.", Image: assets["washer-unplug.svg"]},
			{Text: "Open the flap at the bottom right.", Image: assets["washer-filter.svg"]},
			{Text: "Let the water drain into a tray."},
			{Text: "Close the tap.", Image: assets["washer-tap.svg"]},
		}}
	pdf, err := GuidePDF(g)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatal("not a PDF")
	}
	n := len(regexp.MustCompile(`/Subtype /Image`).FindAll(pdf, -1))
	if n != 3 {
		t.Fatalf("%d images in the guide, want 3 (one per step with a picture)", n)
	}
}

func FuzzSVGTexts(f *testing.F) {
	f.Add([]byte(`<svg><text x="240" y="30" font-size="20" text-anchor="middle" fill="#223">Drain <tspan>filter</tspan></text></svg>`))
	f.Add([]byte(`<svg><text x="1e9" y="-3px" font-size="NaN" fill="#zz">a</text><text>`))
	f.Add([]byte(`<svg viewBox="0 0 10 10"><rect width="10" height="10"/></svg>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tx := range svgTexts(data) {
			if tx.Text == "" || tx.Size <= 0 || tx.Size >= 500 {
				t.Fatalf("bad text %+v", tx)
			}
		}
		if len(data) < 2000 {
			RasterizeSVG(data, 64) // must not panic
		}
	})
}

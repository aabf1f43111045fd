package face

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	xdraw "golang.org/x/image/draw"

	"github.com/parleyhq/parley/nn"
)

// TestPipelineSteps measures what each step of the expression pipeline changes, on the labelled
// real faces of @vladmandic/human's face-match screenshot (testdata/facematch-labels.txt): the
// crops as they are, as FER2013-style 48x48 grey faces, and turned by ±20 degrees. It needs the
// unpacked npm package (npm pack @vladmandic/human@3.3.6; PARLEY_HUMAN_PACKAGE=.../package) and
// reports a table; it checks only the no-face rate on the 48x48 faces.
func TestPipelineSteps(t *testing.T) {
	pkg := os.Getenv("PARLEY_HUMAN_PACKAGE")
	if pkg == "" {
		t.Skip("set PARLEY_HUMAN_PACKAGE to the unpacked npm @vladmandic/human@3.3.6 package to measure the pipeline steps")
	}
	analyzer(t)
	sets := facematchSets(t, filepath.Join(pkg, "assets", "screenshot-facematch.jpg"))
	steps := []struct {
		name string
		opt  Options
	}{
		{"first pipeline (direct resize, crop may leave the image, one detection pass, no alignment)", Options{Resize: ResizeDirect, NoClamp: true, NoPad: true, NoAlign: true}},
		{"+ second detection pass with a margin", Options{Resize: ResizeDirect, NoClamp: true, NoAlign: true}},
		{"+ crop kept inside the image", Options{Resize: ResizeDirect, NoAlign: true}},
		{"+ crop levelled by the eye line (default)", Options{}},
		{"default with human's resize (tfjs steps)", Options{Resize: ResizeHuman}},
		{"default with FER-style resize (48x48 area, then 64)", Options{Resize: ResizeFER}},
		{"human's pipeline as it is (its resize, black outside, no alignment)", Options{Resize: ResizeHuman, NoClamp: true, NoAlign: true}},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-72s", "detector mode: accuracy (no-face rate, frustrated false positives)")
	for _, s := range sets {
		fmt.Fprintf(&table, " | %-22s", s.name)
	}
	for _, st := range steps {
		a, err := NewAnalyzer(nn.ModelDir(), st.opt)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&table, "\n%-72s", st.name)
		for _, s := range sets {
			rep, err := Evaluate(context.Background(), a, s.dir)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&table, " | %5.1f%% (%3.1f%%, %2d)     ", 100*rep.Accuracy(), 100*rep.NoFaceRate(), rep.FP)
			if st.opt == (Options{}) && s.name == "48x48 grey" && rep.NoFaceRate() > 0.05 {
				t.Errorf("no face found in %.1f%% of the 48x48 faces, want <= 5%%", 100*rep.NoFaceRate())
			}
		}
	}
	a, _ := NewAnalyzer(nn.ModelDir(), Options{})
	fmt.Fprintf(&table, "\n%-72s", "crops mode (whole image, no detector)")
	for _, s := range sets {
		rep, err := EvaluateCrops(context.Background(), a, s.dir)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&table, " | %5.1f%% (  -  , %2d)     ", 100*rep.Accuracy(), rep.FP)
	}
	t.Log(table.String())
}

type faceSet struct{ name, dir string }

// facematchSets cuts the labelled faces out of the screenshot and writes three class-folder sets.
func facematchSets(t *testing.T, shot string) []faceSet {
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	lf, err := os.Open(filepath.Join("testdata", "facematch-labels.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	root := t.TempDir()
	sets := []faceSet{{"crops as they are", filepath.Join(root, "color")}, {"48x48 grey", filepath.Join(root, "grey48")}, {"turned ±20°", filepath.Join(root, "turned")}}
	b := img.Bounds()
	sc := bufio.NewScanner(lf)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		class, row := fields[0], strings.TrimSuffix(fields[1], ":")
		var r int
		fmt.Sscanf(row, "r%d", &r)
		for _, c := range fields[2:] {
			var col int
			fmt.Sscanf(c, "%d", &col)
			x := int(math.Round(float64(col) * float64(b.Dx()) / 18))
			y := int(math.Round(float64(b.Dy()) - float64(6-r)*111.5))
			cell := image.NewRGBA(image.Rect(0, 0, 106, 111))
			xdraw.Copy(cell, image.Point{}, img, image.Rect(x, y, x+106, y+111), xdraw.Src, nil)
			name := fmt.Sprintf("r%dc%s", r, c)
			write(t, filepath.Join(sets[0].dir, class, name+".png"), cell)
			grey := image.NewGray(image.Rect(0, 0, 48, 48))
			xdraw.CatmullRom.Scale(grey, grey.Rect, cell, image.Rect(0, 2, 106, 108), xdraw.Src, nil)
			write(t, filepath.Join(sets[1].dir, class, name+".png"), grey)
			for _, deg := range []float64{20, -20} {
				write(t, filepath.Join(sets[2].dir, class, fmt.Sprintf("%s%+.0f.png", name, deg)), turnEdge(cell, deg))
			}
		}
	}
	return sets
}

// turnEdge turns img by deg degrees about its centre, repeating the edge pixels outside.
func turnEdge(src *image.RGBA, deg float64) *image.RGBA {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewRGBA(src.Rect)
	th := deg * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			r, g, b := bilinear(src, w, h, c*dx+s*dy+cx, -s*dx+c*dy+cy)
			i := y*dst.Stride + x*4
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(r+0.5), uint8(g+0.5), uint8(b+0.5), 255
		}
	}
	return dst
}

func write(t *testing.T, path string, img image.Image) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

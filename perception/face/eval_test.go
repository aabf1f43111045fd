package face

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvaluate(t *testing.T) {
	a := analyzer(t)
	dir := t.TempDir()
	for class, file := range map[string]string{"happy": "smiling.jpg", "sad": "neutral.jpg"} {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, class, file), data, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "happy", "notes.txt"), []byte("not an image"), 0o644)
	rep, err := Evaluate(context.Background(), a, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Classes) != 2 || rep.Classes[0].Class != "happy" || rep.Classes[0].Images != 1 || rep.Classes[0].Correct != 1 {
		t.Fatalf("classes %+v", rep.Classes)
	}
	if rep.TP+rep.FN != 1 || rep.TN+rep.FP != 1 {
		t.Fatalf("frustration counts %+v", rep)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "happy") || !strings.Contains(out.String(), "recall") {
		t.Fatalf("report:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "confusion matrix") || !strings.Contains(out.String(), "F1") || rep.Mode != "detector" {
		t.Fatalf("report:\n%s", out.String())
	}
	crops, err := EvaluateCrops(context.Background(), a, dir)
	if err != nil {
		t.Fatal(err)
	}
	if crops.Mode != "crops" || crops.NoFaceRate() != 0 || crops.Classes[0].Correct != 1 {
		t.Fatalf("crops mode %+v", crops.Classes)
	}
	os.MkdirAll(filepath.Join(dir, "bored"), 0o755)
	if _, err := Evaluate(context.Background(), a, dir); err == nil {
		t.Fatal("accepted an unknown class folder")
	}
}

// TestTightCrops reads the test faces as FER2013-style 48x48 grey crops, the whole image the face:
// the detector still finds them (the second pass frames them with a margin) and the crop mode
// reads the smile.
func TestTightCrops(t *testing.T) {
	a := analyzer(t)
	for _, name := range []string{"smiling.jpg", "neutral.jpg", "rendered.jpg"} {
		src := loadJPEG(t, name)
		b := src.Bounds()
		side := min(b.Dx(), b.Dy())
		img := image.NewGray(image.Rect(0, 0, 48, 48))
		for y := 0; y < 48; y++ {
			for x := 0; x < 48; x++ {
				img.Set(x, y, src.At(b.Min.X+(b.Dx()-side)/2+x*side/48, b.Min.Y+(b.Dy()-side)/2+y*side/48))
			}
		}
		if faces := a.Analyze(img); len(faces) == 0 {
			t.Errorf("%s at 48x48: no face", name)
		}
		if name == "smiling.jpg" {
			if f := (Face{Expression: a.ExpressionCrop(img)}); f.Expression[3] < 0.5 {
				t.Errorf("smiling crop read %v", f.Expression)
			}
		}
	}
}

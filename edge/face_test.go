package edge_test

import (
	"os"
	"testing"

	"github.com/parleyhq/parley/edge"
	"github.com/parleyhq/parley/perception/imagequal"
)

func TestFaceExpressions(t *testing.T) {
	dir := os.Getenv("PARLEY_MODELS")
	if dir == "" {
		dir = "../models"
	}
	f, err := edge.NewFace(dir)
	if err != nil {
		if testing.Short() {
			t.Skipf("face models: %v", err)
		}
		t.Fatalf("face models (make models, or set PARLEY_MODELS): %v", err)
	}
	data, err := os.ReadFile("../perception/face/testdata/smiling.jpg")
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := imagequal.Decode(data, 1e8)
	if err != nil {
		t.Fatal(err)
	}
	faces := f.Expressions(img)
	if len(faces) != 1 {
		t.Fatalf("%d faces", len(faces))
	}
	sum, best, bestP := 0.0, "", 0.0
	for k, p := range faces[0].Expression {
		sum += p
		if p > bestP {
			best, bestP = k, p
		}
	}
	if best != "happy" || sum < 0.99 || sum > 1.01 {
		t.Fatalf("expression %v", faces[0].Expression)
	}
	// Frames are read independently: the same frame twice scores the same.
	again := f.Expressions(img)
	for k, p := range faces[0].Expression {
		if again[0].Expression[k] != p {
			t.Fatalf("second read differs: %v vs %v", again[0].Expression, faces[0].Expression)
		}
	}
}

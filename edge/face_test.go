package edge_test

import (
	"image"
	"image/color"
	"math"
	"os"
	"testing"
	"time"

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

// upscale enlarges img k times (nearest pixel).
func upscale(img image.Image, k int) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			out.Set(x, y, img.At(b.Min.X+x/k, b.Min.Y+y/k))
		}
	}
	return out
}

// rotate turns img by deg degrees about its centre (nearest pixel, grey outside).
func rotate(img image.Image, deg float64) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	s, c := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(b.Min.X+b.Max.X)/2, float64(b.Min.Y+b.Max.Y)/2
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := int(cx+c*dx+s*dy), int(cy-s*dx+c*dy)
			if image.Pt(sx, sy).In(b) {
				out.Set(x, y, img.At(sx, sy))
			} else {
				out.Set(x, y, color.Gray{128})
			}
		}
	}
	return out
}

// TestFaceCuesOnTheDevice: in a call the device learns the resting face in the first seconds,
// then a head held tilted shows as the head_tilt cue while a still face shows none.
func TestFaceCuesOnTheDevice(t *testing.T) {
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
	small, _, err := imagequal.Decode(data, 1e8)
	if err != nil {
		t.Fatal(err)
	}
	img := rotate(upscale(small, 6), 0) // a camera-sized frame
	var last []edge.FaceScore
	for i := range 7 { // a frame a second, as the call reads them
		last = f.Read(img, time.Duration(i)*time.Second)
	}
	if len(last) != 1 || last[0].Cues == nil {
		t.Fatalf("no landmarks (is facemesh installed in %s?): %+v", dir, last)
	}
	if last[0].Cues["head_tilt"] > 0.1 || last[0].Cues["confusion"] > 0.2 {
		t.Fatalf("a still face shows cues: %v", last[0].Cues)
	}
	tilted := rotate(img, 18)
	for i := 7; i < 10; i++ {
		last = f.Read(tilted, time.Duration(i)*time.Second)
	}
	if len(last) != 1 || last[0].Cues["head_tilt"] < 0.5 || last[0].CueText == "" {
		t.Fatalf("a tilted head shows no cue: %+v", last)
	}
	t.Logf("tilted: %v (%s)", last[0].Cues, last[0].CueText)
}

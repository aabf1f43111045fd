package face

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// goldenCase is one frame of testdata/human.golden.json: the frame is made by goldenFrames, the
// box (human's enlarged, squared detector box) was found by the detector when the file was made,
// and the arrays are tfjs 4.22.0's outputs (bench/nn/genface.js) for that frame and box.
type goldenCase struct {
	Name   string            `json:"name"`
	Box    [4]float64        `json:"box"` // x0, y0, x1, y1 in pixels
	Roll   float64           `json:"roll"`
	Arrays map[string]string `json:"arrays"` // base64 float32 little-endian
}

// goldenFrames are the frames of the human pipeline golden cases: a face in the middle of the
// frame, and one at its right edge (the crop reaches past the image, which tfjs reads as black).
func goldenFrames(t testing.TB) map[string]*image.RGBA {
	return map[string]*image.RGBA{
		"centre": frame(loadJPEG(t, "smiling.jpg"), 200, 120, 220),
		"edge":   frame(loadJPEG(t, "neutral.jpg"), 470, 60, 200),
	}
}

// TestDumpGoldenFrames writes the golden frames as raw RGBA with their detected boxes for
// bench/nn/genface.js, when PARLEY_FACE_GOLDEN_DUMP names a directory.
func TestDumpGoldenFrames(t *testing.T) {
	dir := os.Getenv("PARLEY_FACE_GOLDEN_DUMP")
	if dir == "" {
		t.Skip("set PARLEY_FACE_GOLDEN_DUMP=DIR to write the golden frames")
	}
	a := analyzer(t)
	var cases []goldenCase
	for name, img := range goldenFrames(t) {
		dets := a.Detect(img, false)
		if len(dets) == 0 {
			t.Fatalf("%s: no face", name)
		}
		b := a.meshBox(dets[0].Box)
		cases = append(cases, goldenCase{Name: name, Box: [4]float64{b.X0, b.Y0, b.X1, b.Y1}})
		grey := make([]float32, 48*48)
		sampleGrey(grey, 48, img, square{cx: (b.X0 + b.X1) / 2, cy: (b.Y0 + b.Y1) / 2, side: b.W()}, 4)
		gb := make([]byte, 4*len(grey))
		for i, v := range grey {
			binary.LittleEndian.PutUint32(gb[4*i:], math.Float32bits(v))
		}
		if err := os.WriteFile(filepath.Join(dir, name+".rgba"), img.Pix, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".grey48"), gb, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	js, _ := json.MarshalIndent(map[string]any{"width": 640, "height": 480, "cases": cases}, "", " ")
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
}

func goldenArray(t *testing.T, c goldenCase, key string) []float32 {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(c.Arrays[key])
	if err != nil || len(b) == 0 {
		t.Fatalf("%s: golden array %s missing", c.Name, key)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// every keeps every n-th value, as the golden file stores large arrays.
func every(v []float32, n int) []float32 {
	var out []float32
	for i := 0; i < len(v); i += n {
		out = append(out, v[i])
	}
	return out
}

// maxDiff is the largest difference between got and want, relative for values above 1.
func maxDiff(t *testing.T, what string, got, want []float32) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, golden has %d", what, len(got), len(want))
	}
	var worst float64
	for i := range got {
		worst = max(worst, math.Abs(float64(got[i]-want[i]))/max(1, math.Abs(float64(want[i]))))
	}
	return worst
}

// TestHumanPipelineGolden checks Parley's port of human's face steps against tfjs on real
// frames: tf.image.cropAndResize to facemesh's 192x192 input, the facemesh landmarks, then
// human's emotion input (tf.image.resizeBilinear to 64x64, grey with 0.2989/0.5870/0.1140,
// (g − 0.5)·2) and the expression model's output; and the half-pixel bilinear resize.
func TestHumanPipelineGolden(t *testing.T) {
	a := analyzer(t)
	if a.mesh == nil {
		t.Skip("facemesh not installed")
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "human.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Generator string       `json:"generator"`
		Cases     []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	frames := goldenFrames(t)
	for _, c := range g.Cases {
		img := frames[c.Name]
		box := Box{c.Box[0], c.Box[1], c.Box[2], c.Box[3]}
		// facemesh input and output
		crop := make([]float32, meshSize*meshSize*3)
		cropAndResizeTF(crop, meshSize, img, box, 1.0/255)
		if d := maxDiff(t, "mesh input", every(crop, 101), goldenArray(t, c, "meshInput101")); d > 1e-5 {
			t.Errorf("%s: facemesh input differs from tf.image.cropAndResize by %.2g", c.Name, d)
		}
		out, err := a.mesh.model.Predict(crop)
		if err != nil {
			t.Fatal(err)
		}
		d := maxDiff(t, "landmarks", out[a.mesh.mesh], goldenArray(t, c, "mesh"))
		if d > 1e-4 {
			t.Errorf("%s: landmarks differ from tfjs by %.2g, want <= 1e-4", c.Name, d)
		}
		var abs float64
		for i, w := range goldenArray(t, c, "mesh") {
			abs = max(abs, math.Abs(float64(out[a.mesh.mesh][i]-w)))
		}
		t.Logf("%s: landmarks within %.2g of tfjs (relative above 1; %.2g px of the 192-px crop, %.2g of its side; face score %.3f)", c.Name, d, abs, abs/meshSize, out[a.mesh.flag][0])
		// emotion input and output, human's way
		var work cropWork
		in := make([]float32, 64*64)
		emotionInput(in, img, square{cx: (box.X0 + box.X1) / 2, cy: (box.Y0 + box.Y1) / 2, side: box.W()}, ResizeHuman, &work)
		if d := maxDiff(t, "emotion input", every(in, 3), goldenArray(t, c, "emotionInput3")); d > 1e-4 {
			t.Errorf("%s: emotion input differs from human's by %.2g", c.Name, d)
		}
		probs, _ := a.emotion.Predict(in)
		if d := maxDiff(t, "emotion", probs[0], goldenArray(t, c, "emotion")); d > 1e-4 {
			t.Errorf("%s: expression differs from tfjs by %.2g", c.Name, d)
		}
		// half-pixel bilinear (tf.image.resizeBilinear with halfPixelCenters) of the 48x48 grey crop
		grey := make([]float32, 48*48)
		sampleGrey(grey, 48, img, square{cx: (box.X0 + box.X1) / 2, cy: (box.Y0 + box.Y1) / 2, side: box.W()}, 4)
		if d := maxDiff(t, "grey48", grey, goldenArray(t, c, "grey48")); d > 0 {
			t.Fatalf("%s: the golden file's 48x48 crop is not this code's (%.2g): regenerate it", c.Name, d)
		}
		up := make([]float32, 64*64)
		resizeHalfPixel(up, grey, 48, 64)
		if d := maxDiff(t, "resize", every(up, 5), goldenArray(t, c, "halfPixel64_5")); d > 1e-5 {
			t.Errorf("%s: half-pixel resize differs from tfjs by %.2g", c.Name, d)
		}
	}
}

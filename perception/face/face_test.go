package face

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/nn"
	"github.com/parleyhq/parley/perception"
)

func TestAnchors(t *testing.T) {
	for _, size := range []int{128, 256} {
		a := anchors(size)
		if len(a) != 896 {
			t.Fatalf("%d: %d anchors, want 896", size, len(a))
		}
		s := float64(size)
		if a[0] != (Point{s / 32, s / 32}) || a[1] != a[0] {
			t.Errorf("%d: first anchors %v %v", size, a[0], a[1])
		}
		if a[512] != (Point{s / 16, s / 16}) || a[895] != (Point{s - s/16, s - s/16}) {
			t.Errorf("%d: stride-%v group starts at %v, ends at %v", size, s/8, a[512], a[895])
		}
	}
}

func TestWeightedNMS(t *testing.T) {
	c := []candidate{
		{box: Box{10, 10, 50, 50}, score: 0.9},
		{box: Box{14, 14, 54, 54}, score: 0.6},
		{box: Box{200, 200, 240, 240}, score: 0.7},
	}
	got := weightedNMS(c, 0.3)
	if len(got) != 2 {
		t.Fatalf("got %d detections, want 2", len(got))
	}
	if got[0].Score != 0.9 || math.Abs(got[0].Box.X0-11.6) > 1e-9 {
		t.Errorf("merged detection %+v, want score 0.9 and x0 11.6", got[0])
	}
	if IoU(got[1].Box, Box{200, 200, 240, 240}) < 0.999 {
		t.Errorf("separate detection %+v", got[1])
	}
}

func TestTracker(t *testing.T) {
	var tr Tracker
	frames := [][]Box{
		{{100, 100, 200, 200}},
		{{110, 104, 210, 204}, {400, 100, 480, 180}},
		{{405, 102, 485, 182}, {120, 108, 220, 208}},
	}
	var ids [][]int
	for _, boxes := range frames {
		faces := make([]Face, len(boxes))
		for i, b := range boxes {
			faces[i].Box = b
		}
		tr.Update(faces)
		var f []int
		for _, x := range faces {
			f = append(f, x.Track)
		}
		ids = append(ids, f)
	}
	if ids[0][0] != 1 || ids[1][0] != 1 || ids[1][1] != 2 || ids[2][0] != 2 || ids[2][1] != 1 {
		t.Fatalf("tracks %v, want [[1] [1 2] [2 1]]", ids)
	}
}

var (
	analyzerOnce sync.Once
	testAnalyzer *Analyzer
	analyzerErr  error
)

func analyzer(t testing.TB) *Analyzer {
	t.Helper()
	dir := nn.ModelDir()
	if err := nn.Installed(dir, "emotion"); err != nil {
		t.Skipf("face models not installed; run `parley models install` (or make test): %v", err)
	}
	analyzerOnce.Do(func() { testAnalyzer, analyzerErr = NewAnalyzer(dir, Options{}) })
	if analyzerErr != nil {
		t.Fatal(analyzerErr)
	}
	testAnalyzer.Reset()
	return testAnalyzer
}

func loadJPEG(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// frame renders a 640x480 video frame: a grey-blue background with the face scaled to side pixels
// and its top-left corner at (x, y).
func frame(face image.Image, x, y, side int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(img, img.Rect, &image.Uniform{color.RGBA{90, 100, 120, 255}}, image.Point{}, draw.Src)
	b := face.Bounds()
	for v := 0; v < side; v++ {
		for u := 0; u < side; u++ {
			img.Set(x+u, y+v, face.At(b.Min.X+u*b.Dx()/side, b.Min.Y+v*b.Dy()/side))
		}
	}
	return img
}

func TestExpressions(t *testing.T) {
	a := analyzer(t)
	tests := []struct {
		file      string
		wantHappy bool
	}{
		{"smiling.jpg", true},
		{"neutral.jpg", false},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			faces := a.Analyze(loadJPEG(t, tc.file))
			if len(faces) != 1 {
				t.Fatalf("found %d faces, want 1", len(faces))
			}
			f := faces[0]
			var sum float64
			for _, p := range f.Expression {
				sum += p
			}
			if math.Abs(sum-1) > 1e-3 || f.Score < 0.6 {
				t.Fatalf("face %+v: probabilities sum to %.4f", f, sum)
			}
			name, p := f.Dominant()
			happy := f.Expression[3]
			if tc.wantHappy && (name != "happy" || p < 0.8) {
				t.Errorf("dominant %s %.2f, want happy", name, p)
			}
			if !tc.wantHappy && happy > 0.2 {
				t.Errorf("happy %.2f on a face without a smile (%v)", happy, f.Probabilities())
			}
		})
	}
}

// TestVideoFrames follows one face moving across 640x480 frames, and finds none in an empty frame.
func TestVideoFrames(t *testing.T) {
	a := analyzer(t)
	face := loadJPEG(t, "smiling.jpg")
	var track int
	for i, x := range []int{200, 220, 240} {
		faces := a.Analyze(frame(face, x, 120, 220))
		if len(faces) != 1 {
			t.Fatalf("frame %d: %d faces, want 1", i, len(faces))
		}
		f := faces[0]
		cx, cy := (f.Box.X0+f.Box.X1)/2, (f.Box.Y0+f.Box.Y1)/2
		if cx < float64(x) || cx > float64(x+220) || cy < 120 || cy > 340 {
			t.Errorf("frame %d: face centre (%.0f,%.0f) outside the drawn face", i, cx, cy)
		}
		if name, _ := f.Dominant(); name != "happy" {
			t.Errorf("frame %d: %s, want happy", i, name)
		}
		if i == 0 {
			track = f.Track
		} else if f.Track != track {
			t.Errorf("frame %d: track %d, want %d", i, f.Track, track)
		}
	}
	if faces := a.Analyze(frame(image.NewRGBA(image.Rect(0, 0, 1, 1)), 0, 0, 0)); len(faces) != 0 {
		t.Errorf("empty frame: %d faces", len(faces))
	}
}

// TestSmallFace checks that a face too small for the front model is found by the back model.
func TestSmallFace(t *testing.T) {
	a := analyzer(t)
	if a.back == nil {
		t.Skip("back model not installed")
	}
	faces := a.Analyze(frame(loadJPEG(t, "smiling.jpg"), 420, 300, 70))
	if len(faces) != 1 {
		t.Fatalf("%d faces, want 1", len(faces))
	}
	if c := (faces[0].Box.X0 + faces[0].Box.X1) / 2; c < 420 || c > 490 {
		t.Errorf("small face centre x %.0f, want within 420..490", c)
	}
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestStage(t *testing.T) {
	analyzer(t)
	s, err := NewStage(nn.ModelDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Accepts(media.Image) || s.Accepts(media.Text) {
		t.Fatal("stage should accept images only")
	}
	item := media.Item{MessageID: "m1", Part: 1, Kind: media.Image, Modality: media.ModVideo,
		Data: encodeJPEG(t, frame(loadJPEG(t, "smiling.jpg"), 300, 100, 240))}
	obs, err := s.Process(context.Background(), item, perception.Expectation{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 {
		t.Fatalf("%d observations, want 1", len(obs))
	}
	o := obs[0]
	v, ok := o.Value.(map[string]float64)
	if o.Kind != perception.KindEmotion || !ok || len(v) != 7 || v["happy"] < 0.5 {
		t.Fatalf("observation %+v", o)
	}
	r := o.Source.Region
	if r == nil || r.X < 280 || r.X+r.W > 560 || o.Source.Stage != StageID || o.Source.Modality != media.ModVideo || o.Confidence < 0.6 {
		t.Fatalf("source %+v region %+v confidence %.2f", o.Source, r, o.Confidence)
	}
	blank := media.Item{Kind: media.Image, Data: encodeJPEG(t, frame(image.NewRGBA(image.Rect(0, 0, 1, 1)), 0, 0, 0))}
	if obs, err := s.Process(context.Background(), blank, perception.Expectation{}); err != nil || len(obs) != 0 {
		t.Fatalf("blank frame: %v, %v", obs, err)
	}
	bad := media.Item{Kind: media.Image, Data: []byte("\xff\xd8\xff\xe0 truncated jpeg")}
	if _, err := s.Process(context.Background(), bad, perception.Expectation{}); !errors.Is(err, media.ErrCorrupt) && !errors.Is(err, media.ErrUnsupported) {
		t.Fatalf("garbage: err = %v, want ErrCorrupt or ErrUnsupported", err)
	}
}

func TestStageUnavailable(t *testing.T) {
	if _, err := NewStage(t.TempDir(), Options{}); !errors.Is(err, ErrNoModels) {
		t.Fatalf("err = %v, want ErrNoModels", err)
	}
}

func FuzzProcess(f *testing.F) {
	f.Add([]byte("\xff\xd8\xff"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		analyzer(t)
		s := testStage(testAnalyzer)
		s.limits = media.Limits{MaxPixels: 1 << 20}
		s.Process(context.Background(), media.Item{Kind: media.Image, Data: data}, perception.Expectation{})
	})
}

// BenchmarkFrame measures detection and expression on a decoded 640x480 frame with one face.
func BenchmarkFrame(b *testing.B) {
	a := analyzer(b)
	img := frame(loadJPEG(b, "smiling.jpg"), 200, 120, 220)
	b.ReportAllocs()
	cpu0 := cpuNanos()
	for b.Loop() {
		if len(a.Analyze(img)) != 1 {
			b.Fatal("no face")
		}
	}
	reportCPU(b, cpu0)
}

// reportCPU adds the process CPU time per iteration since cpu0, meaningful on a shared machine.
func reportCPU(b *testing.B, cpu0 int64) {
	if c := cpuNanos(); c > 0 && cpu0 > 0 {
		b.ReportMetric(float64(c-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkFrameJPEG includes decoding the JPEG frame, as the stage does.
func BenchmarkFrameJPEG(b *testing.B) {
	analyzer(b)
	s := testStage(testAnalyzer)
	item := media.Item{Kind: media.Image, Modality: media.ModVideo, Data: encodeJPEG(b, frame(loadJPEG(b, "smiling.jpg"), 200, 120, 220))}
	cpu0 := cpuNanos()
	for b.Loop() {
		obs, _ := s.Process(context.Background(), item, perception.Expectation{})
		if len(obs) == 0 || obs[0].Kind != perception.KindEmotion {
			b.Fatal("no face")
		}
	}
	reportCPU(b, cpu0)
}

// testStage wraps an already loaded Analyzer as a stage.
func testStage(a *Analyzer) *Stage {
	s := &Stage{limits: media.DefaultLimits(), pool: make(chan *Analyzer, 1), made: 1, tracks: map[string]*streamTracks{}}
	s.pool <- a
	return s
}

// TestStageConcurrent processes frames of two messages at once: each message keeps its own tracks.
func TestStageConcurrent(t *testing.T) {
	analyzer(t)
	s, err := NewStage(nn.ModelDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	data := encodeJPEG(t, frame(loadJPEG(t, "smiling.jpg"), 200, 100, 240))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2; i++ {
				item := media.Item{MessageID: fmt.Sprint("m", g%2), Kind: media.Image, Modality: media.ModVideo, Data: data}
				obs, err := s.Process(context.Background(), item, perception.Expectation{})
				if err != nil || len(obs) != 1 || obs[0].Text != "face 1: happy" {
					errs <- fmt.Errorf("goroutine %d: %v %v", g, obs, err)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestFullRange checks the full-range detector on its own: the front model's box and facemesh's
// eye on a close face, and a smaller face (100 pixels of a 640x480 frame).
func TestFullRange(t *testing.T) {
	if err := nn.Installed(nn.ModelDir(), "facemesh-detection-full"); err != nil {
		t.Skipf("facemesh-detection-full not installed: %v", err)
	}
	a, err := NewAnalyzer(nn.ModelDir(), Options{FullRange: true})
	if err != nil {
		t.Fatal(err)
	}
	img := a.toRGBA(frame(loadJPEG(t, "smiling.jpg"), 200, 120, 220))
	front, full := a.front.detect(img, 0), a.full.detect(img, 0)
	if len(front) != 1 || len(full) != 1 {
		t.Fatalf("front %d faces, full range %d, want 1 each", len(front), len(full))
	}
	if v := IoU(front[0].Box, full[0].Box); v < 0.5 {
		t.Errorf("full-range box %+v overlaps the front model's %+v by %.2f", full[0].Box, front[0].Box, v)
	}
	if a.mesh != nil {
		// the eye keypoint lands on facemesh's eye (the front model's is rougher)
		faces := a.Analyze(img)
		r, _ := faces[0].Landmarks.eyes()
		if d := math.Hypot(full[0].Keypoints[0].X-r.X, full[0].Keypoints[0].Y-r.Y); d > 6 {
			t.Errorf("right eye %v, facemesh's %v", full[0].Keypoints[0], r)
		}
	}
	small := a.toRGBA(frame(loadJPEG(t, "smiling.jpg"), 400, 280, 100))
	if got := a.full.detect(small, 0); len(got) != 1 {
		t.Errorf("small face: %d faces, want 1", len(got))
	} else if c := (got[0].Box.X0 + got[0].Box.X1) / 2; c < 400 || c > 500 {
		t.Errorf("small face centre x %.0f, want within 400..500", c)
	}
}

package face

import (
	"context"
	"image"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/face/facetest"
)

// TestCueTracker drives the baseline and the cues with made-up measures.
func TestCueTracker(t *testing.T) {
	rest := Measures{BrowHeight: 0.3, BrowGap: 0.45, LipHeight: 0.23, Pitch: 0.5}
	var ct CueTracker
	at := time.Duration(0)
	step := 200 * time.Millisecond
	for ; at < DefaultBaselineWindow; at += step {
		if r := ct.Update(rest, at); r.Ready {
			t.Fatalf("baseline ready after %s, want %s", at, DefaultBaselineWindow)
		}
	}
	if r := ct.Update(rest, at); !r.Ready || r.Confusion != 0 || r.Frustration != 0 || r.Describe() != "" {
		t.Fatalf("resting face after the baseline: %+v", r)
	}
	frown := rest
	frown.BrowHeight -= 0.1
	var r CueReading
	for end := at + 2*time.Second; at <= end; at += step {
		r = ct.Update(frown, at)
	}
	if got := r.Describe(); got != "brows lowered for 2 s" {
		t.Errorf("described as %q, want %q", got, "brows lowered for 2 s")
	}
	if r.Confusion < 0.7 || r.Frustration > r.Confusion {
		t.Errorf("lowered brows: confusion %.2f, frustration %.2f", r.Confusion, r.Frustration)
	}
	press := rest
	press.LipHeight -= 0.1
	if r := ct.Update(press, at); r.Frustration < 0.7 || !strings.HasPrefix(r.Describe(), "lips pressed") {
		t.Errorf("pressed lips: %+v", r)
	}
	tilt := rest
	tilt.Roll = 25
	if r := ct.Update(tilt, at); r.Confusion < 0.5 || !strings.HasPrefix(r.Describe(), "head tilted") {
		t.Errorf("tilted head: %+v", r)
	}
	away := rest
	away.Yaw = 0.35
	if r := ct.Update(away, at); !strings.HasPrefix(r.Describe(), "looking away") {
		t.Errorf("turned head: %+v", r)
	}
	if r := ct.Update(rest, at); r.Confusion != 0 || r.Describe() != "" {
		t.Errorf("back at rest: %+v", r)
	}
}

// turned returns l's points turned by angle about (cx, cy), scaled by s and shifted by (dx, dy).
func turned(l *Landmarks, angle, s, dx, dy float64) *Landmarks {
	out := *l
	c, sn := math.Cos(angle), math.Sin(angle)
	for i, p := range l.Points {
		x, y := p.X-300, p.Y-240
		out.Points[i] = Point{300 + dx + s*(x*c-y*sn), 240 + dy + s*(x*sn+y*c)}
	}
	return &out
}

// TestMeasureInvariance checks that cue measures do not change when the face moves, grows or tilts
// (only Roll does, by the tilt).
func TestMeasureInvariance(t *testing.T) {
	a := analyzer(t)
	if a.mesh == nil {
		t.Skip("facemesh not installed")
	}
	f, err := facetest.Rendered()
	if err != nil {
		t.Fatal(err)
	}
	faces := a.Analyze(facetest.Frame(f, 0, facetest.Side, 0))
	if len(faces) == 0 || faces[0].Landmarks == nil {
		t.Fatal("no landmarks on the rendered face")
	}
	base := faces[0].Landmarks.Measure()
	if base.BrowHeight < 0.15 || base.BrowHeight > 0.5 || base.LipHeight <= 0 || math.Abs(base.Roll) > 5 || math.Abs(base.Yaw) > 0.1 {
		t.Fatalf("rendered face measures %+v", base)
	}
	m := turned(faces[0].Landmarks, 0.3, 0.6, 40, -25).Measure()
	for _, d := range []struct {
		name      string
		got, want float64
	}{{"brow height", m.BrowHeight, base.BrowHeight}, {"brow gap", m.BrowGap, base.BrowGap}, {"lips", m.LipHeight, base.LipHeight},
		{"yaw", m.Yaw, base.Yaw}, {"pitch", m.Pitch, base.Pitch}, {"roll", m.Roll, base.Roll + 0.3*180/math.Pi}} {
		if math.Abs(d.got-d.want) > 1e-9 {
			t.Errorf("%s %.6f after moving the face, want %.6f", d.name, d.got, d.want)
		}
	}
}

// TestCueNoiseFloor measures how much facemesh's cue measures jitter on a still face that moves a
// few pixels (as a person on a call does) and checks that every cue threshold sits above it.
func TestCueNoiseFloor(t *testing.T) {
	a := analyzer(t)
	if a.mesh == nil {
		t.Skip("facemesh not installed")
	}
	f, err := facetest.Rendered()
	if err != nil {
		t.Fatal(err)
	}
	var ms []Measures
	for i := 0; i < 12; i++ {
		data, err := facetest.AsSent(facetest.Frame(f, i, facetest.Side, 0))
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := media.DecodeImage(data, 1<<24)
		if err != nil {
			t.Fatal(err)
		}
		faces := a.Analyze(img)
		if len(faces) == 0 || faces[0].Landmarks == nil {
			t.Fatalf("frame %d: no landmarks", i)
		}
		ms = append(ms, faces[0].Landmarks.Measure())
	}
	base := median(ms)
	for _, sp := range cueSpecs {
		var worst float64
		for _, m := range ms {
			worst = max(worst, sp.delta(m, base))
		}
		t.Logf("%s: jitter up to %.3f, cue starts at %.3f", sp.name, worst, sp.lo)
		if worst >= sp.lo/2 {
			t.Errorf("%s: a still face moves it by %.3f, too close to the cue's threshold %.3f", sp.name, worst, sp.lo)
		}
	}
}

// TestStageCues plays a call through the stage: the rendered face rests for four seconds (the
// baseline is its first three), then lowers its brows; the stage's cue observations say so.
func TestStageCues(t *testing.T) {
	a := analyzer(t)
	if a.mesh == nil {
		t.Skip("facemesh not installed")
	}
	s := testStage(a)
	frames, err := facetest.Call(40, 20, true)
	if err != nil {
		t.Fatal(err)
	}
	var firstCue time.Duration = -1
	var last perception.Observation
	for i, fr := range frames {
		data, err := facetest.AsSent(fr)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Duration(i) * 200 * time.Millisecond
		obs, err := s.Process(context.Background(), media.Item{MessageID: "call", Kind: media.Image, Modality: media.ModVideo, Data: data, Offset: at}, perception.Expectation{})
		if err != nil {
			t.Fatal(err)
		}
		var cue *perception.Observation
		for k := range obs {
			if obs[k].Kind == perception.KindAffectCue {
				cue = &obs[k]
			}
		}
		if cue == nil {
			if at > DefaultBaselineWindow+200*time.Millisecond {
				t.Fatalf("frame %d (%s): no cue observation after the baseline", i, at)
			}
			continue
		}
		if firstCue < 0 {
			firstCue = at
		}
		v := cue.Value.(map[string]float64)
		if i < 20 && (v["confusion"] > 0.2 || cue.Text != "") {
			t.Errorf("resting frame %d: confusion %.2f, %q", i, v["confusion"], cue.Text)
		}
		if i >= 22 && (v["confusion"] < 0.5 || !strings.HasPrefix(cue.Text, "brows lowered")) {
			t.Errorf("frowning frame %d: confusion %.2f, %q", i, v["confusion"], cue.Text)
		}
		if cue.Source.Stage != StageID || cue.Confidence < 0.5 {
			t.Errorf("cue source %+v, confidence %.2f", cue.Source, cue.Confidence)
		}
		last = *cue
	}
	if firstCue < DefaultBaselineWindow {
		t.Errorf("first cue at %s, before the baseline window ended", firstCue)
	}
	if last.Text != "brows lowered for 4 s" {
		t.Errorf("last frame says %q, want \"brows lowered for 4 s\"", last.Text)
	}
	// photos have no baseline: no cues
	data, _ := facetest.AsSent(frames[30])
	obs, _ := s.Process(context.Background(), media.Item{MessageID: "photo", Kind: media.Image, Data: data}, perception.Expectation{})
	for _, o := range obs {
		if o.Kind == perception.KindAffectCue {
			t.Errorf("a photo got a cue observation: %+v", o)
		}
	}
}

// TestAlignment turns a smiling face by up to 30 degrees: the expression crop follows the eye line
// and the smile is still read.
func TestAlignment(t *testing.T) {
	a := analyzer(t)
	base := frame(loadJPEG(t, "smiling.jpg"), 200, 120, 220)
	for _, deg := range []float64{-30, -15, 15, 30} {
		img := rotated(base, deg)
		faces := a.Analyze(img)
		if len(faces) == 0 {
			t.Fatalf("%v°: no face", deg)
		}
		if name, p := faces[0].Dominant(); name != "happy" {
			t.Errorf("%v°: %s %.2f, want happy", deg, name, p)
		}
		if l := faces[0].Landmarks; l != nil {
			if got := l.Roll() * 180 / math.Pi; math.Abs(got-deg) > 10 {
				t.Errorf("%v°: landmarks' eye line at %.1f°", deg, got)
			}
		}
	}
}

// rotated turns img by deg degrees (clockwise on screen) about its centre, filling with black.
func rotated(src *image.RGBA, deg float64) *image.RGBA {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewRGBA(src.Rect)
	th := deg * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := c*dx+s*dy+cx, -s*dx+c*dy+cy
			if sx < 0 || sy < 0 || sx > float64(w-1) || sy > float64(h-1) {
				continue
			}
			r, g, b := bilinear(src, w, h, sx, sy)
			i := y*dst.Stride + x*4
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(r), uint8(g), uint8(b), 255
		}
	}
	return dst
}

// FuzzCues feeds made-up landmarks through Measure and a CueTracker: the evidence stays in [0, 1]
// and is never NaN, whatever the points.
func FuzzCues(f *testing.F) {
	f.Add(int64(1), 100.0, 0.0, 0.1)
	f.Add(int64(7), 0.0, 3.0, -5.0)
	f.Add(int64(3), math.NaN(), 1.0, 0.0)
	f.Add(int64(4), math.Inf(1), 0.5, math.NaN())
	f.Fuzz(func(t *testing.T, seed int64, scale, angle, jitter float64) {
		var l Landmarks
		x := uint64(seed)
		for i := range l.Points {
			x = x*6364136223846793005 + 1442695040888963407
			u, v := float64(x>>40)/(1<<24), float64((x>>16)&0xffffff)/(1<<24)
			l.Points[i] = Point{scale * (u + jitter*math.Sin(angle*float64(i))), scale * (v + jitter*math.Cos(angle*float64(i)))}
		}
		var ct CueTracker
		for k := 0; k < 30; k++ {
			m := l.Measure()
			r := ct.Update(m, time.Duration(k)*200*time.Millisecond)
			for _, v := range []float64{r.Confusion, r.Frustration} {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("evidence %v out of [0, 1] (measures %+v)", v, m)
				}
			}
			for _, c := range r.Cues {
				if !(c.Activation >= 0 && c.Activation <= 1) {
					t.Fatalf("cue %s activation %v", c.Name, c.Activation)
				}
			}
			l = *turned(&l, angle/10, 1, jitter, -jitter)
		}
	})
}

// TestBrowCuesOnFace warps the rendered face's brows down and up after a resting baseline and
// checks that facemesh's landmarks turn each into its cue.
func TestBrowCuesOnFace(t *testing.T) {
	a := analyzer(t)
	if a.mesh == nil {
		t.Skip("facemesh not installed")
	}
	f, err := facetest.Rendered()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lower float64
		cue   string
	}{{facetest.Lowered, CueBrowLower}, {-1.5 * facetest.Lowered, CueBrowRaise}} { // raised brows travel further than lowered ones (AU1+2 against AU4)
		a.Reset()
		var ct CueTracker
		var r CueReading
		for i := 0; i < 24; i++ {
			lower := 0.0
			if i >= 18 {
				lower = c.lower
			}
			data, err := facetest.AsSent(facetest.Frame(f, i, facetest.Side, lower))
			if err != nil {
				t.Fatal(err)
			}
			img, _, err := media.DecodeImage(data, 1<<24)
			if err != nil {
				t.Fatal(err)
			}
			faces := a.Analyze(img)
			if len(faces) == 0 || faces[0].Landmarks == nil {
				t.Fatalf("frame %d: no landmarks", i)
			}
			r = ct.Update(faces[0].Landmarks.Measure(), time.Duration(i)*200*time.Millisecond)
		}
		s, ok := r.Strongest()
		if !ok || s.Name != c.cue {
			t.Errorf("brows moved by %+.2f: strongest cue %+v, want %s (%+v)", -c.lower, s, c.cue, r.Cues)
		}
		t.Logf("brows moved by %+.2f IOD: %q, confusion %.2f", -c.lower, r.Describe(), r.Confusion)
	}
}

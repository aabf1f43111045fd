package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/nn"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/face"
	"github.com/parleyhq/parley/perception/face/facetest"
)

// fakeFace reads a frame whose first byte is 'A' as an angry face and anything else as a calm one.
type fakeFace struct{}

func (fakeFace) Name() string              { return "test.face" }
func (fakeFace) Accepts(k media.Kind) bool { return k == media.Image }
func (fakeFace) Process(_ context.Context, it media.Item, _ perception.Expectation) ([]perception.Observation, error) {
	probs := map[string]float64{"neutral": 0.9, "happy": 0.1}
	if len(it.Data) > 0 && it.Data[0] == 'A' {
		probs = map[string]float64{"angry": 0.8, "disgust": 0.1, "neutral": 0.1}
	}
	return []perception.Observation{{Kind: perception.KindEmotion, Value: probs, Confidence: 0.95}}, nil
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// TestVideoCallAffectChangesStyle plays the telecom video call: the face turns frustrated mid-flow
// and the reply style slows down within two seconds of sustained expression, then returns when the
// customer calms down.
func TestVideoCallAffectChangesStyle(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	f := newFixture(t, t.TempDir(), server.Options{Now: clk.Now, Stages: []perception.Stage{fakeFace{}, mustStage(t, "text.nlu")}})
	id := f.conversation("telecom")
	style := func(text string) dialogue.Style {
		_, out := f.json("POST", "/v1/conversations/"+id+"/messages", map[string]string{"text": text})
		raw, _ := json.Marshal(out["reply"].(map[string]any)["style"])
		var st dialogue.Style
		json.Unmarshal(raw, &st)
		return st
	}
	calm := style("my internet is down")
	if calm.RateWPM != 175 || calm.Simplified {
		t.Fatalf("calm style %+v", calm)
	}
	frames := func(b byte, d time.Duration) time.Duration {
		for elapsed := time.Duration(0); elapsed < d; elapsed += 200 * time.Millisecond { // 5 fps
			clk.add(200 * time.Millisecond)
			if err := f.srv.Observe(context.Background(), id, []media.Item{{MessageID: "live", Kind: media.Image, Modality: media.ModVideo, Data: []byte{b}}}); err != nil {
				t.Fatal(err)
			}
			if high := f.srv.Affect(id).FrustrationHigh; high == (b == 'A') {
				return elapsed + 200*time.Millisecond
			}
		}
		return -1
	}
	if took := frames('A', 2*time.Second); took < 0 {
		t.Fatalf("two seconds of anger did not raise frustration: %+v", f.srv.Affect(id))
	} else {
		t.Logf("frustration high after %s of sustained anger", took)
	}
	if st := style("no, it still does not work"); st.RateWPM >= calm.RateWPM || !st.Simplified || st.StepsPerMessage != 1 {
		t.Fatalf("style did not adapt: %+v", st)
	}
	if took := frames('N', 10*time.Second); took < 0 {
		t.Fatalf("calm face did not bring frustration down: %+v", f.srv.Affect(id))
	}
	if st := style("ok, what next?"); st.RateWPM != calm.RateWPM || st.Simplified {
		t.Fatalf("style did not return after calming down: %+v", st)
	}
}

// TestVideoCallFacialCues plays a call with the real face stage: a rendered face rests for four
// seconds (its first three are the baseline), then lowers its brows. Confusion turns high within
// two seconds, its cause names the cue, and the next reply is simplified and visual-first; the same
// call with a face that stays at rest changes nothing. The frames are the ones the browser test's
// fake camera plays, sent as the page sends them (320 pixels wide, JPEG).
func TestVideoCallFacialCues(t *testing.T) {
	stage, err := face.NewStage(nn.ModelDir(), face.Options{})
	if err != nil {
		t.Skipf("face models not installed (run `parley models install`): %v", err)
	}
	if nn.Installed(nn.ModelDir(), "facemesh") != nil {
		t.Skip("facemesh not installed (run `parley models install`)")
	}
	for _, frown := range []bool{false, true} {
		clk := &clock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
		f := newFixture(t, t.TempDir(), server.Options{Now: clk.Now, Stages: []perception.Stage{stage, mustStage(t, "text.nlu")}})
		id := f.conversation("telecom")
		frames, err := facetest.Call(45, 20, frown)
		if err != nil {
			t.Fatal(err)
		}
		high := -1
		var trace []string
		for i, fr := range frames {
			data, err := facetest.AsSent(fr)
			if err != nil {
				t.Fatal(err)
			}
			clk.add(200 * time.Millisecond)
			if err := f.srv.Observe(context.Background(), id, []media.Item{{Kind: media.Image, Modality: media.ModVideo, Data: data, ContentType: "image/jpeg"}}); err != nil {
				t.Fatal(err)
			}
			a := f.srv.Affect(id)
			trace = append(trace, fmt.Sprintf("%.2f/%.2f", a.Confusion, a.Frustration))
			if i < 20 && (a.ConfusionHigh || a.FrustrationHigh) {
				t.Fatalf("frown=%v: resting frame %d turned affect high: %+v", frown, i, a)
			}
			if a.ConfusionHigh && high < 0 {
				high = i
			}
		}
		t.Logf("frown=%v: confusion/frustration per frame: %s", frown, strings.Join(trace, " "))
		a := f.srv.Affect(id)
		_, out := f.json("POST", "/v1/conversations/"+id+"/messages", map[string]string{"text": "what do I do now"})
		raw, _ := json.Marshal(out["reply"].(map[string]any)["style"])
		var st dialogue.Style
		json.Unmarshal(raw, &st)
		if !frown {
			if high >= 0 || a.Confusion > 0.3 || a.Frustration > 0.3 || st.Simplified {
				t.Errorf("a resting face moved affect: %+v, style %+v", a, st)
			}
			continue
		}
		if high < 0 || high > 30 {
			t.Fatalf("lowered brows did not turn confusion high within 2 s (frame %d): %+v", high, a)
		}
		t.Logf("confusion high %s after the brows lowered", time.Duration(high-19)*200*time.Millisecond)
		cause := ""
		for _, c := range a.Why {
			if strings.HasPrefix(c.Source, "face: brows lowered for ") && c.Dimension == "confusion" {
				cause = c.Source
			}
		}
		if cause == "" {
			t.Errorf("no cause names the lowered brows: %+v", a.Why)
		}
		t.Logf("cause: %s", cause)
		if !st.Simplified || !st.VisualFirst || st.StepsPerMessage != 1 {
			t.Errorf("reply style did not adapt to confusion: %+v", st)
		}
	}
}

// fakeCues stands in for the face stage with landmarks: every frame a calm, slightly surprised
// expression, and from the frame whose first byte is 'F' on, lowered brows.
type fakeCues struct{}

func (fakeCues) Name() string              { return face.StageID }
func (fakeCues) Accepts(k media.Kind) bool { return k == media.Image }
func (fakeCues) Process(_ context.Context, it media.Item, _ perception.Expectation) ([]perception.Observation, error) {
	src := perception.Source{MessageID: it.MessageID, Modality: it.Modality, Stage: face.StageID, Start: it.Offset}
	obs := []perception.Observation{{Kind: perception.KindEmotion, Value: map[string]float64{"neutral": 0.6, "surprise": 0.4}, Confidence: 0.9, Source: src}}
	cue := perception.Observation{Kind: perception.KindAffectCue, Value: map[string]float64{"confusion": 0, "frustration": 0}, Confidence: 0.9, Source: src}
	if len(it.Data) > 0 && it.Data[0] == 'F' {
		cue.Value = map[string]float64{"confusion": 0.8, "frustration": 0.3, face.CueBrowLower: 1}
		cue.Text = "brows lowered for 1 s"
	}
	return append(obs, cue), nil
}

// TestFaceCueFusion checks the fusion of landmark cues without the models: the expression's
// surprise no longer counts as confusion once cues come, lowered brows turn confusion high within
// a second and a half, and the cause names the cue.
func TestFaceCueFusion(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	f := newFixture(t, t.TempDir(), server.Options{Now: clk.Now, Stages: []perception.Stage{fakeCues{}, mustStage(t, "text.nlu")}})
	id := f.conversation("telecom")
	send := func(b byte) dialogue.Affect {
		clk.add(200 * time.Millisecond)
		if err := f.srv.Observe(context.Background(), id, []media.Item{{Kind: media.Image, Modality: media.ModVideo, Data: []byte{b}}}); err != nil {
			t.Fatal(err)
		}
		return f.srv.Affect(id)
	}
	for i := 0; i < 10; i++ {
		if a := send('N'); a.Confusion > 0.01 {
			t.Fatalf("a surprised look counted as confusion beside landmark cues: %+v", a)
		}
	}
	n := 0
	for a := send('F'); !a.ConfusionHigh; a = send('F') {
		if n++; n > 7 {
			t.Fatalf("lowered brows did not turn confusion high: %+v", a)
		}
	}
	a := f.srv.Affect(id)
	if a.FrustrationHigh {
		t.Errorf("brows alone turned frustration high: %+v", a)
	}
	last := a.Why[len(a.Why)-1]
	if last.Source != "face: brows lowered for 1 s" || last.Dimension == "" || last.MessageID != "live:"+id {
		t.Errorf("last cause %+v", last)
	}
}

package server_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
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

package textcue

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name                   string
		text                   string
		minF, maxF, minC, maxC float64
	}{
		{"neutral", "my internet is down", 0, 0, 0, 0},
		{"neutral question", "How do I reset my router?", 0, 0.1, 0, 0.1},
		{"ridiculous", "This is ridiculous.", 0.5, 1, 0, 0},
		{"already told", "I already told you my account number", 0.5, 1, 0, 0},
		{"three times", "I already did that. This is ridiculous, nothing works and I have told you three times!", 0.85, 1, 0, 0},
		{"so frustrating", "This is so frustrating", 0.7, 1, 0, 0},
		{"plain frustrating", "this is frustrating", 0.5, 0.7, 0, 0},
		{"dont understand", "I don't understand", 0, 0, 0.6, 1},
		{"what do you mean", "what do you mean?", 0, 0.2, 0.6, 1},
		{"what cable", "What cable?", 0, 0, 0.4, 1},
		{"confused", "I'm confused", 0, 0, 0.6, 1},
		{"mixed", "I don't understand what you mean. What cable? This is so frustrating.", 0.7, 1, 0.8, 1},
		{"negated frustrated", "I'm not frustrated, just asking", 0, 0, 0, 0},
		{"negated confused", "I am not confused", 0, 0, 0, 0},
		{"no problem", "No problem, thanks!", 0, 0, 0, 0},
		{"not really angry", "I'm not really angry", 0, 0, 0, 0},
		{"negation before but", "I'm not one to complain but this is ridiculous", 0.5, 1, 0, 0},
		{"shouting", "WHY IS MY INTERNET DOWN AGAIN", 0.3, 0.5, 0, 0},
		{"shouting with cue", "NOTHING WORKS!!", 0.7, 1, 0, 0},
		{"curly apostrophe", "I don\u2019t understand", 0, 0, 0.6, 1},
		{"no contraction", "i dont get it", 0, 0, 0.6, 1},
		{"empty", "", 0, 0, 0, 0},
		{"agreement", "I see what you mean, thanks", 0, 0, 0, 0},
		{"what you mean", "I don't get what you mean", 0, 0.2, 0.7, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Analyze(tc.text)
			if r.Frustration < tc.minF || r.Frustration > tc.maxF {
				t.Errorf("frustration = %.3f, want [%.2f, %.2f] (matches %+v)", r.Frustration, tc.minF, tc.maxF, r.Matches)
			}
			if r.Confusion < tc.minC || r.Confusion > tc.maxC {
				t.Errorf("confusion = %.3f, want [%.2f, %.2f] (matches %+v)", r.Confusion, tc.minC, tc.maxC, r.Matches)
			}
		})
	}
}

func TestStage(t *testing.T) {
	s := Stage{}
	if !s.Accepts(media.Text) || s.Accepts(media.Image) {
		t.Fatal("stage should accept text only")
	}
	item := media.Item{MessageID: "m1", Part: 2, Kind: media.Text, Modality: media.ModVoice, Text: "I don't understand, this is so frustrating!"}
	obs, err := s.Process(context.Background(), item, perception.Expectation{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 {
		t.Fatalf("got %d observations, want 1", len(obs))
	}
	o := obs[0]
	v, ok := o.Value.(map[string]float64)
	if o.Kind != perception.KindAffectCue || !ok || v[Frustration] <= 0.5 || v[Confusion] <= 0.5 {
		t.Fatalf("observation = %+v", o)
	}
	if o.Source.Stage != StageID || o.Source.Modality != media.ModVoice || o.Source.Part != 2 || o.Text == "" {
		t.Fatalf("source = %+v text %q", o.Source, o.Text)
	}
	obs, _ = s.Process(context.Background(), media.Item{Kind: media.Text, Text: "my router is blinking"}, perception.Expectation{})
	if len(obs) != 0 {
		t.Fatalf("neutral text gave %+v", obs)
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"This is ridiculous!", "what cable?", "I'm not confused", "ÄÖ!!??", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Analyze(s)
		if r.Frustration < 0 || r.Frustration > 1 || r.Confusion < 0 || r.Confusion > 1 {
			t.Fatalf("out of range: %+v", r)
		}
	})
}

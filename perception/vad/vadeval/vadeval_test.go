package vadeval

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testmedia"
	"github.com/parleyhq/parley/perception/vad"
)

func sources(t *testing.T) []Source {
	t.Helper()
	var out []Source
	for i, text := range []string{"one", "two hundred", "yes", "no thanks", "four", "seven"} {
		out = append(out, Source{Samples: testmedia.Speech(t, text).Samples, Speaker: string(rune('a' + i%2))})
	}
	return out
}

// TestTruthIsConsistent checks the truth Build writes: speech inside utterances, in order, bursts
// in the pauses, and the stream long enough to hold them.
func TestTruthIsConsistent(t *testing.T) {
	srcs := sources(t)
	for _, c := range []Condition{{Kind: "quiet"}, {Kind: "white", SNR: 5}, {Kind: "babble", SNR: 10}} {
		built, err := Build(rand.New(rand.NewPCG(1, 2)), srcs, 6, c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range built {
			if len(st.Utterances) != 4 || len(st.Speech) < 4 || len(st.Soft) != len(st.Speech) {
				t.Fatalf("%s: %d utterances, %d speech spans", c, len(st.Utterances), len(st.Speech))
			}
			for i, u := range st.Utterances {
				if u.End <= u.Start || (i > 0 && u.Start-st.Utterances[i-1].End < 700*time.Millisecond) {
					t.Errorf("%s: utterance %d %v too close to the one before", c, i, u)
				}
			}
			for _, b := range st.Bursts {
				for _, sp := range st.Speech {
					if b.Overlaps(sp) {
						t.Errorf("%s: burst %v overlaps speech %v", c, b, sp)
					}
				}
			}
			if end := st.Utterances[3].End; dur(len(st.Samples)) < end+time.Second {
				t.Errorf("%s: stream ends %v after the last speech", c, dur(len(st.Samples))-end)
			}
		}
	}
	if _, err := Build(rand.New(rand.NewPCG(1, 2)), srcs[:1], 1, Condition{Kind: "quiet"}, Options{}); err == nil {
		t.Error("one speaker accepted")
	}
	if _, err := Build(rand.New(rand.NewPCG(1, 2)), srcs, 1, Condition{Kind: "pink"}, Options{}); err == nil {
		t.Error("unknown noise accepted")
	}
}

// TestScorePerfectAndEmpty scores detections equal to the truth (no error) and none at all
// (every utterance missed).
func TestScorePerfectAndEmpty(t *testing.T) {
	built, err := Build(rand.New(rand.NewPCG(3, 4)), sources(t), 3, Condition{Kind: "quiet"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var perfect, empty Score
	for _, st := range built {
		var dets []Detection
		for _, u := range st.Utterances {
			dets = append(dets, Detection{Span: u, Kept: true, Audio: u})
		}
		perfect.Add(st, dets)
		empty.Add(st, nil)
	}
	if perfect.Missed+perfect.Split+perfect.Merged+perfect.FalseMessages+perfect.MissedFrames != 0 {
		t.Errorf("perfect detections scored %+v", perfect)
	}
	for _, d := range append(perfect.Onset, perfect.Offset...) {
		if d != 0 {
			t.Errorf("perfect detection has a boundary error of %v", d)
		}
	}
	if empty.Missed != empty.Utterances || empty.MissedFrames != empty.SpeechFrames || empty.NoiseOnly <= 0 {
		t.Errorf("no detections scored %+v", empty)
	}
}

// TestEnergyDetectorOnQuietStreams runs the real energy detector: in a quiet room it finds every
// utterance without a false trigger.
func TestEnergyDetectorOnQuietStreams(t *testing.T) {
	built, err := Build(rand.New(rand.NewPCG(5, 6)), sources(t), 4, Condition{Kind: "quiet"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sc Score
	for _, st := range built {
		sc.Add(st, Detect(st, vad.Config{}, 400*time.Millisecond))
	}
	if sc.Missed > 0 || sc.FalseMessages > 0 {
		t.Errorf("energy detector on quiet streams: %+v", sc)
	}
	if p := absQuantile(sc.Onset, 0.5); p > 100*time.Millisecond {
		t.Errorf("median onset error %v", p)
	}
}

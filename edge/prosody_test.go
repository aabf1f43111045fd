package edge_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/parleyhq/parley/edge"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/prosody"
)

// TestProsodyMatchesTheServer: the device's prosody of an utterance is the server stage's, and
// silence has none.
func TestProsodyMatchesTheServer(t *testing.T) {
	pcm := signal(2*time.Second, [][2]time.Duration{{200 * time.Millisecond, 1800 * time.Millisecond}})
	got, ok := edge.Prosody(pcm, 16000)
	if !ok {
		t.Fatal("no speech found")
	}
	obs := prosody.Observations(media.PCM{Samples: pcm, Rate: 16000})
	if len(obs) == 0 || obs[0].Kind != perception.KindProsody {
		t.Fatalf("server observations %+v", obs)
	}
	want := obs[0].Value.(map[string]float64)
	feat := map[string]float64{}
	for k, v := range got.Value {
		if k != "frustration" {
			feat[k] = v
		}
	}
	if !reflect.DeepEqual(feat, want) || got.Confidence != obs[0].Confidence {
		t.Fatalf("device %v (%.2f), server %v (%.2f)", got.Value, got.Confidence, want, obs[0].Confidence)
	}
	if got.Value["pitch_hz"] < 140 || got.Value["pitch_hz"] > 160 {
		t.Errorf("pitch %.1f Hz, want about 150", got.Value["pitch_hz"])
	}
	if _, ok := edge.Prosody(make([]int16, 16000), 16000); ok {
		t.Error("silence has prosody")
	}
	if _, ok := edge.Prosody(pcm[:100], 16000); ok {
		t.Error("a few samples have prosody")
	}
	// At 8 kHz the samples are brought to 16 kHz first.
	half := make([]int16, len(pcm)/2)
	for i := range half {
		half[i] = pcm[2*i]
	}
	if p, ok := edge.Prosody(half, 8000); !ok || p.Value["pitch_hz"] < 140 || p.Value["pitch_hz"] > 160 {
		t.Errorf("8 kHz: %+v %v", p, ok)
	}
}

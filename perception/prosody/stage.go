package prosody

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// StageID is the registry ID of the prosody stage.
const StageID = "audio.prosody"

// AgitatedAt is the frustration score from which an affect cue is emitted.
const AgitatedAt = 0.5

func init() {
	perception.Register(StageID, func(perception.Env) (perception.Stage, error) { return Stage{}, nil })
}

// Stage measures prosody of voice notes.
type Stage struct {
	// Limits bound decoded audio (default media.DefaultLimits).
	Limits media.Limits
}

var _ perception.Stage = Stage{}

// Name returns the stage ID.
func (Stage) Name() string { return StageID }

// Accepts reports whether the stage reads k.
func (Stage) Accepts(k media.Kind) bool { return k == media.Audio }

// Process emits a prosody observation (Value: map of pitch_hz, pitch_var, energy_db, rate_sps,
// pause_ratio) and, for clearly agitated speech, an affect_cue with Value {"frustration": x}.
func (s Stage) Process(ctx context.Context, item media.Item, _ perception.Expectation) ([]perception.Observation, error) {
	lim := s.Limits
	if lim == (media.Limits{}) {
		lim = media.DefaultLimits()
	}
	pcm, err := media.DecodeAudio(ctx, item.Data, lim)
	if err != nil {
		return nil, fmt.Errorf("prosody: %w", err)
	}
	return Observations(pcm), nil
}

// Observations measures pcm and returns the prosody observation and, when agitated, an affect cue.
func Observations(pcm media.PCM) []perception.Observation {
	f := Analyze(pcm)
	if f.Speech == 0 {
		return nil
	}
	src := perception.Source{Stage: StageID}
	conf := min(1, 0.3+0.1*f.Speech)
	obs := []perception.Observation{{Kind: perception.KindProsody, Value: f.Map(), Confidence: conf, Source: src}}
	if x := Frustration(f); x >= AgitatedAt {
		obs = append(obs, perception.Observation{
			Kind: perception.KindAffectCue, Value: map[string]float64{"frustration": x},
			Confidence: conf * 0.8, Text: "loud, fast, high-pitched speech", Source: src,
		})
	}
	return obs
}

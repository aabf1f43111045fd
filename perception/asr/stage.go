package asr

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// StageID is the registry ID of the speech recognition stage.
const StageID = "audio.asr"

func init() { perception.Register(StageID, NewStage) }

// Stage is the perception stage that turns a voice note into a transcript observation.
type Stage struct {
	rec *Recognizer
}

var (
	_ perception.Stage  = (*Stage)(nil)
	_ perception.Closer = (*Stage)(nil)
)

// NewStage builds the stage from the environment. Options under "audio.asr": model_dir, and for
// cloud transcription cloud_url, model and api_key_env (the name of the variable holding the key).
func NewStage(env perception.Env) (perception.Stage, error) {
	opts := env.Options[StageID]
	cfg := Config{ModelDir: opts["model_dir"], Packs: env.Packs}
	if u := opts["cloud_url"]; u != "" {
		cfg.Cloud = &Cloud{URL: u, Model: opts["model"]}
		if k := opts["api_key_env"]; k != "" {
			cfg.Cloud.APIKey = os.Getenv(k)
		}
	}
	rec, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &Stage{rec: rec}, nil
}

// NewStageWith wraps an existing recogniser as a stage.
func NewStageWith(rec *Recognizer) *Stage { return &Stage{rec: rec} }

// Name returns the stage ID.
func (s *Stage) Name() string { return StageID }

// Accepts reports whether the stage reads k.
func (s *Stage) Accepts(k media.Kind) bool { return k == media.Audio }

// Close frees the decoders.
func (s *Stage) Close(ctx context.Context) error { return s.rec.Close(ctx) }

// Process decodes the audio and emits one transcript observation: Value is the text, Confidence
// the recogniser's, Alts the N-best and Source.Start/End the span of the words. Silent audio gives
// media.ErrSilent, undecodable audio media.ErrCorrupt.
func (s *Stage) Process(ctx context.Context, item media.Item, e perception.Expectation) ([]perception.Observation, error) {
	pcm, err := media.DecodeAudio(ctx, item.Data, s.rec.cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("asr: %w", err)
	}
	res, err := s.rec.Recognize(ctx, pcm, e)
	if errors.Is(err, ErrNoSpeech) {
		return nil, fmt.Errorf("asr: %w", media.ErrSilent)
	}
	if err != nil {
		return nil, err
	}
	text := ""
	if res.Low {
		text = "low confidence"
	}
	return []perception.Observation{{
		Kind:       perception.KindTranscript,
		Value:      res.Text,
		Text:       text,
		Confidence: res.Confidence,
		Alts:       res.Alts,
		Source: perception.Source{
			Stage: StageID, Start: item.Offset + res.Start, End: item.Offset + res.End,
		},
	}}, nil
}

// Complete reports whether live speech so far already answers e in full; see Recognizer.Complete.
// Processing the same speech as a WAV item afterwards reuses its decode.
func (s *Stage) Complete(ctx context.Context, pcm media.PCM, e perception.Expectation) bool {
	return s.rec.Complete(ctx, pcm, e)
}

// Unfinished reports whether live speech so far is plainly an unfinished answer to e; see
// Recognizer.Unfinished.
func (s *Stage) Unfinished(ctx context.Context, pcm media.PCM, e perception.Expectation) bool {
	return s.rec.Unfinished(ctx, pcm, e)
}

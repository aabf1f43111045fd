package asr

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// Stock is pocketsphinx as its command line decodes by default: the general English model
// (en-us.lm.bin) with the full dictionary, no grammar, no domain model, no denoising. Evaluation
// runs it on the same audio as the comparison line. It is not safe for concurrent use.
type Stock struct {
	d *decoder
}

// NewStock loads the stock decoder from modelDir (default DefaultModelDir). It returns an error
// wrapping perception.ErrUnavailable when the model is not installed.
func NewStock(modelDir string) (*Stock, error) {
	if modelDir == "" {
		modelDir = DefaultModelDir
	}
	hmm := filepath.Join(modelDir, "en-us")
	dict := filepath.Join(modelDir, "cmudict-en-us.dict")
	lm := filepath.Join(modelDir, "en-us.lm.bin")
	for _, p := range []string{filepath.Join(hmm, "mdef"), dict, lm} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w: pocketsphinx model file %s is missing (apt-get install pocketsphinx-en-us)", perception.ErrUnavailable, p)
		}
	}
	// pocketsphinx's own defaults: none of the recogniser's pruning, dither or search settings.
	d, err := newDecoderWith(hmm, dict, nil, []string{"-logfn", "/dev/null", "-lm", lm})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", perception.ErrUnavailable, err)
	}
	return &Stock{d: d}, nil
}

// Recognize transcribes 16 kHz mono speech with the stock settings, as one whole utterance the
// way pocketsphinx_batch decodes a file.
func (s *Stock) Recognize(pcm media.PCM) (string, error) {
	if pcm.Rate != media.SpeechRate {
		return "", fmt.Errorf("asr: audio at %d Hz, want %d", pcm.Rate, media.SpeechRate)
	}
	h, err := s.d.decodeUtt("_default", pcm.Samples, 0, true)
	return h.Text, err
}

// Close frees the decoder.
func (s *Stock) Close() { s.d.close() }

package asr

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// Complete reports whether the speech so far already forms a whole answer to what the dialogue
// expects: a confident grammar reading of a yes or no, one of the menu choices, or an amount
// that ends in "dollars" or "cents". Open speech, digit strings and dates are never complete
// here, so a live caller keeps waiting for the full trailing silence. The readings are kept,
// so the next Recognize of the same samples under the same expectation does not decode again.
func (r *Recognizer) Complete(ctx context.Context, pcm media.PCM, e perception.Expectation) bool {
	switch e.Type {
	case "yesno", "amount", "choice":
	default:
		return false
	}
	res, err := r.recognize(ctx, pcm, e, true)
	if err != nil || res.Search != "grammar" || res.Low {
		return false
	}
	return completeAnswer(res.Text, e)
}

// Unfinished reports whether the speech so far is plainly an unfinished amount: its reading ends
// in a word an amount cannot end with ("one thousand", "two hundred and", "ten point"), so a
// live caller who pauses there is waited for. It reuses the decode Complete kept.
func (r *Recognizer) Unfinished(ctx context.Context, pcm media.PCM, e perception.Expectation) bool {
	if e.Type != "amount" {
		return false
	}
	res, err := r.recognize(ctx, pcm, e, true)
	if err != nil {
		return false
	}
	return unfinishedAmount(res.Text)
}

// unfinishedAmount reports whether a spoken amount ends in a word that needs more after it.
func unfinishedAmount(text string) bool {
	words := strings.Fields(text)
	if len(words) == 0 {
		return false
	}
	switch words[len(words)-1] {
	case "thousand", "hundred", "million", "and", "point":
		return true
	}
	return false
}

// completeAnswer reports whether a grammar reading answers e in full.
func completeAnswer(text string, e perception.Expectation) bool {
	words := strings.Fields(text)
	if len(words) == 0 {
		return false
	}
	switch e.Type {
	case "yesno":
		return true
	case "amount":
		last := words[len(words)-1]
		return last == "dollars" || last == "cents" || last == "dollar" || last == "cent"
	case "choice":
		return slices.ContainsFunc(e.Choices, func(c string) bool { return spoken(c, false) == text })
	}
	return false
}

// cacheSize is how many decodes a Recognizer keeps for a Recognize to take.
const cacheSize = 8

// cached is one kept decode: the samples, the expectation they were decoded under, and the
// readings.
type cached struct {
	expect  string
	samples []int16
	g, l    hyp
}

// expectKey identifies an expectation.
func expectKey(e perception.Expectation) string {
	b, _ := json.Marshal(e)
	return string(b)
}

// same reports whether a and b are the same audio, allowing the rounding of a trip through a
// WAV file and float samples.
func same(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := int(a[i]) - int(b[i]); d > 2 || d < -2 {
			return false
		}
	}
	return true
}

// take removes and returns the kept readings of samples under e.
func (r *Recognizer) take(samples []int16, e string) (g, l hyp, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, c := range r.recent {
		if c.expect == e && same(c.samples, samples) {
			r.recent = slices.Delete(r.recent, i, i+1)
			return c.g, c.l, true
		}
	}
	return g, l, false
}

// keep stores the readings of samples under e, dropping the oldest beyond cacheSize.
func (r *Recognizer) keep(samples []int16, e string, g, l hyp) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recent) >= cacheSize {
		r.recent = r.recent[1:]
	}
	r.recent = append(r.recent, cached{e, slices.Clone(samples), g, l})
}

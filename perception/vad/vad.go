// Package vad finds speech in a live audio stream: a Classifier says which 10 ms frames are
// speech (by default Energy: frame energy over an adaptive noise floor and the share of energy in
// the speech band; perception/vad/silero supplies the Silero model), and the Detector turns that
// into utterances, ending each after a stretch of trailing silence. It is pure Go.
package vad

import (
	"math"
	"time"
)

// Config tunes a Detector. Zero fields take the defaults.
type Config struct {
	// Rate is the sample rate in Hz (default 16000).
	Rate int
	// EndSilence is the trailing silence that ends an utterance (default 600 ms).
	EndSilence time.Duration
	// PauseSilence, when set and shorter than EndSilence, reports a SpeechPause after this much
	// trailing silence, so the caller can judge whether the utterance is already complete and
	// end it early with End (default 0: no pause events).
	PauseSilence time.Duration
	// MinSpeech is the shortest speech kept as an utterance; shorter bursts are noise (default 120 ms).
	MinSpeech time.Duration
	// PreRoll is audio kept before the detected onset, so the first sound is not clipped (default 300 ms).
	PreRoll time.Duration
	// MaxUtterance ends an utterance that runs this long (default 30 s).
	MaxUtterance time.Duration
	// OnsetDB is how far above the noise floor a frame must be to start speech (default 9 dB).
	// Only the energy classifier uses it.
	OnsetDB float64
	// Classifier decides which frames are speech (default the energy classifier, NewEnergy).
	// It must not be shared between detectors.
	Classifier Classifier
}

func (c Config) withDefaults() Config {
	if c.Rate <= 0 {
		c.Rate = 16000
	}
	if c.EndSilence <= 0 {
		c.EndSilence = 600 * time.Millisecond
	}
	if c.MinSpeech <= 0 {
		c.MinSpeech = 120 * time.Millisecond
	}
	if c.PreRoll <= 0 {
		c.PreRoll = 300 * time.Millisecond
	}
	if c.MaxUtterance <= 0 {
		c.MaxUtterance = 30 * time.Second
	}
	if c.OnsetDB <= 0 {
		c.OnsetDB = 9
	}
	return c
}

// EventType says what happened in the stream.
type EventType int

// The events a Detector reports.
const (
	SpeechStart EventType = iota + 1
	SpeechEnd
	// SpeechPause reports PauseSilence of trailing silence inside an utterance; it carries the
	// utterance so far, trimmed as a SpeechEnd would be. Speech may still resume.
	SpeechPause
)

// Event is a change in the stream. A SpeechEnd carries the utterance's samples, from just before
// the onset to a little after the last speech.
type Event struct {
	Type EventType
	// At is the stream time of the event: the onset for SpeechStart, the end of speech for SpeechEnd.
	At        time.Duration
	Utterance []int16
}

// Detector is a streaming voice activity and end-of-utterance detector. It is not safe for
// concurrent use.
type Detector struct {
	cfg      Config
	cls      Classifier
	frame    int // samples per 10 ms frame
	pending  []int16
	frames   int64 // frames seen
	speaking bool
	onset    int // consecutive loud frames
	silent   int // consecutive quiet frames while speaking
	voiced   int // speech frames in the utterance
	sure     int // of those, the frames the classifier was sure of
	ring     []int16
	utt      []int16
	endAt    int64
	hold     int // trailing silence, in frames, that ends the utterance in progress when longer than EndSilence
}

// New returns a detector.
func New(cfg Config) *Detector {
	cfg = cfg.withDefaults()
	if cfg.Classifier == nil {
		cfg.Classifier = NewEnergy(cfg.Rate, cfg.OnsetDB)
	}
	return &Detector{cfg: cfg, frame: cfg.Rate / 100, cls: cfg.Classifier}
}

// Speaking reports whether the detector is inside an utterance.
func (d *Detector) Speaking() bool { return d.speaking }

// Voiced returns how much speech the utterance in progress holds so far; zero outside one.
func (d *Detector) Voiced() time.Duration {
	if !d.speaking {
		return 0
	}
	return d.ms(d.voiced)
}

// Sure returns how much of the utterance in progress the classifier is sure is speech (all of its
// voiced frames unless it is a Surer); zero outside one. A barge-in waits for this, so a sound
// only one of several classifiers takes for speech does not stop a reply.
func (d *Detector) Sure() time.Duration {
	if !d.speaking {
		return 0
	}
	return d.ms(d.sure)
}

// Silence returns the trailing silence of the utterance in progress; zero outside one.
func (d *Detector) Silence() time.Duration {
	if !d.speaking {
		return 0
	}
	return d.ms(d.silent)
}

// NoiseFloor returns the energy classifier's noise floor estimate in dBFS, or NaN when the
// detector uses another classifier.
func (d *Detector) NoiseFloor() float64 {
	if e, ok := d.cls.(*Energy); ok {
		return e.floor
	}
	return math.NaN()
}

func (d *Detector) ms(frames int) time.Duration { return time.Duration(frames) * 10 * time.Millisecond }

func (d *Detector) framesOf(t time.Duration) int { return int(t / (10 * time.Millisecond)) }

// Write feeds samples and returns the events they complete.
func (d *Detector) Write(samples []int16) []Event {
	var evs []Event
	d.pending = append(d.pending, samples...)
	for len(d.pending) >= d.frame {
		f := d.pending[:d.frame]
		if ev, ok := d.step(f); ok {
			evs = append(evs, ev)
		}
		d.pending = d.pending[d.frame:]
	}
	// Keep the pending buffer from pinning a large backing array.
	d.pending = append([]int16(nil), d.pending...)
	return evs
}

// Flush ends the stream: an utterance in progress is returned as a SpeechEnd event.
func (d *Detector) Flush() (Event, bool) {
	if !d.speaking {
		return Event{}, false
	}
	return d.finish()
}

func (d *Detector) step(f []int16) (Event, bool) {
	d.frames++
	voiced := d.cls.Voiced(f, d.speaking)
	sure := voiced
	if s, ok := d.cls.(Surer); ok && voiced {
		sure = s.Sure()
	}
	if !d.speaking {
		d.ring = append(d.ring, f...)
		if keep := d.framesOf(d.cfg.PreRoll) * d.frame; len(d.ring) > keep {
			d.ring = append(d.ring[:0:0], d.ring[len(d.ring)-keep:]...)
		}
		if voiced {
			d.onset++
			if sure {
				d.sure++
			}
		} else {
			d.onset, d.sure = 0, 0
		}
		if d.onset >= 3 {
			d.speaking, d.silent, d.voiced = true, 0, d.onset
			d.utt = append(d.utt[:0:0], d.ring...)
			d.ring = nil
			d.onset = 0
			return Event{Type: SpeechStart, At: d.ms(int(d.frames) - 3)}, true
		}
		return Event{}, false
	}
	d.utt = append(d.utt, f...)
	if voiced {
		d.silent = 0
		d.voiced++
		if sure {
			d.sure++
		}
		d.endAt = d.frames
	} else {
		d.silent++
	}
	if p := d.framesOf(d.cfg.PauseSilence); p > 0 && d.silent == p && p < d.framesOf(d.cfg.EndSilence) && d.ms(d.voiced) >= d.cfg.MinSpeech {
		return Event{Type: SpeechPause, At: d.ms(int(d.endAt)), Utterance: d.trimmed()}, true
	}
	if d.silent >= max(d.framesOf(d.cfg.EndSilence), d.hold) || len(d.utt) >= d.framesOf(d.cfg.MaxUtterance)*d.frame {
		return d.finish()
	}
	return Event{}, false
}

// Hold keeps the utterance in progress open until t of trailing silence, when that is longer than
// EndSilence: a caller that knows the speech so far is plainly unfinished ("one thousand …")
// waits through a longer pause instead of cutting the answer in two. It lapses when the
// utterance ends.
func (d *Detector) Hold(t time.Duration) {
	if d.speaking {
		d.hold = d.framesOf(t)
	}
}

// End ends the utterance in progress now, as if its trailing silence had run out; it returns
// what Flush returns. Use it after a SpeechPause when the utterance is judged complete.
func (d *Detector) End() (Event, bool) { return d.Flush() }

// trimmed returns the utterance so far with its trailing silence trimmed to 200 ms.
func (d *Detector) trimmed() []int16 {
	tail := int(d.frames-d.endAt) - 20
	utt := d.utt
	if tail > 0 && tail*d.frame < len(utt) {
		utt = utt[:len(utt)-tail*d.frame]
	}
	return utt[:len(utt):len(utt)]
}

// finish closes the utterance, trimming trailing silence to 200 ms.
func (d *Detector) finish() (Event, bool) {
	d.speaking = false
	utt := d.trimmed()
	d.utt = nil
	d.silent, d.hold, d.sure = 0, 0, 0
	if d.ms(d.voiced) < d.cfg.MinSpeech {
		return Event{}, false
	}
	return Event{Type: SpeechEnd, At: d.ms(int(d.endAt)), Utterance: utt}, true
}

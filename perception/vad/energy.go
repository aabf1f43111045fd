package vad

import "math"

// Classifier decides, frame by frame, whether audio is speech. A Detector feeds it every 10 ms
// frame in order; speaking says whether an utterance is in progress, so a classifier can hold a
// lower threshold inside speech than it needs to start it (hysteresis). A Classifier keeps
// stream state and serves one Detector.
type Classifier interface {
	Voiced(frame []int16, speaking bool) bool
}

// Energy is the pure-Go classifier: frame energy over an adaptive noise floor and the share of
// energy in the speech band.
type Energy struct {
	rate    int
	onsetDB float64
	floor   float64
	started bool
	lp      float64 // low-pass state for the speech-band measure
	prev    float64
}

var _ Classifier = (*Energy)(nil)

// NewEnergy returns an energy classifier for audio at rate Hz (default 16000) that starts speech
// onsetDB above the noise floor (default 9 dB) and holds it down to 3 dB less.
func NewEnergy(rate int, onsetDB float64) *Energy {
	if rate <= 0 {
		rate = 16000
	}
	if onsetDB <= 0 {
		onsetDB = 9
	}
	return &Energy{rate: rate, onsetDB: onsetDB}
}

// Voiced reports whether the frame is loud enough over the noise floor, and, to start speech,
// whether it keeps its energy in the speech band. Frames that are not speech move the floor.
func (e *Energy) Voiced(f []int16, speaking bool) bool {
	db, band := e.measure(f)
	if !e.started {
		e.floor, e.started = db, true
	}
	var v bool
	if speaking {
		v = db > e.floor+e.onsetDB-3 && db > -60
	} else {
		v = db > e.floor+e.onsetDB && db > -60 && band > 0.2
	}
	if !v {
		e.track(db)
	}
	return v
}

// track moves the noise floor: quickly down, slowly up.
func (e *Energy) track(db float64) {
	if db < e.floor {
		e.floor = 0.7*e.floor + 0.3*db
	} else {
		e.floor = 0.97*e.floor + 0.03*db
	}
}

// measure returns the frame's loudness in dBFS and the share of its energy below about 4 kHz after
// removing the lowest hum: voiced speech keeps most energy there, hiss does not.
func (e *Energy) measure(f []int16) (float64, float64) {
	var all, low float64
	a := math.Exp(-2 * math.Pi * 4000 / float64(e.rate))
	for _, s := range f {
		x := float64(s) / 32768
		hp := x - e.prev // first difference removes DC and hum
		e.prev = x
		e.lp = a*e.lp + (1-a)*hp
		all += hp * hp
		low += e.lp * e.lp
	}
	var sum float64
	for _, s := range f {
		x := float64(s) / 32768
		sum += x * x
	}
	db := 10 * math.Log10(sum/float64(len(f))+1e-10)
	if all == 0 {
		return db, 0
	}
	return db, low / all
}

// Surer is optionally implemented by a Classifier that can tell, of the frame it last called
// voiced, whether it is sure: Detector.Sure counts only those frames.
type Surer interface {
	Sure() bool
}

// Either is a classifier that hears speech when any of its classifiers does, and is sure of it
// when all of them do. Every frame goes to all of them, so each keeps its own state.
type Either []Classifier

// either is the state Either needs: how many of its classifiers heard the last frame.
type either struct {
	cls   Either
	heard int
}

// NewEither returns a classifier that hears speech when any of cls does and is sure when all do.
func NewEither(cls ...Classifier) Classifier { return &either{cls: cls} }

var _ Surer = (*either)(nil)

// Voiced reports whether any classifier hears speech in the frame.
func (e *either) Voiced(f []int16, speaking bool) bool {
	e.heard = 0
	for _, c := range e.cls {
		if c.Voiced(f, speaking) {
			e.heard++
		}
	}
	return e.heard > 0
}

// Sure reports whether every classifier heard the last frame.
func (e *either) Sure() bool { return e.heard == len(e.cls) }

// Parts returns the classifiers, for callers that ask them for errors.
func (e *either) Parts() []Classifier { return e.cls }

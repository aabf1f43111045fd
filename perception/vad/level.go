package vad

import "math"

// Level wraps a classifier so that, inside an utterance, a frame counts as speech only while it
// stays within DropDB of the talker's own level (the loudest 50 ms of the utterance so far,
// decaying slowly). Steady background talk (babble) that a classifier rightly hears as speech
// then no longer holds an utterance open once the customer stops: their voice is louder than it.
type Level struct {
	Inner Classifier
	// DropDB is how far under the talker's level a frame may fall and still hold the utterance.
	DropDB float64

	level  float64 // dBFS; -Inf outside an utterance
	smooth float64 // mean square over the last five frames
	hist   [5]float64
	n      int
}

// NewLevel returns a Level around inner with the given drop (default 15 dB).
func NewLevel(inner Classifier, dropDB float64) *Level {
	if dropDB <= 0 {
		dropDB = 15
	}
	return &Level{Inner: inner, DropDB: dropDB, level: math.Inf(-1)}
}

var _ Surer = (*Level)(nil)

// Voiced reports what Inner reports, except that inside an utterance a frame far under the
// talker's level is not speech.
func (l *Level) Voiced(f []int16, speaking bool) bool {
	v := l.Inner.Voiced(f, speaking)
	var e float64
	for _, s := range f {
		x := float64(s) / 32768
		e += x * x
	}
	l.hist[l.n%len(l.hist)] = e / float64(max(1, len(f)))
	l.n++
	var m float64
	for _, h := range l.hist {
		m += h
	}
	db := 10 * math.Log10(m/float64(len(l.hist))+1e-10)
	if !speaking {
		l.level = math.Inf(-1)
		if v {
			l.level = db
		}
		return v
	}
	l.level = max(l.level-0.02, db) // 2 dB a second of decay follows a talker who gets quieter
	return v && db > l.level-l.DropDB
}

// Sure passes on Inner's answer when it has one.
func (l *Level) Sure() bool {
	if s, ok := l.Inner.(Surer); ok {
		return s.Sure()
	}
	return true
}

// Parts returns the wrapped classifier, for callers that ask it for errors.
func (l *Level) Parts() []Classifier { return []Classifier{l.Inner} }

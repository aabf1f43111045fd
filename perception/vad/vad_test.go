package vad

import (
	"github.com/parleyhq/parley/internal/testmedia"
	"math/rand/v2"
	"testing"
	"time"
)

func speak(t *testing.T, text string) []int16 { return testmedia.Speech(t, text).Samples }

func noise(r *rand.Rand, n int, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(r.NormFloat64() * amp)
	}
	return out
}

// mix adds noise at the given amplitude to s.
func mix(r *rand.Rand, s []int16, amp float64) []int16 {
	out := make([]int16, len(s))
	for i, v := range s {
		out[i] = int16(max(-32768, min(32767, float64(v)+r.NormFloat64()*amp)))
	}
	return out
}

// feed writes the stream in random chunk sizes and collects the events.
func feed(d *Detector, r *rand.Rand, s []int16) []Event {
	var evs []Event
	for len(s) > 0 {
		n := min(len(s), 160+r.IntN(1600))
		evs = append(evs, d.Write(s[:n])...)
		s = s[n:]
	}
	if ev, ok := d.Flush(); ok {
		evs = append(evs, ev)
	}
	return evs
}

func TestUtterances(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := speak(t, "I want to deposit a check")
	b := speak(t, "yes")
	sec := 16000
	cases := []struct {
		name  string
		noise float64
	}{
		{"quiet room", 30},
		{"noisy room", 600},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s []int16
			s = append(s, make([]int16, sec)...)
			s = append(s, a...)
			s = append(s, make([]int16, sec)...)
			s = append(s, b...)
			s = append(s, make([]int16, sec)...)
			s = mix(r, s, tc.noise)
			evs := feed(New(Config{}), r, s)
			for _, e := range evs {
				t.Logf("event %d at %s, %d samples", e.Type, e.At, len(e.Utterance))
			}
			var starts, ends []Event
			for _, e := range evs {
				if e.Type == SpeechStart {
					starts = append(starts, e)
				} else {
					ends = append(ends, e)
				}
			}
			if len(starts) != 2 || len(ends) != 2 {
				t.Fatalf("got %d starts and %d ends, want 2 and 2", len(starts), len(ends))
			}
			for i, want := range []int{len(a), len(b)} {
				got := len(ends[i].Utterance)
				if got < want-1600 || got > want+12000 {
					t.Errorf("utterance %d: %d samples, want about %d", i, got, want)
				}
			}
			// The first onset is about one second in.
			if at := starts[0].At; at < 900*time.Millisecond || at > 1300*time.Millisecond {
				t.Errorf("onset at %s", at)
			}
		})
	}
}

func TestNoiseAloneIsNotSpeech(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var s []int16
	s = append(s, noise(r, 16000, 20)...)
	s = append(s, noise(r, 5*16000, 2000)...) // a fan switched on
	click := make([]int16, 16000)
	for i := 8000; i < 8080; i++ {
		click[i] = 20000
	}
	s = append(s, click...)
	evs := feed(New(Config{}), r, s)
	ends := 0
	for _, e := range evs {
		if e.Type == SpeechEnd {
			ends++
		}
	}
	if ends > 1 {
		t.Fatalf("%d utterances in noise", ends)
	}
}

func BenchmarkDetector(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	s := noise(r, 16000*5, 500)
	b.SetBytes(int64(len(s) * 2))
	for b.Loop() {
		d := New(Config{})
		d.Write(s)
	}
}

func TestPauseThenEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	a := speak(t, "yes")
	var s []int16
	s = append(s, make([]int16, 8000)...)
	s = append(s, a...)
	s = append(s, make([]int16, 16000)...)
	s = mix(r, s, 30)
	d := New(Config{PauseSilence: 250 * time.Millisecond})
	var pause, end *Event
	for len(s) > 0 && end == nil {
		n := min(len(s), 320)
		for _, e := range d.Write(s[:n]) {
			switch e.Type {
			case SpeechPause:
				pause = &e
				if got := d.Silence(); got < 250*time.Millisecond {
					t.Errorf("silence %s at the pause", got)
				}
				if ev, ok := d.End(); ok {
					end = &ev
				}
			case SpeechEnd:
				t.Fatal("utterance ended by its full silence, not by the pause")
			}
		}
		s = s[n:]
	}
	if pause == nil || end == nil {
		t.Fatalf("pause %v, end %v", pause != nil, end != nil)
	}
	if len(pause.Utterance) != len(end.Utterance) || pause.At != end.At {
		t.Errorf("pause %d samples at %s, end %d samples at %s", len(pause.Utterance), pause.At, len(end.Utterance), end.At)
	}
	if got, want := len(end.Utterance), len(a); got < want-1600 || got > want+8000 {
		t.Errorf("utterance %d samples, want about %d", got, want)
	}
	if d.Speaking() {
		t.Error("still speaking after End")
	}
}

// TestHoldKeepsPauseInside: a one-second pause ends an utterance at the default 600 ms of
// silence, but not once the caller holds it open for longer; the hold lapses with the utterance.
func TestHoldKeepsPauseInside(t *testing.T) {
	a, b := speak(t, "one thousand"), speak(t, "two hundred")
	var s []int16
	s = append(s, make([]int16, 8000)...)
	s = append(s, a...)
	s = append(s, make([]int16, 16000)...) // a second's pause inside the amount
	s = append(s, b...)
	s = append(s, make([]int16, 32000)...)
	for _, tc := range []struct {
		name string
		hold time.Duration
		want int
	}{
		{"no hold", 0, 2},
		{"held", 1500 * time.Millisecond, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 8))
			d := New(Config{PauseSilence: 250 * time.Millisecond})
			in := mix(r, s, 30)
			ends := 0
			for len(in) > 0 {
				n := min(len(in), 320)
				for _, e := range d.Write(in[:n]) {
					switch e.Type {
					case SpeechPause:
						d.Hold(tc.hold)
					case SpeechEnd:
						ends++
					}
				}
				in = in[n:]
			}
			if ends != tc.want {
				t.Errorf("%d utterances, want %d", ends, tc.want)
			}
		})
	}
}

// always hears speech in every frame, to test wrappers on their own.
type always struct{}

func (always) Voiced([]int16, bool) bool { return true }

// TestLevelEndsUnderTalker checks that vad.Level ends an utterance held open only by background
// 20 dB under the talker, and keeps one whose level stays near the talker's.
func TestLevelEndsUnderTalker(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	loud, bed := noise(r, 16000, 3000), noise(r, 32000, 300)
	d := New(Config{Classifier: NewLevel(always{}, 15)})
	var ends int
	for _, ev := range append(d.Write(loud), d.Write(bed)...) {
		if ev.Type == SpeechEnd {
			ends++
			if ev.At > 1100*time.Millisecond {
				t.Errorf("utterance ended at %v, the talker stopped at 1s", ev.At)
			}
		}
	}
	if ends != 1 {
		t.Fatalf("%d utterances ended, want 1", ends)
	}
	d = New(Config{Classifier: NewLevel(always{}, 15)})
	for _, ev := range append(d.Write(loud), d.Write(noise(r, 32000, 1500))...) {
		if ev.Type == SpeechEnd {
			t.Fatalf("ended at %v though the level only fell 6 dB", ev.At)
		}
	}
}

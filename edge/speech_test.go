package edge_test

import (
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/parleyhq/parley/edge"
)

// signal is quiet noise with voiced bursts (a 150 Hz source with harmonics, syllable-modulated)
// at the given spans, 16 kHz.
func signal(total time.Duration, bursts [][2]time.Duration) []int16 {
	const rate = 16000
	n := int(total.Seconds() * rate)
	out := make([]int16, n)
	rng := rand.New(rand.NewSource(3))
	for i := range out {
		v := rng.NormFloat64() * 30
		at := time.Duration(i) * time.Second / rate
		for _, b := range bursts {
			if at >= b[0] && at < b[1] {
				t := float64(i) / rate
				env := 0.6 + 0.4*math.Sin(2*math.Pi*4*t)
				for h := 1; h <= 8; h++ {
					v += env * 5000 / float64(h) * math.Sin(2*math.Pi*150*float64(h)*t)
				}
			}
		}
		out[i] = int16(max(-32768, min(32767, v)))
	}
	return out
}

func TestSpeechSendsOnlySegments(t *testing.T) {
	bursts := [][2]time.Duration{{2 * time.Second, 3 * time.Second}, {5 * time.Second, 5800 * time.Millisecond}}
	pcm := signal(8*time.Second, bursts)
	s := edge.NewSpeech(16000)
	var segs []edge.Segment
	var longest time.Duration
	for i := 0; i < len(pcm); i += 320 { // 20 ms chunks, as a browser worklet delivers them
		segs = append(segs, s.Write(pcm[i:min(i+320, len(pcm))])...)
		longest = max(longest, s.Speaking())
	}
	if longest < 500*time.Millisecond || longest > time.Second {
		t.Errorf("speaking for at most %v during a 1 s burst", longest)
	}
	segs = append(segs, s.Flush()...)
	if len(segs) != 2 {
		t.Fatalf("%d segments: %+v", len(segs), segs)
	}
	for i, seg := range segs {
		if seg.Start > bursts[i][0] || seg.End < bursts[i][1]-100*time.Millisecond || seg.Start < bursts[i][0]-time.Second {
			t.Errorf("segment %d %v-%v for speech %v-%v", i, seg.Start, seg.End, bursts[i][0], bursts[i][1])
		}
	}
	if s.Raw != int64(2*len(pcm)) || s.Sent == 0 || s.Sent > s.Raw/2 {
		t.Fatalf("sent %d of %d raw bytes", s.Sent, s.Raw)
	}
	t.Logf("8 s of audio with 1.8 s of speech: %d of %d bytes sent (%.0f%%)", s.Sent, s.Raw, 100*float64(s.Sent)/float64(s.Raw))
}

package edge

import (
	"time"

	"github.com/parleyhq/parley/perception/vad"
)

// Speech detects speech on the device with the server's voice activity detector, so that only
// speech segments go up; it counts the bytes sent against the raw 16-bit audio.
type Speech struct {
	d         *vad.Detector
	rate      int
	Sent, Raw int64
}

// Segment is one utterance found on the device.
type Segment struct {
	Start, End time.Duration
	Samples    []int16
}

// NewSpeech returns a detector for 16-bit mono PCM at rate Hz (16000 when 0).
func NewSpeech(rate int) *Speech {
	if rate <= 0 {
		rate = 16000
	}
	return &Speech{d: vad.New(vad.Config{Rate: rate}), rate: rate}
}

// Rate is the sample rate the detector reads.
func (s *Speech) Rate() int { return s.rate }

// Speaking is how long the utterance under way has been sure speech (0 in silence): a reply
// playing on the device stops once it is long enough (barge-in), before the utterance ends.
func (s *Speech) Speaking() time.Duration { return s.d.Sure() }

// Write feeds samples and returns the utterances that ended in them.
func (s *Speech) Write(samples []int16) []Segment {
	s.Raw += int64(2 * len(samples))
	return s.segments(s.d.Write(samples))
}

// Flush ends the stream and returns the utterance still open, if any.
func (s *Speech) Flush() []Segment {
	ev, ok := s.d.Flush()
	if !ok {
		return nil
	}
	return s.segments([]vad.Event{ev})
}

func (s *Speech) segments(evs []vad.Event) []Segment {
	var out []Segment
	for _, ev := range evs {
		if ev.Type != vad.SpeechEnd || len(ev.Utterance) == 0 {
			continue
		}
		s.Sent += int64(2 * len(ev.Utterance))
		// At is the end of speech; the utterance starts its length earlier.
		dur := time.Duration(len(ev.Utterance)) * time.Second / time.Duration(s.rate)
		out = append(out, Segment{Start: max(0, ev.At-dur), End: ev.At, Samples: ev.Utterance})
	}
	return out
}

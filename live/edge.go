package live

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception/vad"
)

// minSegment is the shortest speech segment taken as a message: shorter ones are clicks.
const minSegment = 100 * time.Millisecond

// segment takes one speech segment the device found (16-bit little-endian PCM at the call's
// rate) as an utterance. Said over a playing reply, a segment shorter than BargeIn is no message
// (a cough, "mm-hm"); a longer one stops the reply.
func (s *session) segment(ctx context.Context, data []byte) error {
	n := len(data) / 2
	if n == 0 {
		return nil
	}
	f := make([]float32, n)
	samples := make([]int16, n)
	for i := range samples {
		samples[i] = int16(uint16(data[2*i]) | uint16(data[2*i+1])<<8)
		f[i] = float32(samples[i]) / 32768
	}
	if s.rate != media.SpeechRate {
		samples = media.Resample(f, s.rate, media.SpeechRate)
	}
	dur := time.Duration(len(samples)) * time.Second / media.SpeechRate
	if dur > s.opts.MaxUtterance {
		s.sendError(ctx, "a speech segment is longer than "+s.opts.MaxUtterance.String()+"; it was not taken")
		return nil
	}
	if dur < minSegment {
		return nil
	}
	if s.playing() {
		if dur < s.opts.BargeIn {
			return nil
		}
		if err := s.stopPlayback(ctx); err != nil {
			return err
		}
	}
	s.utterance(ctx, vad.Event{Type: vad.SpeechEnd, Utterance: samples, At: dur})
	return nil
}

// edge hands an on-device report to the Turner's EdgeReporter and sends its answer back, one
// report at a time beside the camera frames.
func (s *session) edge(ctx context.Context, wg *sync.WaitGroup, report json.RawMessage) {
	er, ok := s.t.(EdgeReporter)
	if !ok {
		s.sendError(ctx, "this server takes no on-device reports")
		return
	}
	if len(report) == 0 {
		s.sendError(ctx, "an edge message needs a report")
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		octx, cancel := context.WithTimeout(ctx, s.opts.TurnTimeout)
		defer cancel()
		out, err := er.EdgeReport(octx, s.id, report)
		if err != nil {
			if ctx.Err() == nil {
				s.sendError(ctx, "the on-device report was not taken: "+err.Error())
			}
			return
		}
		_ = s.send(ctx, map[string]any{"type": "edge", "result": out})
	}()
}

package live

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/internal/testmedia"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/asr"
	"github.com/parleyhq/parley/speech"
)

// asrTurner answers a spoken message with what the local recogniser heard under a fixed
// expectation; the handler speaks the reply.
type asrTurner struct {
	rec    *asr.Recognizer
	expect perception.Expectation
}

func (a *asrTurner) Turn(ctx context.Context, id string, items []media.Item) (dialogue.Reply, error) {
	pcm, err := media.DecodeAudio(ctx, items[0].Data, media.DefaultLimits())
	if err != nil {
		return dialogue.Reply{}, err
	}
	res, err := a.rec.Recognize(ctx, pcm, a.expect)
	if err != nil {
		return dialogue.Reply{}, err
	}
	return dialogue.Reply{Parts: []dialogue.Part{{Type: "text", Text: "You said " + res.Text + "."}}, Style: dialogue.DefaultStyle()}, nil
}

func (a *asrTurner) Observe(ctx context.Context, id string, items []media.Item) error { return nil }

// endpointTurner is an asrTurner that also judges utterances complete.
type endpointTurner struct{ asrTurner }

func (e *endpointTurner) Complete(ctx context.Context, id string, pcm media.PCM) bool {
	return e.rec.Complete(ctx, pcm, e.expect)
}

// speechEnd returns the index just after the last clearly audible sample.
func speechEnd(s []int16) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] > 500 || s[i] < -500 {
			return i + 1
		}
	}
	return 0
}

// BenchmarkLiveLatency streams espeak-ng speech in real time (20 ms chunks) through the live
// handler with the local recogniser and espeak-ng replies, and reports the time from the real end
// of speech to the first byte of reply audio at the client, with the fixed 600 ms endpoint and
// with the adaptive one.
func BenchmarkLiveLatency(b *testing.B) {
	rec, err := asr.New(asr.Config{Decoders: 1})
	if err != nil {
		b.Skipf("recogniser unavailable: %v", err)
	}
	defer rec.Close(context.Background())
	synth, err := speech.NewEspeak()
	if err != nil {
		b.Skipf("espeak-ng unavailable: %v", err)
	}
	cases := []struct {
		name, say string
		expect    perception.Expectation
	}{
		{"yesno", "yes that's right", perception.Expectation{Type: "yesno", Pack: "bank"}},
		{"amount", "one thousand two hundred dollars", perception.Expectation{Type: "amount", Pack: "bank"}},
		{"open", "I want to deposit a check", perception.Expectation{Pack: "bank"}},
	}
	for _, tc := range cases {
		utter := testmedia.Speech(b, tc.say).Samples
		for _, adaptive := range []bool{false, true} {
			name := tc.name + "/fixed"
			var t Turner = &asrTurner{rec, tc.expect}
			if adaptive {
				name = tc.name + "/adaptive"
				t = &endpointTurner{asrTurner{rec, tc.expect}}
			}
			b.Run(name, func(b *testing.B) {
				var total time.Duration
				for b.Loop() {
					total += liveLatency(b, t, synth, utter)
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/speech-end-to-audio")
			})
		}
	}
}

// liveLatency streams half a second of silence, the utterance and a second of silence in real
// time and returns the time from the end of speech to the first binary message.
func liveLatency(b *testing.B, t Turner, synth speech.Synthesizer, utter []int16) time.Duration {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/conversations/{id}/live", Handler(t, Options{Synthesizer: synth}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/v1/conversations/c1/live", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(8 << 20)
	if _, _, err := c.Read(ctx); err != nil { // ready
		b.Fatal(err)
	}
	var s []int16
	s = append(s, make([]int16, 8000)...)
	end := len(s) + speechEnd(utter)
	s = append(s, utter...)
	s = append(s, make([]int16, 16000)...)
	// Faint noise, so the stream is not digital silence.
	for i := range s {
		s[i] += int16(i*7919%61 - 30)
	}

	got := make(chan time.Time, 1)
	go func() {
		for {
			typ, _, err := c.Read(ctx)
			if err != nil {
				return
			}
			if typ == websocket.MessageBinary {
				got <- time.Now()
				return
			}
		}
	}()
	const chunk = 320 // 20 ms
	var spoken time.Time
	start := time.Now()
	for i := 0; i < len(s); i += chunk {
		time.Sleep(time.Until(start.Add(time.Duration(i/chunk) * 20 * time.Millisecond)))
		j := min(i+chunk, len(s))
		if err := c.Write(ctx, websocket.MessageBinary, pcmBytes(s[i:j])); err != nil {
			b.Fatal(err)
		}
		if i < end && end <= j {
			spoken = time.Now()
		}
	}
	select {
	case at := <-got:
		return at.Sub(spoken)
	case <-ctx.Done():
		b.Fatal("no reply audio")
	}
	return 0
}

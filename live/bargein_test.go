package live

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/parleyhq/parley/media"
)

// cough is a 200 ms burst of low-passed noise, loud in the speech band, with the attack and decay
// of a cough.
func cough() []int16 {
	r := rand.New(rand.NewPCG(3, 4))
	out := make([]int16, 3200)
	var lp float64
	for i := range out {
		lp = 0.85*lp + 0.15*r.NormFloat64()
		env := min(1, float64(i)/160) * (1 - float64(i)/float64(len(out)))
		out[i] = int16(max(-32767, min(32767, 60000*lp*env)))
	}
	return out
}

// mmHm is a back-channel "mm-hm": two nasal hums of about 180 ms, a low voiced tone with its
// harmonics, 120 ms apart, rising in pitch as the second syllable does.
func mmHm() []int16 {
	var out []int16
	for k, f0 := range []float64{120, 150} {
		n := 2900
		for i := 0; i < n; i++ {
			env := min(1, float64(i)/320, float64(n-i)/320)
			var v float64
			for h := 1; h <= 4; h++ {
				v += math.Sin(2*math.Pi*f0*float64(h)*float64(i)/16000) / float64(h*h)
			}
			out = append(out, int16(9000*env*v))
		}
		if k == 0 {
			out = append(out, make([]int16, 1900)...)
		}
	}
	return out
}

// TestBargeInNeedsSpeech checks that a cough or a short "mm-hm" over a playing reply neither stops
// it nor becomes a message, while a request said over it stops it and is answered.
func TestBargeInNeedsSpeech(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech through a WebSocket")
	}
	utter := speak(t, "I want to deposit a check")
	ft := &fakeTurner{audio: media.EncodeWAV(media.PCM{Rate: 16000, Samples: make([]int16, 20*16000)})}
	c := dialLive(t, Handler(ft, Options{EndSilence: 500 * time.Millisecond}))
	ctx := context.Background()
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"start","sample_rate":16000}`))
	silence := make([]int16, 16000)
	sendAudio(t, ctx, c, silence[:8000])
	sendAudio(t, ctx, c, utter)
	sendAudio(t, ctx, c, silence)
	next(t, ctx, c, is("reply"))
	next(t, ctx, c, is("binary")) // the reply now plays for 20 s

	for _, noise := range []struct {
		name    string
		samples []int16
	}{{"cough", cough()}, {"mm-hm", mmHm()}} {
		sendAudio(t, ctx, c, noise.samples)
		sendAudio(t, ctx, c, silence)
		next(t, ctx, c, func(m serverMsg) bool {
			if m.Type == "stop_playback" {
				t.Fatalf("a %s stopped the reply", noise.name)
			}
			return m.Type == "vad" && !m.Speaking
		})
	}
	sendAudio(t, ctx, c, utter)
	next(t, ctx, c, is("stop_playback"))
	sendAudio(t, ctx, c, silence)
	next(t, ctx, c, is("reply"))
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if len(ft.turns) != 2 {
		t.Errorf("%d turns, want 2 (the cough and the mm-hm are no messages)", len(ft.turns))
	}
}

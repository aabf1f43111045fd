package live

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/media"
)

// holdTurner is a fakeTurner whose Endpointer never finds a whole answer and always finds the
// speech so far unfinished, as after "one thousand" when an amount is expected.
type holdTurner struct {
	fakeTurner
	held int
}

func (h *holdTurner) Complete(ctx context.Context, id string, pcm media.PCM) bool { return false }

func (h *holdTurner) Unfinished(ctx context.Context, id string, pcm media.PCM) bool {
	h.mu.Lock()
	h.held++
	h.mu.Unlock()
	return true
}

// TestLiveHoldsPauseInsideAnswer: a customer who pauses a second inside an amount is one message,
// not two, when the Endpointer judges the first part unfinished.
func TestLiveHoldsPauseInsideAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech through a WebSocket")
	}
	ht := &holdTurner{fakeTurner: fakeTurner{audio: media.EncodeWAV(media.PCM{Rate: 16000, Samples: make([]int16, 1600)})}}
	c := dialLive(t, Handler(ht, Options{}))
	ctx := context.Background()
	// silence streams quiet audio at the pace of a microphone, so verdicts come back in time.
	silence := func(d time.Duration) {
		for range int(d / (20 * time.Millisecond)) {
			sendAudio(t, ctx, c, make([]int16, 320))
			time.Sleep(20 * time.Millisecond)
		}
	}
	sendAudio(t, ctx, c, make([]int16, 8000))
	sendAudio(t, ctx, c, speak(t, "one thousand"))
	silence(time.Second) // longer than the 600 ms that would end it
	sendAudio(t, ctx, c, speak(t, "two hundred"))
	silence(2 * time.Second)
	next(t, ctx, c, is("reply"))
	ht.mu.Lock()
	defer ht.mu.Unlock()
	if ht.held == 0 || len(ht.turns) != 1 {
		t.Fatalf("held %d times, %d turns; want one message", ht.held, len(ht.turns))
	}
	pcm, err := media.DecodeAudio(ctx, ht.turns[0][0].Data, media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if d := pcm.Duration(); d < 2*time.Second {
		t.Errorf("the message lasts %s: the second part of the amount is missing", d)
	}
}

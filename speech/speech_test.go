package speech

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/media"
)

func espeak(t testing.TB) *Espeak {
	t.Helper()
	e, err := NewEspeak()
	if err != nil {
		t.Skipf("espeak-ng not installed: %v", err)
	}
	return e
}

func duration(t *testing.T, wav []byte) time.Duration {
	t.Helper()
	pcm, err := media.DecodeAudio(context.Background(), wav, media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return pcm.Duration()
}

func TestSynthesizeRateAndPauses(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesises several seconds of speech")
	}
	e := espeak(t)
	text := "Open the app. Tap deposit. Take a photo of the front of the check."
	ctx := context.Background()
	normal, err := e.Synthesize(ctx, text, Options{RateWPM: RateNormal, PauseMS: 300})
	if err != nil {
		t.Fatal(err)
	}
	slow, err := e.Synthesize(ctx, text, Options{RateWPM: RateSlow, PauseMS: 300})
	if err != nil {
		t.Fatal(err)
	}
	paused, err := e.Synthesize(ctx, text, Options{RateWPM: RateNormal, PauseMS: 1500})
	if err != nil {
		t.Fatal(err)
	}
	dn, ds, dp := duration(t, normal), duration(t, slow), duration(t, paused)
	t.Logf("normal %s, slow %s, long pauses %s", dn, ds, dp)
	if float64(ds) < 1.15*float64(dn) {
		t.Errorf("130 wpm (%s) is not clearly slower than 175 wpm (%s)", ds, dn)
	}
	// Two gaps of 1.2 s more.
	if dp-dn < 2*time.Second {
		t.Errorf("longer pauses add %s, want about 2.4s", dp-dn)
	}
}

func TestSynthesizeOddText(t *testing.T) {
	e := espeak(t)
	cases := []struct {
		name string
		text string
		want error
	}{
		{"empty", "", ErrNothingToSay},
		{"only punctuation", " ... !!! \n\t", ErrNothingToSay},
		{"shell and markup", `"; rm -rf / $(reboot) <speak><audio src="x"/> & </speak>`, nil},
		{"unicode and emoji", "Café ☕ — naïve 🙂 \x00\x07 done", nil},
		{"steps and links", "1. Open https://example.com/x?y=1\n2. Tap **Deposit**", nil},
		{"very long", strings.Repeat("This is a long sentence about checks. ", 400), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && len(tc.text) > 1000 {
				t.Skip("long text")
			}
			wav, err := e.Synthesize(context.Background(), tc.text, Options{PauseMS: 200})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil {
				if d := duration(t, wav); d <= 0 || d > 6*time.Minute {
					t.Fatalf("duration %s", d)
				}
			}
		})
	}
}

func TestSynthesizeOpus(t *testing.T) {
	e := espeak(t)
	ogg, err := e.Synthesize(context.Background(), "Your deposit is on its way.", Options{Format: "opus"})
	if errors.Is(err, media.ErrNoFFmpeg) {
		t.Skip("ffmpeg not installed")
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(ogg[:4]) != "OggS" {
		t.Fatalf("not Ogg: %q", ogg[:4])
	}
	if d := duration(t, ogg); d < time.Second {
		t.Fatalf("duration %s", d)
	}
}

func TestSentences(t *testing.T) {
	got := Sentences("Hello. Do this:\n1. Open the app\n2) Tap *Deposit*! See https://x.y/z")
	want := []string{"Hello.", "Do this:", "Open the app", "Tap Deposit !", "See the link below"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q", got)
	}
}

func BenchmarkSynthesize(b *testing.B) {
	e := espeak(b)
	text := "I can help you deposit a check. Please take a photo of the front of the check, then the back."
	for b.Loop() {
		if _, err := e.Synthesize(context.Background(), text, Options{PauseMS: 300}); err != nil {
			b.Fatal(err)
		}
	}
}

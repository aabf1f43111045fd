package cli

import (
	"errors"
	"testing"
)

func TestParseVADNoise(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		n        int
		bad      bool
	}{
		{"default", "quiet,babble:10,babble:5,white:10,white:5", 5, false},
		{"spaces", " quiet , white:0 ", 2, false},
		{"unknown kind", "pink:10", 0, true},
		{"no level", "babble", 0, true},
		{"level out of range", "white:90", 0, true},
		{"empty", "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseVADNoise(tc.in)
			if tc.bad {
				if !errors.Is(err, ErrUsage) {
					t.Fatalf("got %v, want a usage error", err)
				}
				return
			}
			if err != nil || len(got) != tc.n {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}

func FuzzParseVADNoise(f *testing.F) {
	for _, s := range []string{"quiet", "babble:10,white:5", "white:-20", "x:", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		conds, err := parseVADNoise(s)
		if err != nil {
			return
		}
		for _, c := range conds {
			if c.Kind != "quiet" && !(c.SNR >= -20 && c.SNR <= 60) {
				t.Fatalf("%q gave %+v", s, c)
			}
		}
	})
}

func TestSpeakerOf(t *testing.T) {
	for file, want := range map[string]string{
		"fsdd/0_george_1.wav":        "fsdd/george",
		"an4/an146-fclc-b.wav":       "an4/fclc",
		"pocketsphinx/cards-001.wav": "pocketsphinx/cards",
		"pocketsphinx/dhd.2934z.wav": "pocketsphinx/dhd.2934z",
	} {
		v := map[byte]string{'f': "fsdd", 'a': "an4", 'p': "pocketsphinx"}[file[0]]
		if got := speakerOf(speechTruth{File: file, Voice: v}); got != want {
			t.Errorf("speakerOf(%s) = %q, want %q", file, got, want)
		}
	}
}

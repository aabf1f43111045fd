package cli

import (
	"strings"
	"testing"
)

func TestParseMixes(t *testing.T) {
	m, err := parseMixes("babble:10, white:5")
	if err != nil || len(m) != 2 || m[0] != (noiseMix{"babble", 10}) || m[1] != (noiseMix{"white", 5}) {
		t.Fatalf("got %v, %v", m, err)
	}
	for _, bad := range []string{"pink:10", "babble", "babble:x", "white:100", "white:NaN"} {
		if _, err := parseMixes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseMixes checks that any --mix value is either refused or gives conditions that are
// babble or white within the SNR bounds.
func FuzzParseMixes(f *testing.F) {
	f.Add("babble:10,white:10,babble:5,white:5")
	f.Add(",white:-3,")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMixes(s)
		if err != nil {
			return
		}
		for _, c := range m {
			if (c.kind != "babble" && c.kind != "white") || !(c.snr >= -20 && c.snr <= 60) || strings.Contains(c.String(), ",") {
				t.Fatalf("%q gave %+v", s, c)
			}
		}
	})
}

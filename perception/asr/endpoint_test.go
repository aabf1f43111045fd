package asr

import "testing"

func TestUnfinishedAmount(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"one thousand", true},
		{"one thousand two hundred", true},
		{"two hundred and", true},
		{"ten point", true},
		{"ten thirty", false},
		{"one thousand two hundred fifty dollars", false},
		{"yes", false},
		{"", false},
	} {
		if got := unfinishedAmount(tc.text); got != tc.want {
			t.Errorf("unfinishedAmount(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

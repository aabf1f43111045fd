package cli

import (
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Time
		ok       bool
	}{
		{"empty", "", time.Time{}, true},
		{"duration back", "72h", now.Add(-72 * time.Hour), true},
		{"RFC 3339", "2026-03-01T09:00:00Z", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), true},
		{"date", "2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true},
		{"negative duration", "-5h", time.Time{}, false},
		{"words", "last week", time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSince(tc.in, now)
			if (err == nil) != tc.ok || !got.Equal(tc.want) {
				t.Errorf("parseSince(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"", "72h", "2026-03-01", "2026-03-01T09:00:00Z", "x"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSince(s, now)
		if err != nil && !got.IsZero() {
			t.Fatalf("parseSince(%q) failed but returned %v", s, got)
		}
	})
}

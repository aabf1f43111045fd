package dialogue

import "testing"

func TestFormatValue(t *testing.T) {
	cases := []struct {
		typ  string
		v    any
		want string
	}{
		{"amount", 1030.0, "$1,030.00"},
		{"date", "2026-03-01", "Mar 1, 2026"},
		{"digits", "4111111111111111", "1111"},
		{"digits", "123456789012", "9012"},
		{"digits", "4821", "4821"},
		{"digits", "10234", "10234"},
		{"text", "Metro Electric Co.", "Metro Electric Co."},
	}
	for _, c := range cases {
		if got := FormatValue(c.typ, c.v); got != c.want {
			t.Errorf("FormatValue(%q, %v) = %q, want %q", c.typ, c.v, got, c.want)
		}
	}
}

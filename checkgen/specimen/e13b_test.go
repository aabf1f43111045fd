package specimen

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestMICRDrawPlacesByPosition checks the standard's layout: the transit symbol at position 43
// ends 5/16 + 42/8 in from the right edge (less the printers' 1/300 in), and characters follow
// at the 0.125-in pitch.
func TestMICRDrawPlacesByPosition(t *testing.T) {
	d, err := MICRDraw("T1", 43, 6, 2.75, 300, Nominal)
	if err != nil {
		t.Fatal(err)
	}
	var x0, y0, x1, y1 float64
	right := math.Inf(-1)
	n := 0
	for _, p := range strings.Split(strings.TrimSpace(d), "rectangle ") {
		if p == "" {
			continue
		}
		if _, err := fmt.Sscanf(p, "%f,%f %f,%f", &x0, &y0, &x1, &y1); err != nil {
			t.Fatal(err)
		}
		if n < 3 { // the transit symbol's three strokes
			right = math.Max(right, x1+1)
		}
		n++
	}
	want := (6 - 5.0/16 - 42.0/8 - 1.0/300) * 300
	if math.Abs(right-want) > 0.01 || n != 6 {
		t.Errorf("transit right edge %.2f px (want %.2f), %d strokes (want 6)", right, want, n)
	}
	// The 1 ends a pitch further right.
	if math.Abs(x1+1-(want+0.125*300)) > 0.01 {
		t.Errorf("1 ends at %.2f, want %.2f", x1+1, want+0.125*300)
	}
}

func TestMICRDrawRejects(t *testing.T) {
	for _, c := range []struct {
		line  string
		first int
		w     Weight
	}{{"T12X", 43, Nominal}, {"T123", 2, Nominal}, {"T1", 70, Nominal}, {"T1", 43, "heavy"}} {
		if _, err := MICRDraw(c.line, c.first, 6, 2.75, 300, c.w); err == nil {
			t.Errorf("MICRDraw(%q, %d, %q) gave no error", c.line, c.first, c.w)
		}
	}
}

func TestWords(t *testing.T) {
	for n, want := range map[int]string{42: "forty-two", 1250: "one thousand two hundred fifty", 3000: "three thousand", 19: "nineteen"} {
		if got := words(n); got != want {
			t.Errorf("words(%d) = %q, want %q", n, got, want)
		}
	}
}

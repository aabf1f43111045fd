package chart

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }

func TestLineDrawsAPointPerValueAndGaps(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var xs []time.Time
	for i := range 5 {
		xs = append(xs, t0.Add(time.Duration(i)*time.Hour))
	}
	l := Line{ID: "rate", Title: `Rate <of> "things"`, X: xs, Step: time.Hour, Max: 1,
		Series: []Series{{Name: "a&b", Values: []*float64{f(0.2), f(0.4), nil, f(1.5), f(0)}}}}
	svg := l.SVG()
	if n := strings.Count(svg, `class="point"`); n != 4 || l.Points() != 4 {
		t.Errorf("%d points drawn, Points() = %d; want 4", n, l.Points())
	}
	if !strings.Contains(svg, `data-points="4"`) || !strings.Contains(svg, `data-chart="rate"`) {
		t.Error("missing data attributes")
	}
	// A missing value breaks the line: two runs, each starting with M.
	d := regexp.MustCompile(`<path class="line" d="([^"]+)"`).FindStringSubmatch(svg)
	if d == nil || strings.Count(d[1], "M") != 2 {
		t.Errorf("path %v, want two runs", d)
	}
	// Values past Max are drawn at the top, not outside the plot.
	if strings.Contains(svg, `cy="-`) {
		t.Error("a point is drawn above the plot")
	}
	if strings.Contains(svg, `<of>`) || strings.Contains(svg, `a&b`) || !strings.Contains(svg, `a&amp;b`) {
		t.Error("names are not escaped")
	}
	if !strings.Contains(svg, ">00:00<") && !strings.Contains(svg, ">Mar 1<") {
		t.Error("no X labels")
	}
}

func TestBarsWithIntervals(t *testing.T) {
	b := Bars{ID: "cmp", Title: "CSAT", Max: 1, Bars: []Bar{
		{Label: "unimodal", Value: f(0.5), CI: &[2]float64{0.3, 0.7}, Note: "n=10"},
		{Label: "multimodal", Value: nil},
	}}
	svg := b.SVG()
	if b.Points() != 1 || strings.Count(svg, `<rect class="bar`) != 1 {
		t.Errorf("bars: %d", b.Points())
	}
	if !strings.Contains(svg, `data-low="0.3" data-high="0.7"`) || !strings.Contains(svg, "no data") || !strings.Contains(svg, "n=10") {
		t.Errorf("svg %s", svg)
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{{0, 1}, {0.7, 1}, {3, 5}, {12, 20}, {100, 100}, {101, 200}} {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

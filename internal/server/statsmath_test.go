package server

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMeanCI(t *testing.T) {
	// Scores 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample sd 2.138, t(7) = 2.365.
	vals := []float64{2, 4, 4, 4, 5, 5, 7, 9}
	var sum, sq float64
	for _, v := range vals {
		sum, sq = sum+v, sq+v*v
	}
	m, ci, ok := meanCI(len(vals), sum, sq)
	half := 2.365 * 2.13809 / math.Sqrt(8)
	if !ok || m != 5 || !near(ci[0], 5-half, 1e-3) || !near(ci[1], 5+half, 1e-3) {
		t.Errorf("meanCI = %v %v %v, want 5 ± %.3f", m, ci, ok, half)
	}
	if _, ci, ok := meanCI(1, 3, 9); !ok || ci != nil {
		t.Errorf("one value: interval %v", ci)
	}
	if _, _, ok := meanCI(0, 0, 0); ok {
		t.Error("no values gave a mean")
	}
}

func TestWilson(t *testing.T) {
	// 8 of 10: the Wilson interval is [0.490, 0.943].
	ci := wilson(8, 10)
	if !near(ci[0], 0.4902, 1e-3) || !near(ci[1], 0.9433, 1e-3) {
		t.Errorf("wilson(8, 10) = %v", ci)
	}
	if ci := wilson(0, 5); ci[0] != 0 || ci[1] <= 0 {
		t.Errorf("wilson(0, 5) = %v", ci)
	}
	if wilson(0, 0) != nil {
		t.Error("wilson of nothing")
	}
}

func TestT975(t *testing.T) {
	for _, tc := range []struct {
		df   int
		want float64
	}{{1, 12.706}, {10, 2.228}, {30, 2.042}, {60, 2.000}, {120, 1.96}, {1000, 1.96}} {
		if got := t975(tc.df); !near(got, tc.want, 0.005) {
			t.Errorf("t975(%d) = %.3f, want %.3f", tc.df, got, tc.want)
		}
	}
}

func TestHistogramQuantile(t *testing.T) {
	// 10 observations up to 0.1, 10 more up to 0.2, 80 up to 1.
	bs := []histBucket{{0.1, 10}, {0.2, 20}, {1, 100}, {math.Inf(1), 100}}
	for _, tc := range []struct{ q, want float64 }{{0.05, 0.05}, {0.15, 0.15}, {0.5, 0.2 + 0.8*30/80}, {0.95, 0.2 + 0.8*75/80}} {
		if got := histogramQuantile(tc.q, 100, bs); !near(got, tc.want, 1e-9) {
			t.Errorf("q%.2f = %v, want %v", tc.q, got, tc.want)
		}
	}
	// Ranks past the last finite bucket read as its bound.
	if got := histogramQuantile(0.99, 10, []histBucket{{0.5, 5}, {math.Inf(1), 10}}); got != 0.5 {
		t.Errorf("past the last bucket: %v", got)
	}
}

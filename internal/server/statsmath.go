package server

import (
	"math"
	"sort"

	"github.com/parleyhq/parley/store"
)

// tTable holds Student's t at 0.975 for 1 to 30 degrees of freedom: the half-width of a 95%
// confidence interval of a mean is t·s/√n, and for few ratings the normal 1.96 is too narrow.
var tTable = [...]float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// t975 returns Student's t quantile at 0.975 for df degrees of freedom (1.96 from 120 on, linear
// in 1/df between 30 and 120).
func t975(df int) float64 {
	switch {
	case df < 1:
		return math.NaN()
	case df <= len(tTable):
		return tTable[df-1]
	case df >= 120:
		return 1.96
	}
	// t(30) = 2.042, t(120) = 1.980; interpolate in 1/df, then approach 1.96.
	x := (1/float64(df) - 1.0/120) / (1.0/30 - 1.0/120)
	return 1.980 + x*(2.042-1.980)
}

// interval is a 95% confidence interval.
type interval [2]float64

// meanCI returns the mean of n values with the given sum and sum of squares and its 95% interval;
// ok is false for no values, and the interval is nil for one (no spread to estimate).
func meanCI(n int, sum, sumSq float64) (mean float64, ci *interval, ok bool) {
	if n == 0 {
		return 0, nil, false
	}
	mean = sum / float64(n)
	if n < 2 {
		return mean, nil, true
	}
	v := (sumSq - sum*sum/float64(n)) / float64(n-1)
	half := t975(n-1) * math.Sqrt(math.Max(v, 0)/float64(n))
	return mean, &interval{mean - half, mean + half}, true
}

// wilson returns the 95% Wilson score interval of k successes in n trials (it stays inside [0, 1]
// and is honest for small n, unlike p ± 1.96·√(p(1−p)/n)).
func wilson(k, n int) *interval {
	if n == 0 {
		return nil
	}
	const z = 1.959964
	p := float64(k) / float64(n)
	nn := float64(n)
	den := 1 + z*z/nn
	c := (p + z*z/(2*nn)) / den
	h := z * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn)) / den
	return &interval{math.Max(0, c-h), math.Min(1, c+h)}
}

// cohortView is one side of the unimodal/multimodal comparison.
type cohortView struct {
	Conversations int `json:"conversations"`
	CSATCount     int `json:"csat_count"`
	// CSATMean is the mean score (1 to 5); Satisfied is the share of ratings of 4 or 5 ("CSAT %").
	CSATMean       *float64  `json:"csat_mean"`
	CSATMeanCI95   *interval `json:"csat_mean_ci95"`
	Satisfied      *float64  `json:"satisfied_share"`
	SatisfiedCI95  *interval `json:"satisfied_share_ci95"`
	Resolved       int       `json:"resolved"`
	ResolutionMean *float64  `json:"resolution_mean_secs"`
	ResolutionCI95 *interval `json:"resolution_mean_ci95"`
	MedianRes      *float64  `json:"median_resolution_secs"`
}

func newCohortView(g store.Group) cohortView {
	v := cohortView{Conversations: g.Conversations, CSATCount: g.CSATCount, Resolved: g.Resolved, MedianRes: g.MedianResolution}
	if m, ci, ok := meanCI(g.CSATCount, g.CSATSum, g.CSATSumSq); ok {
		v.CSATMean, v.CSATMeanCI95 = &m, ci
		share := float64(g.Satisfied) / float64(g.CSATCount)
		v.Satisfied, v.SatisfiedCI95 = &share, wilson(g.Satisfied, g.CSATCount)
	}
	if m, ci, ok := meanCI(g.Resolved, g.ResolutionSum, g.ResolutionSumSq); ok {
		v.ResolutionMean, v.ResolutionCI95 = &m, ci
	}
	return v
}

// difference is multimodal minus unimodal with a 95% interval (normal approximation).
type difference struct {
	Value float64   `json:"value"`
	CI95  *interval `json:"ci95"`
}

// shareDiff is the difference of two shares in percentage points.
func shareDiff(k1, n1, k2, n2 int) *difference {
	if n1 == 0 || n2 == 0 {
		return nil
	}
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	d := (p2 - p1) * 100
	se := math.Sqrt(p1*(1-p1)/float64(n1)+p2*(1-p2)/float64(n2)) * 100
	return &difference{Value: d, CI95: &interval{d - 1.96*se, d + 1.96*se}}
}

// meanDiff is the difference of two means (Welch's standard error).
func meanDiff(a, b store.Group, n func(store.Group) (int, float64, float64)) *difference {
	n1, s1, q1 := n(a)
	n2, s2, q2 := n(b)
	if n1 < 2 || n2 < 2 {
		return nil
	}
	m1, m2 := s1/float64(n1), s2/float64(n2)
	v1 := (q1 - s1*s1/float64(n1)) / float64(n1-1)
	v2 := (q2 - s2*s2/float64(n2)) / float64(n2-1)
	d := m2 - m1
	se := math.Sqrt(math.Max(v1, 0)/float64(n1) + math.Max(v2, 0)/float64(n2))
	return &difference{Value: d, CI95: &interval{d - 1.96*se, d + 1.96*se}}
}

// stageView is the latency of one perception stage, from the server's histogram.
type stageView struct {
	Stage string  `json:"stage"`
	Count uint64  `json:"count"`
	P50MS float64 `json:"p50_ms"`
	P95MS float64 `json:"p95_ms"`
}

// stageQuantiles reads p50 and p95 of each stage from the parley_stage_seconds histogram, slowest
// p95 first.
func (m *metrics) stageQuantiles() []stageView {
	out := []stageView{}
	fams, err := m.reg.Gather()
	if err != nil {
		return out
	}
	for _, f := range fams {
		if f.GetName() != "parley_stage_seconds" {
			continue
		}
		for _, mt := range f.GetMetric() {
			h := mt.GetHistogram()
			if h.GetSampleCount() == 0 {
				continue
			}
			name := ""
			for _, l := range mt.GetLabel() {
				if l.GetName() == "stage" {
					name = l.GetValue()
				}
			}
			var bs []histBucket
			for _, b := range h.GetBucket() {
				bs = append(bs, histBucket{b.GetUpperBound(), b.GetCumulativeCount()})
			}
			out = append(out, stageView{Stage: name, Count: h.GetSampleCount(),
				P50MS: histogramQuantile(0.5, h.GetSampleCount(), bs) * 1000, P95MS: histogramQuantile(0.95, h.GetSampleCount(), bs) * 1000})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].P95MS != out[j].P95MS {
			return out[i].P95MS > out[j].P95MS
		}
		return out[i].Stage < out[j].Stage
	})
	return out
}

// histBucket is one bucket of a cumulative histogram: the count of observations up to Upper.
type histBucket struct {
	upper float64
	cum   uint64
}

// histogramQuantile estimates quantile q of a cumulative histogram of count observations as Prometheus's
// histogram_quantile does: linear within the bucket holding the rank, the lowest bucket starting
// at zero, and the upper bound of the last finite bucket for ranks past it.
func histogramQuantile(q float64, count uint64, buckets []histBucket) float64 {
	total := float64(count)
	if total == 0 {
		return math.NaN()
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range buckets {
		upper, cum := b.upper, float64(b.cum)
		if math.IsInf(upper, 1) {
			break
		}
		if cum >= rank {
			if cum == below {
				return upper
			}
			return lower + (upper-lower)*(rank-below)/(cum-below)
		}
		lower, below = upper, cum
	}
	return lower
}

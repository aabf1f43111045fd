// Package chart draws the dashboard's charts as SVG on the server: line charts over time buckets
// and horizontal bars with confidence intervals. The SVG scales to its container (a viewBox and
// no fixed size), takes its colours from CSS classes (s0, s1, ...) so the page's stylesheet themes
// it, and marks each drawn value with data attributes that tests and scripts can read.
package chart

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// Geometry of a line chart, in viewBox units.
const (
	width   = 640
	height  = 240
	padL    = 56
	padR    = 12
	padT    = 12
	padB    = 34
	barH    = 22
	barGap  = 14
	barPadL = 120
)

// Series is one line: a value per X position, nil where there is none (a gap).
type Series struct {
	Name   string
	Values []*float64
}

// Line is a line chart over time buckets.
type Line struct {
	ID, Title string
	X         []time.Time
	// Step is the bucket width; it picks the X labels' format (hours or dates).
	Step   time.Duration
	Series []Series
	// Format renders a value for the Y axis and the points' titles.
	Format func(float64) string
	// Min and Max fix the Y range when Max > Min (rates: 0 to 1); otherwise it fits the data from 0.
	Min, Max float64
	// Markers are vertical lines at X positions, such as a handoff.
	Markers []Marker
}

// Marker is a labelled vertical line at X position Index; Class is added to its group's classes.
type Marker struct {
	Index int
	Label string
	Class string
}

// Points counts the drawn points: the non-nil values of every series.
func (l Line) Points() int {
	n := 0
	for _, s := range l.Series {
		for _, v := range s.Values {
			if v != nil {
				n++
			}
		}
	}
	return n
}

func (l Line) format(v float64) string {
	if l.Format == nil {
		return trim(v)
	}
	return l.Format(v)
}

// SVG renders the chart.
func (l Line) SVG() string {
	var b strings.Builder
	lo, hi := l.Min, l.Max
	if hi <= lo {
		lo, hi = 0, 0
		for _, s := range l.Series {
			for _, v := range s.Values {
				if v != nil {
					hi = math.Max(hi, *v)
				}
			}
		}
		hi = niceCeil(hi)
	}
	fmt.Fprintf(&b, `<svg class="chart-svg" viewBox="0 0 %d %d" role="img" aria-label="%s" data-chart="%s" data-points="%d" preserveAspectRatio="xMidYMid meet">`,
		width, height, esc(l.Title), esc(l.ID), l.Points())
	plotW, plotH := float64(width-padL-padR), float64(height-padT-padB)
	n := len(l.X)
	x := func(i int) float64 {
		if n <= 1 {
			return padL + plotW/2
		}
		return padL + plotW*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 { return padT + plotH*(1-(v-lo)/(hi-lo)) }
	// Grid and Y labels: five lines.
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`,
			padL, width-padR, y(v), y(v), padL-6, y(v)+4, esc(l.format(v)))
	}
	// X labels: at most six, evenly spaced.
	if n > 0 {
		every := max(1, (n+5)/6)
		for i := 0; i < n; i += every {
			fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(i), height-padB+18, esc(xLabel(l.X[i], l.Step)))
		}
	}
	stacked := map[int]int{} // labels of markers at one position stack downwards
	for _, m := range l.Markers {
		if m.Index < 0 || m.Index >= n {
			continue
		}
		mx, anchor, dx := x(m.Index), "start", 3.0
		if mx > width/2 {
			anchor, dx = "end", -3
		}
		ty := padT + 10 + 12*stacked[m.Index]
		stacked[m.Index]++
		fmt.Fprintf(&b, `<g class="marker %s" data-marker="%s"><line x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text class="tick" x="%.1f" y="%d" text-anchor="%s">%s</text></g>`,
			esc(m.Class), esc(m.Label), mx, mx, padT, height-padB, mx+dx, ty, anchor, esc(m.Label))
	}
	for si, s := range l.Series {
		fmt.Fprintf(&b, `<g class="series s%d" data-series="%s">`, si%8, esc(s.Name))
		// A path per run of values, so a missing bucket is a gap, not a false line to zero.
		var d strings.Builder
		for i, v := range s.Values {
			if v == nil {
				continue
			}
			cmd := "L"
			if i == 0 || s.Values[i-1] == nil {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, x(i), y(clamp(*v, lo, hi)))
		}
		if d.Len() > 0 {
			fmt.Fprintf(&b, `<path class="line" d="%s"/>`, strings.TrimSpace(d.String()))
		}
		for i, v := range s.Values {
			if v == nil {
				continue
			}
			fmt.Fprintf(&b, `<circle class="point" cx="%.1f" cy="%.1f" r="3" data-x="%s" data-value="%s"><title>%s %s: %s</title></circle>`,
				x(i), y(clamp(*v, lo, hi)), l.X[i].UTC().Format(time.RFC3339), trim(*v), esc(s.Name), esc(xLabel(l.X[i], l.Step)), esc(l.format(*v)))
		}
		b.WriteString(`</g>`)
	}
	if len(l.Series) > 1 {
		for si, s := range l.Series {
			fmt.Fprintf(&b, `<g class="legend s%d"><rect x="%d" y="%d" width="10" height="10"/><text class="tick" x="%d" y="%d">%s</text></g>`,
				si%8, padL+8+si*110, height-12, padL+22+si*110, height-3, esc(s.Name))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// Bar is one horizontal bar, with an optional 95% interval drawn as a whisker.
type Bar struct {
	Label string
	Value *float64
	CI    *[2]float64
	// Note is printed after the value (for example the count behind it).
	Note string
	// Group picks the bar's colour when the chart colours by group.
	Group int
}

// Bars is a horizontal bar chart.
type Bars struct {
	ID, Title string
	Bars      []Bar
	Format    func(float64) string
	// Max fixes the scale when positive; otherwise it fits the bars and their intervals.
	Max float64
	// ByGroup colours bars by their Group instead of one colour each.
	ByGroup bool
}

// Points counts the drawn bars (those with a value).
func (c Bars) Points() int {
	n := 0
	for _, b := range c.Bars {
		if b.Value != nil {
			n++
		}
	}
	return n
}

// SVG renders the chart.
func (c Bars) SVG() string {
	format := c.Format
	if format == nil {
		format = trim
	}
	hi := c.Max
	if hi <= 0 {
		for _, b := range c.Bars {
			if b.Value != nil {
				hi = math.Max(hi, *b.Value)
			}
			if b.CI != nil {
				hi = math.Max(hi, b.CI[1])
			}
		}
		hi = niceCeil(hi)
	}
	h := padT + len(c.Bars)*(barH+barGap) + 4
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart-svg" viewBox="0 0 %d %d" role="img" aria-label="%s" data-chart="%s" data-points="%d" preserveAspectRatio="xMidYMid meet">`,
		width, h, esc(c.Title), esc(c.ID), c.Points())
	plotW := float64(width - barPadL - 150)
	x := func(v float64) float64 { return barPadL + plotW*clamp(v, 0, hi)/hi }
	for i, bar := range c.Bars {
		top := padT + i*(barH+barGap)
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%d" text-anchor="end">%s</text>`, barPadL-8, top+barH/2+4, esc(bar.Label))
		if bar.Value == nil {
			fmt.Fprintf(&b, `<text class="tick muted" x="%d" y="%d">no data</text>`, barPadL+4, top+barH/2+4)
			continue
		}
		v := *bar.Value
		shade := i % 8
		if c.ByGroup {
			shade = bar.Group % 8
		}
		fmt.Fprintf(&b, `<rect class="bar s%d" x="%d" y="%d" width="%.1f" height="%d" data-label="%s" data-value="%s"><title>%s: %s</title></rect>`,
			shade, barPadL, top, math.Max(x(v)-barPadL, 1), barH, esc(bar.Label), trim(v), esc(bar.Label), esc(format(v)))
		end := x(v)
		if bar.CI != nil {
			lo, hiX := x(bar.CI[0]), x(bar.CI[1])
			mid := top + barH/2
			fmt.Fprintf(&b, `<g class="ci" data-low="%s" data-high="%s"><line x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><line x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><line x1="%.1f" x2="%.1f" y1="%d" y2="%d"/></g>`,
				trim(bar.CI[0]), trim(bar.CI[1]), lo, hiX, mid, mid, lo, lo, mid-6, mid+6, hiX, hiX, mid-6, mid+6)
			end = math.Max(end, hiX)
		}
		label := format(v)
		if bar.Note != "" {
			label += " · " + bar.Note
		}
		fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%d">%s</text>`, end+6, top+barH/2+4, esc(label))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func xLabel(t time.Time, step time.Duration) string {
	t = t.UTC()
	if step >= 24*time.Hour {
		return t.Format("Jan 2")
	}
	if t.Hour() == 0 {
		return t.Format("Jan 2")
	}
	return t.Format("15:04")
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for zero or less).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func trim(v float64) string { return fmt.Sprintf("%.4g", v) }

func esc(s string) string { return html.EscapeString(s) }

package face

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Facemesh indices (MediaPipe's topology, as human's facemeshcoords.ts names them).
var (
	rightEyeCorners = [2]int{33, 133}  // outer, inner
	leftEyeCorners  = [2]int{362, 263} // inner, outer
	rightBrow       = []int{70, 63, 105, 66, 107}
	leftBrow        = []int{336, 296, 334, 293, 300}
)

const (
	rightInnerBrow = 107
	leftInnerBrow  = 336
	upperLipTop    = 0
	lowerLipBottom = 17
	upperLipInner  = 13
	lowerLipInner  = 14
	noseTip        = 1
	rightFaceSide  = 234
	leftFaceSide   = 454
)

func mid(a, b Point) Point { return Point{(a.X + b.X) / 2, (a.Y + b.Y) / 2} }

func dist(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// eyes returns the centres of the subject's right and left eyes.
func (l *Landmarks) eyes() (Point, Point) {
	return mid(l.Points[rightEyeCorners[0]], l.Points[rightEyeCorners[1]]), mid(l.Points[leftEyeCorners[0]], l.Points[leftEyeCorners[1]])
}

// Roll is the angle (radians) of the line from the right eye's centre to the left eye's, 0 for a
// level face.
func (l *Landmarks) Roll() float64 {
	r, le := l.eyes()
	return math.Atan2(le.Y-r.Y, le.X-r.X)
}

// InterOcular is the distance between the eye centres in pixels, the unit of every cue.
func (l *Landmarks) InterOcular() float64 {
	r, le := l.eyes()
	return dist(r, le)
}

// Measures are one frame's face geometry, in units of the inter-ocular distance and measured in
// the face's own frame (x along the eye line, y down the face), so they do not change with the
// face's size, position or roll.
type Measures struct {
	// BrowHeight is how far the brows sit above the eyes' centres (mean of five points a brow).
	BrowHeight float64
	// BrowGap is the distance between the inner ends of the brows.
	BrowGap float64
	// LipHeight is the thickness of the lips' red (outer height less the mouth's opening).
	LipHeight float64
	// MouthOpen is the opening between the inner lips.
	MouthOpen float64
	// Roll is the head's tilt in degrees.
	Roll float64
	// Yaw is the nose tip's sideways offset from the middle of the face, relative to its width.
	Yaw float64
	// Pitch is the nose tip's height below the eye line.
	Pitch float64
}

// Measure reads the cue geometry of one face's landmarks.
func (l *Landmarks) Measure() Measures {
	r, le := l.eyes()
	iod := dist(r, le)
	if !(iod > 0) || math.IsInf(iod, 0) {
		return Measures{}
	}
	ex := Point{(le.X - r.X) / iod, (le.Y - r.Y) / iod} // along the eye line
	ey := Point{-ex.Y, ex.X}                            // down the face
	down := func(p, from Point) float64 { return ((p.X-from.X)*ey.X + (p.Y-from.Y)*ey.Y) / iod }
	across := func(p, from Point) float64 { return ((p.X-from.X)*ex.X + (p.Y-from.Y)*ex.Y) / iod }
	var brow float64
	for _, i := range rightBrow {
		brow -= down(l.Points[i], r)
	}
	for _, i := range leftBrow {
		brow -= down(l.Points[i], le)
	}
	p := l.Points
	eyeMid := mid(r, le)
	width := across(p[leftFaceSide], p[rightFaceSide])
	m := Measures{
		BrowHeight: brow / float64(len(rightBrow)+len(leftBrow)),
		BrowGap:    dist(p[rightInnerBrow], p[leftInnerBrow]) / iod,
		MouthOpen:  math.Max(0, down(p[lowerLipInner], p[upperLipInner])),
		Roll:       math.Atan2(ex.Y, ex.X) * 180 / math.Pi,
		Pitch:      down(p[noseTip], eyeMid),
	}
	m.LipHeight = down(p[lowerLipBottom], p[upperLipTop]) - m.MouthOpen
	if width > 0 {
		m.Yaw = across(p[noseTip], mid(p[rightFaceSide], p[leftFaceSide])) / width
	}
	return m
}

// Cue names, in the order CueReading.Cues lists them.
const (
	CueBrowLower = "brow_lower"
	CueBrowRaise = "brow_raise"
	CueLipPress  = "lip_press"
	CueHeadTilt  = "head_tilt"
	CueGazeAway  = "gaze_away"
)

// cueSpec says how far from the baseline a measure must move for a cue to start (lo) and to count
// in full (hi). The thresholds sit above the frame-to-frame jitter of facemesh on still faces
// (measured in cues_test.go) and below the movement of a clear action unit.
type cueSpec struct {
	name, words string
	lo, hi      float64
	delta       func(m, base Measures) float64
}

var cueSpecs = [...]cueSpec{
	{CueBrowLower, "brows lowered", 0.03, 0.08, func(m, b Measures) float64 {
		// AU4 lowers the brows and draws them together
		return (b.BrowHeight - m.BrowHeight) + 0.5*math.Max(0, b.BrowGap-m.BrowGap)
	}},
	{CueBrowRaise, "brows raised", 0.035, 0.09, func(m, b Measures) float64 { return m.BrowHeight - b.BrowHeight }},
	{CueLipPress, "lips pressed", 0.035, 0.09, func(m, b Measures) float64 {
		if m.MouthOpen > 0.08 {
			return 0 // a talking mouth is not a pressed one
		}
		return b.LipHeight - m.LipHeight
	}},
	{CueHeadTilt, "head tilted", 8, 20, func(m, b Measures) float64 { return math.Abs(m.Roll - b.Roll) }},
	{CueGazeAway, "looking away", 0.12, 0.3, func(m, b Measures) float64 {
		return math.Max(math.Abs(m.Yaw-b.Yaw), math.Abs(m.Pitch-b.Pitch))
	}},
}

// Cue weights: how much each cue's activation adds to the confusion and frustration evidence of a
// frame. Lowered brows are the action unit most tied to confusion (and, with pressed lips, to
// anger); raised brows and a tilted head go with puzzlement; looking away with disengagement.
var (
	confusionWeights   = [len(cueSpecs)]float64{0.8, 0.45, 0, 0.55, 0.2}
	frustrationWeights = [len(cueSpecs)]float64{0.3, 0, 0.75, 0, 0.25}
)

// Cue is one facial cue in one frame.
type Cue struct {
	Name string
	// Words describe the cue for people ("brows lowered").
	Words string
	// Activation is 0 at or under the cue's threshold, 1 at full strength.
	Activation float64
	// For is how long the cue has been held at half strength or more; 0 when it is not.
	For time.Duration
}

// CueReading is the facial cue evidence of one frame against the person's baseline.
type CueReading struct {
	// Ready is false while the baseline is still being measured (no evidence then).
	Ready bool
	Cues  [len(cueSpecs)]Cue
	// Confusion and Frustration are the weighted cue evidence, each in [0, 1].
	Confusion, Frustration float64
}

// Strongest returns the most active cue held at half strength or more, and false when there is none.
func (r CueReading) Strongest() (Cue, bool) {
	best := -1
	for i, c := range r.Cues {
		if c.Activation >= 0.5 && (best < 0 || c.Activation > r.Cues[best].Activation) {
			best = i
		}
	}
	if best < 0 {
		return Cue{}, false
	}
	return r.Cues[best], true
}

// Describe says what moved, for example "brows lowered for 2 s"; "" when no cue is held.
func (r CueReading) Describe() string {
	c, ok := r.Strongest()
	if !ok {
		return ""
	}
	s := c.For.Seconds()
	if s >= 1.5 {
		return fmt.Sprintf("%s for %.0f s", c.Words, s)
	}
	return fmt.Sprintf("%s for %.1f s", c.Words, s)
}

// Baseline defaults: the first seconds of a call are the person's resting face.
const (
	DefaultBaselineWindow = 3 * time.Second
	minBaselineFrames     = 5
)

// CueTracker measures one person's face against their own baseline: the median of each measure
// over the first Window of frames (at least five frames), then each frame's cues relative to it.
type CueTracker struct {
	// Window is how long the baseline is measured (default DefaultBaselineWindow).
	Window  time.Duration
	start   time.Duration
	samples []Measures
	base    Measures
	ready   bool
	since   [len(cueSpecs)]time.Duration
	held    [len(cueSpecs)]bool
}

// Update adds one frame's measures, taken at offset at within the stream.
func (t *CueTracker) Update(m Measures, at time.Duration) CueReading {
	window := t.Window
	if window == 0 {
		window = DefaultBaselineWindow
	}
	if !t.ready {
		if len(t.samples) == 0 {
			t.start = at
		}
		if at-t.start < window || len(t.samples) < minBaselineFrames {
			t.samples = append(t.samples, m)
			return CueReading{}
		}
		t.base = median(t.samples)
		t.ready = true
		t.samples = nil
	}
	r := CueReading{Ready: true}
	for i, sp := range cueSpecs {
		a := ramp(sp.delta(m, t.base), sp.lo, sp.hi)
		c := Cue{Name: sp.name, Words: sp.words, Activation: a}
		if a >= 0.5 {
			if !t.held[i] {
				t.held[i], t.since[i] = true, at
			}
			c.For = at - t.since[i]
		} else {
			t.held[i] = false
		}
		r.Cues[i] = c
		r.Confusion += confusionWeights[i] * a
		r.Frustration += frustrationWeights[i] * a
	}
	r.Confusion, r.Frustration = math.Min(1, r.Confusion), math.Min(1, r.Frustration)
	return r
}

// Baseline returns the resting measures and whether they are known yet.
func (t *CueTracker) Baseline() (Measures, bool) { return t.base, t.ready }

// ramp is 0 up to lo, 1 from hi, linear between (and 0 for NaN).
func ramp(x, lo, hi float64) float64 {
	if !(x > lo) {
		return 0
	}
	return math.Min(1, (x-lo)/(hi-lo))
}

// median is the per-measure median of the samples.
func median(s []Measures) Measures {
	get := []func(*Measures) *float64{
		func(m *Measures) *float64 { return &m.BrowHeight },
		func(m *Measures) *float64 { return &m.BrowGap },
		func(m *Measures) *float64 { return &m.LipHeight },
		func(m *Measures) *float64 { return &m.MouthOpen },
		func(m *Measures) *float64 { return &m.Roll },
		func(m *Measures) *float64 { return &m.Yaw },
		func(m *Measures) *float64 { return &m.Pitch },
	}
	var out Measures
	v := make([]float64, len(s))
	for _, g := range get {
		for i := range s {
			v[i] = *g(&s[i])
		}
		sort.Float64s(v)
		*g(&out) = v[len(v)/2]
	}
	return out
}

package imagequal

import (
	"image"
	"math"
	"slices"
)

// Retake instructions, in the words a customer reads.
const (
	SayHoldStill  = "Hold the phone still and take the photo again."
	SayRefocus    = "The photo is blurry: tap the check on screen to focus and take it again."
	SayGlare      = "Avoid the lamp's glare: tilt the check or move away from the light and take it again."
	SayFitCorners = "Fit all four corners of the check in the frame and take it again."
	SayCloser     = "Move closer so the check fills most of the frame and take it again."
	SayMoreLight  = "Find more light and take the photo again."
	SayLessLight  = "The photo is too bright: move out of direct light and take it again."
	SayContrast   = "Put the check on a dark, plain surface with good light and take it again."
	SayNoDocument = "Lay the check flat on a darker surface so its edges are visible and take it again."
)

// Report is the quality of one photo of a document.
type Report struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	// Found is true when the document's outline was found against the background.
	Found bool `json:"found"`
	// Whole is true when the document fills the frame (a scan or flat render).
	Whole   bool    `json:"whole_frame"`
	Corners Quad    `json:"corners"`
	Angle   float64 `json:"angle_deg"`
	InFrame bool    `json:"in_frame"`
	// Coverage is the share of the photo the document covers.
	Coverage float64 `json:"coverage"`
	// Sharpness is the variance of the Laplacian of the document at a width of 1000 pixels.
	Sharpness float64 `json:"sharpness"`
	// Anisotropy is the ratio of the weaker to the stronger principal gradient energy (1 is
	// isotropic); motion blur smears edges along one direction and lowers it.
	Anisotropy float64 `json:"anisotropy"`
	MotionDeg  float64 `json:"motion_deg"`
	// Brightness is the paper's luma (75th percentile, 0..255).
	Brightness float64 `json:"brightness"`
	// Contrast is paper luma minus ink luma (75th minus 2nd percentile).
	Contrast float64 `json:"contrast"`
	// Glare is the share of the document covered by the largest blown-out blob.
	Glare float64 `json:"glare"`
	// PPI estimates the document's pixels per inch, taking a check 6 inches long (8.5 when wider).
	PPI float64 `json:"ppi"`
	// Issues name what is wrong: blur, motion, glare, cut_off, low_resolution, dark, bright,
	// low_contrast, no_document.
	Issues []string `json:"issues,omitempty"`
	// Readable is false when the photo should be retaken.
	Readable bool `json:"readable"`
	// Instruction says how to retake the photo when it is not readable.
	Instruction string `json:"instruction,omitempty"`
}

// Thresholds, calibrated on rendered checks (sharp, blurred, moved, glared, cut off).
const (
	minSharpness  = 60.0
	minAnisotropy = 0.30
	maxGlare      = 0.004
	minPPI        = 90.0
	minBrightness = 70.0
	maxBrightness = 252.0
	minContrast   = 45.0
)

// Analysis is the result of Analyze: the report and the document, upright and cropped.
type Analysis struct {
	Report Report
	// Document is the rectified document in grey, or the whole frame when no outline was found.
	Document *image.Gray
	// Scale is Document pixels per source pixel along the width.
	Scale float64
}

// NormWidth is the width of the rectified document.
// At 1400 pixels (about 230 dpi for a personal check) generated checks read as well as at 1800
// for 20% less CPU; at 1000 the MICR line and check numbers suffer (see parley eval checks -width).
const NormWidth = 1400

// Analyze finds the document in img, rectifies it to NormWidth pixels wide and measures its quality.
func Analyze(img image.Image) Analysis {
	return AnalyzeWidth(Gray(img), NormWidth)
}

// AnalyzeWidth is Analyze for an image already converted to grey, rectifying it to width pixels.
func AnalyzeWidth(g *image.Gray, width int) Analysis {
	W, H := g.Rect.Dx(), g.Rect.Dy()
	r := Report{Width: W, Height: H}
	if W < 8 || H < 8 {
		r.Issues = []string{"no_document", "low_resolution"}
		r.Instruction = SayCloser
		return Analysis{Report: r, Document: g, Scale: 1}
	}
	loc := locate(g)
	r.Found, r.Whole, r.Corners, r.InFrame, r.Coverage = loc.found, loc.whole, loc.quad, loc.inFrame, loc.coverage
	r.Angle = loc.angle
	fill := -1
	if !loc.found {
		// The paper does not stand out by brightness: look for its border lines.
		if q, ok := outline(g); ok && squareWith(q, skew(g)) {
			loc.quad, loc.found, loc.whole = q, true, false
			loc.inFrame = true
			r.Found, r.Whole, r.Corners, r.InFrame = true, false, q, true
			dx := float64(q[1].X - q[0].X + q[2].X - q[3].X)
			dy := float64(q[1].Y - q[0].Y + q[2].Y - q[3].Y)
			r.Angle = math.Atan2(dy, dx) * 180 / math.Pi
		}
	}
	if !loc.found {
		// No outline: straighten by the text lines, filling the corners with paper.
		if a := skew(g); math.Abs(a) >= 0.3 {
			r.Angle = a
			loc.quad = rotated(g, a)
			r.Corners = loc.quad
			fill = int(median(g))
		}
	}
	doc := rectify(g, loc.quad, width, fill)
	qw := (math.Hypot(float64(loc.quad[1].X-loc.quad[0].X), float64(loc.quad[1].Y-loc.quad[0].Y)) +
		math.Hypot(float64(loc.quad[2].X-loc.quad[3].X), float64(loc.quad[2].Y-loc.quad[3].Y))) / 2
	inches := 6.0
	if float64(doc.Rect.Dx())/float64(doc.Rect.Dy()) > 2.35 {
		inches = 8.5
	}
	r.PPI = qw / inches
	measure(&r, doc)
	judge(&r)
	return Analysis{Report: r, Document: doc, Scale: float64(width) / math.Max(qw, 1)}
}

// measure fills the sharpness, motion, exposure, contrast and glare figures from the document.
func measure(r *Report, doc *image.Gray) {
	// Measure on a fixed width so figures do not depend on the photo's resolution.
	const mw = 1000
	mh := max(8, doc.Rect.Dy()*mw/max(1, doc.Rect.Dx()))
	m := Resize(doc, mw, mh)
	// Leave out a margin so the document's own outline does not count as detail.
	x0, y0, x1, y1 := mw/40, mh/20, mw-mw/40, mh-mh/20
	var sum, sum2, n float64
	var a, b, c float64
	p, s := m.Pix, m.Stride
	for y := y0 + 1; y < y1-1; y++ {
		for x := x0 + 1; x < x1-1; x++ {
			i := y*s + x
			l := float64(int(p[i-1]) + int(p[i+1]) + int(p[i-s]) + int(p[i+s]) - 4*int(p[i]))
			sum += l
			sum2 += l * l
			n++
			gx := float64(int(p[i+1]) - int(p[i-1]))
			gy := float64(int(p[i+s]) - int(p[i-s]))
			a += gx * gx
			b += gx * gy
			c += gy * gy
		}
	}
	if n > 0 {
		mean := sum / n
		r.Sharpness = sum2/n - mean*mean
	}
	// Eigenvalues of the structure tensor [[a b][b c]].
	tr, det := a+c, a*c-b*b
	disc := math.Sqrt(math.Max(0, tr*tr/4-det))
	l1, l2 := tr/2+disc, tr/2-disc
	if l1 > 0 {
		r.Anisotropy = l2 / l1
		// The blur runs across the weaker gradient direction.
		r.MotionDeg = 0.5 * math.Atan2(2*b, a-c) * 180 / math.Pi
		r.MotionDeg = math.Mod(r.MotionDeg+90+180, 180)
	}
	vals := make([]uint8, 0, (x1-x0)*(y1-y0))
	for y := y0; y < y1; y++ {
		vals = append(vals, p[y*s+x0:y*s+x1]...)
	}
	slices.Sort(vals)
	pct := func(q float64) float64 { return float64(vals[int(q*float64(len(vals)-1))]) }
	if len(vals) > 0 {
		r.Brightness = pct(0.75)
		r.Contrast = pct(0.75) - pct(0.02)
		r.Glare = glare(m, pct(0.5))
	}
}

// glare returns the share of the image covered by the largest blob of blown-out pixels that is
// clearly brighter than the paper around it.
func glare(m *image.Gray, paper float64) float64 {
	if paper > 249 {
		return 0 // paper already at full white: saturation is not glare
	}
	t := uint8(min(254, max(248, paper+5)))
	w, h := m.Rect.Dx(), m.Rect.Dy()
	seen := make([]bool, w*h)
	bright := func(i int) bool { return m.Pix[i] >= t }
	bestN := 0
	var stack []int
	for i := range m.Pix {
		if seen[i] || !bright(i) {
			continue
		}
		seen[i] = true
		stack = append(stack[:0], i)
		n := 0
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			x := j % w
			for _, k := range [4]int{j - 1, j + 1, j - w, j + w} {
				if k < 0 || k >= len(seen) || seen[k] || !bright(k) ||
					(k == j-1 && x == 0) || (k == j+1 && x == w-1) {
					continue
				}
				seen[k] = true
				stack = append(stack, k)
			}
		}
		bestN = max(bestN, n)
	}
	return float64(bestN) / float64(w*h)
}

// judge lists the issues and picks the one instruction that matters most.
func judge(r *Report) {
	add := func(issue string) { r.Issues = append(r.Issues, issue) }
	if !r.Found && !r.Whole {
		add("no_document")
	}
	if !r.InFrame {
		add("cut_off")
	}
	if r.PPI > 0 && r.PPI < minPPI {
		add("low_resolution")
	}
	if r.Brightness < minBrightness {
		add("dark")
	}
	if r.Brightness > maxBrightness && r.Contrast < minContrast {
		add("bright")
	}
	if r.Contrast < minContrast && r.Brightness >= minBrightness {
		add("low_contrast")
	}
	if r.Glare > maxGlare {
		add("glare")
	}
	if r.Anisotropy > 0 && r.Anisotropy < minAnisotropy {
		add("motion")
	} else if r.Sharpness < minSharpness {
		add("blur")
	}
	order := []struct{ issue, say string }{
		{"cut_off", SayFitCorners}, {"no_document", SayNoDocument}, {"dark", SayMoreLight},
		{"bright", SayLessLight}, {"glare", SayGlare}, {"motion", SayHoldStill},
		{"low_resolution", SayCloser}, {"blur", SayRefocus}, {"low_contrast", SayContrast},
	}
	r.Readable = len(r.Issues) == 0
	for _, o := range order {
		if slices.Contains(r.Issues, o.issue) {
			r.Instruction = o.say
			break
		}
	}
}

// ToSource maps a rectangle of Document to the bounding box of its outline in the source photo.
func (a Analysis) ToSource(r image.Rectangle) image.Rectangle {
	q := a.Report.Corners
	dw, dh := float64(a.Document.Rect.Dx()), float64(a.Document.Rect.Dy())
	var fq [4][2]float64
	for i, p := range q {
		fq[i] = [2]float64{float64(p.X), float64(p.Y)}
	}
	h := homography(dw, dh, fq)
	out := image.Rectangle{Min: image.Pt(math.MaxInt32, math.MaxInt32), Max: image.Pt(math.MinInt32, math.MinInt32)}
	for _, p := range [4][2]int{{r.Min.X, r.Min.Y}, {r.Max.X, r.Min.Y}, {r.Max.X, r.Max.Y}, {r.Min.X, r.Max.Y}} {
		x, y := h(float64(p[0]), float64(p[1]))
		out.Min.X = min(out.Min.X, int(math.Floor(x)))
		out.Min.Y = min(out.Min.Y, int(math.Floor(y)))
		out.Max.X = max(out.Max.X, int(math.Ceil(x)))
		out.Max.Y = max(out.Max.Y, int(math.Ceil(y)))
	}
	return out.Intersect(image.Rect(0, 0, a.Report.Width, a.Report.Height))
}

// median returns the median luma of g, sampled.
func median(g *image.Gray) uint8 {
	var hist [256]int
	n := 0
	for i := 0; i < len(g.Pix); i += 7 {
		hist[g.Pix[i]]++
		n++
	}
	c := 0
	for v, k := range hist {
		c += k
		if c*2 >= n {
			return uint8(v)
		}
	}
	return 255
}

// squareWith reports whether a quad found from edges is a plausible outline of a document whose
// text runs at textDeg: its top and bottom sides turn by about the same angle as the text. A quad
// that fails is more likely made of other edges.
func squareWith(q Quad, textDeg float64) bool {
	deg := func(a, b image.Point) float64 {
		return math.Atan2(float64(b.Y-a.Y), float64(b.X-a.X)) * 180 / math.Pi
	}
	h := (deg(q[0], q[1]) + deg(q[3], q[2])) / 2
	return math.Abs(h-textDeg) < 2
}

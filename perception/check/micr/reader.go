package micr

import (
	"fmt"
	"image"
	"math"
	"sort"
	"strings"
	"sync"
)

// Reading works on a strip resampled to a fixed scale: S pixels per grid unit, the 9-unit band
// with a margin of marginV units above and below.
const (
	scaleS  = 3
	marginV = 2
	marginH = 1
	stripH  = (GlyphRows + 2*marginV) * scaleS
	maxPix  = 80 << 20 // larger images are refused rather than risk memory
)

// template is one glyph rendered as ink coverage in a window that includes blank margins, zero-mean
// and with its norm precomputed for normalised cross-correlation.
type template struct {
	base  bool // in the first, gating pass
	gi    int  // index in glyphs
	glyph int  // glyph width in strip pixels
	w     int  // window width in pixels (glyph plus margins)
	t     []float32
	norm  float32
}

var (
	tmplOnce sync.Once
	tmpls    []template
)

// Each glyph is matched sharp and blurred, in its standard weight and printed heavier (ink spread
// and toner gain thicken strokes by up to a third of a unit on each side).
var (
	blurLevels = []blurSpec{{0, 0, 0}, {1.2, 0, 0}, {2.4, 0, 0},
		{0.8, 8, 0}, {0.8, 8, 45}, {0.8, 8, 90}, {0.8, 8, 135},
		{0.8, 12, 0}, {0.8, 12, 45}, {0.8, 12, 90}, {0.8, 12, 135}}
	boldLevels = []float64{0, 0.3} // extra stroke half-width in units
)

// blurSpec is a gaussian sigma plus a motion streak n pixels long at an angle in degrees.
type blurSpec struct {
	sigma float64
	n     int
	angle float64
}

// variants adds shapes the reader accepts for a glyph besides the standard one: some E-13B fonts
// set the dash at the top of the band instead of its middle, and real print sets the on-us symbol
// lower and gives the zero, five and six heavier strokes than the outlines above.
var variants = []Glyph{
	{Dash, 7, []Rect{r(0, 0, 5, 12), r(8, 0, 13, 12), r(16, 0, 21, 12)}},
	// An on-us symbol set lower, its bars and block starting together below the top of the band.
	{OnUs, 7, []Rect{r(0, 5, 3, 19), r(6, 5, 9, 19), r(13, 5, 21, 12)}},
	// A six printed with the heavy lower bowl of the standard's magnetic design.
	{'6', 6, []Rect{
		r(0, 0, 11, 2), r(0, 2, 4, 3), r(7, 2, 11, 3), r(9, 2, 11, 7), r(0, 2, 2, 25),
		r(0, 14, 3, 15), r(0, 15, 18, 18), r(0, 18, 5, 25), r(13, 18, 18, 25), r(0, 24, 18, 27),
	}},
	// A five with a heavy lower bowl, likewise.
	{'5', 5, []Rect{
		r(0, 0, 15, 2), r(0, 2, 4, 3), r(0, 2, 3, 4), r(0, 2, 2, 13), r(0, 11, 3, 12), r(0, 12, 4, 13),
		r(0, 13, 15, 15), r(9, 15, 15, 25), r(7, 24, 15, 25), r(0, 25, 15, 27),
	}},
	// A heavily printed zero: walls a unit and a third thick, which the standard outline
	// matches worse than the heavy lower half of an eight.
	{'0', 7, []Rect{r(3, 0, 18, 4), r(3, 23, 18, 27), r(0, 3, 4, 24), r(17, 3, 21, 24),
		r(1, 1, 5, 5), r(16, 1, 20, 5), r(1, 22, 5, 26), r(16, 22, 20, 26)}},
}

func templates() []template {
	tmplOnce.Do(func() {
		shapes := append(Glyphs(), variants...)
		for si, bl := range blurLevels {
			for bi, bold := range boldLevels {
				for _, g := range shapes {
					gi := 0
					for i, gg := range glyphs {
						if gg.Rune == g.Rune {
							gi = i
						}
					}
					gb := g
					gb.Rects = nil
					for _, q := range g.Rects {
						gb.Rects = append(gb.Rects, Rect{q.X0 - bold, q.Y0 - bold, q.X1 + bold, q.Y1 + bold})
					}
					tp := makeTemplate(gb, gi, bl)
					tp.base = si == 1 && bi == 0
					tmpls = append(tmpls, tp)
				}
			}
		}
	})
	return tmpls
}

func makeTemplate(g Glyph, gi int, bl blurSpec) template {
	w := int(math.Round((g.Width + 2*marginH) * scaleS))
	p := newPlane(w, stripH)
	for y := 0; y < stripH; y++ {
		for x := 0; x < w; x++ {
			p.p[y*w+x] = float32(g.coverage(float64(x)/scaleS-marginH, float64(y)/scaleS-marginV, 1.0/scaleS, 1.0/scaleS))
		}
	}
	p = streak(gaussian(p, bl.sigma), bl.n, bl.angle)
	var mean float32
	for _, v := range p.p {
		mean += v
	}
	mean /= float32(len(p.p))
	var n float32
	for i := range p.p {
		p.p[i] -= mean
		n += p.p[i] * p.p[i]
	}
	return template{gi: gi, glyph: int(math.Round(g.Width * scaleS)), w: w, t: p.p, norm: float32(math.Sqrt(float64(n)))}
}

// streak averages p over n samples along a line at angle degrees: the blur of a moving camera.
func streak(p plane, n int, angle float64) plane {
	if n <= 1 {
		return p
	}
	dx, dy := math.Cos(angle*math.Pi/180), math.Sin(angle*math.Pi/180)
	o := newPlane(p.w, p.h)
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			var s float32
			for i := 0; i < n; i++ {
				t := float64(i) - float64(n-1)/2
				s += p.bilinear(float64(x)+0.5+t*dx, float64(y)+0.5+t*dy, 0)
			}
			o.p[y*p.w+x] = s / float32(n)
		}
	}
	return o
}

// gaussian blurs p with a separable kernel of the given sigma (no-op for sigma <= 0).
func gaussian(p plane, sigma float64) plane {
	if sigma <= 0 {
		return p
	}
	rad := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*rad+1)
	var s float32
	for i := range k {
		d := float64(i - rad)
		k[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		s += k[i]
	}
	for i := range k {
		k[i] /= s
	}
	tmp := newPlane(p.w, p.h)
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			var v float32
			for i, kv := range k {
				xx := min(max(x+i-rad, 0), p.w-1)
				v += kv * p.p[y*p.w+xx]
			}
			tmp.p[y*p.w+x] = v
		}
	}
	o := newPlane(p.w, p.h)
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			var v float32
			for i, kv := range k {
				yy := min(max(y+i-rad, 0), p.h-1)
				v += kv * tmp.p[yy*p.w+x]
			}
			o.p[y*p.w+x] = v
		}
	}
	return o
}

// Read reads a cropped MICR line image: one line of E-13B characters at any scale, dark on light.
// When the image holds more than the line (a whole check), the densest line of MICR-like
// characters is read.
func Read(img image.Image) (Line, error) {
	if img == nil {
		return Line{}, ErrBadImage
	}
	b := img.Bounds()
	if b.Dx() < 16 || b.Dy() < 6 {
		return Line{}, fmt.Errorf("%w: %dx%d", ErrBadImage, b.Dx(), b.Dy())
	}
	if b.Dx()*b.Dy() > maxPix {
		return Line{}, fmt.Errorf("%w: %dx%d is too large", ErrBadImage, b.Dx(), b.Dy())
	}
	// A crop of one line, much wider than high, is read on its pitch grid by the learned
	// classifier; the standard's templates read anything else, and a crop the classifier reads
	// only weakly.
	var learned Line
	haveLearned := false
	if m := ShippedModel(); m != nil && b.Dx() >= 3*b.Dy() {
		if l, err := readCrop(m.m, img); err == nil && l.plausible(3, 0.6) {
			if ValidRouting(l.Routing) {
				return l, nil
			}
			learned, haveLearned = l, true
		}
	}
	g := toGray(img)
	l, _, err := readPlane(g, 1, 6, math.Inf(1), max(9, g.h/2))
	if haveLearned && (err != nil || !ValidRouting(l.Routing)) {
		return learned, nil
	}
	if err != nil {
		return Line{}, err
	}
	if !l.plausible(3, 0.45) {
		return Line{}, fmt.Errorf("%w: only %q, weakly", ErrNoLine, l.Text)
	}
	l.translate(b.Min)
	return l, nil
}

// warp maps strip coordinates back to source pixels. The band's top and bottom edges are lines
// top(x) = t0 + t1*(x-cx) and bot(x) = b0 + b1*(x-cx), which follow a slanted line and the
// changing size of a line seen in perspective; the unit at x is (bot-top)/9 and the strip
// advances scaleS pixels per local unit.
type warp struct {
	t0, t1, b0, b1, cx float64
	s0, s1             float64   // shear: a point h below the band's middle row lies s(x)*h to the right
	xs                 []float64 // source x of each strip column, and one past the end
	f                  float64   // scale to the caller's pixels
}

func (w *warp) unit(x float64) float64 {
	return ((w.b0 + w.b1*(x-w.cx)) - (w.t0 + w.t1*(x-w.cx))) / GlyphRows
}

// build fills xs for a source width; false when the band degenerates.
func (w *warp) build(width int) bool {
	w.xs = w.xs[:0]
	for x := 0.0; x < float64(width); {
		u := w.unit(x)
		if u < 0.4 || len(w.xs) > 20000 {
			return false
		}
		w.xs = append(w.xs, x)
		x += u / scaleS
	}
	w.xs = append(w.xs, float64(width))
	return len(w.xs) > 20
}

func (w *warp) srcX(X float64) float64 {
	i := int(math.Floor(X))
	if i < 0 {
		return w.xs[0] + X*(w.xs[1]-w.xs[0])
	}
	if i >= len(w.xs)-1 {
		n := len(w.xs)
		return w.xs[n-1] + (X-float64(n-1))*(w.xs[n-1]-w.xs[n-2])
	}
	fr := X - float64(i)
	return w.xs[i]*(1-fr) + w.xs[i+1]*fr
}

func (w *warp) src(X, Y float64) (float64, float64) {
	x := w.srcX(X)
	top := w.t0 + w.t1*(x-w.cx)
	u := w.unit(x)
	y := top + (Y/scaleS-marginV)*u
	x += (w.s0 + w.s1*(x-w.cx)) * (Y/scaleS - marginV - GlyphRows/2.0) * u
	return x * w.f, y * w.f
}

// sheared returns a copy of w whose shear is fitted through the slant of each read character's
// vertical strokes, or nil when the characters show none: a check photographed at an angle leans
// its glyphs by different amounts along the line.
func (w *warp) sheared(ink plane, chars []placed) *warp {
	var n, sx, sy, sxx, sxy float64
	for _, c := range chars {
		if c.score < 0.5 {
			continue
		}
		xa, xb := w.srcX(float64(c.x0)), w.srcX(float64(c.x1))
		xc := (xa + xb) / 2
		top, bot := w.t0+w.t1*(xc-w.cx), w.b0+w.b1*(xc-w.cx)
		h := bot - top
		mid := (top + bot) / 2
		x0 := int(xa - h/3)
		prof := make([]float64, int(xb+h/3)-x0+1)
		bestS, bestV := 0.0, -1.0
		for s := -0.3; s <= 0.301; s += 0.03 {
			for i := range prof {
				prof[i] = 0
			}
			for y := max(int(top), 0); y <= min(int(bot), ink.h-1); y++ {
				dx := s * (float64(y) - mid)
				for x := max(x0, 0); x < min(x0+len(prof), ink.w); x++ {
					if k := int(math.Round(float64(x)-dx)) - x0; k >= 0 && k < len(prof) {
						prof[k] += float64(ink.p[y*ink.w+x])
					}
				}
			}
			var v float64
			for _, p := range prof {
				v += p * p
			}
			if v > bestV {
				bestS, bestV = s, v
			}
		}
		x := xc - w.cx
		n++
		sx += x
		sy += bestS
		sxx += x * x
		sxy += x * bestS
	}
	if n < 4 {
		return nil
	}
	nw := *w
	nw.xs = nil
	if den := n*sxx - sx*sx; math.Abs(den) > 1e-9 {
		nw.s1 = (n*sxy - sx*sy) / den
	}
	nw.s0 = (sy - nw.s1*sx) / n
	if math.Abs(nw.s0) < 0.02 && math.Abs(nw.s1*w.cx) < 0.02 {
		return nil
	}
	return &nw
}

func (w *warp) box(X0, Y0, X1, Y1 float64) image.Rectangle {
	xs, ys := []float64{}, []float64{}
	for _, p := range [][2]float64{{X0, Y0}, {X1, Y0}, {X0, Y1}, {X1, Y1}} {
		x, y := w.src(p[0], p[1])
		xs = append(xs, x)
		ys = append(ys, y)
	}
	sort.Float64s(xs)
	sort.Float64s(ys)
	return image.Rect(int(math.Floor(xs[0])), int(math.Floor(ys[0])), int(math.Ceil(xs[3])), int(math.Ceil(ys[3])))
}

// readPlane finds candidate text bands in g (luminance), reads each and returns the best line.
// f is the factor from g's pixels to the caller's pixels (g may be a shrunk copy).
func readPlane(g plane, f, minH, maxH float64, k int) (Line, float64, error) {
	ink := inkMap(g, k)
	t := estimateSkew(ink)
	bands := findBands(ink, t)
	var best Line
	bestScore := math.Inf(-1)
	for _, bd := range bands {
		if h := bd.y1 - bd.y0; h < minH || h > maxH {
			continue
		}
		if l, score, ok := readBand(ink, bd, t, f); ok && score > bestScore {
			best, bestScore = l, score
		}
	}
	if bestScore == math.Inf(-1) || !ValidRouting(best.Routing) {
		// The page's skew need not be the line's: in a photo taken at an angle the bottom line
		// slants differently from the text above it. Measure the skew of each band alone.
		for _, bd := range bands {
			if h := bd.y1 - bd.y0; h < minH || h > maxH {
				continue
			}
			masked := maskBand(ink, bd, t)
			lt := estimateSkew(masked)
			if math.Abs(lt-t) <= 0.004 {
				continue
			}
			for i, bd2 := range findBands(masked, lt) {
				if h := bd2.y1 - bd2.y0; i > 1 || h < minH || h > maxH {
					continue
				}
				if l, score, ok := readBand(ink, bd2, lt, f); ok && score > bestScore {
					best, bestScore = l, score
				}
			}
		}
	}
	if bestScore == math.Inf(-1) {
		return Line{}, 0, ErrNoLine
	}
	return best, bestScore, nil
}

// taper returns a warp whose top and bottom edges are measured separately in the left and right
// halves of the band, or nil when both halves agree with it.
func taper(ink plane, bd band, t float64) *warp {
	cx := float64(ink.w) / 2
	h := bd.y1 - bd.y0
	lo := int(math.Floor(bd.y0 - h/2))
	n := int(math.Ceil(2*h)) + 2
	var edges [2][3]float64 // per half: mean x, top, bottom (sheared rows)
	for half := 0; half < 2; half++ {
		prof := make([]float64, n)
		var sx, sw float64
		for y := 0; y < ink.h; y++ {
			for x := half * ink.w / 2; x < (half+1)*ink.w/2; x++ {
				v := float64(ink.p[y*ink.w+x])
				if v == 0 {
					continue
				}
				if k := int(math.Floor(float64(y)-(float64(x)-cx)*t)) - lo; k >= 0 && k < n {
					prof[k] += v
					sx += float64(x) * v
					sw += v
				}
			}
		}
		pk, pv := 0, 0.0
		for k, v := range prof {
			if v > pv {
				pk, pv = k, v
			}
		}
		if pv == 0 {
			return nil
		}
		top, bot := pk, pk
		for top > 0 && prof[top-1] >= 0.4*pv {
			top--
		}
		for bot < n-1 && prof[bot+1] >= 0.4*pv {
			bot++
		}
		edges[half] = [3]float64{sx / sw, float64(top + lo), float64(bot + lo + 1)}
	}
	l, r := edges[0], edges[1]
	hl, hr := l[2]-l[1], r[2]-r[1]
	if r[0]-l[0] < float64(ink.w)/8 || math.Abs(hl-hr) < 0.1*h && math.Abs(r[1]-l[1]) < 0.1*h || min(hl, hr) < 0.5*h || max(hl, hr) > 1.3*h {
		return nil
	}
	w := &warp{cx: cx, f: 1}
	dx := r[0] - l[0]
	w.t1 = t + (r[1]-l[1])/dx
	w.b1 = t + (r[2]-l[2])/dx
	w.t0 = l[1] + (w.t1-t)*(cx-l[0])
	w.b0 = l[2] + (w.b1-t)*(cx-l[0])
	return w
}

// maskBand returns a copy of ink with everything outside the band (and half its height around
// it) cleared.
func maskBand(ink plane, bd band, t float64) plane {
	m := newPlane(ink.w, ink.h)
	cx := float64(ink.w) / 2
	h := bd.y1 - bd.y0
	for y := 0; y < ink.h; y++ {
		for x := 0; x < ink.w; x++ {
			if ys := float64(y) - (float64(x)-cx)*t; ys >= bd.y0-h/2 && ys <= bd.y1+h/2 {
				m.p[y*ink.w+x] = ink.p[y*ink.w+x]
			}
		}
	}
	return m
}

// estimateSkew returns the slope (tan of the angle) that makes ink rows sharpest, within ±7°.
func estimateSkew(ink plane) float64 {
	type pt struct {
		x, y float32
		v    float32
	}
	var pts []pt
	step := 1
	if ink.w*ink.h > 600000 {
		step = 2
	}
	for y := 0; y < ink.h; y += step {
		for x := 0; x < ink.w; x += step {
			if v := ink.p[y*ink.w+x]; v > 0.5 {
				pts = append(pts, pt{float32(x), float32(y), v})
			}
		}
	}
	if len(pts) < 20 {
		return 0
	}
	cx := float32(ink.w) / 2
	prof := make([]float32, ink.h+ink.w/4+8)
	off := ink.w/8 + 4
	score := func(t float64) float64 {
		for i := range prof {
			prof[i] = 0
		}
		tt := float32(t)
		for _, p := range pts {
			yy := int(p.y-(p.x-cx)*tt) + off
			if yy >= 0 && yy < len(prof) {
				prof[yy] += p.v
			}
		}
		var s float64
		for _, v := range prof {
			s += float64(v) * float64(v)
		}
		return s
	}
	bestT, bestS := 0.0, score(0)
	for a := -7.0; a <= 7.0; a += 0.5 {
		if s := score(math.Tan(a * math.Pi / 180)); s > bestS {
			bestT, bestS = math.Tan(a*math.Pi/180), s
		}
	}
	a0 := math.Atan(bestT) * 180 / math.Pi
	for a := a0 - 0.5; a <= a0+0.5; a += 0.1 {
		if s := score(math.Tan(a * math.Pi / 180)); s > bestS {
			bestT, bestS = math.Tan(a*math.Pi/180), s
		}
	}
	return bestT
}

type band struct{ y0, y1 float64 } // in sheared coordinates, around the image centre column

// findBands returns up to four candidate text bands, densest first.
func findBands(ink plane, t float64) []band {
	cx := float64(ink.w) / 2
	off := int(math.Abs(t)*cx) + 2
	prof := make([]float64, ink.h+2*off)
	for y := 0; y < ink.h; y++ {
		for x := 0; x < ink.w; x++ {
			v := ink.p[y*ink.w+x]
			if v == 0 {
				continue
			}
			yy := int(math.Round(float64(y)-(float64(x)-cx)*t)) + off
			if yy >= 0 && yy < len(prof) {
				prof[yy] += float64(v)
			}
		}
	}
	// Light smoothing.
	sm := make([]float64, len(prof))
	for i := range prof {
		var s float64
		for j := -1; j <= 1; j++ {
			if k := i + j; k >= 0 && k < len(prof) {
				s += prof[k]
			}
		}
		sm[i] = s / 3
	}
	// Remove the noise floor (compression blocks, security tint) so that bands are separated by
	// what rises above it.
	floor := lowQuantile(sm, 0.1)
	for i := range sm {
		sm[i] = max(sm[i]-floor, 0)
	}
	used := make([]bool, len(sm))
	var out []band
	first := 0.0
	for len(out) < 8 {
		pk, pv := -1, 0.0
		for i, v := range sm {
			if !used[i] && v > pv {
				pk, pv = i, v
			}
		}
		if pk < 0 || pv <= 0 || pv < 0.15*first {
			break
		}
		first = max(first, pv)
		th := 0.08 * pv
		a, b := pk, pk
		for a > 0 && sm[a-1] > th && !used[a-1] {
			a--
		}
		for b < len(sm)-1 && sm[b+1] > th && !used[b+1] {
			b++
		}
		for i := max(0, a-2); i <= min(len(sm)-1, b+2); i++ {
			used[i] = true
		}
		// The band's edges are the steepest rise and fall of the profile: the top bars and the
		// feet of the glyphs, half-way through any blur.
		top, bot := a, b
		var dTop, dBot float64
		for i := max(a-2, 1); i <= min(b+2, len(sm)-2); i++ {
			d := sm[i+1] - sm[i-1]
			if i <= pk && d > dTop {
				dTop, top = d, i
			}
			if i >= pk && -d > dBot {
				dBot, bot = -d, i
			}
		}
		if bot-top+1 >= 5 {
			out = append(out, band{float64(top-off) + 0.5, float64(bot-off) + 0.5})
		}
		// Second estimate, robust to noise inside the band: the outermost rows reaching 40% of
		// the band's peak (glyph tops and feet carry the most ink). Kept when it differs.
		t2, b2 := pk, pk
		for i := a; i <= pk; i++ {
			if sm[i] >= 0.4*pv {
				t2 = i
				break
			}
		}
		for i := b; i >= pk; i-- {
			if sm[i] >= 0.4*pv {
				b2 = i
				break
			}
		}
		if h2 := b2 - t2 + 1; h2 >= 5 && math.Abs(float64(h2-(bot-top))) > 0.1*float64(h2) {
			out = append(out, band{float64(t2 - off), float64(b2 - off + 1)})
		}
	}
	return out
}

// lowQuantile returns the q-quantile of v: with q small, the level of the emptiest rows.
func lowQuantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1))]
}

// strip resamples the band to the normalised strip, box-averaging each pixel's source footprint.
func (w *warp) strip(ink plane) plane {
	W := len(w.xs) - 1
	st := newPlane(W, stripH)
	for X := 0; X < W; X++ {
		n := max(1, int(math.Ceil(w.unit(w.xs[X])/scaleS)))
		for Y := 0; Y < stripH; Y++ {
			var s float32
			for j := 0; j < n; j++ {
				for i := 0; i < n; i++ {
					x, y := w.src(float64(X)+(float64(i)+0.5)/float64(n), float64(Y)+(float64(j)+0.5)/float64(n))
					s += ink.bilinear(x, y, 0)
				}
			}
			st.p[Y*W+X] = s / float32(n*n)
		}
	}
	return st
}

// fromChars returns a warp whose band edges are fitted through the measured tops and bottoms of
// the confidently read digits, or nil when there are too few.
func (w *warp) fromChars(ink plane, chars []placed) *warp {
	type obs struct{ x, top, bot float64 }
	var pts []obs
	for _, c := range chars {
		if c.r < '0' || c.r > '9' || c.score < 0.7 {
			continue
		}
		xa, xb := w.srcX(float64(c.x0)), w.srcX(float64(c.x1))
		xc := (xa + xb) / 2
		top, bot := w.t0+w.t1*(xc-w.cx), w.b0+w.b1*(xc-w.cx)
		h := bot - top
		y0, y1 := int(top-h/2), int(bot+h/2)
		prof := make([]float64, y1-y0+1)
		for y := max(y0, 0); y <= min(y1, ink.h-1); y++ {
			for x := max(int(xa), 0); x <= min(int(xb), ink.w-1); x++ {
				prof[y-y0] += float64(ink.p[y*ink.w+x])
			}
		}
		kt, kb := -1, -1
		var dt, db float64
		for k := 1; k < len(prof)-1; k++ {
			d := prof[k+1] - prof[k-1]
			if float64(y0+k) < top+h/3 && d > dt {
				kt, dt = k, d
			}
			if float64(y0+k) > bot-h/3 && -d > db {
				kb, db = k, -d
			}
		}
		if kt >= 0 && kb >= 0 {
			pts = append(pts, obs{xc, float64(y0+kt) + 0.5, float64(y0+kb) + 0.5})
		}
	}
	if len(pts) < 4 {
		return nil
	}
	fit := func(get func(obs) float64) (float64, float64) {
		var n, sx, sy, sxx, sxy float64
		for _, p := range pts {
			x := p.x - w.cx
			n++
			sx += x
			sy += get(p)
			sxx += x * x
			sxy += x * get(p)
		}
		den := n*sxx - sx*sx
		if math.Abs(den) < 1e-9 {
			return sy / n, 0
		}
		b := (n*sxy - sx*sy) / den
		return (sy - b*sx) / n, b
	}
	nw := &warp{cx: w.cx, f: w.f, s0: w.s0, s1: w.s1}
	nw.t0, nw.t1 = fit(func(p obs) float64 { return p.top })
	nw.b0, nw.b1 = fit(func(p obs) float64 { return p.bot })
	if h, nh := w.b0-w.t0, nw.b0-nw.t0; nh < 0.5*h || nh > 1.4*h {
		return nil
	}
	return nw
}

// readBand resamples one band to the strip scale and reads it; score ranks competing bands.
func readBand(ink plane, bd band, t, f float64) (Line, float64, bool) {
	h := bd.y1 - bd.y0
	if h < 6 {
		return Line{}, 0, false
	}
	cx := float64(ink.w) / 2
	a := &warp{t0: bd.y0, t1: t, b0: bd.y1, b1: t, cx: cx, f: 1}
	if !a.build(ink.w) {
		return Line{}, 0, false
	}
	chars, score := classify(a.strip(ink))
	// A line photographed at an angle is taller at one end: measure the band's edges in each half
	// of the image and read it tapered when they differ.
	b := taper(ink, bd, t)
	if b != nil {
		// Measured across a slant the halves look taller than they are: measure once more along
		// the slope just found.
		if b2 := taper(ink, band{b.t0, b.b0}, (b.t1+b.b1)/2); b2 != nil {
			b = b2
		}
	}
	if b != nil && b.build(ink.w) {
		if c2, s2 := classify(b.strip(ink)); s2 > score+0.05 {
			chars, score, a = c2, s2, b
		}
	}
	// Second pass: the digits just read are reliable landmarks. Measure where each one's top and
	// bottom really are in the source and refit the band through them; keep the re-read when it
	// explains the line better.
	for iter := 0; iter < 3; iter++ {
		b := a.fromChars(ink, chars)
		if b == nil || !b.build(ink.w) {
			break
		}
		c2, s2 := classify(b.strip(ink))
		if s2 <= score+0.05 {
			break
		}
		chars, score, a = c2, s2, b
	}
	if b := a.sheared(ink, chars); b != nil && b.build(ink.w) {
		if c2, s2 := classify(b.strip(ink)); s2 > score+0.05 {
			chars, score, a = c2, s2, b
		}
	}
	if len(chars) == 0 {
		return Line{}, 0, false
	}
	repairRouting(chars)
	a.f = f
	var l Line
	var sb strings.Builder
	pitch := PitchUnits * scaleS
	minConf := 1.0
	for i, c := range chars {
		if i > 0 {
			prev := chars[i-1]
			if float64(c.x1) > 0 && float64(c.x0+c.x1)/2-float64(prev.x0+prev.x1)/2 > 1.55*pitch {
				sb.WriteByte(' ')
			}
		}
		sb.WriteRune(c.r)
		box := a.box(float64(c.x0), marginV*scaleS, float64(c.x1), marginV*scaleS+GlyphRows*scaleS)
		l.Chars = append(l.Chars, Char{Rune: c.r, Box: box, Confidence: c.conf})
		l.Box = l.Box.Union(box)
		minConf = math.Min(minConf, c.conf)
	}
	l.Text = sb.String()
	l.Confidence = minConf
	l.ParseFields()
	if l.Routing != "" && ValidRouting(l.Routing) {
		score += 8
	}
	// A MICR line is mostly digits with few symbols: two transits, at most two amount symbols, a
	// few on-us symbols and dashes. More is a security pattern or a rule read as glyphs.
	count := map[rune]int{}
	for _, c := range chars {
		count[c.r]++
	}
	excess := max(count[Transit]-2, 0) + max(count[Amount]-2, 0) + max(count[OnUs]-4, 0) + max(count[Dash]-3, 0)
	score -= 1.5 * float64(excess)
	return l, score, true
}

// repairRouting corrects a routing field whose check digit fails: of the ways to change up to
// three of its nine digits into a valid routing number, it applies the one that costs the least
// correlation, when that cost is small. Heavy blur and perspective turn 2, 5 and 6 into 8 or 9.
func repairRouting(chars []placed) {
	i := -1
	for k, c := range chars {
		if c.r == Transit {
			i = k
			break
		}
	}
	if i < 0 || i+10 >= len(chars) || chars[i+10].r != Transit {
		return
	}
	f := chars[i+1 : i+10]
	var d [9]int
	for k, c := range f {
		if c.r < '0' || c.r > '9' {
			return
		}
		d[k] = int(c.r - '0')
	}
	weights := [9]int{3, 7, 1, 3, 7, 1, 3, 7, 1}
	sum := 0
	for k := range d {
		sum += weights[k] * d[k]
	}
	if sum%10 == 0 {
		return
	}
	// cost of setting position k to digit v.
	cost := func(k, v int) float64 { return f[k].score - float64(f[k].digit[v]) }
	const maxCost = 0.3
	bestCost := maxCost
	var bestSet [][2]int
	var try func(from, depth int, sum int, c float64, set [][2]int)
	try = func(from, depth int, sum int, c float64, set [][2]int) {
		if sum%10 == 0 && len(set) > 0 {
			if c < bestCost {
				bestCost, bestSet = c, append([][2]int(nil), set...)
			}
			return
		}
		if depth == 3 {
			return
		}
		for k := from; k < 9; k++ {
			for v := 0; v < 10; v++ {
				if v == d[k] {
					continue
				}
				nc := c + cost(k, v)
				if nc >= bestCost {
					continue
				}
				try(k+1, depth+1, sum+weights[k]*(v-d[k])+100, nc, append(set, [2]int{k, v}))
			}
		}
	}
	try(0, 0, sum, 0, nil)
	for _, kv := range bestSet {
		c := &f[kv[0]]
		c.r = rune('0' + kv[1])
		c.score = float64(c.digit[kv[1]])
		c.conf = math.Min(c.conf, c.score)
	}
}

type placed struct {
	r      rune
	x0, x1 int
	score  float64
	conf   float64
	digit  [10]float32 // best correlation of each digit at this place
}

// classify segments and recognises a normalised strip by dynamic programming over character
// placements: every column is either covered by a glyph (rewarded by its correlation with the
// template) or skipped (penalised by the ink left unexplained), with at least a unit between glyphs.
func classify(s plane) ([]placed, float64) {
	tps := templates()
	W := s.w
	// Column sums of the strip and its square for window statistics.
	colS := make([]float64, W+1)
	colQ := make([]float64, W+1)
	colInk := make([]float64, W)
	for x := 0; x < W; x++ {
		var a, q, bandInk float64
		for y := 0; y < stripH; y++ {
			v := float64(s.p[y*W+x])
			a += v
			q += v * v
			if y >= marginV*scaleS && y < stripH-marginV*scaleS {
				bandInk += v
			}
		}
		colS[x+1] = colS[x] + a
		colQ[x+1] = colQ[x] + q
		colInk[x] = bandInk / (GlyphRows * scaleS)
	}
	ng := len(glyphs)
	mH := marginH * scaleS
	// best[g][x]: best correlation of glyph g with its glyph box starting at column x.
	best := make([][]float32, ng)
	for gi := 0; gi < ng; gi++ {
		best[gi] = make([]float32, W)
		for x := range best[gi] {
			best[gi][x] = -1
		}
	}
	inkPre := make([]float64, W+1)
	for x := 0; x < W; x++ {
		inkPre[x+1] = inkPre[x] + colInk[x]
	}
	// Pass 1 correlates the mid-blur templates everywhere; pass 2 tries the other weights and blurs
	// only where pass 1 found the glyph plausible.
	eval := func(tp template, x int) {
		gi := tp.gi
		p := x - mH // window left
		lo, hi := max(p, 0), min(p+tp.w, W)
		if hi-lo < tp.glyph/2 || x < 0 || x >= W {
			return
		}
		if inkPre[min(x+tp.glyph, W)]-inkPre[x] < 0.03*float64(tp.glyph) {
			return // blank: no glyph here
		}
		sum := colS[hi] - colS[lo]
		sq := colQ[hi] - colQ[lo]
		n := float64(tp.w * stripH)
		vr := sq - sum*sum/n
		if vr < 1e-3 {
			return
		}
		dot := dotWindow(s.p, W, lo, hi, tp.t, tp.w, lo-p)
		ncc := float32(float64(dot) / (float64(tp.norm) * math.Sqrt(vr)))
		if ncc > best[gi][x] {
			best[gi][x] = ncc
		}
	}
	var cand [][]int
	for pass := 0; pass < 2; pass++ {
		if pass == 1 {
			cand = candidates(best)
		}
		for _, tp := range tps {
			if tp.base != (pass == 0) {
				continue
			}
			gi := tp.gi
			if pass == 1 {
				for _, x := range cand[gi] {
					eval(tp, x)
				}
				continue
			}
			// Correlation peaks are several pixels wide: try every other column, then the
			// columns beside promising ones.
			for x := 0; x < W; x += 2 {
				eval(tp, x)
			}
			for x := 1; x < W; x += 2 {
				if best[gi][x-1] >= 0.25 || (x+1 < W && best[gi][x+1] >= 0.25) {
					eval(tp, x)
				}
			}
		}
	}
	const (
		tau    = 0.55 // correlation that breaks even
		lambda = 0.15 // penalty per unexplained column at full ink
		minNCC = 0.35 // weaker matches are never placed
	)
	gw := make([]int, ng)
	for i, g := range glyphs {
		gw[i] = int(math.Round(g.Width * scaleS))
	}
	// Placements are nodes keyed by their centre in half pixels. Consecutive characters sit at
	// least a pitch less 2.5 units apart centre to centre (the pitch holds whether glyphs are
	// aligned on their right edge or centred), which forbids splitting one wide glyph into two.
	// value(n) = score - tau - lambda*ink before n + best predecessor's value + lambda*ink up to
	// its end, so the unexplained ink between them is charged once.
	type node struct {
		gi, x int
		val   float64
		prev  int // index into nodes, -1 for the line start
	}
	var nodes []node
	byCentre := make([][]int, 2*W+16)
	for x := 0; x < W; x++ {
		for gi := 0; gi < ng; gi++ {
			if float64(best[gi][x]) < minNCC {
				continue
			}
			c := 2*x + gw[gi]
			byCentre[c] = append(byCentre[c], len(nodes))
			nodes = append(nodes, node{gi: gi, x: x})
		}
	}
	minSep := int(math.Round(2 * (PitchUnits - 2.5) * scaleS))
	// pref[k]: best (value + lambda*ink to end) over nodes with centre <= k, and which node.
	pref := make([]float64, len(byCentre))
	prefArg := make([]int, len(byCentre))
	for k := range byCentre {
		q, qa := 0.0, -1 // the line start: nothing placed, no ink explained
		if j := k - minSep; j >= 0 {
			q, qa = pref[j], prefArg[j]
		}
		for _, ni := range byCentre[k] {
			n := &nodes[ni]
			n.val = float64(best[n.gi][n.x]) - tau - lambda*inkPre[n.x] + q
			n.prev = qa
		}
		pref[k], prefArg[k] = 0, -1
		if k > 0 {
			pref[k], prefArg[k] = pref[k-1], prefArg[k-1]
		}
		for _, ni := range byCentre[k] {
			n := nodes[ni]
			if v := n.val + lambda*inkPre[min(n.x+gw[n.gi], W)]; v > pref[k] {
				pref[k], prefArg[k] = v, ni
			}
		}
	}
	last, lastVal := -1, -lambda*inkPre[W]
	for ni, n := range nodes {
		if v := n.val - lambda*(inkPre[W]-inkPre[min(n.x+gw[n.gi], W)]); v > lastVal {
			last, lastVal = ni, v
		}
	}
	var out []placed
	for ni := last; ni >= 0; ni = nodes[ni].prev {
		n := nodes[ni]
		out = append(out, placed{r: glyphs[n.gi].Rune, x0: n.x, x1: n.x + gw[n.gi], score: float64(best[n.gi][n.x])})
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	// Drop weak placements at the ends of the line: borders, rules and background marks that the
	// coverage penalty made the program explain with some glyph.
	pitch := PitchUnits * scaleS
	for len(out) > 1 && (out[0].score < 0.6 || out[0].score < 0.8 && float64(out[1].x0-out[0].x1) > 1.6*pitch) {
		out = out[1:]
	}
	for n := len(out); n > 1 && (out[n-1].score < 0.6 || out[n-1].score < 0.8 && float64(out[n-1].x0-out[n-2].x1) > 1.6*pitch); n = len(out) {
		out = out[:n-1]
	}
	// A lone character between blank positions must match well: in the gaps between fields the
	// security pattern and compression noise sometimes correlate weakly with a glyph.
	var kept []placed
	for i, p := range out {
		lone := (i == 0 || float64(p.x0-out[i-1].x1) > 1.2*pitch) && (i == len(out)-1 || float64(out[i+1].x0-p.x1) > 1.2*pitch)
		if lone && p.score < 0.75 {
			continue
		}
		kept = append(kept, p)
	}
	out = kept
	// Confidence: the correlation, reduced when another glyph fits the same place nearly as well.
	var total float64
	for i := range out {
		p := &out[i]
		second := float32(-1)
		for d := range p.digit {
			p.digit[d] = -1
			for dx := -2; dx <= 2; dx++ {
				if x := p.x0 + dx; x >= 0 && x < W {
					p.digit[d] = max(p.digit[d], best[d][x])
				}
			}
		}
		for gi := 0; gi < ng; gi++ {
			if glyphs[gi].Rune == p.r {
				continue
			}
			for dx := -2; dx <= 2; dx++ {
				if x := p.x0 + dx; x >= 0 && x < W && best[gi][x] > second {
					second = best[gi][x]
				}
			}
		}
		margin := math.Min(1, math.Max(0, (p.score-float64(second))/0.15))
		p.conf = math.Max(0, math.Min(1, p.score)) * (0.5 + 0.5*margin)
		total += p.score - tau
	}
	return out, total
}

// dotWindow is the correlation sum of the strip columns [lo, hi) with template columns
// [t0, t0+hi-lo), over all rows.
func dotWindow(sp []float32, W, lo, hi int, t []float32, tw, t0 int) float32 {
	var d0, d1, d2, d3 float32
	n := hi - lo
	for y := 0; y < stripH; y++ {
		row := sp[y*W+lo : y*W+hi]
		tr := t[y*tw+t0 : y*tw+t0+n]
		i := 0
		for ; i+4 <= n; i += 4 {
			d0 += tr[i] * row[i]
			d1 += tr[i+1] * row[i+1]
			d2 += tr[i+2] * row[i+2]
			d3 += tr[i+3] * row[i+3]
		}
		for ; i < n; i++ {
			d0 += tr[i] * row[i]
		}
	}
	return d0 + d1 + d2 + d3
}

// candidates lists, per glyph, the columns where the finer templates are worth trying: around
// each local peak of the first-pass correlation that is plausible and within reach of the best
// glyph there.
func candidates(best [][]float32) [][]int {
	W := len(best[0])
	top := make([]float32, W)
	for x := 0; x < W; x++ {
		top[x] = -1
		for gi := range best {
			for d := -3; d <= 3; d++ {
				if i := x + d; i >= 0 && i < W && best[gi][i] > top[x] {
					top[x] = best[gi][i]
				}
			}
		}
	}
	out := make([][]int, len(best))
	for gi, g := range best {
		for x := 0; x < W; x++ {
			v := g[x]
			if v < 0.3 || v < top[x]-0.2 {
				continue
			}
			peak := true
			for d := -2; d <= 2 && peak; d++ {
				if i := x + d; i >= 0 && i < W && (g[i] > v || g[i] == v && d < 0) {
					peak = false
				}
			}
			if !peak {
				continue
			}
			for d := -1; d <= 1; d++ {
				if i := x + d; i >= 0 && i < W {
					out[gi] = append(out[gi], i)
				}
			}
		}
	}
	return out
}

// translate shifts every box by d.
func (l *Line) translate(d image.Point) {
	l.Box = l.Box.Add(d)
	for i := range l.Chars {
		l.Chars[i].Box = l.Chars[i].Box.Add(d)
	}
}

// FindAndRead locates the MICR line in the clear band along the bottom of a whole check image and
// reads it. Box and character boxes are in the coordinates of check.
func FindAndRead(check image.Image) (Line, error) {
	if check == nil {
		return Line{}, ErrBadImage
	}
	b := check.Bounds()
	if b.Dx() < 16 || b.Dy() < 6 {
		return Line{}, fmt.Errorf("%w: %dx%d", ErrBadImage, b.Dx(), b.Dy())
	}
	if b.Dx()*b.Dy() > maxPix {
		return Line{}, fmt.Errorf("%w: %dx%d is too large", ErrBadImage, b.Dx(), b.Dy())
	}
	g := toGray(check)
	f := 1
	for g.w/f > 2400 {
		f++
	}
	g = shrink(g, f)
	// The clear band is the bottom 5/8 in of a check 2.75 to 3.66 in high: look at the bottom
	// third first, then at overlapping strips up the image (a photo may hold the check anywhere).
	var best Line
	found := false
	bestScore := 0.0
	try := func(y0, y1 int) bool {
		y0 = max(0, y0)
		y1 = min(g.h, y1)
		if y1-y0 < 8 {
			return false
		}
		sub := plane{g.w, y1 - y0, g.p[y0*g.w : y1*g.w]}
		l, score, err := readPlane(sub, float64(f), 0.007*float64(g.w), 0.045*float64(g.w), max(9, g.w/40))
		if err != nil {
			return false
		}
		l.translate(image.Pt(0, y0*f))
		if !found || score > bestScore {
			best, bestScore, found = l, score, true
		}
		return ValidRouting(l.Routing)
	}
	if try(g.h*2/3, g.h) {
		best.translate(b.Min)
		best.tidy()
		best = rereadLearned(check, best)
		if !best.plausible(8, 0.6) {
			return Line{}, fmt.Errorf("%w: the bottom of the image holds no E-13B line", ErrNoLine)
		}
		return best, nil
	}
	step := max(g.h/8, 8)
	for y := g.h - step*3; y > -step; y -= step {
		if try(y, y+step*3) {
			break
		}
	}
	if !found {
		return Line{}, ErrNoLine
	}
	best.translate(b.Min)
	best.tidy()
	best = rereadLearned(check, best)
	if !best.plausible(8, 0.6) {
		return Line{}, fmt.Errorf("%w: the bottom of the image holds no E-13B line", ErrNoLine)
	}
	return best, nil
}

// rereadLearned reads the line found in a check again, cropped, with the learned classifier
// when the templates gave no valid routing number, and keeps that reading when it gives one.
func rereadLearned(check image.Image, l Line) Line {
	m := ShippedModel()
	sub, ok := check.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if m == nil || !ok || ValidRouting(l.Routing) || l.Box.Empty() {
		return l
	}
	h := l.Box.Dy()
	r := image.Rect(l.Box.Min.X-2*h, l.Box.Min.Y-h/2, l.Box.Max.X+2*h, l.Box.Max.Y+h/2).Intersect(check.Bounds())
	l2, err := readCrop(m.m, sub.SubImage(r))
	if err != nil || !ValidRouting(l2.Routing) {
		return l
	}
	l2.tidy()
	return l2
}

// plausible reports whether l looks like a MICR line rather than other print read as glyphs: a
// valid routing number, or at least n characters read with mean confidence conf.
func (l *Line) plausible(n int, conf float64) bool {
	if ValidRouting(l.Routing) {
		return true
	}
	if len(l.Chars) < n {
		return false
	}
	var sum float64
	for _, c := range l.Chars {
		sum += c.Confidence
	}
	return sum/float64(len(l.Chars)) >= conf
}

// tidy applies the layout of a whole check's MICR line, which begins with a transit or on-us
// symbol and whose fields are runs of several characters: stray groups of one or two characters
// (background marks read as glyphs) and leading groups that cannot start a line are dropped, and an
// auxiliary on-us field that opens with a dash, the symbol a smeared on-us most resembles, gets
// its on-us symbol back.
func (l *Line) tidy() {
	var groups [][]Char
	i := 0
	for _, f := range strings.Fields(l.Text) {
		n := len([]rune(f))
		if i+n > len(l.Chars) {
			return // text and characters disagree: leave the line alone
		}
		groups = append(groups, l.Chars[i:i+n])
		i += n
	}
	// An auxiliary on-us field (serial) just before the transit field: a leading dash is a
	// smeared on-us symbol.
	for k := 0; k+1 < len(groups); k++ {
		if g := groups[k]; g[0].Rune == Dash && g[len(g)-1].Rune == OnUs && groups[k+1][0].Rune == Transit {
			g[0].Rune = OnUs
		}
	}
	// The line opens with a transit or on-us symbol: one or two other characters just before it
	// in the same group are a mark read as glyphs.
	if g := groups[0]; len(g) > 3 {
		for k := 1; k <= 2; k++ {
			if g[k].Rune == Transit || g[k].Rune == OnUs {
				if g[0].Rune != Transit && g[0].Rune != OnUs {
					groups[0] = g[k:]
				}
				break
			}
		}
	}
	field := func(g []Char) bool {
		for _, c := range g {
			if c.Rune == Transit || c.Rune == OnUs || c.Rune == Amount {
				return true
			}
		}
		return false
	}
	for len(groups) > 1 && (len(groups[0]) <= 2 || !field(groups[0])) {
		groups = groups[1:]
	}
	var kept [][]Char
	for _, g := range groups {
		if len(g) > 2 || len(groups) == 1 {
			kept = append(kept, g)
		}
	}
	if len(kept) == 0 {
		return
	}
	var chars []Char
	var words []string
	l.Box = image.Rectangle{}
	l.Confidence = 1
	for _, g := range kept {
		var w strings.Builder
		for _, c := range g {
			w.WriteRune(c.Rune)
			chars = append(chars, c)
			l.Box = l.Box.Union(c.Box)
			l.Confidence = math.Min(l.Confidence, c.Confidence)
		}
		words = append(words, w.String())
	}
	l.Chars = chars
	l.Text = strings.Join(words, " ")
	l.ParseFields()
}

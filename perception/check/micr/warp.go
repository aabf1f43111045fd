package micr

import (
	"image"
	"math"
	"sort"
)

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

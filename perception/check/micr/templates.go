package micr

import (
	"math"
	"sync"
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

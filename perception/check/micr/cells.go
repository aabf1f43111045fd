package micr

import (
	"math"
)

// Cropped lines are read on the pitch grid. A crop is resampled to a strip of the fixed reading
// scale (scaleS pixels a unit, the 9-unit band between marginV units above and below); the
// characters' right edges, which E-13B printers set every 0.125 in, give the pitch and its phase;
// each grid position is then blank or one character, which the learned classifier names.

// Glyph windows handed to the classifier, in strip pixels: winW columns ending one column right
// of a character's right edge, and winH rows from row winY0 of the strip.
const (
	winW  = 26
	winH  = 36
	winY0 = 2
	// featW and featH are the window pooled 2x2: the classifier's input.
	featW = winW / 2
	featH = winH / 2
	nFeat = featW * featH
)

// nominalPitch is the pitch in strip pixels when the band height was measured right.
const nominalPitch = PitchUnits * scaleS

// cropInk turns a cropped line's luminance into ink density 0..1 relative to the local paper
// (inkMap, with a window wider than any glyph stroke). It returns false when the crop has no
// contrast to read.
func cropInk(g plane) (plane, bool) {
	lo, hi := float32(1), float32(0)
	for i := 0; i < len(g.p); i += 3 {
		lo, hi = min(lo, g.p[i]), max(hi, g.p[i])
	}
	if hi-lo < 0.15 {
		return plane{}, false
	}
	ink := inkMap(g, max(9, g.h/2))
	// Faint tone (a paper edge, a shadow's rim) is not print.
	for i, v := range ink.p {
		if v < 0.25 {
			ink.p[i] = 0
		}
	}
	return ink, true
}

// bandOf finds the MICR band in a crop's ink: the run of rows around the inkiest one whose ink is a
// fair share of it. It returns the band's top and bottom rows (bottom exclusive).
func bandOf(ink plane) (float64, float64, bool) {
	rows := make([]float64, ink.h)
	peak := 0.0
	for y := 0; y < ink.h; y++ {
		var s float64
		for _, v := range ink.p[y*ink.w : (y+1)*ink.w] {
			s += float64(v)
		}
		rows[y] = s
		peak = math.Max(peak, s)
	}
	if peak < 2 {
		return 0, 0, false
	}
	// The longest run of rows above a quarter of the peak is the band.
	best0, best1 := 0, 0
	for y := 0; y < ink.h; {
		if rows[y] < 0.22*peak {
			y++
			continue
		}
		y0 := y
		for y < ink.h && rows[y] >= 0.22*peak {
			y++
		}
		if y-y0 > best1-best0 {
			best0, best1 = y0, y
		}
	}
	// Extend over the soft edge rows, weighted by how much ink they hold.
	top, bot := float64(best0), float64(best1)
	if best0 > 0 {
		top -= math.Min(rows[best0-1]/(0.22*peak), 1)
	}
	if best1 < ink.h {
		bot += math.Min(rows[best1]/(0.22*peak), 1)
	}
	if bot-top < 5 {
		return 0, 0, false
	}
	return top, bot, true
}

// resample1 area-averages n samples of src (stride st, from offset o) into m samples, output i
// covering source [start+i*step, start+(i+1)*step).
func resample1(dst []float32, dstStride int, src []float32, o, st, n int, start, step float64, m int) {
	for i := 0; i < m; i++ {
		a := start + float64(i)*step
		b := a + step
		if step < 1 { // upsampling: sample the source linearly at the centre
			c := (a+b)/2 - 0.5
			j := int(math.Floor(c))
			f := float32(c - float64(j))
			v0, v1 := float32(0), float32(0)
			if j >= 0 && j < n {
				v0 = src[o+j*st]
			}
			if j+1 >= 0 && j+1 < n {
				v1 = src[o+(j+1)*st]
			}
			dst[i*dstStride] = v0*(1-f) + v1*f
			continue
		}
		var s float64
		for j := int(math.Floor(a)); float64(j) < b; j++ {
			if j < 0 || j >= n {
				continue
			}
			lo, hi := math.Max(a, float64(j)), math.Min(b, float64(j+1))
			s += float64(src[o+j*st]) * (hi - lo)
		}
		dst[i*dstStride] = float32(s / step)
	}
}

// cropStrip resamples a crop's ink to the reading scale, the band [top, bot) becoming the strip's
// 9-unit band and sx crop columns one strip column.
func cropStrip(ink plane, top, bot, sx float64) plane {
	u := (bot - top) / GlyphRows // source pixels per unit
	s := u / scaleS              // source rows per strip row
	w := int(math.Ceil(float64(ink.w) / sx))
	tmp := newPlane(ink.w, stripH)
	y0 := top - marginV*u
	for x := 0; x < ink.w; x++ {
		resample1(tmp.p[x:], ink.w, ink.p, x, ink.w, ink.h, y0, s, stripH)
	}
	out := newPlane(w, stripH)
	for y := 0; y < stripH; y++ {
		resample1(out.p[y*w:], 1, tmp.p, y*ink.w, 1, ink.w, 0, sx, w)
	}
	return out
}

// columnInk sums each strip column over the 9-unit band.
func columnInk(s plane) []float32 {
	col := make([]float32, s.w)
	for y := marginV * scaleS; y < stripH-marginV*scaleS; y++ {
		row := s.p[y*s.w : (y+1)*s.w]
		for x, v := range row {
			col[x] += v
		}
	}
	return col
}

// inkCol is the band ink, in pixels, that makes a column part of a character.
const inkCol = 1.2

// runs lists the runs of inked columns, [x0, x1) pairs.
func runs(col []float32) [][2]int {
	var out [][2]int
	for x := 0; x < len(col); {
		if col[x] < inkCol {
			x++
			continue
		}
		x0 := x
		for x < len(col) && col[x] >= inkCol {
			x++
		}
		out = append(out, [2]int{x0, x})
	}
	return out
}

// estimatePitch measures the character pitch from the right edges of the runs of inked columns,
// in the strip's pixels, searching around guess. Right edges of neighbouring characters lie a
// whole number of pitches apart (the E-13B rule); the estimate uses only their differences, so the
// phase may change between fields (the amount field is printed after the rest), and only pairs a
// few positions apart, so that a slow change of scale across a photographed line does no harm.
func estimatePitch(rs [][2]int, guess float64) float64 {
	var edges []float64
	for _, r := range rs {
		if r[1]-r[0] >= 2 {
			edges = append(edges, float64(r[1]))
		}
	}
	if len(edges) < 3 {
		return guess
	}
	score := func(p float64) float64 {
		var s float64
		for i, a := range edges {
			for _, b := range edges[i+1:] {
				d := b - a
				if d > 3.6*p {
					break
				}
				if d < 0.6*p {
					continue
				}
				s += math.Cos(2 * math.Pi * d / p)
			}
		}
		return s
	}
	best, bestP := math.Inf(-1), guess
	for p := 0.72 * guess; p <= 1.4*guess; p += 0.005 * guess {
		if v := score(p); v > best {
			best, bestP = v, p
		}
	}
	return bestP
}

// cell is one character position of a strip.
type cell struct {
	k      int // position index: the count of pitches from the line's first character
	right  int // the character's right edge: one past its last inked column
	x0, x1 int // the character's columns
}

// segment cuts a strip scaled to the nominal pitch into characters. The runs of inked columns that
// begin within 0.6 of a pitch of a character's first column belong to it (the symbols are
// several bars; the next character begins at least 0.68 pitch on, after a narrow 1 or 2); a run
// wider than a character is characters touching, cut at the least inked column near each pitch.
func segment(col []float32) []cell {
	rs := runs(col)
	const P = nominalPitch
	var out []cell
	prevRight := math.Inf(-1)
	k := 0
	emit := func(x0, x1 int) {
		var ink float64
		for x := x0; x < x1; x++ {
			ink += float64(col[x])
		}
		if ink < 20 {
			return // a speck
		}
		if len(out) > 0 {
			k += max(int(math.Round((float64(x1)-prevRight)/P)), 1)
		}
		prevRight = float64(x1)
		out = append(out, cell{k: k, right: x1, x0: x0, x1: x1})
	}
	for i := 0; i < len(rs); {
		x0, x1 := rs[i][0], rs[i][1]
		j := i + 1
		for j < len(rs) && float64(rs[j][0]) < float64(x0)+0.6*P {
			x1 = max(x1, rs[j][1])
			j++
		}
		i = j
		w := float64(x1 - x0)
		if w <= 0.86*P {
			emit(x0, x1)
			continue
		}
		// Touching characters: n of them, right edges about a pitch apart from the last.
		n := int(math.Round((w + 2.6*scaleS) / P))
		n = max(n, 2)
		cuts := []int{x1}
		for c := 1; c < n; c++ {
			at := float64(x1) - float64(c)*P
			bx, bv := int(at), float32(math.Inf(1))
			for x := int(at) - 4; x <= int(at)+4; x++ {
				if x > x0 && x < x1 && col[x] < bv {
					bx, bv = x, col[x]
				}
			}
			cuts = append(cuts, bx)
		}
		cuts = append(cuts, x0)
		for c := len(cuts) - 1; c > 0; c-- {
			lo, hi := cuts[c], cuts[c-1]
			if c != len(cuts)-1 {
				lo++
			}
			emit(lo, hi)
		}
	}
	return out
}

// window copies the glyph window of a cell, its right edge shifted by dx columns and its rows by
// dy, into w (winW*winH values), zero outside the cell's columns.
func window(s plane, c cell, dx, dy int, w []float32) {
	left := c.right + dx - winW + 1
	for y := 0; y < winH; y++ {
		sy := winY0 + y + dy
		for x := 0; x < winW; x++ {
			sx := left + x
			v := float32(0)
			if sy >= 0 && sy < s.h && sx >= c.x0-1 && sx < c.x1+1 && sx >= 0 && sx < s.w {
				v = s.p[sy*s.w+sx]
			}
			w[y*winW+x] = v
		}
	}
}

// pool averages a window 2x2 into the classifier's features.
func pool(w []float32, f []float32) {
	for y := 0; y < featH; y++ {
		for x := 0; x < featW; x++ {
			i := 2*y*winW + 2*x
			f[y*featW+x] = 0.25 * (w[i] + w[i+1] + w[i+winW] + w[i+winW+1])
		}
	}
}

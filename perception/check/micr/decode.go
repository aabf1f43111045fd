package micr

import (
	"math"
	"sort"
)

// pieces cuts a strip's columns into the atoms characters are built from: the runs of inked
// columns, and a run wider than a narrow character cut where characters may touch: at its least
// inked column near each pitch from either end, and at each deep local minimum of its ink. The
// decoder joins pieces back into characters. Specks too faint to be print are left out.
func pieces(col []float32) [][2]int {
	const P = nominalPitch
	var out [][2]int
	add := func(x0, x1 int) {
		var ink float64
		for x := x0; x < x1; x++ {
			ink += float64(col[x])
		}
		if ink >= 6 {
			out = append(out, [2]int{x0, x1})
		}
	}
	rs := runs(col)
	for ri, r := range rs {
		x0, x1 := r[0], r[1]
		w := float64(x1 - x0)
		if w <= 0.55*P {
			add(x0, x1)
			continue
		}
		cut := map[int]bool{}
		least := func(at float64) {
			bx, bv := -1, float32(math.Inf(1))
			for x := int(at) - 5; x <= int(at)+5; x++ {
				if x > x0+3 && x < x1-3 && col[x] < bv {
					bx, bv = x, col[x]
				}
			}
			if bx >= 0 {
				cut[bx] = true
			}
		}
		n := int(math.Ceil((w + 2.6*scaleS) / P))
		for c := 1; c < n; c++ {
			least(float64(x1) - float64(c)*P)
			least(float64(x0) + float64(c)*P - 2.6*scaleS)
		}
		// The run may end inside a symbol whose other bars are the next runs: cut a pitch before
		// their right edges too.
		for k := ri + 1; k < len(rs) && float64(rs[k][0]-x1) < 0.6*P; k++ {
			least(float64(rs[k][1]) - P)
		}
		var med []float32
		for x := x0; x < x1; x++ {
			med = append(med, col[x])
		}
		m := percentile(med, 0.5)
		for x := x0 + 4; x < x1-4; x++ {
			if col[x] < 0.5*m && col[x] <= col[x-1] && col[x] <= col[x+1] {
				cut[x] = true
			}
		}
		var xs []int
		for x := range cut {
			xs = append(xs, x)
		}
		sort.Ints(xs)
		lo := x0
		for _, x := range xs {
			if x-lo >= 3 {
				add(lo, x)
				lo = x
			}
		}
		add(lo, x1)
	}
	return out
}

// Decoding weights: the width of a candidate against its class's, the spacing of neighbouring
// right edges against the pitch, and a reward per character that balances the classifier's
// log-probabilities, which alone would favour fewer, merged characters.
const (
	widthGain  = 2.4  // pixels real print is wider than the standard's outline, on average
	widthTol   = 3.5  // pixels a glyph may be wider or narrower than that before it costs
	widthScale = 2.5  // pixels of excess width that cost one nat
	pitchSD    = 2.5  // pixels: spread of neighbouring right edges around one pitch
	charReward = 2.0  // nats per character placed
	maxSpan    = 1.1  // widest candidate, in pitches
	spacingCap = 12.0 // nats: the most an irregular spacing costs
)

// cand is one way to make a character of pieces i..j: the classifier's probabilities for the
// window they span and each class's score, log-probability less the cost of the span's width.
type cand struct {
	i, j   int
	x0, x1 int
	prob   [14]float32
	score  [14]float64
}

// candidates evaluates every group of consecutive pieces narrow enough to be one character;
// out[j] lists the groups ending at piece j.
func (gl *gridLine) candidates(m *mlp, ps [][2]int) [][]cand {
	w := make([]float32, winW*winH)
	x := make([]float32, nFeat)
	h := make([]float32, m.hid)
	p := make([]float32, m.out)
	out := make([][]cand, len(ps))
	for j := range ps {
		for i := j; i >= 0; i-- {
			x0, x1 := ps[i][0], ps[j][1]
			if float64(x1-x0) > maxSpan*nominalPitch {
				break
			}
			window(gl.strip, cell{right: x1, x0: x0, x1: x1}, 0, 0, w)
			pool(w, x)
			m.forward(x, h, p)
			c := cand{i: i, j: j, x0: x0, x1: x1}
			for k := range c.prob {
				c.prob[k] = p[k]
				c.score[k] = math.Log(float64(p[k])+1e-9) - widthCost(k, x1-x0)
			}
			out[j] = append(out[j], c)
		}
	}
	return out
}

// widthCost is what a span of w pixels costs as character class k.
func widthCost(k, w int) float64 {
	d := math.Abs(float64(w)-glyphs[k].Width*scaleS-widthGain) - widthTol
	if d <= 0 {
		return 0
	}
	return d / widthScale
}

// spacingCost is what a right edge d pixels after the previous one costs: little near a whole
// number of pitches, and never more than spacingCap, since fields printed apart need not share
// the grid.
func spacingCost(d float64) float64 {
	k := math.Max(math.Round(d/nominalPitch), 1)
	sd := pitchSD
	if k > 1 {
		sd *= 2
	}
	e := (d - k*nominalPitch) / sd
	return math.Min(0.5*e*e, spacingCap)
}

// dropCost is what leaving a piece out as noise costs.
func dropCost(pc [2]int) float64 { return 3 + 0.3*float64(pc[1]-pc[0]) }

// decode segments and classifies a strip at once: of the ways to group its pieces into
// characters, it picks the one that the classifier, the glyph widths and the pitch grid together
// find likeliest (dynamic programming over the pieces).
func (gl *gridLine) decode(m *mlp) []placed {
	ps := pieces(columnInk(gl.strip))
	n := len(ps)
	if n == 0 {
		return nil
	}
	cands := gl.candidates(m, ps)
	// best[j]: best score of pieces 0..j-1 grouped; from[j] the candidate that ends there, -1 when
	// piece j-1 was dropped; prevEnd[j] the right edge of the last character placed.
	best := make([]float64, n+1)
	from := make([]int, n+1)
	cls := make([]int, n+1)
	prevEnd := make([]int, n+1)
	prevEnd[0] = -1
	for j := 1; j <= n; j++ {
		best[j], from[j], prevEnd[j] = best[j-1]-dropCost(ps[j-1]), -1, prevEnd[j-1]
		for ci, c := range cands[j-1] {
			k := 0
			for q := range c.score {
				if c.score[q] > c.score[k] {
					k = q
				}
			}
			s := best[c.i] + c.score[k] + charReward
			if pe := prevEnd[c.i]; pe >= 0 {
				s -= spacingCost(float64(c.x1 - pe))
			}
			if s > best[j] {
				best[j], from[j], cls[j], prevEnd[j] = s, ci, k, c.x1
			}
		}
	}
	var out []placed
	var cells []cell
	for j := n; j > 0; {
		if from[j] < 0 {
			j--
			continue
		}
		c := cands[j-1][from[j]]
		k := cls[j]
		pl := placed{r: glyphs[k].Rune, x0: c.x0, x1: c.x1, score: float64(c.prob[k]), conf: float64(c.prob[k])}
		copy(pl.digit[:], c.prob[:10])
		out = append(out, pl)
		cells = append(cells, cell{right: c.x1, x0: c.x0, x1: c.x1})
		j = c.i
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
		cells[a], cells[b] = cells[b], cells[a]
	}
	for i := range cells {
		if i > 0 {
			cells[i].k = cells[i-1].k + max(int(math.Round(float64(cells[i].right-cells[i-1].right)/nominalPitch)), 1)
		}
	}
	gl.cells = cells
	return out
}

// align finds the grouping of the strip's pieces into exactly the characters of truth that the
// model and the priors find likeliest, and returns the characters' positions, or nil when there
// is none. It labels the glyphs of lines the plain segmentation cuts wrongly.
func (gl *gridLine) align(m *mlp, truth []int) []cell {
	ps := pieces(columnInk(gl.strip))
	n, T := len(ps), len(truth)
	if n == 0 || T == 0 {
		return nil
	}
	cands := gl.candidates(m, ps)
	inf := math.Inf(-1)
	// best[j][t]: pieces 0..j-1 used, characters 0..t-1 placed.
	best := make([][]float64, n+1)
	back := make([][]int, n+1) // candidate index + 1, or 0 for a dropped piece
	end := make([][]int, n+1)
	for j := range best {
		best[j] = make([]float64, T+1)
		back[j] = make([]int, T+1)
		end[j] = make([]int, T+1)
		for t := range best[j] {
			best[j][t] = inf
		}
	}
	best[0][0] = 0
	end[0][0] = -1
	for j := 1; j <= n; j++ {
		for t := 0; t <= T; t++ {
			if v := best[j-1][t] - dropCost(ps[j-1]); v > best[j][t] {
				best[j][t], back[j][t], end[j][t] = v, 0, end[j-1][t]
			}
			if t == 0 {
				continue
			}
			k := truth[t-1]
			for ci, c := range cands[j-1] {
				prev := best[c.i][t-1]
				if prev == inf {
					continue
				}
				s := prev + c.score[k] + charReward
				if pe := end[c.i][t-1]; pe >= 0 {
					s -= spacingCost(float64(c.x1 - pe))
				}
				if s > best[j][t] {
					best[j][t], back[j][t], end[j][t] = s, ci+1, c.x1
				}
			}
		}
	}
	if best[n][T] == inf {
		return nil
	}
	cells := make([]cell, T)
	for j, t := n, T; j > 0; {
		b := back[j][t]
		if b == 0 {
			j--
			continue
		}
		c := cands[j-1][b-1]
		cells[t-1] = cell{right: c.x1, x0: c.x0, x1: c.x1}
		j, t = c.i, t-1
	}
	return cells
}

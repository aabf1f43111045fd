package micr

import (
	"math"
	"strings"
)

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

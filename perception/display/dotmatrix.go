package display

import (
	"image"
	"image/color"
	"math"
	"sort"
)

// blob is one connected part of a thresholded region: a dot of a dot-matrix display, or a
// segment, or a speck.
type blob struct {
	r      image.Rectangle
	n      int
	cx, cy float64
}

// blobs returns the 4-connected parts of on (stride w) that do not touch the region's edge.
func blobs(on []bool, w, h int) []blob {
	seen := make([]bool, len(on))
	var out []blob
	stack := []int{}
	for i := range on {
		if !on[i] || seen[i] {
			continue
		}
		b := blob{r: image.Rectangle{Min: image.Pt(w, h)}}
		edge := false
		var sx, sy int
		stack = append(stack[:0], i)
		seen[i] = true
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := j%w, j/w
			b.n++
			sx, sy = sx+x, sy+y
			b.r.Min.X, b.r.Min.Y = min(b.r.Min.X, x), min(b.r.Min.Y, y)
			b.r.Max.X, b.r.Max.Y = max(b.r.Max.X, x+1), max(b.r.Max.Y, y+1)
			if x == 0 || y == 0 || x == w-1 || y == h-1 {
				edge = true
			}
			if x > 0 && on[j-1] && !seen[j-1] {
				seen[j-1] = true
				stack = append(stack, j-1)
			}
			if x < w-1 && on[j+1] && !seen[j+1] {
				seen[j+1] = true
				stack = append(stack, j+1)
			}
			if y > 0 && on[j-w] && !seen[j-w] {
				seen[j-w] = true
				stack = append(stack, j-w)
			}
			if y < h-1 && on[j+w] && !seen[j+w] {
				seen[j+w] = true
				stack = append(stack, j+w)
			}
		}
		if edge || b.n < 4 {
			continue
		}
		b.cx, b.cy = float64(sx)/float64(b.n), float64(sy)/float64(b.n)
		out = append(out, b)
	}
	return out
}

func median(v []float64) float64 { return quantile(v, 0.5) }

// quantile returns the q-quantile of v (0 for none).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1))]
}

// clusters groups sorted positions into runs whose neighbours are closer than gap and returns
// each run's mean and size.
func clusters(pos []float64, gap float64) (means []float64, sizes []int) {
	sort.Float64s(pos)
	for i, p := range pos {
		if i == 0 || p-pos[i-1] >= gap {
			means, sizes = append(means, p), append(sizes, 1)
			continue
		}
		k := len(means) - 1
		means[k] = (means[k]*float64(sizes[k]) + p) / float64(sizes[k]+1)
		sizes[k]++
	}
	return means, sizes
}

// readDots reads a dot-matrix display from a thresholded region: the lit parts must be round dots
// of one size on a regular grid seven rows high; columns are grouped into characters by the
// blank column between them, and each character's 5x7 grid is sampled and matched to the font.
func readDots(p plane) (Reading, bool) {
	all := blobs(p.on, p.w, p.h)
	if len(all) < 10 {
		return Reading{}, false
	}
	var sizes []float64
	for _, b := range all {
		sizes = append(sizes, float64(max(b.r.Dx(), b.r.Dy())))
	}
	d := median(sizes)
	if d < 3 {
		return Reading{}, false
	}
	var dots []blob
	area, dotArea := 0, 0
	for _, b := range all {
		area += b.n
		w, h := float64(b.r.Dx()), float64(b.r.Dy())
		if w >= 0.5*d && h >= 0.5*d && w <= 1.5*d && h <= 1.5*d && w/h >= 0.6 && w/h <= 1.65 &&
			float64(b.n) >= 0.45*w*h {
			dots = append(dots, b)
			dotArea += b.n
		}
	}
	// Segments are bars, not dots: most of what is lit must be dots.
	if len(dots) < 10 || float64(dotArea) < 0.75*float64(area) {
		return Reading{}, false
	}
	// The pitch: a low quantile of the distances to the nearest dot in the same row, and in the
	// same column (many dots of a character have no neighbour next to them: the bar of an "E").
	var hx, vy []float64
	for i, a := range dots {
		bx, by := math.Inf(1), math.Inf(1)
		for j, b := range dots {
			if i == j {
				continue
			}
			dx, dy := math.Abs(b.cx-a.cx), math.Abs(b.cy-a.cy)
			if dy < d/2 && dx > d/2 {
				bx = min(bx, dx)
			}
			if dx < d/2 && dy > d/2 {
				by = min(by, dy)
			}
		}
		if !math.IsInf(bx, 1) {
			hx = append(hx, bx)
		}
		if !math.IsInf(by, 1) {
			vy = append(vy, by)
		}
	}
	px, py := quantile(hx, 0.25), quantile(vy, 0.25)
	if px < d || py < d || px > 3*d || py > 3*d || py > 1.6*px || px > 1.6*py {
		return Reading{}, false
	}
	// Seven rows on the vertical pitch.
	var ys, xs []float64
	for _, b := range dots {
		ys = append(ys, b.cy)
		xs = append(xs, b.cx)
	}
	rows, rowN := clusters(ys, py/2)
	rows, ok := sevenRows(rows, rowN, py)
	if !ok {
		return Reading{}, false
	}
	cols, _ := clusters(xs, px/2)
	// Characters: runs of columns on the pitch, split where a column or more is blank.
	var chars [][]float64
	for i, x := range cols {
		if i == 0 || x-cols[i-1] > 1.5*px {
			chars = append(chars, nil)
		}
		chars[len(chars)-1] = append(chars[len(chars)-1], x)
	}
	if len(chars) < 2 || len(chars) > 12 {
		return Reading{}, false
	}
	rd := Reading{Color: color.RGBA{uint8(p.fg[0]), uint8(p.fg[1]), uint8(p.fg[2]), 255}, background: p.bg, Type: DotMatrix}
	r := int(math.Max(1, d/3))
	sum := 0.0
	for _, cx := range chars {
		if len(cx) > 5 {
			return Reading{}, false
		}
		c, conf, dots, x0, costs := readDotChar(p, cx, rows, px, r)
		sum += conf
		g := dots
		rd.Chars = append(rd.Chars, Char{Char: string(c), Confidence: conf, Dots: &g, costs: costs,
			Box: image.Rect(p.box.Min.X+int(x0-d/2), p.box.Min.Y+int(rows[0]-d/2), p.box.Min.X+int(x0+4*px+d/2), p.box.Min.Y+int(rows[6]+d/2))})
		rd.Text += string(c)
	}
	rd.Contrast = min(1, p.sep*4)
	rd.Confidence = sum / float64(len(rd.Chars)) * (0.5 + 0.5*rd.Contrast)
	first, last := chars[0][0], chars[len(chars)-1]
	rd.Box = image.Rect(p.box.Min.X+int(first-d/2), p.box.Min.Y+int(rows[0]-d/2),
		p.box.Min.X+int(last[len(last)-1]+d/2)+1, p.box.Min.Y+int(rows[6]+d/2)+1)
	return rd, true
}

// sevenRows picks seven consecutive rows a pitch apart, the seven with the most dots when there
// are more (a stray speck above or below).
func sevenRows(rows []float64, n []int, py float64) ([]float64, bool) {
	best, bestN := -1, 0
	for i := 0; i+7 <= len(rows); i++ {
		tot := 0
		for k := i; k < i+7; k++ {
			tot += n[k]
		}
		span := rows[i+6] - rows[i]
		if span < 5.5*py || span > 6.5*py {
			continue
		}
		if tot > bestN {
			best, bestN = i, tot
		}
	}
	if best < 0 {
		return nil, false
	}
	return rows[best : best+7], true
}

// readDotChar samples the 5x7 grid of one character whose lit columns are at xs and matches it to
// the font: a character narrower than five columns ("1", "I") is tried at every place in its cell.
// It returns the character, its confidence, the dots sampled for it, the left column's x and the
// cost of every character of the font.
func readDotChar(p plane, xs []float64, rows []float64, px float64, r int) (byte, float64, [7]uint8, float64, map[byte]float64) {
	var (
		best     byte = '?'
		bestCost      = math.Inf(1)
		bestSure      = 0.0
		bestDots [7]uint8
		bestX0   float64
		// second is the lowest cost of another character, for the margin.
		second = math.Inf(1)
	)
	costs := map[byte]float64{}
	step := px
	if len(xs) > 1 {
		step = (xs[len(xs)-1] - xs[0]) / float64(len(xs)-1)
	}
	for off := 0; off+len(xs) <= 5; off++ {
		x0 := xs[0] - float64(off)*step
		var dots [7]uint8
		var sure [7][5]float64
		for row := 0; row < 7; row++ {
			for col := 0; col < 5; col++ {
				f := fillAround(p, x0+float64(col)*step, rows[row], r)
				if f >= 0.4 {
					dots[row] |= 1 << (4 - col)
					sure[row][col] = min(1, (f-0.4)/0.4)
				} else {
					sure[row][col] = min(1, (0.4-f)/0.3)
				}
			}
		}
		for c, g := range dotFont {
			cost := 0.0
			minSure := 1.0
			for row := 0; row < 7; row++ {
				diff := g[row] ^ dots[row]
				for col := 0; col < 5; col++ {
					s := sure[row][col]
					if diff&(1<<(4-col)) != 0 {
						cost += 0.2 + s
					} else {
						minSure = min(minSure, s)
					}
				}
			}
			if old, ok := costs[c]; !ok || cost < old {
				costs[c] = cost
			}
			if cost < bestCost || cost == bestCost && c < best {
				best, bestCost, bestSure, bestDots, bestX0 = c, cost, minSure, dots, x0
			}
		}
	}
	for c, cost := range costs {
		if c != best {
			second = min(second, cost)
		}
	}
	// A character that matches no shape of the font exactly (another maker's font, a dot lost to
	// glare) is as sure as its margin over the next likeliest character, less for every dot off.
	conf := 0.05
	if second > 0 && !math.IsInf(second, 1) {
		conf = max(0.05, min(0.55, 0.6*(second-bestCost)/second)*math.Exp(-bestCost/8))
	}
	if bestCost == 0 {
		conf = 0.6 + 0.4*bestSure
	}
	return best, conf, bestDots, bestX0, costs
}

// fillAround is the lit fraction of the square of half-side r around (x, y).
func fillAround(p plane, x, y float64, r int) float64 {
	cx, cy := int(x+0.5), int(y+0.5)
	n, lit := 0, 0
	for yy := max(0, cy-r); yy <= min(p.h-1, cy+r); yy++ {
		for xx := max(0, cx-r); xx <= min(p.w-1, cx+r); xx++ {
			n++
			if p.on[yy*p.w+xx] {
				lit++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(lit) / float64(n)
}

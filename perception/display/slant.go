package display

import "math"

// maxSlant is the largest lean looked for, in pixels sideways per pixel of height.
const maxSlant = 0.3

// slant returns the lean of the characters in on (stride w, h rows): the shear, in steps of 0.02,
// under which the columns' lit counts are most concentrated (upright strokes fall into few
// columns). A lean under 0.04 is returned as 0.
func slant(on []bool, w, h int) float64 {
	// The lit pixels of every other row, as (x, height above the bottom).
	var px, py []float64
	for y := 0; y < h; y += 2 {
		for x, v := range on[y*w : (y+1)*w] {
			if v {
				px, py = append(px, float64(x)), append(py, float64(h-1-y))
			}
		}
	}
	off := int(maxSlant*float64(h)) + 1
	cols := make([]float64, w+2*off+2)
	best, bestK := -1.0, 0.0
	for step := -15; step <= 15; step++ {
		k := float64(step) * 0.02
		clear(cols)
		for i, x := range px {
			if j := int(x-k*py[i]+0.5) + off; j >= 0 && j < len(cols) {
				cols[j]++
			}
		}
		e := 0.0
		for _, c := range cols {
			e += c * c
		}
		if e > best*1.0001 || (math.Abs(e-best) <= best*0.0001 && math.Abs(k) < math.Abs(bestK)) {
			best, bestK = e, k
		}
	}
	if math.Abs(bestK) < 0.04 {
		return 0
	}
	return bestK
}

// shear returns on with every row moved sideways by k times its height above the bottom row, so
// that characters leaning by k stand upright.
func shear(on []bool, w, h int, k float64) []bool {
	out := make([]bool, len(on))
	for y := 0; y < h; y++ {
		dx := int(math.Round(k * float64(h-1-y)))
		row, dst := on[y*w:(y+1)*w], out[y*w:(y+1)*w]
		for x := range row {
			if row[x] {
				if nx := x - dx; nx >= 0 && nx < w {
					dst[nx] = true
				}
			}
		}
	}
	return out
}

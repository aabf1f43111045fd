package imagequal

import "image"

// RemoveRules returns a copy of g with ruled lines and boxes (dark runs longer than minRun pixels,
// horizontal or vertical) painted over with the paper's tone. Tesseract drops text that sits
// inside a printed box, such as a check's courtesy amount; without the box it reads it.
func RemoveRules(g *image.Gray, minRun int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	copyGray(out, g)
	paper := int(median(out))
	ink := int(percentile(out, 0.01))
	if paper-ink < 40 {
		return out
	}
	t := uint8((paper + ink) / 2)
	// Mark first, then paint, so horizontal and vertical passes see the same image.
	mark := make([]bool, w*h)
	for y := 0; y < h; y++ {
		row := out.Pix[y*w : y*w+w]
		run := 0
		for x := 0; x <= w; x++ {
			if x < w && row[x] < t {
				run++
				continue
			}
			if run >= minRun {
				for xx := x - run; xx < x; xx++ {
					mark[y*w+xx] = true
				}
			}
			run = 0
		}
	}
	for x := 0; x < w; x++ {
		run := 0
		for y := 0; y <= h; y++ {
			if y < h && out.Pix[y*w+x] < t {
				run++
				continue
			}
			if run >= minRun {
				for yy := y - run; yy < y; yy++ {
					mark[yy*w+x] = true
				}
			}
			run = 0
		}
	}
	// Paint the marked pixels and their soft edges (one pixel either side across the line).
	for i, m := range mark {
		if !m {
			continue
		}
		out.Pix[i] = uint8(paper)
		for _, j := range [4]int{i - 1, i + 1, i - w, i + w} {
			if j >= 0 && j < len(out.Pix) && !mark[j] && out.Pix[j] < uint8(paper) && out.Pix[j] >= t {
				out.Pix[j] = uint8(paper)
			}
		}
	}
	return out
}

// percentile returns the q-quantile of g's luma, sampled.
func percentile(g *image.Gray, q float64) uint8 {
	var hist [256]int
	n := 0
	for i := 0; i < len(g.Pix); i += 5 {
		hist[g.Pix[i]]++
		n++
	}
	c := 0
	for v, k := range hist {
		c += k
		if float64(c) >= q*float64(n) {
			return uint8(v)
		}
	}
	return 255
}

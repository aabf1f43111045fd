package micr

import (
	"image"
	"math"
	"sort"
)

// plane is a single-channel float image, row-major.
type plane struct {
	w, h int
	p    []float32
}

func newPlane(w, h int) plane { return plane{w, h, make([]float32, w*h)} }

func (g plane) at(x, y int) float32 { return g.p[y*g.w+x] }

// bilinear samples g at (x, y) in pixel-centre coordinates; outside is v0, or the nearest edge
// pixel when v0 is negative.
func (g plane) bilinear(x, y float64, v0 float32) float32 {
	x -= 0.5
	y -= 0.5
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	get := func(xx, yy int) float32 {
		if v0 < 0 {
			xx, yy = min(max(xx, 0), g.w-1), min(max(yy, 0), g.h-1)
		} else if xx < 0 || yy < 0 || xx >= g.w || yy >= g.h {
			return v0
		}
		return g.p[yy*g.w+xx]
	}
	a := get(x0, y0)*(1-fx) + get(x0+1, y0)*fx
	b := get(x0, y0+1)*(1-fx) + get(x0+1, y0+1)*fx
	return a*(1-fy) + b*fy
}

// toGray converts img to luminance in 0..1 (1 = white), with fast paths for the decoders' types.
func toGray(img image.Image) plane {
	b := img.Bounds()
	g := newPlane(b.Dx(), b.Dy())
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < g.h; y++ {
			row := m.Pix[(y)*m.Stride : y*m.Stride+g.w]
			for x, v := range row {
				g.p[y*g.w+x] = float32(v) / 255
			}
		}
	case *image.YCbCr:
		for y := 0; y < g.h; y++ {
			off := y * m.YStride
			for x := 0; x < g.w; x++ {
				g.p[y*g.w+x] = float32(m.Y[off+x]) / 255
			}
		}
	case *image.RGBA:
		for y := 0; y < g.h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*g.w]
			for x := 0; x < g.w; x++ {
				q := row[4*x : 4*x+3]
				g.p[y*g.w+x] = (0.299*float32(q[0]) + 0.587*float32(q[1]) + 0.114*float32(q[2])) / 255
			}
		}
	case *image.NRGBA:
		for y := 0; y < g.h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*g.w]
			for x := 0; x < g.w; x++ {
				q := row[4*x : 4*x+4]
				a := float32(q[3]) / 255
				l := (0.299*float32(q[0]) + 0.587*float32(q[1]) + 0.114*float32(q[2])) / 255
				g.p[y*g.w+x] = l*a + (1 - a) // transparent reads as white paper
			}
		}
	default:
		for y := 0; y < g.h; y++ {
			for x := 0; x < g.w; x++ {
				r, gg, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				l := (0.299*float32(r) + 0.587*float32(gg) + 0.114*float32(bb)) / 65535
				af := float32(a) / 65535
				g.p[y*g.w+x] = l + (1 - af)
			}
		}
	}
	return g
}

// shrink box-averages g by an integer factor f.
func shrink(g plane, f int) plane {
	if f <= 1 {
		return g
	}
	o := newPlane(g.w/f, g.h/f)
	inv := 1 / float32(f*f)
	for y := 0; y < o.h; y++ {
		for x := 0; x < o.w; x++ {
			var s float32
			for j := 0; j < f; j++ {
				row := g.p[(y*f+j)*g.w+x*f:]
				for i := 0; i < f; i++ {
					s += row[i]
				}
			}
			o.p[y*o.w+x] = s * inv
		}
	}
	return o
}

// inkMap turns luminance into ink density 0..1 (1 = full ink) relative to the local paper level,
// so that dim photos, low contrast, a lamp's glare and a dark table around the check all read
// alike. The paper is the morphological closing of the image with a k x k square: it fills every
// dark mark narrower than k (strokes, glyphs) but keeps dark areas wider than k (a table, shadow)
// as "paper", so they are not read as ink.
func inkMap(g plane, k int) plane {
	k = max(k, 3)
	paper := newPlane(g.w, g.h)
	copy(paper.p, g.p)
	tmp := make([]float32, max(g.w, g.h))
	line := make([]float32, max(g.w, g.h))
	pass := func(p plane, horizontal, isMax bool) {
		n, m := p.h, p.w
		if !horizontal {
			n, m = p.w, p.h
		}
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				if horizontal {
					line[j] = p.p[i*p.w+j]
				} else {
					line[j] = p.p[j*p.w+i]
				}
			}
			slidingExtreme(line[:m], tmp[:m], k, isMax)
			for j := 0; j < m; j++ {
				if horizontal {
					p.p[i*p.w+j] = tmp[j]
				} else {
					p.p[j*p.w+i] = tmp[j]
				}
			}
		}
	}
	pass(paper, true, true)
	pass(paper, false, true)
	pass(paper, true, false)
	pass(paper, false, false)
	// Marks on a surface much darker than the check's paper (a wooden table) are not ink.
	ps := make([]float32, 0, g.w*g.h/7+1)
	for i := 0; i < len(paper.p); i += 7 {
		ps = append(ps, paper.p[i])
	}
	dim := 0.6 * percentile(ps, 0.95)
	o := newPlane(g.w, g.h)
	sample := ps[:0]
	for i := range o.p {
		d := paper.p[i] - g.p[i]
		if paper.p[i] < dim {
			d = 0
		}
		o.p[i] = d
		if i%7 == 0 {
			sample = append(sample, d)
		}
	}
	// Full ink is the strongest contrast found (a high percentile, so a few specks do not set it).
	full := max(percentile(sample, 0.997), 0.1)
	for i, d := range o.p {
		o.p[i] = min(max(d/full, 0), 1)
	}
	return o
}

// slidingExtreme writes to out the max (or min) of in over a centred window of k samples,
// in O(n) with the van Herk / Gil-Werman block method.
func slidingExtreme(in, out []float32, k int, isMax bool) {
	n := len(in)
	if n == 0 {
		return
	}
	better := func(a, b float32) float32 {
		if isMax == (a > b) {
			return a
		}
		return b
	}
	r := k / 2
	k = 2*r + 1 // the window, and the block size the method needs
	// Pad by r on both sides with the edge values.
	m := n + 2*r
	at := func(i int) float32 { return in[min(max(i-r, 0), n-1)] }
	pre := make([]float32, m)
	suf := make([]float32, m)
	for i := 0; i < m; i++ {
		if i%k == 0 {
			pre[i] = at(i)
		} else {
			pre[i] = better(pre[i-1], at(i))
		}
	}
	for i := m - 1; i >= 0; i-- {
		if i == m-1 || (i+1)%k == 0 {
			suf[i] = at(i)
		} else {
			suf[i] = better(suf[i+1], at(i))
		}
	}
	for i := 0; i < n; i++ {
		// Window [i, i+2r] in padded coordinates, of length 2r+1 <= k.
		lo, hi := i, i+2*r
		if hi >= m {
			hi = m - 1
		}
		out[i] = better(suf[lo], pre[hi])
	}
}

func percentile(v []float32, q float64) float32 {
	if len(v) == 0 {
		return 1
	}
	s := append([]float32(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

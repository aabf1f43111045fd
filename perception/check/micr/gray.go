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
// so that dim photos, low contrast and a lamp's glare all read alike. block is the size of the
// squares whose bright percentile estimates the paper.
func inkMap(g plane, block int) plane {
	block = max(block, 8)
	bw, bh := (g.w+block-1)/block, (g.h+block-1)/block
	paper := make([]float32, bw*bh)
	vals := make([]float32, 0, block*block)
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			vals = vals[:0]
			for y := by * block; y < min((by+1)*block, g.h); y++ {
				for x := bx * block; x < min((bx+1)*block, g.w); x++ {
					vals = append(vals, g.p[y*g.w+x])
				}
			}
			paper[by*bw+bx] = percentile(vals, 0.9)
		}
	}
	// Smooth the paper estimate over the 3x3 neighbourhood: one block can be all ink.
	sm := make([]float32, len(paper))
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			var m float32
			for j := -1; j <= 1; j++ {
				for i := -1; i <= 1; i++ {
					x, y := bx+i, by+j
					if x >= 0 && y >= 0 && x < bw && y < bh {
						m = max(m, paper[y*bw+x])
					}
				}
			}
			sm[by*bw+bx] = 0.5*m + 0.5*paper[by*bw+bx]
		}
	}
	pp := plane{bw, bh, sm}
	// The ink level: a dark percentile over the whole region relative to the paper.
	all := make([]float32, 0, g.w*g.h/16+1)
	for i := 0; i < len(g.p); i += 4 {
		all = append(all, g.p[i])
	}
	dark := percentile(all, 0.005)
	o := newPlane(g.w, g.h)
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			bg := pp.bilinear((float64(x)+0.5)/float64(block), (float64(y)+0.5)/float64(block), -1)
			span := bg - dark
			if span < 0.08 {
				span = 0.08
			}
			v := (bg - g.p[y*g.w+x]) / span
			o.p[y*o.w+x] = min(max(v, 0), 1)
		}
	}
	return o
}

func percentile(v []float32, q float64) float32 {
	if len(v) == 0 {
		return 1
	}
	s := append([]float32(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(int(q*float64(len(s))), len(s)-1)]
}

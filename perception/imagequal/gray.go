package imagequal

import (
	"image"
	"math"
)

// Gray converts img to 8-bit luma, reading the Y plane of JPEG images directly.
func Gray(img image.Image) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	g := image.NewGray(image.Rect(0, 0, w, h))
	switch s := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(g.Pix[y*w:(y+1)*w], s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			copy(g.Pix[y*w:(y+1)*w], s.Y[s.YOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[x*4:]
				// Transparent pixels read as white paper.
				a := uint32(p[3])
				l := (19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16
				g.Pix[y*w+x] = uint8((l*a + 255*(255-a)) / 255)
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[x*4:]
				g.Pix[y*w+x] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, gg, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				g.Pix[y*w+x] = uint8((19595*r + 38470*gg + 7471*bb + 1<<15) >> 24)
			}
		}
	}
	return g
}

// shrink averages k×k blocks of g (k >= 1).
func shrink(g *image.Gray, k int) *image.Gray {
	if k <= 1 {
		return g
	}
	w, h := g.Rect.Dx()/k, g.Rect.Dy()/k
	if w < 1 || h < 1 {
		return g
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	sums := make([]uint32, w)
	kk := uint32(k * k)
	for y := 0; y < h; y++ {
		clear(sums)
		for dy := 0; dy < k; dy++ {
			row := g.Pix[(y*k+dy)*g.Stride:]
			for x := 0; x < w; x++ {
				s := row[x*k : x*k+k]
				for _, v := range s {
					sums[x] += uint32(v)
				}
			}
		}
		for x := 0; x < w; x++ {
			out.Pix[y*w+x] = uint8(sums[x] / kk)
		}
	}
	return out
}

// Resize scales g to w×h with bilinear sampling (after block averaging when shrinking a lot).
func Resize(g *image.Gray, w, h int) *image.Gray {
	if k := min(g.Rect.Dx()/w, g.Rect.Dy()/h); k >= 2 {
		g = shrink(g, k)
	}
	sx := float64(g.Rect.Dx()) / float64(w)
	sy := float64(g.Rect.Dy()) / float64(h)
	return warp(g, w, h, func(u, v float64) (float64, float64) { return u * sx, v * sy })
}

// warp fills a w×h image by sampling src at f(u+0.5, v+0.5) - 0.5 with bilinear interpolation;
// points outside src read as the nearest edge pixel.
func warp(src *image.Gray, w, h int, f func(u, v float64) (float64, float64)) *image.Gray {
	return warpFill(src, w, h, f, -1)
}

// warpFill is warp with points more than a pixel outside src set to fill (when fill >= 0).
func warpFill(src *image.Gray, w, h int, f func(u, v float64) (float64, float64), fill int) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, w, h))
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	for v := 0; v < h; v++ {
		for u := 0; u < w; u++ {
			x, y := f(float64(u)+0.5, float64(v)+0.5)
			x -= 0.5
			y -= 0.5
			if fill >= 0 && (x < -1 || y < -1 || x > float64(sw) || y > float64(sh)) {
				out.Pix[v*w+u] = uint8(fill)
				continue
			}
			x = math.Max(0, math.Min(x, float64(sw-1)))
			y = math.Max(0, math.Min(y, float64(sh-1)))
			x0, y0 := int(x), int(y)
			x1, y1 := min(x0+1, sw-1), min(y0+1, sh-1)
			fx, fy := x-float64(x0), y-float64(y0)
			p := src.Pix
			s := src.Stride
			a := float64(p[y0*s+x0])*(1-fx) + float64(p[y0*s+x1])*fx
			b := float64(p[y1*s+x0])*(1-fx) + float64(p[y1*s+x1])*fx
			out.Pix[v*w+u] = uint8(a*(1-fy) + b*fy + 0.5)
		}
	}
	return out
}

// homography returns the projective map taking the unit rectangle corners (0,0),(w,0),(w,h),(0,h)
// to q[0..3] (top-left, top-right, bottom-right, bottom-left).
func homography(w, h float64, q [4][2]float64) func(u, v float64) (float64, float64) {
	src := [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		u, v := src[i][0], src[i][1]
		x, y := q[i][0], q[i][1]
		a[2*i] = [9]float64{u, v, 1, 0, 0, 0, -u * x, -v * x, x}
		a[2*i+1] = [9]float64{0, 0, 0, u, v, 1, -u * y, -v * y, y}
	}
	// Gaussian elimination with partial pivoting.
	for c := 0; c < 8; c++ {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		if math.Abs(a[c][c]) < 1e-12 {
			return func(u, v float64) (float64, float64) { return u, v }
		}
		for r := 0; r < 8; r++ {
			if r == c {
				continue
			}
			f := a[r][c] / a[c][c]
			for k := c; k < 9; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	var m [8]float64
	for i := range m {
		m[i] = a[i][8] / a[i][i]
	}
	return func(u, v float64) (float64, float64) {
		d := m[6]*u + m[7]*v + 1
		return (m[0]*u + m[1]*v + m[2]) / d, (m[3]*u + m[4]*v + m[5]) / d
	}
}

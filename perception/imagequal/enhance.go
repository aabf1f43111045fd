package imagequal

import (
	"image"
	"math"
)

// EnhanceOptions choose the enhancement steps. Each step was kept only where it raised OCR
// accuracy on rendered checks; adaptive thresholding is deliberately absent, as it erases text
// printed over security patterns.
type EnhanceOptions struct {
	// Flatten divides out the paper's illumination (a wide box blur), evening shadows and tints.
	Flatten bool
	// Boost darkens faint ink (after flattening): darkness d in 0..1 becomes d^(1/(1+Boost)), so
	// text washed out by glare or low contrast regains weight while solid ink stays as it is.
	Boost float64
	// Sharpen is the unsharp-mask amount (0 disables; 1 is strong).
	Sharpen float64
	// Radius is the unsharp-mask blur radius in pixels.
	Radius int
}

// DefaultEnhance is the enhancement used on a retry after the first reading disagreed. On
// generated checks (blur, low contrast, glare, JPEG 30, 600 px, motion) flattening alone read
// the most printed fields; unsharp masking helped blur 3 but hurt motion blur and JPEG 30, and
// adding it to flattening read fewer dates, so it is off. Boost (darkening faint ink) recovers
// legal lines washed out by glare but costs dates on blurred photos, so the check reader applies
// it first only when the quality report finds glare or low contrast.
var DefaultEnhance = EnhanceOptions{Flatten: true}

// Enhance returns an enhanced copy of g.
func Enhance(g *image.Gray, o EnhanceOptions) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, g.Rect.Dx(), g.Rect.Dy()))
	copyGray(out, g)
	if o.Flatten {
		bg := boxBlur(out, max(8, out.Rect.Dx()/60))
		for i, v := range out.Pix {
			b := max(int(bg.Pix[i]), 1)
			out.Pix[i] = uint8(min(255, int(v)*245/b))
		}
	}
	if o.Boost > 0 {
		var lut [256]uint8
		for v := range lut {
			d := 1 - float64(v)/255
			lut[v] = uint8(255 * (1 - math.Pow(d, 1/(1+o.Boost))))
		}
		for i, v := range out.Pix {
			out.Pix[i] = lut[v]
		}
	}
	if o.Sharpen > 0 {
		bl := boxBlur(out, max(1, o.Radius))
		amt := int(o.Sharpen * 256)
		for i, v := range out.Pix {
			d := int(v) + (int(v)-int(bl.Pix[i]))*amt/256
			out.Pix[i] = uint8(max(0, min(255, d)))
		}
	}
	return out
}

func copyGray(dst, src *image.Gray) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := 0; y < h; y++ {
		copy(dst.Pix[y*dst.Stride:y*dst.Stride+w], src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y):])
	}
}

// boxBlur is a separable box blur of radius r using running sums.
func boxBlur(g *image.Gray, r int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	tmp := make([]uint8, w*h)
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		s, n := 0, 0
		for x := 0; x <= min(r, w-1); x++ {
			s += int(row[x])
			n++
		}
		for x := 0; x < w; x++ {
			tmp[y*w+x] = uint8(s / n)
			if x+r+1 < w {
				s += int(row[x+r+1])
				n++
			}
			if x-r >= 0 {
				s -= int(row[x-r])
				n--
			}
		}
	}
	for x := 0; x < w; x++ {
		s, n := 0, 0
		for y := 0; y <= min(r, h-1); y++ {
			s += int(tmp[y*w+x])
			n++
		}
		for y := 0; y < h; y++ {
			out.Pix[y*w+x] = uint8(s / n)
			if y+r+1 < h {
				s += int(tmp[(y+r+1)*w+x])
				n++
			}
			if y-r >= 0 {
				s -= int(tmp[(y-r)*w+x])
				n--
			}
		}
	}
	return out
}

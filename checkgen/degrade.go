package checkgen

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand"
)

// ErrUnknownDegradation is returned by Degrade for a name not in Degradations.
var ErrUnknownDegradation = errors.New("checkgen: unknown degradation")

// Degradations lists the names Degrade accepts.
var Degradations = []string{"sharp", "blur1.5", "blur2", "blur3", "motion", "lowcontrast", "jpeg30",
	"rot3", "rot5", "perspective", "glare", "small600", "photo"}

// IsJPEG reports whether a degradation's output is meant to be stored as JPEG.
func IsJPEG(name string) bool { return name == "jpeg30" || name == "photo" }

// Degrade applies the named degradation to img using rng for its random parameters:
//
//	sharp        unchanged
//	blur1.5/2/3  gaussian blur of that sigma in pixels
//	motion       linear motion blur of 9-17 px at a random angle
//	lowcontrast  ink and paper squeezed into a dim, narrow range
//	jpeg30       JPEG at quality 30
//	rot3, rot5   rotated by ±3 or ±5 degrees on a light scanner background
//	perspective  corners moved by up to 7% (a photo taken at an angle)
//	glare        a bright lamp spot washing out part of the check
//	small600     downscaled to 600 px wide
//	photo        on a textured table, perspective warp, lighting gradient, noise, JPEG 75
func Degrade(img image.Image, name string, rng *rand.Rand) (image.Image, error) {
	src := toRGBA(img)
	sign := func() float64 {
		if rng.Intn(2) == 0 {
			return -1
		}
		return 1
	}
	switch name {
	case "sharp":
		return src, nil
	case "blur1.5":
		return blur(src, 1.5), nil
	case "blur2":
		return blur(src, 2), nil
	case "blur3":
		return blur(src, 3), nil
	case "motion":
		return motion(src, 9+rng.Intn(9), rng.Float64()*math.Pi), nil
	case "lowcontrast":
		lo, hi := 90+rng.Float64()*30, 170+rng.Float64()*30
		return mapPix(src, func(v float64) float64 { return lo + v/255*(hi-lo) }), nil
	case "jpeg30":
		return jpegRoundTrip(src, 30)
	case "rot3", "rot5":
		deg := 3.0
		if name == "rot5" {
			deg = 5
		}
		return rotate(src, sign()*deg*(0.8+0.2*rng.Float64()), color.RGBA{245, 245, 242, 255}), nil
	case "perspective":
		return perspective(src, rng, 0.07, 1.12, nil, color.RGBA{235, 235, 232, 255}), nil
	case "glare":
		return glare(src, rng), nil
	case "small600":
		return resize(src, 600), nil
	case "photo":
		return photo(src, rng)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownDegradation, name)
}

func toRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Bounds().Min == (image.Point{}) {
		return m
	}
	b := img.Bounds()
	o := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			o.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return o
}

func mapPix(src *image.RGBA, f func(float64) float64) *image.RGBA {
	o := image.NewRGBA(src.Bounds())
	for i := 0; i < len(src.Pix); i += 4 {
		for k := 0; k < 3; k++ {
			o.Pix[i+k] = clamp8(f(float64(src.Pix[i+k])))
		}
		o.Pix[i+3] = 255
	}
	return o
}

func clamp8(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}

// convolve1 applies a 1-D kernel along x (dir 0) or y (dir 1), clamping at the edges.
func convolve1(src *image.RGBA, k []float64, dir int) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	o := image.NewRGBA(b)
	r := len(k) / 2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]float64
			for i, kv := range k {
				xx, yy := x, y
				if dir == 0 {
					xx = min(max(x+i-r, 0), w-1)
				} else {
					yy = min(max(y+i-r, 0), h-1)
				}
				p := src.Pix[yy*src.Stride+4*xx:]
				s[0] += kv * float64(p[0])
				s[1] += kv * float64(p[1])
				s[2] += kv * float64(p[2])
			}
			q := o.Pix[y*o.Stride+4*x:]
			q[0], q[1], q[2], q[3] = clamp8(s[0]), clamp8(s[1]), clamp8(s[2]), 255
		}
	}
	return o
}

func blur(src *image.RGBA, sigma float64) *image.RGBA {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var s float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		s += k[i]
	}
	for i := range k {
		k[i] /= s
	}
	return convolve1(convolve1(src, k, 0), k, 1)
}

// motion averages n samples along a line at angle a through each pixel.
func motion(src *image.RGBA, n int, a float64) *image.RGBA {
	b := src.Bounds()
	o := image.NewRGBA(b)
	dx, dy := math.Cos(a), math.Sin(a)
	w, h := b.Dx(), b.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]float64
			for i := 0; i < n; i++ {
				t := float64(i) - float64(n-1)/2
				xx := min(max(int(math.Round(float64(x)+t*dx)), 0), w-1)
				yy := min(max(int(math.Round(float64(y)+t*dy)), 0), h-1)
				p := src.Pix[yy*src.Stride+4*xx:]
				s[0] += float64(p[0])
				s[1] += float64(p[1])
				s[2] += float64(p[2])
			}
			q := o.Pix[y*o.Stride+4*x:]
			q[0], q[1], q[2], q[3] = clamp8(s[0]/float64(n)), clamp8(s[1]/float64(n)), clamp8(s[2]/float64(n)), 255
		}
	}
	return o
}

func jpegRoundTrip(src image.Image, q int) (image.Image, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	return jpeg.Decode(&buf)
}

// sample reads src bilinearly at (x, y); outside it returns ok=false.
func sample(src *image.RGBA, x, y float64) ([3]float64, bool) {
	b := src.Bounds()
	x -= 0.5
	y -= 0.5
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	if x0 < -1 || y0 < -1 || x0 >= b.Dx() || y0 >= b.Dy() {
		return [3]float64{}, false
	}
	fx, fy := x-float64(x0), y-float64(y0)
	var out [3]float64
	for j := 0; j < 2; j++ {
		for i := 0; i < 2; i++ {
			xx := min(max(x0+i, 0), b.Dx()-1)
			yy := min(max(y0+j, 0), b.Dy()-1)
			wt := (1 - math.Abs(float64(i)-fx)) * (1 - math.Abs(float64(j)-fy))
			p := src.Pix[yy*src.Stride+4*xx:]
			out[0] += wt * float64(p[0])
			out[1] += wt * float64(p[1])
			out[2] += wt * float64(p[2])
		}
	}
	return out, true
}

// rotate turns src by deg degrees about its centre onto a larger canvas filled with bg.
func rotate(src *image.RGBA, deg float64, bg color.RGBA) *image.RGBA {
	b := src.Bounds()
	a := deg * math.Pi / 180
	c, s := math.Cos(a), math.Sin(a)
	w, h := float64(b.Dx()), float64(b.Dy())
	W := int(math.Abs(w*c)+math.Abs(h*s)) + 40
	H := int(math.Abs(w*s)+math.Abs(h*c)) + 40
	o := image.NewRGBA(image.Rect(0, 0, W, H))
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			dx, dy := float64(x)+0.5-float64(W)/2, float64(y)+0.5-float64(H)/2
			sx, sy := c*dx+s*dy+w/2, -s*dx+c*dy+h/2
			q := o.Pix[y*o.Stride+4*x:]
			if v, ok := sample(src, sx, sy); ok && sx >= 0 && sy >= 0 && sx < w && sy < h {
				q[0], q[1], q[2] = clamp8(v[0]), clamp8(v[1]), clamp8(v[2])
			} else {
				q[0], q[1], q[2] = bg.R, bg.G, bg.B
			}
			q[3] = 255
		}
	}
	return o
}

// homography solves for H mapping the four points from[i] to to[i] (H[8] = 1).
func homography(from, to [4][2]float64) [9]float64 {
	var m [8][9]float64
	for i := 0; i < 4; i++ {
		x, y, u, v := from[i][0], from[i][1], to[i][0], to[i][1]
		m[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		m[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for c := 0; c < 8; c++ {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		if m[c][c] == 0 {
			continue
		}
		for r := 0; r < 8; r++ {
			if r == c {
				continue
			}
			f := m[r][c] / m[c][c]
			for k := c; k < 9; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	var h [9]float64
	for i := 0; i < 8; i++ {
		if m[i][i] != 0 {
			h[i] = m[i][8] / m[i][i]
		}
	}
	h[8] = 1
	return h
}

// perspective places src on a canvas `grow` times its size, its corners each moved by up to
// `amount` of the size, through a homography. bgFn paints the background (nil: plain bg).
func perspective(src *image.RGBA, rng *rand.Rand, amount, grow float64, bgFn func(x, y int) [3]float64, bg color.RGBA) *image.RGBA {
	b := src.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	W, H := int(w*grow), int(h*grow)
	ox, oy := (float64(W)-w)/2, (float64(H)-h)/2
	jit := func(s float64) float64 { return (rng.Float64()*2 - 1) * amount * s }
	corners := [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	var dst [4][2]float64
	for i, c := range corners {
		dst[i] = [2]float64{c[0] + ox + jit(w), c[1] + oy + jit(h)}
	}
	hm := homography(dst, corners) // output -> source
	o := image.NewRGBA(image.Rect(0, 0, W, H))
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			d := hm[6]*fx + hm[7]*fy + hm[8]
			sx, sy := (hm[0]*fx+hm[1]*fy+hm[2])/d, (hm[3]*fx+hm[4]*fy+hm[5])/d
			q := o.Pix[y*o.Stride+4*x:]
			q[3] = 255
			if sx >= 0 && sy >= 0 && sx < w && sy < h {
				if v, ok := sample(src, sx, sy); ok {
					q[0], q[1], q[2] = clamp8(v[0]), clamp8(v[1]), clamp8(v[2])
					continue
				}
			}
			if bgFn != nil {
				v := bgFn(x, y)
				q[0], q[1], q[2] = clamp8(v[0]), clamp8(v[1]), clamp8(v[2])
			} else {
				q[0], q[1], q[2] = bg.R, bg.G, bg.B
			}
		}
	}
	return o
}

// glare adds a bright, soft-edged lamp reflection.
func glare(src *image.RGBA, rng *rand.Rand) *image.RGBA {
	b := src.Bounds()
	cx := float64(b.Dx()) * (0.2 + 0.6*rng.Float64())
	cy := float64(b.Dy()) * (0.2 + 0.6*rng.Float64())
	r := float64(b.Dx()) * (0.1 + 0.08*rng.Float64())
	o := image.NewRGBA(b)
	copy(o.Pix, src.Pix)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			d := math.Hypot(float64(x)-cx, (float64(y)-cy)*1.4) / r
			if d > 2 {
				continue
			}
			a := 0.85 * math.Exp(-d*d*1.5)
			q := o.Pix[y*o.Stride+4*x:]
			for k := 0; k < 3; k++ {
				q[k] = clamp8(float64(q[k])*(1-a) + 255*a)
			}
		}
	}
	return o
}

// resize scales src to width w by area averaging (or bilinear when enlarging).
func resize(src *image.RGBA, w int) *image.RGBA {
	b := src.Bounds()
	f := float64(b.Dx()) / float64(w)
	h := max(1, int(math.Round(float64(b.Dy())/f)))
	o := image.NewRGBA(image.Rect(0, 0, w, h))
	n := max(1, int(math.Ceil(f)))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]float64
			for j := 0; j < n; j++ {
				for i := 0; i < n; i++ {
					v, _ := sample(src, (float64(x)+(float64(i)+0.5)/float64(n))*f, (float64(y)+(float64(j)+0.5)/float64(n))*f)
					s[0] += v[0]
					s[1] += v[1]
					s[2] += v[2]
				}
			}
			q := o.Pix[y*o.Stride+4*x:]
			nn := float64(n * n)
			q[0], q[1], q[2], q[3] = clamp8(s[0]/nn), clamp8(s[1]/nn), clamp8(s[2]/nn), 255
		}
	}
	return o
}

// photo imitates a phone photo: the check on a wood-grain table, seen at an angle, lit unevenly,
// slightly soft, with sensor noise and JPEG compression.
func photo(src *image.RGBA, rng *rand.Rand) (image.Image, error) {
	base := [3]float64{110 + rng.Float64()*60, 80 + rng.Float64()*40, 50 + rng.Float64()*30}
	f1, f2, ph := 0.02+rng.Float64()*0.03, 0.003+rng.Float64()*0.004, rng.Float64()*6
	wood := func(x, y int) [3]float64 {
		g := 0.85 + 0.15*math.Sin(float64(y)*f1+4*math.Sin(float64(x)*f2+ph))
		return [3]float64{base[0] * g, base[1] * g, base[2] * g}
	}
	o := perspective(src, rng, 0.06, 1.35, wood, color.RGBA{})
	b := o.Bounds()
	// Lighting: a linear gradient and vignette.
	gx, gy := rng.Float64()*2-1, rng.Float64()*2-1
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			u, v := float64(x)/float64(b.Dx())-0.5, float64(y)/float64(b.Dy())-0.5
			l := 0.9 + 0.18*(gx*u+gy*v) - 0.25*(u*u+v*v)
			q := o.Pix[y*o.Stride+4*x:]
			for k := 0; k < 3; k++ {
				q[k] = clamp8(float64(q[k])*l + rng.NormFloat64()*3)
			}
		}
	}
	return jpegRoundTrip(blur(o, 0.8), 75)
}

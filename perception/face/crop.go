package face

import (
	"image"
	"math"
)

// Resize names how a face crop becomes the emotion model's 64x64 grey input.
type Resize string

const (
	// ResizeDirect samples the 64x64 input straight from the image with half-pixel bilinear
	// interpolation (OpenCV's cv2.resize, which face_classification's own demos use on a detected
	// face). The default: on the faces measured (see the package note), it read expressions as
	// well as or better than the two others.
	ResizeDirect Resize = "direct"
	// ResizeHuman is @vladmandic/human's pipeline, step for step: tf.image.cropAndResize of the
	// box to 192x192 (the mesh model's input), then tf.image.resizeBilinear to 64x64 without
	// half-pixel centres. Pixels outside the image are black; the crop is never turned.
	ResizeHuman Resize = "human"
	// ResizeFER imitates the model's training data: the crop is averaged down to FER2013's
	// 48x48 (area sampling), then enlarged to 64x64 with half-pixel bilinear interpolation.
	ResizeFER Resize = "fer"
)

// Grey weights of tfjs-based human (constants.rgb), MATLAB's rgb2gray.
const greyR, greyG, greyB = 0.2989, 0.5870, 0.1140

// square is a square region of an image: centre, side, and the angle (radians) by which it is
// turned, clockwise on screen, so that a face rolled by that angle comes out upright.
type square struct {
	cx, cy, side, angle float64
}

// box returns the axis-aligned box of an unturned square.
func (s square) box() Box {
	return Box{s.cx - s.side/2, s.cy - s.side/2, s.cx + s.side/2, s.cy + s.side/2}
}

// clampInside shrinks and moves s so that it lies inside a w x h image, keeping it square: a face
// crop that would reach past a tight photo's edges reads the photo instead of invented pixels.
func (s square) clampInside(w, h int) square {
	s.side = math.Min(s.side, float64(min(w, h)))
	s.cx = math.Min(math.Max(s.cx, s.side/2), float64(w)-s.side/2)
	s.cy = math.Min(math.Max(s.cy, s.side/2), float64(h)-s.side/2)
	return s
}

// cropAndResizeTurned is cropAndResizeTF with the sampling grid turned by angle (radians, as
// square.angle) about the box's centre; samples outside the image read 0. angle 0 is
// cropAndResizeTF.
func cropAndResizeTurned(dst []float32, n int, img *image.RGBA, b Box, angle float64, scale float32) {
	if angle == 0 {
		cropAndResizeTF(dst, n, img, b, scale)
		return
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	fw, fh := float64(w-1), float64(h-1)
	x0, x1 := b.X0/float64(w)*fw, b.X1/float64(w)*fw
	y0, y1 := b.Y0/float64(h)*fh, b.Y1/float64(h)*fh
	ws, hs := (x1-x0)/float64(max(1, n-1)), (y1-y0)/float64(max(1, n-1))
	cx, cy := (x0+x1)/2, (y0+y1)/2
	cos, sin := math.Cos(angle), math.Sin(angle)
	p, st := img.Pix, img.Stride
	for v := 0; v < n; v++ {
		ly := y0 + float64(v)*hs - cy
		for u := 0; u < n; u++ {
			lx := x0 + float64(u)*ws - cx
			x := cx + lx*cos - ly*sin
			y := cy + lx*sin + ly*cos
			o := dst[(v*n+u)*3 : (v*n+u)*3+3]
			if x < 0 || x > fw || y < 0 || y > fh {
				o[0], o[1], o[2] = 0, 0, 0
				continue
			}
			l, r := int(math.Floor(x)), int(math.Ceil(x))
			top, bot := int(math.Floor(y)), int(math.Ceil(y))
			xl, yl := float32(x-math.Floor(x)), float32(y-math.Floor(y))
			for c := 0; c < 3; c++ {
				tl, tr := float32(p[top*st+l*4+c]), float32(p[top*st+r*4+c])
				bl, br := float32(p[bot*st+l*4+c]), float32(p[bot*st+r*4+c])
				tv := tl + (tr-tl)*xl
				bv := bl + (br-bl)*xl
				o[c] = (tv + (bv-tv)*yl) * scale
			}
		}
	}
}

// cropAndResizeTF is tf.image.cropAndResize of one box (in pixels, as human computes it: the
// normalised box is X0/w..X1/w) to an n x n RGB crop, bilinear, with tfjs's sampling: output pixel
// u reads x = X0/w·(w−1) + u·(X1−X0)/w·(w−1)/(n−1), and rows or columns outside the image read
// 0. dst gets the channels times scale (human divides by 255 for the mesh model).
func cropAndResizeTF(dst []float32, n int, img *image.RGBA, b Box, scale float32) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	fw, fh := float64(w-1), float64(h-1)
	x0, x1 := b.X0/float64(w), b.X1/float64(w)
	y0, y1 := b.Y0/float64(h), b.Y1/float64(h)
	hs, ws := 0.0, 0.0
	if n > 1 {
		hs = (y1 - y0) * fh / float64(n-1)
		ws = (x1 - x0) * fw / float64(n-1)
	}
	p, st := img.Pix, img.Stride
	for v := 0; v < n; v++ {
		inY := y0*fh + float64(v)*hs
		row := dst[v*n*3 : (v+1)*n*3]
		if n == 1 {
			inY = 0.5 * (y0 + y1) * fh
		}
		if inY < 0 || inY > fh {
			clear(row)
			continue
		}
		top, bot := int(math.Floor(inY)), int(math.Ceil(inY))
		yl := float32(inY - math.Floor(inY))
		for u := 0; u < n; u++ {
			inX := x0*fw + float64(u)*ws
			if n == 1 {
				inX = 0.5 * (x0 + x1) * fw
			}
			o := row[u*3 : u*3+3]
			if inX < 0 || inX > fw {
				o[0], o[1], o[2] = 0, 0, 0
				continue
			}
			l, r := int(math.Floor(inX)), int(math.Ceil(inX))
			xl := float32(inX - math.Floor(inX))
			for c := 0; c < 3; c++ {
				tl, tr := float32(p[top*st+l*4+c]), float32(p[top*st+r*4+c])
				bl, br := float32(p[bot*st+l*4+c]), float32(p[bot*st+r*4+c])
				tv := tl + (tr-tl)*xl
				bv := bl + (br-bl)*xl
				o[c] = (tv + (bv-tv)*yl) * scale
			}
		}
	}
}

// resizeBilinearTF is tf.image.resizeBilinear of an sn x sn image with ch channels to dn x dn,
// alignCorners and halfPixelCenters both false (human's call): output pixel u reads u·sn/dn.
func resizeBilinearTF(dst, src []float32, sn, dn, ch int) {
	ratio := float64(sn) / float64(dn)
	for v := 0; v < dn; v++ {
		sy := float64(v) * ratio
		top := int(sy)
		bot := min(top+1, sn-1)
		yl := float32(sy - float64(top))
		for u := 0; u < dn; u++ {
			sx := float64(u) * ratio
			l := int(sx)
			r := min(l+1, sn-1)
			xl := float32(sx - float64(l))
			for c := 0; c < ch; c++ {
				tl, tr := src[(top*sn+l)*ch+c], src[(top*sn+r)*ch+c]
				bl, br := src[(bot*sn+l)*ch+c], src[(bot*sn+r)*ch+c]
				tv := tl + (tr-tl)*xl
				bv := bl + (br-bl)*xl
				dst[(v*dn+u)*ch+c] = tv + (bv-tv)*yl
			}
		}
	}
}

// resizeHalfPixel enlarges or shrinks an sn x sn single-channel image to dn x dn with bilinear
// interpolation on half-pixel centres (tf.image.resizeBilinear with halfPixelCenters, OpenCV's
// INTER_LINEAR).
func resizeHalfPixel(dst, src []float32, sn, dn int) {
	ratio := float64(sn) / float64(dn)
	for v := 0; v < dn; v++ {
		sy := (float64(v)+0.5)*ratio - 0.5
		top := max(0, int(math.Floor(sy)))
		bot := min(sn-1, int(math.Ceil(sy)))
		yl := float32(sy - math.Floor(sy))
		for u := 0; u < dn; u++ {
			sx := (float64(u)+0.5)*ratio - 0.5
			l := max(0, int(math.Floor(sx)))
			r := min(sn-1, int(math.Ceil(sx)))
			xl := float32(sx - math.Floor(sx))
			tl, tr := src[top*sn+l], src[top*sn+r]
			bl, br := src[bot*sn+l], src[bot*sn+r]
			tv := tl + (tr-tl)*xl
			bv := bl + (br-bl)*xl
			dst[v*dn+u] = tv + (bv-tv)*yl
		}
	}
}

// sampleGrey fills dst (n x n) with the grey level (0..255) of square s of img, each output pixel
// the mean of k x k bilinear samples spread over its footprint (area sampling; k = 1 is plain
// bilinear at the pixel centre). Samples outside the image repeat the nearest edge pixel.
func sampleGrey(dst []float32, n int, img *image.RGBA, s square, k int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	step := s.side / float64(n)
	cos, sin := math.Cos(s.angle), math.Sin(s.angle)
	inv := 1 / float64(k*k)
	for v := 0; v < n; v++ {
		for u := 0; u < n; u++ {
			var sum float64
			for j := 0; j < k; j++ {
				ly := (float64(v)+(float64(j)+0.5)/float64(k))*step - s.side/2
				for i := 0; i < k; i++ {
					lx := (float64(u)+(float64(i)+0.5)/float64(k))*step - s.side/2
					// turn the crop's local offset into the image, then sample at pixel centres
					x := s.cx + lx*cos - ly*sin - 0.5
					y := s.cy + lx*sin + ly*cos - 0.5
					r, g, b := bilinear(img, w, h, x, y)
					sum += greyR*r + greyG*g + greyB*b
				}
			}
			dst[v*n+u] = float32(sum * inv)
		}
	}
}

// emotionInput writes the emotion model's 64x64 input for square s of img: grey, scaled from
// 0..255 to [−1, 1] as (g/255 − 0.5)·2, by the given method. work holds scratch space.
func emotionInput(dst []float32, img *image.RGBA, s square, method Resize, work *cropWork) {
	switch method {
	case ResizeHuman:
		work.rgb = grow32(work.rgb, 192*192*3)
		work.small = grow32(work.small, 64*64*3)
		cropAndResizeTF(work.rgb, 192, img, s.box(), 1.0/255)
		resizeBilinearTF(work.small, work.rgb, 192, 64, 3)
		for i := range dst[:64*64] {
			r, g, b := work.small[3*i], work.small[3*i+1], work.small[3*i+2]
			grey := r*greyR + g*greyG + b*greyB
			dst[i] = (grey - 0.5) * 2
		}
		return
	case ResizeFER:
		// FER2013's 48x48, area-averaged from the crop, then cv2.resize's bilinear to 64x64
		work.grey = grow32(work.grey, 48*48)
		k := min(8, max(1, int(math.Ceil(s.side/48))))
		sampleGrey(work.grey, 48, img, s, k)
		resizeHalfPixel(dst, work.grey, 48, 64)
	default:
		sampleGrey(dst, 64, img, s, 1)
	}
	for i, g := range dst[:64*64] {
		dst[i] = (g/255 - 0.5) * 2
	}
}

// cropWork is scratch space reused across frames.
type cropWork struct {
	rgb, small, grey []float32
}

func grow32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

package face

import "image"

// resizeRGB fills dst (size x size x 3, NHWC) with the square window of side `side` whose top-left
// corner is (x0, y0) in img's coordinates (relative to its bounds), bilinearly resampled with
// half-pixel centres and normalised to [-1, 1]. Pixels outside the image read as padValue.
func resizeRGB(dst []float32, size int, img *image.RGBA, x0, y0, side float64, padValue float32) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	step := side / float64(size)
	const k = 1.0 / 127.5
	for v := 0; v < size; v++ {
		sy := y0 + (float64(v)+0.5)*step - 0.5
		for u := 0; u < size; u++ {
			sx := x0 + (float64(u)+0.5)*step - 0.5
			o := dst[(v*size+u)*3 : (v*size+u)*3+3]
			if sx < -0.5 || sy < -0.5 || sx > float64(w)-0.5 || sy > float64(h)-0.5 {
				o[0], o[1], o[2] = padValue, padValue, padValue
				continue
			}
			r, g, bl := bilinear(img, w, h, sx, sy)
			o[0], o[1], o[2] = float32(r*k-1), float32(g*k-1), float32(bl*k-1)
		}
	}
}

// bilinear samples img at (x, y), relative to its bounds, clamping to the edges.
func bilinear(img *image.RGBA, w, h int, x, y float64) (r, g, b float64) {
	x = min(max(x, 0), float64(w-1))
	y = min(max(y, 0), float64(h-1))
	ix, iy := int(x), int(y)
	fx, fy := x-float64(ix), y-float64(iy)
	ix1, iy1 := min(ix+1, w-1), min(iy+1, h-1)
	p := img.Pix
	s := img.Stride
	o00, o01 := iy*s+ix*4, iy*s+ix1*4
	o10, o11 := iy1*s+ix*4, iy1*s+ix1*4
	w00, w01, w10, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
	r = w00*float64(p[o00]) + w01*float64(p[o01]) + w10*float64(p[o10]) + w11*float64(p[o11])
	g = w00*float64(p[o00+1]) + w01*float64(p[o01+1]) + w10*float64(p[o10+1]) + w11*float64(p[o11+1])
	b = w00*float64(p[o00+2]) + w01*float64(p[o01+2]) + w10*float64(p[o10+2]) + w11*float64(p[o11+2])
	return r, g, b
}

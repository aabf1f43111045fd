package nn

// convStep is a convolution as a matrix product: rows are output pixels, columns output
// channels, the inner dimension the filter taps (im2col, skipped for 1x1 stride-1 convolutions).
type convStep struct {
	win          window
	resVal       *value // fused residual, added before the activation
	cout, k      int
	panels       []float32
	ep           epilogue
	direct       bool
	in, out, col []float32
}

func (c *convStep) run() {
	a := c.in
	if !c.direct {
		im2col(c.col, c.in, &c.win)
		a = c.col
	}
	gemm(c.out, a, c.win.oh*c.win.ow, c.k, c.panels, c.cout, &c.ep)
}

// im2col lays out, for each output pixel, the input patch in filter order (ky, kx, channel).
func im2col(col, in []float32, w *window) {
	c := w.c
	rowLen := w.kh * w.kw * c
	i := 0
	for oy := 0; oy < w.oh; oy++ {
		for ox := 0; ox < w.ow; ox++ {
			row := col[i : i+rowLen]
			i += rowLen
			j := 0
			for ky := 0; ky < w.kh; ky++ {
				iy := oy*w.sh + ky*w.dh - w.padT
				if x0 := ox*w.sw - w.padL; w.dw == 1 && iy >= 0 && iy < w.h && x0 >= 0 && x0+w.kw <= w.w {
					// the whole filter row is contiguous in the input
					copy(row[j:j+w.kw*c], in[(iy*w.w+x0)*c:(iy*w.w+x0+w.kw)*c])
					j += w.kw * c
					continue
				}
				for kx := 0; kx < w.kw; kx++ {
					ix := ox*w.sw + kx*w.dw - w.padL
					dst := row[j : j+c]
					j += c
					if iy < 0 || iy >= w.h || ix < 0 || ix >= w.w {
						clear(dst)
						continue
					}
					src := in[(iy*w.w+ix)*c : (iy*w.w+ix)*c+c]
					if c <= 4 {
						for q := range dst {
							dst[q] = src[q]
						}
					} else {
						copy(dst, src)
					}
				}
			}
		}
	}
}

// dwStep is a depthwise convolution, computed directly: each output pixel accumulates the filter
// taps over whole channel rows, which keeps the inner loop contiguous.
type dwStep struct {
	win window
	// inner holds the taps of a pixel whose window lies inside the input, relative to its corner:
	// pairs of input and filter offsets.
	inner   []int
	mult    int
	filt    []float32
	ep      epilogue
	in, out []float32
}

func (d *dwStep) run() {
	w := &d.win
	c := w.c
	if d.mult != 1 {
		d.runMult()
		return
	}
	fast := useAVX2 && c >= 4 && d.ep.act <= actRelu
	c8 := c &^ 3
	var taps [2 * 64]int
	inner := d.inner
	for oy := 0; oy < w.oh; oy++ {
		y0 := oy*w.sh - w.padT
		rowInside := y0 >= 0 && y0+(w.kh-1)*w.dh < w.h
		for ox := 0; ox < w.ow; ox++ {
			o := d.out[(oy*w.ow+ox)*c : (oy*w.ow+ox)*c+c]
			x0 := ox*w.sw - w.padL
			if fast && c8 == c && rowInside && x0 >= 0 && x0+(w.kw-1)*w.dw < w.w {
				dwTaps(&o[0], &d.in[(y0*w.w+x0)*c], &inner[0], len(inner)/2, &d.filt[0], c, &d.ep.biasPad[0], int(d.ep.act))
				continue
			}
			// taps holds, per valid filter tap, the input and filter offsets
			nt := 0
			for ky := 0; ky < w.kh; ky++ {
				iy := oy*w.sh + ky*w.dh - w.padT
				if iy < 0 || iy >= w.h {
					continue
				}
				for kx := 0; kx < w.kw; kx++ {
					ix := ox*w.sw + kx*w.dw - w.padL
					if ix < 0 || ix >= w.w {
						continue
					}
					if 2*nt+1 < len(taps) {
						taps[2*nt] = (iy*w.w + ix) * c
						taps[2*nt+1] = (ky*w.kw + kx) * c
					}
					nt++
				}
			}
			if fast && nt > 0 && 2*nt <= len(taps) {
				dwTaps(&o[0], &d.in[0], &taps[0], nt, &d.filt[0], c8, &d.ep.biasPad[0], int(d.ep.act))
				if c8 == c {
					continue
				}
				o = o[c8:]
				d.dwGo(o, taps[:2*nt], c8, c)
				d.ep.apply(o, c8)
				continue
			}
			if 2*nt > len(taps) {
				d.dwSlow(o, oy, ox)
			} else {
				d.dwGo(o, taps[:2*nt], 0, c)
			}
			d.ep.apply(o, 0)
		}
	}
}

// dwGo accumulates channels [c0, c1) of one output pixel into o from the listed taps.
func (d *dwStep) dwGo(o []float32, taps []int, c0, c1 int) {
	clear(o)
	for t := 0; t < len(taps); t += 2 {
		mulAdd(o, d.in[taps[t]+c0:taps[t]+c1], d.filt[taps[t+1]+c0:taps[t+1]+c1])
	}
}

// dwSlow handles filters with more taps than the fast path's table.
func (d *dwStep) dwSlow(o []float32, oy, ox int) {
	w := &d.win
	c := w.c
	clear(o)
	for ky := 0; ky < w.kh; ky++ {
		iy := oy*w.sh + ky*w.dh - w.padT
		if iy < 0 || iy >= w.h {
			continue
		}
		for kx := 0; kx < w.kw; kx++ {
			ix := ox*w.sw + kx*w.dw - w.padL
			if ix < 0 || ix >= w.w {
				continue
			}
			mulAdd(o, d.in[(iy*w.w+ix)*c:(iy*w.w+ix)*c+c], d.filt[(ky*w.kw+kx)*c:(ky*w.kw+kx)*c+c])
		}
	}
}

func (d *dwStep) runMult() {
	w := &d.win
	c, mult := w.c, d.mult
	cout := c * mult
	for oy := 0; oy < w.oh; oy++ {
		for ox := 0; ox < w.ow; ox++ {
			o := d.out[(oy*w.ow+ox)*cout : (oy*w.ow+ox+1)*cout]
			clear(o)
			for ky := 0; ky < w.kh; ky++ {
				iy := oy*w.sh + ky*w.dh - w.padT
				if iy < 0 || iy >= w.h {
					continue
				}
				for kx := 0; kx < w.kw; kx++ {
					ix := ox*w.sw + kx*w.dw - w.padL
					if ix < 0 || ix >= w.w {
						continue
					}
					in := d.in[(iy*w.w+ix)*c:]
					f := d.filt[(ky*w.kw+kx)*cout:]
					for ch := 0; ch < c; ch++ {
						for q := 0; q < mult; q++ {
							o[ch*mult+q] += in[ch] * f[ch*mult+q]
						}
					}
				}
			}
			d.ep.apply(o, 0)
		}
	}
}

// mulAdd computes o[i] += x[i]*y[i].
func mulAdd(o, x, y []float32) {
	x = x[:len(o)]
	y = y[:len(o)]
	i := 0
	if useAVX2 && len(o) >= 8 {
		i = len(o) &^ 7
		mulAdd8(&o[0], &x[0], &y[0], i)
	}
	for ; i+4 <= len(o); i += 4 {
		o[i] += x[i] * y[i]
		o[i+1] += x[i+1] * y[i+1]
		o[i+2] += x[i+2] * y[i+2]
		o[i+3] += x[i+3] * y[i+3]
	}
	for ; i < len(o); i++ {
		o[i] += x[i] * y[i]
	}
}

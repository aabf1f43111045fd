package nn

import "math"

type poolStep struct {
	win     window
	avg     bool
	in, out []float32
}

func (p *poolStep) run() {
	w := &p.win
	c := w.c
	for oy := 0; oy < w.oh; oy++ {
		for ox := 0; ox < w.ow; ox++ {
			o := p.out[(oy*w.ow+ox)*c : (oy*w.ow+ox+1)*c]
			n := 0
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
					in := p.in[(iy*w.w+ix)*c : (iy*w.w+ix+1)*c]
					switch {
					case n == 0:
						copy(o, in)
					case p.avg:
						for i := range o {
							o[i] += in[i]
						}
					default:
						for i := range o {
							o[i] = max(o[i], in[i])
						}
					}
					n++
				}
			}
			if p.avg && n > 0 {
				inv := 1 / float32(n)
				for i := range o {
					o[i] *= inv
				}
			}
		}
	}
}

type binStep struct {
	op        string
	x, y, out []float32
}

func (b *binStep) run() {
	x, y, out := b.x, b.y, b.out
	ny := len(y)
	if ny == len(x) {
		switch b.op {
		case "Mul":
			for i := range out {
				out[i] = x[i] * y[i]
			}
		case "Sub":
			for i := range out {
				out[i] = x[i] - y[i]
			}
		default:
			for i := range out {
				out[i] = x[i] + y[i]
			}
		}
		return
	}
	for i := range out {
		v := y[i%ny]
		switch b.op {
		case "Mul":
			out[i] = x[i] * v
		case "Sub":
			out[i] = x[i] - v
		default:
			out[i] = x[i] + v
		}
	}
}

type unaryStep struct {
	op      string
	in, out []float32
}

func (u *unaryStep) run() {
	out := u.out
	for i, v := range u.in[:len(out)] {
		switch u.op {
		case "Relu":
			v = max(v, 0)
		case "Relu6":
			v = min(max(v, 0), 6)
		case "Elu":
			if v < 0 {
				v = float32(math.Expm1(float64(v)))
			}
		case "Sigmoid":
			v = float32(1 / (1 + math.Exp(-float64(v))))
		case "Tanh":
			v = float32(math.Tanh(float64(v)))
		}
		out[i] = v
	}
}

type padStep struct {
	inShape, outShape, before [4]int
	value                     float32
	in, out                   []float32
}

func (p *padStep) run() {
	is, os, b := p.inShape, p.outShape, p.before
	if b == [4]int{} && is[0] == os[0] && is[1] == os[1] && is[2] == os[2] && p.value == 0 {
		// channel padding only (how residual blocks widen): copy each pixel, zero the rest
		for px := 0; px < is[0]*is[1]*is[2]; px++ {
			dst := p.out[px*os[3] : (px+1)*os[3]]
			copy(dst, p.in[px*is[3]:(px+1)*is[3]])
			clear(dst[is[3]:])
		}
		return
	}
	for i := range p.out {
		p.out[i] = p.value
	}
	for n := 0; n < is[0]; n++ {
		for y := 0; y < is[1]; y++ {
			for x := 0; x < is[2]; x++ {
				src := ((n*is[1]+y)*is[2] + x) * is[3]
				dst := (((n+b[0])*os[1]+y+b[1])*os[2]+x+b[2])*os[3] + b[3]
				copy(p.out[dst:dst+is[3]], p.in[src:src+is[3]])
			}
		}
	}
}

type meanStep struct {
	hw, c   int
	in, out []float32
}

func (m *meanStep) run() {
	o := m.out[:m.c]
	clear(o)
	for p := 0; p < m.hw; p++ {
		row := m.in[p*m.c : (p+1)*m.c]
		for i := range o {
			o[i] += row[i]
		}
	}
	inv := 1 / float32(m.hw)
	for i := range o {
		o[i] *= inv
	}
}

type softmaxStep struct {
	n       int
	in, out []float32
}

func (s *softmaxStep) run() {
	for r := 0; r+s.n <= len(s.out); r += s.n {
		in, out := s.in[r:r+s.n], s.out[r:r+s.n]
		mx := in[0]
		for _, v := range in {
			mx = max(mx, v)
		}
		var sum float64
		for i, v := range in {
			e := math.Exp(float64(v - mx))
			out[i] = float32(e)
			sum += e
		}
		for i := range out {
			out[i] = float32(float64(out[i]) / sum)
		}
	}
}

// preluStep is x for x >= 0 and alpha·x below, alpha per channel (the last dimension) or one value.
type preluStep struct {
	alpha   []float32
	in, out []float32
}

func (p *preluStep) run() {
	copy(p.out, p.in)
	na := len(p.alpha)
	if na == 1 {
		a := p.alpha[0]
		for i, v := range p.out {
			if v < 0 {
				p.out[i] = v * a
			}
		}
		return
	}
	for r := 0; r+na <= len(p.out); r += na {
		prelu(p.out[r:r+na], p.alpha)
	}
}

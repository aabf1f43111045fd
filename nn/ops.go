package nn

import (
	"fmt"
	"math"
)

// activation is a fused or standalone elementwise nonlinearity.
type activation int

const (
	actLinear activation = iota
	actRelu
	actRelu6
	actPrelu
	actLeaky
	actElu
)

func parseActivation(s string) (activation, error) {
	switch s {
	case "", "linear":
		return actLinear, nil
	case "relu":
		return actRelu, nil
	case "relu6":
		return actRelu6, nil
	case "prelu":
		return actPrelu, nil
	case "leakyrelu":
		return actLeaky, nil
	case "elu":
		return actElu, nil
	}
	return 0, fmt.Errorf("%w: fused activation %q", ErrUnsupported, s)
}

// epilogue adds the bias (and a residual) to a run of output channels and applies the activation.
type epilogue struct {
	act  activation
	bias []float32 // per output channel
	// biasPad is bias padded with zeros to a whole number of panels, for the assembly kernel.
	biasPad []float32
	alpha   []float32 // prelu, per output channel
	leaky   float32
	// res, when set, is a tensor of the output's shape added before the activation.
	res []float32
}

func (e *epilogue) apply(dst []float32, c0 int) {
	bias := e.bias[c0 : c0+len(dst)]
	e.applyRes(dst, bias, c0, nil)
}

// applyRes is apply with a residual run (nil for none) added with the bias.
func (e *epilogue) applyRes(dst, bias []float32, c0 int, res []float32) {
	if res != nil {
		res = res[:len(dst)]
		for i := range dst {
			dst[i] += res[i]
		}
	}
	switch e.act {
	case actLinear:
		for i := range dst {
			dst[i] += bias[i]
		}
	case actRelu:
		for i := range dst {
			dst[i] = max(dst[i]+bias[i], 0)
		}
	case actRelu6:
		for i := range dst {
			dst[i] = min(max(dst[i]+bias[i], 0), 6)
		}
	case actPrelu:
		alpha := e.alpha[c0 : c0+len(dst)]
		for i := range dst {
			v := dst[i] + bias[i]
			if v < 0 {
				v *= alpha[i]
			}
			dst[i] = v
		}
	case actLeaky:
		for i := range dst {
			v := dst[i] + bias[i]
			if v < 0 {
				v *= e.leaky
			}
			dst[i] = v
		}
	case actElu:
		for i := range dst {
			v := dst[i] + bias[i]
			if v < 0 {
				v = float32(math.Expm1(float64(v)))
			}
			dst[i] = v
		}
	}
}

// window holds the geometry of a 2-D sliding window op on an NHWC tensor of batch 1.
type window struct {
	h, w, c    int // input
	oh, ow     int
	kh, kw     int
	sh, sw     int
	dh, dw     int
	padT, padL int
}

func makeWindow(a attrs, in []int, kh, kw int) (window, error) {
	if len(in) != 4 || in[0] != 1 {
		return window{}, fmt.Errorf("%w: want an NHWC input of batch 1, got %v", ErrUnsupported, in)
	}
	if f := a.str("data_format", "nhwc"); f != "nhwc" {
		return window{}, fmt.Errorf("%w: data format %s", ErrUnsupported, f)
	}
	wd := window{h: in[1], w: in[2], c: in[3], kh: kh, kw: kw, sh: 1, sw: 1, dh: 1, dw: 1}
	if s := a.ints("strides"); len(s) == 4 {
		wd.sh, wd.sw = s[1], s[2]
	}
	if d := a.ints("dilations"); len(d) == 4 {
		wd.dh, wd.dw = d[1], d[2]
	}
	if wd.sh < 1 || wd.sw < 1 || wd.dh < 1 || wd.dw < 1 || kh < 1 || kw < 1 {
		return wd, fmt.Errorf("%w: bad strides or dilations", ErrFormat)
	}
	ekh, ekw := kh+(kh-1)*(wd.dh-1), kw+(kw-1)*(wd.dw-1)
	switch pad := a.str("padding", "valid"); pad {
	case "same":
		wd.oh = (wd.h + wd.sh - 1) / wd.sh
		wd.ow = (wd.w + wd.sw - 1) / wd.sw
		wd.padT = max(0, (wd.oh-1)*wd.sh+ekh-wd.h) / 2
		wd.padL = max(0, (wd.ow-1)*wd.sw+ekw-wd.w) / 2
	case "valid":
		wd.oh = (wd.h - ekh + wd.sh) / wd.sh
		wd.ow = (wd.w - ekw + wd.sw) / wd.sw
	case "explicit":
		p := a.ints("explicit_paddings")
		if len(p) != 8 {
			return wd, fmt.Errorf("%w: explicit padding needs 8 values", ErrFormat)
		}
		wd.padT, wd.padL = p[2], p[4]
		wd.oh = (wd.h-ekh+p[2]+p[3])/wd.sh + 1
		wd.ow = (wd.w-ekw+p[4]+p[5])/wd.sw + 1
	default:
		return wd, fmt.Errorf("%w: padding %q", ErrUnsupported, pad)
	}
	if wd.oh < 1 || wd.ow < 1 {
		return wd, fmt.Errorf("%w: window larger than its input %v", ErrFormat, in)
	}
	return wd, nil
}

// filterWindow reads a convolution's constant filter [h,w,in,k] and the window it slides over the
// input, checking that their channels agree.
func filterWindow(a attrs, ins []*value) (*tensor, window, error) {
	f, err := konst(ins[1], "filter")
	if err != nil {
		return nil, window{}, err
	}
	if len(f.shape) != 4 || f.shape[2] != ins[0].shape[len(ins[0].shape)-1] {
		return nil, window{}, fmt.Errorf("%w: filter %v for input %v", ErrFormat, f.shape, ins[0].shape)
	}
	wd, err := makeWindow(a, ins[0].shape, f.shape[0], f.shape[1])
	return f, wd, err
}

func konst(v *value, what string) (*tensor, error) {
	if v.konst == nil {
		return nil, fmt.Errorf("%w: %s must be a constant", ErrUnsupported, what)
	}
	return v.konst, nil
}

// fusedArgs reads BiasAdd and activation arguments of a fused conv.
func fusedArgs(a attrs, ins []*value, cout int) (epilogue, error) {
	e := epilogue{bias: make([]float32, cout), biasPad: make([]float32, (cout+panel-1)/panel*panel), leaky: float32(a.float("leakyrelu_alpha", 0.2))}
	ops := a.strs("fused_ops")
	if len(ops) == 0 {
		return e, nil
	}
	if ops[0] != "biasadd" {
		return e, fmt.Errorf("%w: fused op %q", ErrUnsupported, ops[0])
	}
	if len(ins) < 3 {
		return e, fmt.Errorf("%w: fused BiasAdd without a bias", ErrFormat)
	}
	b, err := konst(ins[2], "bias")
	if err != nil {
		return e, err
	}
	if len(b.data) != cout {
		return e, fmt.Errorf("%w: bias has %d values for %d channels", ErrFormat, len(b.data), cout)
	}
	copy(e.bias, b.data)
	e.biasPad = make([]float32, (cout+panel-1)/panel*panel)
	copy(e.biasPad, b.data)
	if len(ops) > 1 {
		if e.act, err = parseActivation(ops[1]); err != nil {
			return e, err
		}
		if e.act == actPrelu {
			if len(ins) < 4 {
				return e, fmt.Errorf("%w: prelu without alpha", ErrFormat)
			}
			al, err := konst(ins[3], "prelu alpha")
			if err != nil {
				return e, err
			}
			e.alpha = make([]float32, cout)
			for i := range e.alpha {
				e.alpha[i] = al.data[i%len(al.data)]
			}
		}
	}
	return e, nil
}

// buildOp checks one node, sets the output shape and returns a function that binds the op to its
// buffers once they are allocated.
func buildOp(m *Model, n *nodeJSON, a attrs, ins []*value, out *value) (func() step, error) {
	if len(ins) > 0 && ins[0].konst != nil && !isAdd(n.Op) && n.Op != "Mul" && n.Op != "Sub" {
		return nil, fmt.Errorf("%w: %s of a constant", ErrUnsupported, n.Op)
	}
	need := func(k int) error {
		if len(ins) < k {
			return fmt.Errorf("%w: %d inputs, want %d", ErrFormat, len(ins), k)
		}
		return nil
	}
	switch n.Op {
	case "Conv2D", "_FusedConv2D":
		if err := need(2); err != nil {
			return nil, err
		}
		f, wd, err := filterWindow(a, ins)
		if err != nil {
			return nil, err
		}
		cout := f.shape[3]
		ep, err := fusedArgs(a, ins, cout)
		if err != nil {
			return nil, err
		}
		out.shape = []int{1, wd.oh, wd.ow, cout}
		c := &convStep{win: wd, cout: cout, ep: ep, k: wd.kh * wd.kw * wd.c}
		c.panels = packB(f.data, c.k, cout)
		c.direct = wd.kh == 1 && wd.kw == 1 && wd.sh == 1 && wd.sw == 1 && wd.padT == 0 && wd.padL == 0
		if !c.direct {
			m.scratch = grow(m.scratch, wd.oh*wd.ow*c.k)
		}
		in := ins[0]
		m.lastConv = c
		return func() step {
			c.in, c.out, c.col = in.root().data, out.data, m.scratch
			if c.resVal != nil {
				c.ep.res = c.resVal.root().data
			}
			return c
		}, nil
	case "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative":
		if err := need(2); err != nil {
			return nil, err
		}
		f, wd, err := filterWindow(a, ins)
		if err != nil {
			return nil, err
		}
		mult := f.shape[3]
		cout := wd.c * mult
		ep, err := fusedArgs(a, ins, cout)
		if err != nil {
			return nil, err
		}
		out.shape = []int{1, wd.oh, wd.ow, cout}
		d := &dwStep{win: wd, mult: mult, filt: f.data, ep: ep}
		for ky := 0; ky < wd.kh; ky++ {
			for kx := 0; kx < wd.kw; kx++ {
				d.inner = append(d.inner, (ky*wd.dh*wd.w+kx*wd.dw)*wd.c, (ky*wd.kw+kx)*wd.c)
			}
		}
		in := ins[0]
		return func() step { d.in, d.out = in.root().data, out.data; return d }, nil
	case "MaxPool", "AvgPool":
		if err := need(1); err != nil {
			return nil, err
		}
		k := a.ints("ksize")
		if len(k) != 4 || k[0] != 1 || k[3] != 1 {
			return nil, fmt.Errorf("%w: ksize %v", ErrUnsupported, k)
		}
		wd, err := makeWindow(a, ins[0].shape, k[1], k[2])
		if err != nil {
			return nil, err
		}
		out.shape = []int{1, wd.oh, wd.ow, wd.c}
		p := &poolStep{win: wd, avg: n.Op == "AvgPool"}
		in := ins[0]
		return func() step { p.in, p.out = in.root().data, out.data; return p }, nil
	case "Add", "AddV2", "Mul", "Sub":
		if err := need(2); err != nil {
			return nil, err
		}
		x, y := ins[0], ins[1]
		if numel(x.shape) < numel(y.shape) {
			x, y = y, x
			if n.Op == "Sub" {
				return nil, fmt.Errorf("%w: Sub with a broadcast first operand", ErrUnsupported)
			}
		}
		nx, ny := numel(x.shape), numel(y.shape)
		if ny == 0 || nx%ny != 0 || (ny != nx && ny != 1 && ny != x.shape[len(x.shape)-1]) {
			return nil, fmt.Errorf("%w: cannot broadcast %v with %v", ErrUnsupported, ins[0].shape, ins[1].shape)
		}
		if x.konst != nil {
			return nil, fmt.Errorf("%w: arithmetic on two constants", ErrUnsupported)
		}
		out.shape = append([]int(nil), x.shape...)
		b := &binStep{op: n.Op}
		return func() step {
			b.x, b.out = x.root().data, out.data
			if y.konst != nil {
				b.y = y.konst.data
			} else {
				b.y = y.root().data
			}
			return b
		}, nil
	case "Relu", "Relu6", "Elu", "Sigmoid", "Tanh":
		if err := need(1); err != nil {
			return nil, err
		}
		if ins[0].konst != nil {
			return nil, fmt.Errorf("%w: %s of a constant", ErrUnsupported, n.Op)
		}
		out.shape = append([]int(nil), ins[0].shape...)
		u := &unaryStep{op: n.Op}
		in := ins[0]
		return func() step { u.in, u.out = in.root().data, out.data; return u }, nil
	case "Pad", "PadV2":
		if err := need(2); err != nil {
			return nil, err
		}
		p, err := konst(ins[1], "paddings")
		if err != nil {
			return nil, err
		}
		shape := ins[0].shape
		if len(shape) != 4 || len(p.data) != 8 {
			return nil, fmt.Errorf("%w: pad of %v by %v", ErrUnsupported, shape, p.shape)
		}
		ps := &padStep{inShape: [4]int(shape)}
		for i := 0; i < 4; i++ {
			ps.before[i] = int(p.data[2*i])
			after := int(p.data[2*i+1])
			if ps.before[i] < 0 || after < 0 {
				return nil, fmt.Errorf("%w: negative padding", ErrUnsupported)
			}
			ps.outShape[i] = shape[i] + ps.before[i] + after
		}
		if len(ins) > 2 && ins[2].konst != nil && len(ins[2].konst.data) > 0 {
			ps.value = ins[2].konst.data[0]
		}
		out.shape = ps.outShape[:]
		in := ins[0]
		return func() step { ps.in, ps.out = in.root().data, out.data; return ps }, nil
	case "Mean":
		if err := need(2); err != nil {
			return nil, err
		}
		ax, err := konst(ins[1], "reduction axes")
		if err != nil {
			return nil, err
		}
		shape := ins[0].shape
		if len(shape) != 4 || len(ax.data) != 2 || ax.data[0] != 1 || ax.data[1] != 2 {
			return nil, fmt.Errorf("%w: Mean of %v over %v (only spatial means are supported)", ErrUnsupported, shape, ax.data)
		}
		if a.bool("keep_dims", false) {
			out.shape = []int{shape[0], 1, 1, shape[3]}
		} else {
			out.shape = []int{shape[0], shape[3]}
		}
		ms := &meanStep{hw: shape[1] * shape[2], c: shape[3]}
		in := ins[0]
		return func() step { ms.in, ms.out = in.root().data, out.data; return ms }, nil
	case "Softmax":
		if err := need(1); err != nil {
			return nil, err
		}
		shape := ins[0].shape
		if len(shape) == 0 || ins[0].konst != nil {
			return nil, fmt.Errorf("%w: softmax of %v", ErrUnsupported, shape)
		}
		out.shape = append([]int(nil), shape...)
		s := &softmaxStep{n: shape[len(shape)-1]}
		in := ins[0]
		return func() step { s.in, s.out = in.root().data, out.data; return s }, nil
	case "ConcatV2":
		return nil, fmt.Errorf("%w: ConcatV2", ErrUnsupported)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupported, n.Op)
}

// reshapeShape resolves the output shape of Identity, Reshape and Squeeze.
func reshapeShape(n *nodeJSON, a attrs, ins []*value) ([]int, error) {
	in := ins[0].shape
	switch n.Op {
	case "Identity":
		return append([]int(nil), in...), nil
	case "Squeeze":
		axes := map[int]bool{}
		for _, x := range a.ints("squeeze_dims") {
			if x < 0 {
				x += len(in)
			}
			axes[x] = true
		}
		var out []int
		for i, d := range in {
			if d == 1 && (len(axes) == 0 || axes[i]) {
				continue
			}
			out = append(out, d)
		}
		return out, nil
	}
	if len(ins) < 2 || ins[1].konst == nil {
		return nil, fmt.Errorf("%s: %w: Reshape needs a constant shape", n.Name, ErrUnsupported)
	}
	total := numel(in)
	shape := make([]int, len(ins[1].konst.data))
	unknown, known := -1, 1
	for i, f := range ins[1].konst.data {
		d := int(f)
		if d == -1 && unknown < 0 {
			unknown = i
			continue
		}
		if d == 0 && i < len(in) {
			d = in[i]
		}
		if d < 0 {
			return nil, fmt.Errorf("%s: %w: bad shape %v", n.Name, ErrFormat, ins[1].konst.data)
		}
		shape[i] = d
		known *= d
	}
	if unknown >= 0 && known > 0 {
		shape[unknown] = total / known
		known *= shape[unknown]
	}
	if known != total {
		return nil, fmt.Errorf("%s: %w: cannot reshape %v to %v", n.Name, ErrFormat, in, ins[1].konst.data)
	}
	return shape, nil
}

func grow(s []float32, n int) []float32 {
	if len(s) < n {
		return make([]float32, n)
	}
	return s
}

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

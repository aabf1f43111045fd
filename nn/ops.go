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
	case "Prelu":
		if err := need(2); err != nil {
			return nil, err
		}
		al, err := konst(ins[1], "prelu alpha")
		if err != nil {
			return nil, err
		}
		shape := ins[0].shape
		if len(shape) == 0 || len(al.data) == 0 || (len(al.data) != 1 && len(al.data) != shape[len(shape)-1]) {
			return nil, fmt.Errorf("%w: prelu of %v with alpha %v", ErrUnsupported, shape, al.shape)
		}
		out.shape = append([]int(nil), shape...)
		p := &preluStep{alpha: al.data}
		in := ins[0]
		return func() step { p.in, p.out = in.root().data, out.data; return p }, nil
	case "ConcatV2":
		return buildConcat(a, ins, out)
	case "DepthToSpace":
		return buildDepthToSpace(a, ins, out)
	case "ResizeBilinear":
		return buildResize(a, ins, out)
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

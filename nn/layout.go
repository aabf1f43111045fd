package nn

import (
	"fmt"
	"math"
)

// buildConcat plans ConcatV2 of tensors of the same rank along a constant axis (the last input).
func buildConcat(a attrs, ins []*value, out *value) (func() step, error) {
	if len(ins) < 2 {
		return nil, fmt.Errorf("%w: ConcatV2 needs tensors and an axis", ErrFormat)
	}
	ax, err := konst(ins[len(ins)-1], "concat axis")
	if err != nil {
		return nil, err
	}
	parts := ins[:len(ins)-1]
	rank := len(parts[0].shape)
	axis := int(ax.data[0])
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank {
		return nil, fmt.Errorf("%w: concat axis %d of rank %d", ErrFormat, int(ax.data[0]), rank)
	}
	shape := append([]int(nil), parts[0].shape...)
	shape[axis] = 0
	c := &concatStep{}
	for _, p := range parts {
		if p.konst != nil || len(p.shape) != rank {
			return nil, fmt.Errorf("%w: concat of %v (constants and mixed ranks are not supported)", ErrUnsupported, p.shape)
		}
		for i := range shape {
			if i != axis && p.shape[i] != shape[i] {
				return nil, fmt.Errorf("%w: concat of %v and %v along %d", ErrFormat, parts[0].shape, p.shape, axis)
			}
		}
		shape[axis] += p.shape[axis]
		c.inner = append(c.inner, numel(p.shape[axis:]))
	}
	c.outer = numel(shape[:axis])
	out.shape = shape
	return func() step {
		c.in = c.in[:0]
		for _, p := range parts {
			c.in = append(c.in, p.root().data)
		}
		c.out = out.data
		return c
	}, nil
}

// concatStep copies, for each of outer blocks, each input's inner run in turn.
type concatStep struct {
	outer int
	inner []int
	in    [][]float32
	out   []float32
}

func (c *concatStep) run() {
	o := 0
	for b := 0; b < c.outer; b++ {
		for i, n := range c.inner {
			copy(c.out[o:o+n], c.in[i][b*n:(b+1)*n])
			o += n
		}
	}
}

// buildDepthToSpace plans DepthToSpace of an NHWC tensor (TensorFlow's DCR order: output pixel
// (y·b+dy, x·b+dx) channel c reads input channel (dy·b+dx)·C+c).
func buildDepthToSpace(a attrs, ins []*value, out *value) (func() step, error) {
	if len(ins) < 1 {
		return nil, fmt.Errorf("%w: DepthToSpace without an input", ErrFormat)
	}
	bs := a.int("block_size", 0)
	s := ins[0].shape
	if f := a.str("data_format", "nhwc"); f != "nhwc" {
		return nil, fmt.Errorf("%w: DepthToSpace data format %s", ErrUnsupported, f)
	}
	if len(s) != 4 || s[0] != 1 || bs < 1 || bs > s[3] || s[3]%(bs*bs) != 0 {
		return nil, fmt.Errorf("%w: DepthToSpace of %v by %d", ErrUnsupported, s, bs)
	}
	d := &depthToSpaceStep{h: s[1], w: s[2], c: s[3] / (bs * bs), b: bs}
	out.shape = []int{1, s[1] * bs, s[2] * bs, d.c}
	in := ins[0]
	return func() step { d.in, d.out = in.root().data, out.data; return d }, nil
}

type depthToSpaceStep struct {
	h, w, c, b int
	in, out    []float32
}

func (d *depthToSpaceStep) run() {
	ow := d.w * d.b
	for y := 0; y < d.h; y++ {
		for x := 0; x < d.w; x++ {
			src := d.in[(y*d.w+x)*d.c*d.b*d.b:]
			for dy := 0; dy < d.b; dy++ {
				for dx := 0; dx < d.b; dx++ {
					o := ((y*d.b+dy)*ow + x*d.b + dx) * d.c
					copy(d.out[o:o+d.c], src[(dy*d.b+dx)*d.c:(dy*d.b+dx+1)*d.c])
				}
			}
		}
	}
}

// buildResize plans ResizeBilinear of an NHWC tensor to a constant size, with tfjs's sampling for
// align_corners and half_pixel_centers.
func buildResize(a attrs, ins []*value, out *value) (func() step, error) {
	if len(ins) < 2 {
		return nil, fmt.Errorf("%w: ResizeBilinear needs a size", ErrFormat)
	}
	sz, err := konst(ins[1], "resize size")
	if err != nil {
		return nil, err
	}
	s := ins[0].shape
	if len(s) != 4 || s[0] != 1 || len(sz.data) != 2 || sz.data[0] < 1 || sz.data[1] < 1 {
		return nil, fmt.Errorf("%w: ResizeBilinear of %v to %v", ErrUnsupported, s, sz.data)
	}
	if err := checkShape([]int{1, int(sz.data[0]), int(sz.data[1]), s[3]}); err != nil {
		return nil, err
	}
	r := &resizeStep{h: s[1], w: s[2], c: s[3], oh: int(sz.data[0]), ow: int(sz.data[1])}
	align, half := a.bool("align_corners", false), a.bool("half_pixel_centers", false)
	r.ys = resizeTaps(r.h, r.oh, align, half)
	r.xs = resizeTaps(r.w, r.ow, align, half)
	out.shape = []int{1, r.oh, r.ow, r.c}
	in := ins[0]
	return func() step { r.in, r.out = in.root().data, out.data; return r }, nil
}

// resizeTap is one output row's (or column's) two source indices and the weight of the second.
type resizeTap struct {
	lo, hi int
	frac   float32
}

// resizeTaps follows tfjs's cpu resizeBilinear: the source position is out·ratio, or
// (out+0.5)·ratio−0.5 with half-pixel centres, ratio (in−1)/(out−1) with aligned corners.
func resizeTaps(in, out int, align, half bool) []resizeTap {
	ratio := float64(in) / float64(out)
	if align && out > 1 {
		ratio = float64(in-1) / float64(out-1)
	}
	taps := make([]resizeTap, out)
	for i := range taps {
		src := float64(i) * ratio
		if half {
			src = (float64(i)+0.5)*ratio - 0.5
		}
		lo := max(0, int(math.Floor(src)))
		hi := min(in-1, int(math.Ceil(src)))
		taps[i] = resizeTap{lo: lo, hi: hi, frac: float32(src - float64(lo))}
	}
	return taps
}

type resizeStep struct {
	h, w, c, oh, ow int
	ys, xs          []resizeTap
	in, out         []float32
}

func (r *resizeStep) run() {
	c := r.c
	for oy, ty := range r.ys {
		top, bot := r.in[ty.lo*r.w*c:], r.in[ty.hi*r.w*c:]
		for ox, tx := range r.xs {
			o := r.out[(oy*r.ow+ox)*c : (oy*r.ow+ox+1)*c]
			tl, tr := top[tx.lo*c:tx.lo*c+c], top[tx.hi*c:tx.hi*c+c]
			bl, br := bot[tx.lo*c:tx.lo*c+c], bot[tx.hi*c:tx.hi*c+c]
			for k := range o {
				t := tl[k] + (tr[k]-tl[k])*tx.frac
				b := bl[k] + (br[k]-bl[k])*tx.frac
				o[k] = t + (b-t)*ty.frac
			}
		}
	}
}

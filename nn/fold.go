package nn

import "fmt"

// foldConst computes, while planning, the ops that only shape arithmetic needs: Shape (the input
// shapes are fixed once planned), and StridedSlice and Pack of constants. Converted models use them
// to build Reshape targets from a tensor's batch size. ok is false for any other node.
func foldConst(n *nodeJSON, a attrs, ins []*value) (*tensor, bool, error) {
	switch n.Op {
	case "Shape":
		if len(ins) < 1 {
			return nil, false, fmt.Errorf("%w: Shape without an input", ErrFormat)
		}
		shape := ins[0].shape
		if ins[0].konst != nil {
			shape = ins[0].konst.shape
		}
		t := &tensor{shape: []int{len(shape)}, data: make([]float32, len(shape))}
		for i, d := range shape {
			t.data[i] = float32(d)
		}
		return t, true, nil
	case "StridedSlice":
		if len(ins) != 4 || !allConst(ins) {
			return nil, false, nil
		}
		return stridedSlice1D(a, ins)
	case "Pack":
		if len(ins) == 0 || !allConst(ins) {
			return nil, false, nil
		}
		if a.int("axis", 0) != 0 {
			return nil, false, fmt.Errorf("%w: Pack of constants along axis %d", ErrUnsupported, a.int("axis", 0))
		}
		inner := ins[0].konst.shape
		t := &tensor{shape: append([]int{len(ins)}, inner...)}
		for _, in := range ins {
			if numel(in.konst.shape) != numel(inner) || len(in.konst.data) != numel(inner) {
				return nil, false, fmt.Errorf("%w: Pack of constants of different shapes", ErrFormat)
			}
			t.data = append(t.data, in.konst.data...)
		}
		return t, true, nil
	}
	return nil, false, nil
}

func allConst(ins []*value) bool {
	for _, in := range ins {
		if in.konst == nil {
			return false
		}
	}
	return true
}

// stridedSlice1D is StridedSlice of a 1-D constant (a shape) with begin, end and strides of one
// value each, honouring begin_mask, end_mask and shrink_axis_mask.
func stridedSlice1D(a attrs, ins []*value) (*tensor, bool, error) {
	x, b, e, st := ins[0].konst, ins[1].konst, ins[2].konst, ins[3].konst
	if len(x.shape) != 1 || len(b.data) != 1 || len(e.data) != 1 || len(st.data) != 1 {
		return nil, false, fmt.Errorf("%w: StridedSlice beyond one dimension", ErrUnsupported)
	}
	if a.int("ellipsis_mask", 0) != 0 || a.int("new_axis_mask", 0) != 0 {
		return nil, false, fmt.Errorf("%w: StridedSlice with ellipsis or new axes", ErrUnsupported)
	}
	n := len(x.data)
	begin, end, stride := int(b.data[0]), int(e.data[0]), int(st.data[0])
	if stride == 0 {
		return nil, false, fmt.Errorf("%w: StridedSlice with stride 0", ErrFormat)
	}
	norm := func(i int) int {
		if i < 0 {
			i += n
		}
		return i
	}
	begin, end = norm(begin), norm(end)
	if a.int("begin_mask", 0)&1 != 0 {
		begin = 0
		if stride < 0 {
			begin = n - 1
		}
	}
	if a.int("end_mask", 0)&1 != 0 {
		end = n
		if stride < 0 {
			end = -1
		}
	}
	if a.int("shrink_axis_mask", 0)&1 != 0 {
		if begin < 0 || begin >= n {
			return nil, false, fmt.Errorf("%w: StridedSlice index %d of %d values", ErrFormat, begin, n)
		}
		return &tensor{shape: []int{}, data: []float32{x.data[begin]}}, true, nil
	}
	// out-of-range bounds clamp to the ends, as TensorFlow does
	if stride > 0 {
		begin, end = min(max(begin, 0), n), min(max(end, 0), n)
	} else {
		begin, end = min(max(begin, -1), n-1), min(max(end, -1), n-1)
	}
	var out []float32
	for i := begin; (stride > 0 && i < end) || (stride < 0 && i > end); i += stride {
		out = append(out, x.data[i])
	}
	return &tensor{shape: []int{len(out)}, data: out}, true, nil
}

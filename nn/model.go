package nn

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Model is a TF.js graph model planned for one input shape. Weights are packed and every
// intermediate buffer is allocated once, when the model is loaded; Run allocates nothing. A Model is
// not safe for concurrent use: give each goroutine its own, or guard it with a mutex.
type Model struct {
	name    string
	input   *value
	outputs []*value
	steps   []step
	scratch []float32
	// lastConv is the convolution buildOp just planned, offered to fuseResidual.
	lastConv *convStep
}

func (m *Model) pendingConv() (*convStep, bool) {
	c := m.lastConv
	m.lastConv = nil
	return c, c != nil
}

// step is one planned operation bound to its buffers.
type step interface{ run() }

// value is one tensor flowing through the graph.
type value struct {
	name       string
	shape      []int
	konst      *tensor
	alias      *value // Reshape/Identity share their input's buffer
	data       []float32
	lastUse    int
	producedAt int
	buf        int
}

func (v *value) root() *value {
	for v.alias != nil {
		v = v.alias
	}
	return v
}

// Load reads the model named name (e.g. "emotion") from dir, as written by `parley models install`.
func Load(dir, name string) (*Model, error) {
	m, err := LoadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return nil, err
	}
	return m, nil
}

// LoadFile reads a TF.js graph model from its model.json path and plans it for a batch of one.
func LoadFile(path string) (*Model, error) {
	mj, weights, err := readModel(path)
	if err != nil {
		return nil, err
	}
	m, err := plan(mj, weights)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.name = strings.TrimSuffix(filepath.Base(path), ".json")
	return m, nil
}

// Name returns the model's name (its file name without .json).
func (m *Model) Name() string { return m.name }

// InputShape returns the NHWC shape of the input.
func (m *Model) InputShape() []int { return append([]int(nil), m.input.shape...) }

// Input returns the input buffer; fill it, then call Run.
func (m *Model) Input() []float32 { return m.input.data }

// OutputNames returns the names of the graph outputs, in the order Outputs returns them.
func (m *Model) OutputNames() []string {
	names := make([]string, len(m.outputs))
	for i, o := range m.outputs {
		names[i] = o.name
	}
	return names
}

// OutputShape returns the shape of output i.
func (m *Model) OutputShape(i int) []int { return append([]int(nil), m.outputs[i].shape...) }

// Output returns output i of the last Run. The slice is reused by the next Run.
func (m *Model) Output(i int) []float32 { return m.outputs[i].root().data[:numel(m.outputs[i].shape)] }

// Run executes the graph on the contents of Input().
func (m *Model) Run() {
	for _, s := range m.steps {
		s.run()
	}
}

// Predict copies in to the input buffer, runs the graph and returns copies of the outputs.
func (m *Model) Predict(in []float32) ([][]float32, error) {
	if len(in) != len(m.input.data) {
		return nil, fmt.Errorf("nn: %s wants %d input values (shape %v), got %d", m.name, len(m.input.data), m.input.shape, len(in))
	}
	copy(m.input.data, in)
	m.Run()
	out := make([][]float32, len(m.outputs))
	for i := range m.outputs {
		out[i] = append([]float32(nil), m.Output(i)...)
	}
	return out, nil
}

// plan orders the graph, infers shapes, binds ops to buffers and allocates them, reusing a buffer
// once its last reader has run.
func plan(mj *modelJSON, weights map[string]tensor) (*Model, error) {
	nodes := map[string]*nodeJSON{}
	used := map[string]bool{}
	consumers := map[string][]*nodeJSON{}
	for i := range mj.ModelTopology.Node {
		n := &mj.ModelTopology.Node[i]
		nodes[n.Name] = n
		for _, in := range n.Input {
			name, _, _ := parseInput(in)
			used[name] = true
			consumers[name] = append(consumers[name], n)
		}
	}
	var outNames []string
	for name, n := range nodes {
		if !used[name] && n.Op != "Const" && n.Op != "Placeholder" {
			outNames = append(outNames, name)
		}
	}
	if len(outNames) == 0 {
		return nil, fmt.Errorf("%w: graph has no outputs", ErrFormat)
	}
	sort.Strings(outNames)

	// Depth-first topological order from the outputs.
	var order []*nodeJSON
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("%w: cycle at %s", ErrFormat, name)
		case 2:
			return nil
		}
		n, ok := nodes[name]
		if !ok {
			return fmt.Errorf("%w: unknown input node %q", ErrFormat, name)
		}
		state[name] = 1
		inputs := n.Input
		if isAdd(n.Op) && len(inputs) == 2 {
			// Compute the residual before the convolution that can absorb this addition.
			if a, _, _ := parseInput(inputs[0]); nodes[a] != nil && isConv(nodes[a].Op) {
				inputs = []string{inputs[1], inputs[0]}
			}
		}
		for _, in := range inputs {
			dep, _, _ := parseInput(in)
			if err := visit(dep); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, n)
		return nil
	}
	for _, o := range outNames {
		if err := visit(o); err != nil {
			return nil, err
		}
	}

	m := &Model{}
	vals := map[string]*value{}
	var live []*value // values that need a buffer, in creation order
	var builders []func() step
	fused := map[string]bool{}
	for idx, n := range order {
		if fused[n.Name] {
			for _, in := range n.Input {
				name, _, _ := parseInput(in)
				vals[name].root().lastUse = idx
			}
			continue
		}
		a := attrs(n.Attr)
		var ins []*value
		for _, in := range n.Input {
			name, k, ctrl := parseInput(in)
			if ctrl {
				continue
			}
			if k != 0 {
				return nil, fmt.Errorf("%w: %s reads output %d of %s", ErrUnsupported, n.Name, k, name)
			}
			v := vals[name]
			v.root().lastUse = idx
			ins = append(ins, v)
		}
		out := &value{name: n.Name, buf: -1}
		vals[n.Name] = out
		switch n.Op {
		case "Const":
			t, ok := weights[n.Name]
			if !ok {
				return nil, fmt.Errorf("%w: constant %s has no weights", ErrFormat, n.Name)
			}
			out.konst = &t
			out.shape = t.shape
			continue
		case "Placeholder":
			if m.input != nil {
				return nil, fmt.Errorf("%w: more than one input", ErrUnsupported)
			}
			shape := a.shape("shape")
			if len(shape) == 0 {
				return nil, fmt.Errorf("%w: input %s has no static shape", ErrUnsupported, n.Name)
			}
			for i, d := range shape {
				if d < 0 {
					if i != 0 {
						return nil, fmt.Errorf("%w: input %s has unknown dimension %d", ErrUnsupported, n.Name, i)
					}
					shape[i] = 1
				}
			}
			if err := checkShape(shape); err != nil {
				return nil, fmt.Errorf("input %s: %w", n.Name, err)
			}
			out.shape = shape
			out.lastUse = idx
			out.producedAt = idx
			m.input = out
			live = append(live, out)
			continue
		case "Identity", "Reshape", "Squeeze":
			if len(ins) < 1 {
				return nil, fmt.Errorf("%w: %s has no input", ErrFormat, n.Name)
			}
			shape, err := reshapeShape(n, a, ins)
			if err != nil {
				return nil, err
			}
			out.shape = shape
			if ins[0].konst != nil {
				out.konst = &tensor{shape: shape, data: ins[0].konst.data}
			} else {
				out.alias = ins[0]
			}
			continue
		}
		for _, in := range ins {
			if in.konst == nil && in.shape == nil {
				return nil, fmt.Errorf("%w: %s reads %s before it is computed", ErrFormat, n.Name, in.name)
			}
		}
		if k, ok, err := foldConst(n, a, ins); err != nil {
			return nil, fmt.Errorf("%s (%s): %w", n.Name, n.Op, err)
		} else if ok {
			out.konst, out.shape = k, k.shape
			continue
		}
		build, err := buildOp(m, n, a, ins, out)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", n.Name, n.Op, err)
		}
		if err := checkShape(out.shape); err != nil {
			return nil, fmt.Errorf("%s (%s): %w", n.Name, n.Op, err)
		}
		if c, ok := m.pendingConv(); ok {
			fuseResidual(c, n, out, consumers, vals, fused, weights)
		}
		out.lastUse = idx
		out.producedAt = idx
		live = append(live, out)
		builders = append(builders, build)
	}
	for _, name := range outNames {
		v := vals[name]
		if v.konst != nil {
			return nil, fmt.Errorf("%w: output %s is constant", ErrUnsupported, name)
		}
		v.root().lastUse = len(order) // outputs stay alive
		m.outputs = append(m.outputs, v)
	}
	if m.input == nil {
		return nil, fmt.Errorf("%w: graph has no Placeholder input", ErrFormat)
	}

	// Assign buffers: a value takes a free buffer big enough, preferring the smallest, and gives it
	// back after its last reader. Values are created in execution order.
	type buffer struct {
		size int
		free bool
	}
	var bufs []buffer
	var pending []*value // allocated, not yet released
	for _, v := range live {
		// release buffers whose last use precedes this value's producer
		vi := v.producedAt
		keep := pending[:0]
		for _, p := range pending {
			if p.lastUse < vi {
				bufs[p.buf].free = true
			} else {
				keep = append(keep, p)
			}
		}
		pending = keep
		size := numel(v.shape)
		best := -1
		for i, b := range bufs {
			if b.free && b.size >= size && (best < 0 || b.size < bufs[best].size) {
				best = i
			}
		}
		if best < 0 {
			bufs = append(bufs, buffer{size: size})
			best = len(bufs) - 1
		}
		bufs[best].free = false
		v.buf = best
		pending = append(pending, v)
	}
	arena := make([][]float32, len(bufs))
	for i, b := range bufs {
		arena[i] = make([]float32, b.size)
	}
	for _, v := range live {
		v.data = arena[v.buf][:numel(v.shape)]
	}
	for _, b := range builders {
		m.steps = append(m.steps, b())
	}
	return m, nil
}

func isAdd(op string) bool  { return op == "Add" || op == "AddV2" }
func isConv(op string) bool { return op == "Conv2D" || op == "_FusedConv2D" }

// fuseResidual folds "conv → Add(residual) → Relu" (or Relu6, or Prelu with a constant alpha) into the convolution when the convolution's
// only reader is the addition, the residual is already computed and has the same shape, and the
// convolution has no activation of its own. The Add (and Relu) then alias the convolution output.
func fuseResidual(c *convStep, n *nodeJSON, out *value, consumers map[string][]*nodeJSON, vals map[string]*value, fused map[string]bool, weights map[string]tensor) {
	if c.ep.act != actLinear || len(consumers[n.Name]) != 1 {
		return
	}
	add := consumers[n.Name][0]
	if !isAdd(add.Op) || len(add.Input) != 2 {
		return
	}
	var res *value
	for _, in := range add.Input {
		name, k, ctrl := parseInput(in)
		if ctrl || k != 0 {
			return
		}
		if name != n.Name {
			res = vals[name]
		}
	}
	if res == nil || res.konst != nil || res.shape == nil || numel(res.shape) != numel(out.shape) {
		return
	}
	c.resVal = res
	fused[add.Name] = true
	vals[add.Name] = &value{name: add.Name, shape: out.shape, alias: out, buf: -1}
	next := consumers[add.Name]
	if len(next) != 1 {
		return
	}
	switch act := next[0]; act.Op {
	case "Relu", "Relu6":
		c.ep.act = actRelu
		if act.Op == "Relu6" {
			c.ep.act = actRelu6
		}
	case "Prelu":
		// a constant alpha per output channel (or one for all) folds into the epilogue
		if len(act.Input) != 2 {
			return
		}
		// the alpha constant is planned after the addition, so it is read from the weights
		name, k, ctrl := parseInput(act.Input[1])
		al, ok := weights[name]
		if ctrl || k != 0 || !ok || (len(al.data) != 1 && len(al.data) != c.cout) {
			return
		}
		c.ep.act = actPrelu
		c.ep.alpha = make([]float32, c.cout)
		for i := range c.ep.alpha {
			c.ep.alpha[i] = al.data[i%len(al.data)]
		}
	default:
		return
	}
	fused[next[0].Name] = true
	vals[next[0].Name] = &value{name: next[0].Name, shape: out.shape, alias: out, buf: -1}
}

// maxElements bounds one tensor (256 MiB of float32), so a hostile model.json cannot make the
// planner allocate without limit.
const maxElements = 1 << 26

func checkShape(shape []int) error {
	n := 1
	for _, d := range shape {
		if d <= 0 || d > maxElements || n > maxElements/d {
			return fmt.Errorf("%w: tensor shape %v is empty or too large", ErrUnsupported, shape)
		}
		n *= d
	}
	return nil
}

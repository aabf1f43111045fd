package micr

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand"
)

// mlp is the glyph classifier: one hidden layer of rectified units over the pooled glyph window,
// softmax over the 14 E-13B characters and, in models trained with it, rejectClass.
type mlp struct {
	in, hid, out int
	w1, b1       []float32 // hid x in, hid
	w2, b2       []float32 // out x hid, out
}

func newMLP(in, hid, out int, rng *rand.Rand) *mlp {
	m := &mlp{in: in, hid: hid, out: out,
		w1: make([]float32, hid*in), b1: make([]float32, hid),
		w2: make([]float32, out*hid), b2: make([]float32, out)}
	s1 := float32(math.Sqrt(2 / float64(in)))
	for i := range m.w1 {
		m.w1[i] = float32(rng.NormFloat64()) * s1
	}
	s2 := float32(math.Sqrt(1 / float64(hid)))
	for i := range m.w2 {
		m.w2[i] = float32(rng.NormFloat64()) * s2
	}
	return m
}

// forward writes the hidden activations to h and the class probabilities to p.
func (m *mlp) forward(x, h, p []float32) {
	for j := 0; j < m.hid; j++ {
		w := m.w1[j*m.in : (j+1)*m.in]
		s := m.b1[j]
		for i, v := range x {
			s += w[i] * v
		}
		h[j] = max(s, 0)
	}
	mx := float32(math.Inf(-1))
	for k := 0; k < m.out; k++ {
		w := m.w2[k*m.hid : (k+1)*m.hid]
		s := m.b2[k]
		for j, v := range h {
			s += w[j] * v
		}
		p[k] = s
		mx = max(mx, s)
	}
	var z float32
	for k := range p[:m.out] {
		p[k] = float32(math.Exp(float64(p[k] - mx)))
		z += p[k]
	}
	for k := range p[:m.out] {
		p[k] /= z
	}
}

// sample is one labelled glyph for training: its window with a margin of trainPad pixels on
// every side, so that shifted copies can be cut from it, and its class.
type sample struct {
	win   []uint8
	class int
}

const trainPad = 2

// trainOptions sets the classifier's training.
type trainOptions struct {
	Hidden int
	Epochs int
	Seed   int64
	Rate   float64
}

// train fits an mlp to the samples with Adam on cross-entropy, each epoch seeing every sample once
// shifted by up to trainPad pixels. The result depends only on the samples and the options.
func train(samples []sample, opt trainOptions) *mlp {
	rng := rand.New(rand.NewSource(opt.Seed))
	out := len(glyphs)
	for _, s := range samples {
		out = max(out, s.class+1)
	}
	m := newMLP(nFeat, opt.Hidden, out, rng)
	params := [][]float32{m.w1, m.b1, m.w2, m.b2}
	grads := make([][]float32, len(params))
	mom := make([][]float32, len(params))
	vel := make([][]float32, len(params))
	for i, p := range params {
		grads[i] = make([]float32, len(p))
		mom[i] = make([]float32, len(p))
		vel[i] = make([]float32, len(p))
	}
	const batch = 32
	const b1, b2, eps = 0.9, 0.999, 1e-8
	x := make([]float32, nFeat)
	w := make([]float32, winW*winH)
	h := make([]float32, m.hid)
	p := make([]float32, m.out)
	dh := make([]float32, m.hid)
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	step := 0
	for ep := 0; ep < opt.Epochs; ep++ {
		rate := opt.Rate * (0.5 + 0.5*math.Cos(math.Pi*float64(ep)/float64(opt.Epochs)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for b0 := 0; b0 < len(order); b0 += batch {
			for _, g := range grads {
				clear(g)
			}
			n := 0
			for _, si := range order[b0:min(b0+batch, len(order))] {
				s := samples[si]
				dx, dy := rng.Intn(2*trainPad+1)-trainPad, rng.Intn(2*trainPad+1)-trainPad
				if rng.Intn(2) == 0 {
					dy = 0
				}
				cutSample(s.win, dx, dy, w)
				pool(w, x)
				m.forward(x, h, p)
				p[s.class]--
				clear(dh)
				for k := 0; k < m.out; k++ {
					g := p[k]
					grads[3][k] += g
					row := m.w2[k*m.hid : (k+1)*m.hid]
					grow := grads[2][k*m.hid : (k+1)*m.hid]
					for j, v := range h {
						grow[j] += g * v
						dh[j] += g * row[j]
					}
				}
				for j := 0; j < m.hid; j++ {
					if h[j] <= 0 {
						continue
					}
					g := dh[j]
					grads[1][j] += g
					grow := grads[0][j*m.in : (j+1)*m.in]
					for i, v := range x {
						grow[i] += g * v
					}
				}
				n++
			}
			step++
			c1 := 1 - math.Pow(b1, float64(step))
			c2 := 1 - math.Pow(b2, float64(step))
			lr := float32(rate * math.Sqrt(c2) / c1)
			inv := 1 / float32(n)
			for i, par := range params {
				g, mo, ve := grads[i], mom[i], vel[i]
				for k := range par {
					gk := g[k] * inv
					mo[k] = b1*mo[k] + (1-b1)*gk
					ve[k] = b2*ve[k] + (1-b2)*gk*gk
					par[k] -= lr * mo[k] / (float32(math.Sqrt(float64(ve[k]))) + eps)
				}
			}
		}
	}
	return m
}

// cutSample cuts a winW x winH window shifted by (dx, dy) from a padded training window.
func cutSample(src []uint8, dx, dy int, w []float32) {
	pw := winW + 2*trainPad
	for y := 0; y < winH; y++ {
		row := src[(y+trainPad+dy)*pw+trainPad+dx:]
		for x := 0; x < winW; x++ {
			w[y*winW+x] = float32(row[x]) / 255
		}
	}
}

// The model file: magic, the three sizes as uint32, then w1, b1, w2, b2 as little-endian float32.
var modelMagic = [8]byte{'P', 'M', 'I', 'C', 'R', 'N', 'N', '1'}

// ErrBadModel means a MICR model file is not one this reader can use.
var ErrBadModel = errors.New("micr: bad model file")

func (m *mlp) marshal() []byte {
	var b bytes.Buffer
	b.Write(modelMagic[:])
	for _, v := range []int{m.in, m.hid, m.out} {
		binary.Write(&b, binary.LittleEndian, uint32(v))
	}
	for _, p := range [][]float32{m.w1, m.b1, m.w2, m.b2} {
		binary.Write(&b, binary.LittleEndian, p)
	}
	return b.Bytes()
}

func unmarshalMLP(data []byte) (*mlp, error) {
	if len(data) < 20 || !bytes.Equal(data[:8], modelMagic[:]) {
		return nil, fmt.Errorf("%w: no header", ErrBadModel)
	}
	in := int(binary.LittleEndian.Uint32(data[8:]))
	hid := int(binary.LittleEndian.Uint32(data[12:]))
	out := int(binary.LittleEndian.Uint32(data[16:]))
	if in != nFeat || out != len(glyphs) && out != len(glyphs)+1 || hid <= 0 || hid > 4096 {
		return nil, fmt.Errorf("%w: sizes %d/%d/%d", ErrBadModel, in, hid, out)
	}
	n := hid*in + hid + out*hid + out
	if len(data) != 20+4*n {
		return nil, fmt.Errorf("%w: %d bytes for %d weights", ErrBadModel, len(data), n)
	}
	vals := make([]float32, n)
	if err := binary.Read(bytes.NewReader(data[20:]), binary.LittleEndian, vals); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	for _, v := range vals {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: weight not finite", ErrBadModel)
		}
	}
	m := &mlp{in: in, hid: hid, out: out}
	m.w1, vals = vals[:hid*in], vals[hid*in:]
	m.b1, vals = vals[:hid], vals[hid:]
	m.w2, vals = vals[:out*hid], vals[out*hid:]
	m.b2 = vals[:out]
	return m, nil
}

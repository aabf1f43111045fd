package nn

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrFormat is returned for a model.json or weight file that cannot be read as a TF.js graph model.
var ErrFormat = errors.New("nn: invalid TF.js graph model")

// ErrUnsupported is returned for a graph that uses an op or attribute this interpreter lacks.
var ErrUnsupported = errors.New("nn: unsupported op")

// modelJSON is the part of a TF.js model.json the interpreter reads.
type modelJSON struct {
	Format        string `json:"format"`
	ModelTopology struct {
		Node []nodeJSON `json:"node"`
	} `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string     `json:"paths"`
		Weights []weightJSON `json:"weights"`
	} `json:"weightsManifest"`
}

type nodeJSON struct {
	Name  string              `json:"name"`
	Op    string              `json:"op"`
	Input []string            `json:"input"`
	Attr  map[string]attrJSON `json:"attr"`
}

// intString decodes a protobuf-JSON int64, written as a decimal string or a number.
type intString int64

func (v *intString) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: integer attribute %s", ErrFormat, b)
	}
	*v = intString(n)
	return nil
}

type attrJSON struct {
	S    *string    `json:"s"`
	I    *intString `json:"i"`
	F    *float64   `json:"f"`
	B    *bool      `json:"b"`
	Type string     `json:"type"`
	List *struct {
		S []string    `json:"s"`
		I []intString `json:"i"`
		F []float64   `json:"f"`
	} `json:"list"`
	Shape *struct {
		Dim []struct {
			Size intString `json:"size"`
		} `json:"dim"`
	} `json:"shape"`
}

type weightJSON struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	Dtype        string `json:"dtype"`
	Quantization *struct {
		Dtype string  `json:"dtype"`
		Scale float64 `json:"scale"`
		Min   float64 `json:"min"`
	} `json:"quantization"`
}

// attrs wraps a node's attributes with typed accessors; tfjs lowercases string attributes.
type attrs map[string]attrJSON

func (a attrs) str(name, def string) string {
	v, ok := a[name]
	if !ok || v.S == nil {
		return def
	}
	b, err := base64.StdEncoding.DecodeString(*v.S)
	if err != nil {
		return def
	}
	return strings.ToLower(string(b))
}

func (a attrs) strs(name string) []string {
	v, ok := a[name]
	if !ok || v.List == nil {
		return nil
	}
	out := make([]string, 0, len(v.List.S))
	for _, s := range v.List.S {
		b, _ := base64.StdEncoding.DecodeString(s)
		out = append(out, strings.ToLower(string(b)))
	}
	return out
}

func (a attrs) ints(name string) []int {
	v, ok := a[name]
	if !ok || v.List == nil {
		return nil
	}
	out := make([]int, len(v.List.I))
	for i, x := range v.List.I {
		out[i] = int(x)
	}
	return out
}

func (a attrs) int(name string, def int) int {
	if v, ok := a[name]; ok && v.I != nil {
		return int(*v.I)
	}
	return def
}

func (a attrs) float(name string, def float64) float64 {
	if v, ok := a[name]; ok && v.F != nil {
		return *v.F
	}
	return def
}

func (a attrs) bool(name string, def bool) bool {
	if v, ok := a[name]; ok && v.B != nil {
		return *v.B
	}
	return def
}

func (a attrs) shape(name string) []int {
	v, ok := a[name]
	if !ok || v.Shape == nil {
		return nil
	}
	out := make([]int, len(v.Shape.Dim))
	for i, d := range v.Shape.Dim {
		out[i] = int(d.Size)
	}
	return out
}

// tensor is a constant: float weights, or int32 values (shapes, paddings, axes) stored as float32.
type tensor struct {
	shape []int
	data  []float32
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// readModel parses model.json and its weight shards.
func readModel(path string) (*modelJSON, map[string]tensor, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var m modelJSON
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
	}
	if len(m.ModelTopology.Node) == 0 {
		return nil, nil, fmt.Errorf("%w: %s has no graph nodes", ErrFormat, path)
	}
	weights := map[string]tensor{}
	dir := filepath.Dir(path)
	for _, g := range m.WeightsManifest {
		var buf []byte
		for _, p := range g.Paths {
			if strings.Contains(p, "..") || filepath.IsAbs(p) {
				return nil, nil, fmt.Errorf("%w: weight path %q escapes the model directory", ErrFormat, p)
			}
			b, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				return nil, nil, err
			}
			buf = append(buf, b...)
		}
		if err := decodeWeights(buf, g.Weights, weights); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return &m, weights, nil
}

// decodeWeights slices buf into the weights of one manifest group, in order, dequantising as it goes.
func decodeWeights(buf []byte, ws []weightJSON, out map[string]tensor) error {
	off := 0
	for _, w := range ws {
		n := 1
		for _, d := range w.Shape {
			if d < 0 || (d > 0 && n > math.MaxInt32/d) {
				return fmt.Errorf("%w: weight %s has bad shape %v", ErrFormat, w.Name, w.Shape)
			}
			n *= d
		}
		dtype := w.Dtype
		width := 4
		if w.Quantization != nil {
			dtype = w.Quantization.Dtype
			switch dtype {
			case "uint8":
				width = 1
			case "uint16", "float16":
				width = 2
			default:
				return fmt.Errorf("%w: weight %s quantized as %s", ErrUnsupported, w.Name, dtype)
			}
		} else if w.Dtype != "float32" && w.Dtype != "int32" {
			return fmt.Errorf("%w: weight %s has dtype %s", ErrUnsupported, w.Name, w.Dtype)
		}
		if off+n*width > len(buf) {
			return fmt.Errorf("%w: weights end at byte %d, past the %d bytes of the shards", ErrFormat, off+n*width, len(buf))
		}
		b := buf[off : off+n*width]
		off += n * width
		data := make([]float32, n)
		switch dtype {
		case "float32":
			for i := range data {
				data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case "int32":
			for i := range data {
				data[i] = float32(int32(binary.LittleEndian.Uint32(b[4*i:])))
			}
		case "uint8", "uint16":
			q := w.Quantization
			for i := range data {
				var v float64
				if width == 1 {
					v = float64(b[i])
				} else {
					v = float64(binary.LittleEndian.Uint16(b[2*i:]))
				}
				x := v*q.Scale + q.Min
				if w.Dtype == "int32" {
					x = math.Round(x)
				}
				data[i] = float32(x)
			}
		case "float16":
			for i := range data {
				data[i] = halfToFloat(binary.LittleEndian.Uint16(b[2*i:]))
			}
		}
		out[w.Name] = tensor{shape: append([]int(nil), w.Shape...), data: data}
	}
	return nil
}

// halfToFloat widens an IEEE 754 half-precision value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		f := float32(mant) / 1024 / 16384
		if sign != 0 {
			return -f
		}
		return f
	case exp == 31:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// parseInput splits "node:2" into its node name and output index, dropping a control "^".
func parseInput(s string) (string, int, bool) {
	if strings.HasPrefix(s, "^") {
		return s[1:], 0, true
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if k, err := strconv.Atoi(s[i+1:]); err == nil {
			return s[:i], k, false
		}
	}
	return s, 0, false
}

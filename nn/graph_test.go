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
	"testing"
	"time"
)

// tinyModel writes a small graph model: input [1,4,4,2] -> 3x3 SAME conv to 3 channels with bias
// and relu -> 2x2 max pool -> mean -> softmax. Weights are float32 except the bias, stored as
// float16, and the filter scale as uint8 quantization.
func tinyModel(t testing.TB) (string, []byte) {
	t.Helper()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	doc := map[string]any{
		"format": "graph-model",
		"modelTopology": map[string]any{"node": []any{
			map[string]any{"name": "x", "op": "Placeholder", "attr": map[string]any{"shape": map[string]any{"shape": map[string]any{"dim": []any{
				map[string]any{"size": "-1"}, map[string]any{"size": "4"}, map[string]any{"size": "4"}, map[string]any{"size": "2"}}}}}},
			map[string]any{"name": "w", "op": "Const"},
			map[string]any{"name": "b", "op": "Const"},
			map[string]any{"name": "axes", "op": "Const"},
			map[string]any{"name": "conv", "op": "_FusedConv2D", "input": []any{"x", "w", "b"}, "attr": map[string]any{
				"strides": map[string]any{"list": map[string]any{"i": []any{"1", "1", "1", "1"}}},
				"padding": map[string]any{"s": b64("SAME")}, "num_args": map[string]any{"i": "1"},
				"fused_ops": map[string]any{"list": map[string]any{"s": []any{b64("BiasAdd"), b64("Relu")}}}}},
			map[string]any{"name": "pool", "op": "MaxPool", "input": []any{"conv"}, "attr": map[string]any{
				"strides": map[string]any{"list": map[string]any{"i": []any{"1", "2", "2", "1"}}},
				"ksize":   map[string]any{"list": map[string]any{"i": []any{"1", "2", "2", "1"}}},
				"padding": map[string]any{"s": b64("VALID")}}},
			map[string]any{"name": "mean", "op": "Mean", "input": []any{"pool", "axes"}},
			map[string]any{"name": "out", "op": "Softmax", "input": []any{"mean"}},
		}},
		"weightsManifest": []any{map[string]any{"paths": []any{"tiny.bin"}, "weights": []any{
			map[string]any{"name": "w", "shape": []int{3, 3, 2, 3}, "dtype": "float32", "quantization": map[string]any{"dtype": "uint8", "scale": 0.01, "min": -0.5}},
			map[string]any{"name": "b", "shape": []int{3}, "dtype": "float32", "quantization": map[string]any{"dtype": "float16"}},
			map[string]any{"name": "axes", "shape": []int{2}, "dtype": "int32"},
		}}},
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var bin []byte
	for i := 0; i < 54; i++ {
		bin = append(bin, byte(i*37%101))
	}
	for _, h := range []uint16{0x3800, 0xB400, 0x0000} { // 0.5, -0.25, 0
		bin = binary.LittleEndian.AppendUint16(bin, h)
	}
	bin = binary.LittleEndian.AppendUint32(bin, 1)
	bin = binary.LittleEndian.AppendUint32(bin, 2)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tiny.json"), js, 0o644)
	os.WriteFile(filepath.Join(dir, "tiny.bin"), bin, 0o644)
	return filepath.Join(dir, "tiny.json"), js
}

// TestTinyModel checks the interpreter against a direct computation of the same graph.
func TestTinyModel(t *testing.T) {
	path, _ := tinyModel(t)
	in := make([]float32, 32)
	for i := range in {
		in[i] = float32(math.Sin(float64(i)))
	}
	// reference: dequantised weights, naive convolution
	w := make([]float64, 54)
	for i := range w {
		w[i] = float64(i*37%101)*0.01 - 0.5
	}
	bias := []float64{0.5, -0.25, 0}
	conv := make([]float64, 4*4*3)
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			for o := 0; o < 3; o++ {
				s := bias[o]
				for ky := 0; ky < 3; ky++ {
					for kx := 0; kx < 3; kx++ {
						iy, ix := y+ky-1, x+kx-1
						if iy < 0 || iy >= 4 || ix < 0 || ix >= 4 {
							continue
						}
						for c := 0; c < 2; c++ {
							s += float64(in[(iy*4+ix)*2+c]) * w[((ky*3+kx)*2+c)*3+o]
						}
					}
				}
				conv[(y*4+x)*3+o] = math.Max(s, 0)
			}
		}
	}
	var mean [3]float64
	for py := 0; py < 2; py++ {
		for px := 0; px < 2; px++ {
			for o := 0; o < 3; o++ {
				m := math.Inf(-1)
				for dy := 0; dy < 2; dy++ {
					for dx := 0; dx < 2; dx++ {
						m = math.Max(m, conv[((2*py+dy)*4+2*px+dx)*3+o])
					}
				}
				mean[o] += m / 4
			}
		}
	}
	var z float64
	for _, v := range mean {
		z += math.Exp(v)
	}
	for _, generic := range []bool{false, true} {
		saved := useAVX2
		if generic {
			useAVX2 = false
		}
		m, err := LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Predict(in)
		useAVX2 = saved
		if err != nil {
			t.Fatal(err)
		}
		for o := range mean {
			if want := math.Exp(mean[o]) / z; math.Abs(float64(out[0][o])-want) > 1e-5 {
				t.Errorf("generic=%v: output %d = %.6f, want %.6f", generic, o, out[0][o], want)
			}
		}
	}
	m, _ := LoadFile(path)
	if _, err := m.Predict(make([]float32, 3)); err == nil {
		t.Error("Predict accepted an input of the wrong size")
	}
}

func TestHalfToFloat(t *testing.T) {
	for h, want := range map[uint16]float32{0x3C00: 1, 0xC000: -2, 0x7BFF: 65504, 0x0001: 5.9604645e-08, 0x0000: 0, 0x3555: 0.33325195} {
		if got := halfToFloat(h); got != want {
			t.Errorf("halfToFloat(%#04x) = %g, want %g", h, got, want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	tests := []struct {
		name, json string
		want       error
	}{
		{"not json", "{", ErrFormat},
		{"no nodes", `{"modelTopology":{"node":[]}}`, ErrFormat},
		{"unknown op", `{"modelTopology":{"node":[{"name":"x","op":"Placeholder","attr":{"shape":{"shape":{"dim":[{"size":"1"},{"size":"2"},{"size":"2"},{"size":"1"}]}}}},{"name":"y","op":"Cumsum","input":["x"]}]}}`, ErrUnsupported},
		{"missing input", `{"modelTopology":{"node":[{"name":"y","op":"Relu","input":["nope"]}]}}`, ErrFormat},
		{"short weights", `{"modelTopology":{"node":[{"name":"c","op":"Const"}]},"weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"c","shape":[100],"dtype":"float32"}]}]}`, ErrFormat},
		{"escaping path", `{"modelTopology":{"node":[{"name":"c","op":"Const"}]},"weightsManifest":[{"paths":["../w.bin"],"weights":[]}]}`, ErrFormat},
	}
	write("w.bin", "1234")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFile(write("m.json", tc.json))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzLoadFile(f *testing.F) {
	_, js := tinyModel(f)
	f.Add(js)
	f.Add([]byte(`{"modelTopology":{"node":[{"name":"x","op":"Placeholder"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "m.json")
		os.WriteFile(p, data, 0o644)
		os.WriteFile(filepath.Join(dir, "tiny.bin"), make([]byte, 80), 0o644)
		m, err := LoadFile(p)
		if err == nil && len(m.Input()) < 1<<20 {
			m.Run()
		}
	})
}

// FuzzLoadOps mutates the single-op graphs of testdata/ops (Prelu, DepthToSpace, ResizeBilinear,
// ConcatV2, the folded shape chain) next to their weight files: planning either fails with an
// error or gives a model that runs.
func FuzzLoadOps(f *testing.F) {
	bins := map[string][]byte{}
	for _, name := range []string{"prelu", "layout"} {
		js, err := os.ReadFile(filepath.Join("testdata", "ops", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(js)
		if bins[name], err = os.ReadFile(filepath.Join("testdata", "ops", name+".bin")); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stuck := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("planning or running took over 10 s: %q", data)) })
		defer stuck.Stop()
		dir := t.TempDir()
		for name, b := range bins {
			os.WriteFile(filepath.Join(dir, name+".bin"), b, 0o644)
		}
		p := filepath.Join(dir, "m.json")
		os.WriteFile(p, data, 0o644)
		m, err := LoadFile(p)
		if err == nil && len(m.Input()) < 1<<20 {
			m.Run()
		}
	})
}

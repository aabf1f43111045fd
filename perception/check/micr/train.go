package micr

import (
	"fmt"
	"image"
	"strings"
	"sync"
)

// Model is a learned E-13B glyph classifier.
type Model struct{ m *mlp }

// TrainOptions sets how a Model is fitted; the zero value takes the defaults that built the
// model shipped with the reader.
type TrainOptions struct {
	Hidden int     // hidden units (default 96)
	Epochs int     // passes over the glyphs (default 14)
	Seed   int64   // random seed (default 1)
	Rate   float64 // Adam's initial step (default 0.002)
}

func (o TrainOptions) withDefaults() trainOptions {
	t := trainOptions{Hidden: o.Hidden, Epochs: o.Epochs, Seed: o.Seed, Rate: o.Rate}
	if t.Hidden <= 0 {
		t.Hidden = 96
	}
	if t.Epochs <= 0 {
		t.Epochs = 14
	}
	if t.Seed == 0 {
		t.Seed = 1
	}
	if t.Rate <= 0 {
		t.Rate = 0.002
	}
	return t
}

// TrainStats tells what a model was fitted on.
type TrainStats struct {
	Lines     int      // lines offered
	Used      int      // lines whose grid positions matched their truth in number, so could be labelled
	Glyphs    int      // labelled glyphs
	PerClass  [15]int  // the 14 characters, then windows that are none (rejectClass)
	Unlabeled []string // names of the lines that could not be labelled
	samples   []sample
}

// Train fits a Model to the glyphs of the example lines. A line is used when the grid finds as
// many occupied positions as its truth has characters; its glyphs are labelled in order.
//
// A first model is fitted to the lines the plain segmentation cuts right; then every line is cut
// by aligning its truth with that model's help, and the model is fitted again on them all.
func Train(ex []Example, opt TrainOptions) (*Model, TrainStats) {
	o := opt.withDefaults()
	grids := make([]gridLine, len(ex))
	oks := make([]bool, len(ex))
	for i, e := range ex {
		grids[i], oks[i] = gridOf(e.Image)
	}
	first, _ := collect(ex, grids, oks, nil)
	if first.Glyphs == 0 {
		return nil, first
	}
	m0 := train(first.samples, o)
	st, all := collect(ex, grids, oks, m0)
	st.samples = nil
	return &Model{train(all.samples, o)}, st
}

// collect labels the glyphs of the lines, aligning with m where the plain cut disagrees.
func collect(ex []Example, grids []gridLine, oks []bool, m *mlp) (TrainStats, TrainStats) {
	var all []sample
	st := TrainStats{Lines: len(ex)}
	for i, e := range ex {
		var ss []sample
		if oks[i] && (!e.Strict || len(grids[i].cells) == len([]rune(e.Truth))) {
			ss = grids[i].samplesOf(e.Truth, m)
		}
		if len(ss) == 0 {
			st.Unlabeled = append(st.Unlabeled, e.Name)
			continue
		}
		st.Used++
		for _, s := range ss {
			st.PerClass[s.class]++
		}
		all = append(all, ss...)
	}
	st.Glyphs = len(all)
	st.samples = all
	return st, st
}

// Marshal encodes the model as the reader's model file.
func (m *Model) Marshal() []byte { return m.m.marshal() }

// LoadModel decodes a model file written by Marshal.
func LoadModel(data []byte) (*Model, error) {
	m, err := unmarshalMLP(data)
	if err != nil {
		return nil, err
	}
	return &Model{m}, nil
}

// Result is one line read in an evaluation.
type Result struct {
	Name, Truth, Got string
	Err              error
}

// CrossValidate reads every example with a model trained on the other folds only (k folds by
// line, FoldOf) and returns the results in the examples' order.
func CrossValidate(ex []Example, k int, opt TrainOptions, progress func(fold int, st TrainStats)) []Result {
	return CrossValidateWith(ex, nil, k, opt, progress)
}

// CrossValidateWith is CrossValidate with extra lines (drawn ones) added to every fold's
// training and never scored. The folds are trained at once, each on its own goroutine; progress
// is called from them one at a time.
func CrossValidateWith(ex, extra []Example, k int, opt TrainOptions, progress func(fold int, st TrainStats)) []Result {
	res := make([]Result, len(ex))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for f := 0; f < k; f++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := append([]Example(nil), extra...)
			for _, e := range ex {
				if FoldOf(e.Truth, k) != f {
					tr = append(tr, e)
				}
			}
			m, st := Train(tr, opt)
			if progress != nil {
				mu.Lock()
				progress(f, st)
				mu.Unlock()
			}
			for i, e := range ex {
				if FoldOf(e.Truth, k) != f {
					continue
				}
				res[i] = Result{Name: e.Name, Truth: e.Truth}
				if m == nil {
					res[i].Err = fmt.Errorf("fold %d: nothing to train on", f)
					continue
				}
				l, err := ReadWith(m, e.Image)
				res[i].Got, res[i].Err = strings.ReplaceAll(l.Text, " ", ""), err
			}
		}()
	}
	wg.Wait()
	return res
}

// ReadWith reads a cropped MICR line with the given model.
func ReadWith(m *Model, img image.Image) (Line, error) {
	return readCrop(m.m, img)
}

package nlu

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// ErrBadCSV is returned when a training or test file lacks the expected columns.
var ErrBadCSV = errors.New("nlu: bad examples CSV")

// ReadExamplesCSV reads labelled examples from CSV with a header row: a text column (text,
// utterance or sentence) and a label column (intent, category or label).
func ReadExamplesCSV(r io.Reader) ([]Example, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: reading header: %v", ErrBadCSV, err)
	}
	ti, li := -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "text", "utterance", "sentence":
			ti = i
		case "intent", "category", "label":
			li = i
		}
	}
	if ti < 0 || li < 0 {
		return nil, fmt.Errorf("%w: header %q needs a text column and an intent or category column", ErrBadCSV, head)
	}
	var out []Example
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadCSV, err)
		}
		if len(rec) <= max(ti, li) {
			return nil, fmt.Errorf("%w: line %d has %d fields", ErrBadCSV, line, len(rec))
		}
		out = append(out, Example{Text: rec[ti], Label: strings.TrimSpace(rec[li])})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrBadCSV)
	}
	return out, nil
}

// Metrics are the scores of a classifier on labelled test examples.
type Metrics struct {
	N        int
	Accuracy float64
	MacroF1  float64
	// HasOOS tells whether the test set had out-of-scope examples; the next two are set then.
	HasOOS          bool
	InScopeAccuracy float64
	OOSRecall       float64
	TrainTime       time.Duration
	MeanLatency     time.Duration
	P99Latency      time.Duration
	PerSecond       float64
}

// Evaluate classifies every test example and scores the predictions.
func Evaluate(c *Classifier, test []Example) Metrics {
	pred := make([]string, len(test))
	lat := make([]time.Duration, len(test))
	start := time.Now()
	for i, e := range test {
		t := time.Now()
		pred[i] = c.Classify(e.Text).Label
		lat[i] = time.Since(t)
	}
	total := time.Since(start)
	m := Score(test, pred)
	if len(test) > 0 {
		slices.Sort(lat)
		m.MeanLatency = total / time.Duration(len(test))
		m.P99Latency = lat[min(len(lat)-1, len(lat)*99/100)]
		m.PerSecond = float64(len(test)) / total.Seconds()
	}
	return m
}

// Score compares predicted labels with the true ones.
func Score(test []Example, pred []string) Metrics {
	m := Metrics{N: len(test)}
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	var right, in, inRight, oos, oosRight int
	for i, e := range test {
		ok := pred[i] == e.Label
		if ok {
			right++
			tp[e.Label]++
		} else {
			fp[pred[i]]++
			fn[e.Label]++
		}
		if e.Label == OOS {
			oos++
			if ok {
				oosRight++
			}
		} else {
			in++
			if ok {
				inRight++
			}
		}
	}
	if m.N == 0 {
		return m
	}
	m.Accuracy = float64(right) / float64(m.N)
	labels := map[string]bool{}
	for _, e := range test {
		labels[e.Label] = true
	}
	var f1 float64
	for l := range labels {
		if d := 2*tp[l] + fp[l] + fn[l]; d > 0 {
			f1 += float64(2*tp[l]) / float64(d)
		}
	}
	m.MacroF1 = f1 / float64(len(labels))
	if oos > 0 {
		m.HasOOS = true
		m.OOSRecall = float64(oosRight) / float64(oos)
		if in > 0 {
			m.InScopeAccuracy = float64(inRight) / float64(in)
		}
	}
	return m
}

// CrossValidate trains on k-1 folds and tests on the remaining one, k times, and returns the
// pooled metrics; TrainTime is the mean per fold.
func CrossValidate(examples []Example, k int, opts Options) (Metrics, error) {
	return CrossValidateN(examples, k, k, opts)
}

// CrossValidateN is CrossValidate that stops after the first runs folds (all when runs <= 0), for
// quicker estimates.
func CrossValidateN(examples []Example, k, runs int, opts Options) (Metrics, error) {
	if runs <= 0 || runs > k {
		runs = k
	}
	if k < 2 || k > len(examples) {
		return Metrics{}, fmt.Errorf("nlu: cannot make %d folds of %d examples", k, len(examples))
	}
	perm := rand.New(rand.NewPCG(42, 42)).Perm(len(examples))
	var (
		test  []Example
		pred  []string
		lat   []time.Duration
		train time.Duration
		total time.Duration
	)
	for f := range runs {
		var tr, te []Example
		for i, p := range perm {
			if i%k == f {
				te = append(te, examples[p])
			} else {
				tr = append(tr, examples[p])
			}
		}
		t0 := time.Now()
		c, err := TrainWith(tr, opts)
		if err != nil {
			return Metrics{}, err
		}
		train += time.Since(t0)
		t1 := time.Now()
		for _, e := range te {
			t := time.Now()
			pred = append(pred, c.Classify(e.Text).Label)
			lat = append(lat, time.Since(t))
		}
		total += time.Since(t1)
		test = append(test, te...)
	}
	m := Score(test, pred)
	m.TrainTime = train / time.Duration(runs)
	slices.Sort(lat)
	m.MeanLatency = total / time.Duration(len(test))
	m.P99Latency = lat[min(len(lat)-1, len(lat)*99/100)]
	m.PerSecond = float64(len(test)) / total.Seconds()
	return m, nil
}

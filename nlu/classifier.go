package nlu

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// OOS is the label of an out-of-scope message: one the classifier was not trained to answer.
const OOS = "oos"

// ErrNoExamples is returned by Train when there is nothing to learn from.
var ErrNoExamples = errors.New("nlu: no training examples")

// Example is one labelled training sentence. Label OOS marks an out-of-scope example.
type Example struct {
	Text  string
	Label string
}

// Scored is a label with its calibrated probability.
type Scored struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// Result is the outcome of classifying one text.
type Result struct {
	// Label is the predicted intent, or OOS.
	Label string `json:"label"`
	// Confidence is the calibrated probability of Label; for OOS it is the probability that the
	// text is out of scope.
	Confidence float64 `json:"confidence"`
	// Top holds the best in-scope labels, best first, with their probabilities.
	Top []Scored `json:"top"`
}

// Options tune training. The zero value picks the defaults.
type Options struct {
	// C is the SVM regularisation constant (default 0.5).
	C float64
	// MinN and MaxN bound the character n-gram lengths (default 2..5).
	MinN, MaxN int
	// Threshold is the minimum probability of the top intent below which a text is out of scope.
	// 0 picks it by cross-validation on the training data; a negative value disables it.
	Threshold float64
	// Folds is the number of cross-validation folds used to calibrate (default 3; 1 disables).
	Folds int
	// Workers bounds training parallelism (default GOMAXPROCS).
	Workers int
	// TopK is the number of labels in Result.Top (default 3).
	TopK int
}

func (o Options) withDefaults() Options {
	if o.C == 0 {
		o.C = 0.5
	}
	if o.MinN == 0 {
		o.MinN = 2
	}
	if o.MaxN == 0 {
		o.MaxN = 5
	}
	if o.Folds == 0 {
		o.Folds = 3
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.TopK <= 0 {
		o.TopK = 3
	}
	return o
}

// Classifier is a trained intent classifier. It is safe for concurrent use.
type Classifier struct {
	opts   Options
	labels []string
	oos    int // index of the OOS label, or -1
	vocab  map[uint64]int32
	idf    []float32
	// w holds the weights feature-major: w[f*len(labels)+k]; bias[k] is the intercept.
	w     []float32
	bias  []float32
	temp  float64 // softmax temperature applied to SVM scores
	thres float64 // probability below which the top intent is rejected as OOS
	pool  sync.Pool
}

// Labels returns the labels the classifier knows, OOS included when it was trained with it.
func (c *Classifier) Labels() []string { return slices.Clone(c.labels) }

// Threshold returns the calibrated out-of-scope probability threshold.
func (c *Classifier) Threshold() float64 { return c.thres }

// Train learns a classifier from examples with the default options.
func Train(examples []Example) (*Classifier, error) { return TrainWith(examples, Options{}) }

// TrainWith learns a classifier from examples. It fits a one-vs-rest L2-loss linear SVM on TF-IDF
// weighted word uni/bigrams and character n-grams, then calibrates a softmax temperature and an
// out-of-scope threshold on cross-validation folds of the same examples.
func TrainWith(examples []Example, opts Options) (*Classifier, error) {
	opts = opts.withDefaults()
	docs := make([]Example, 0, len(examples))
	for _, e := range examples {
		if e.Label != "" && normalize(e.Text) != "" {
			docs = append(docs, e)
		}
	}
	if len(docs) == 0 {
		return nil, ErrNoExamples
	}
	c := fit(docs, opts)
	if len(c.labels) < 2 {
		// One label cannot be told apart from anything; everything maps to it.
		c.temp, c.thres = 1, 0
		return c, nil
	}
	c.temp, c.thres = 1, 0
	if opts.Folds > 1 && len(docs) >= 2*opts.Folds {
		c.temp, c.thres = calibrate(docs, opts)
	}
	if opts.Threshold != 0 {
		c.thres = max(opts.Threshold, 0)
	}
	return c, nil
}

// fit trains the features and SVM weights, without calibration.
func fit(docs []Example, opts Options) *Classifier {
	c := &Classifier{opts: opts, oos: -1, vocab: map[uint64]int32{}}
	labelIdx := map[string]int{}
	y := make([]int, len(docs))
	for i, d := range docs {
		k, ok := labelIdx[d.Label]
		if !ok {
			k = len(c.labels)
			labelIdx[d.Label] = k
			c.labels = append(c.labels, d.Label)
		}
		y[i] = k
	}
	if k, ok := labelIdx[OOS]; ok {
		c.oos = k
	}
	// Vocabulary and document frequencies.
	terms := make([][]term, len(docs))
	var df []int32
	var hs []uint64
	for i, d := range docs {
		hs = hashes(hs[:0], d.Text, opts.MinN, opts.MaxN)
		terms[i] = countTerms(nil, hs)
		for _, t := range terms[i] {
			j, ok := c.vocab[t.hash]
			if !ok {
				j = int32(len(df))
				c.vocab[t.hash] = j
				df = append(df, 0)
			}
			df[j]++
		}
	}
	n := float64(len(docs))
	c.idf = make([]float32, len(df))
	for j, f := range df {
		c.idf[j] = float32(math.Log((n+1)/(float64(f)+1)) + 1)
	}
	xs := make([]sparse, len(docs))
	for i := range docs {
		vectorize(terms[i], c.vocab, c.idf, &xs[i])
	}
	c.w, c.bias = trainSVM(xs, y, len(c.labels), len(df), opts)
	c.pool.New = func() any { return new(scratch) }
	return c
}

// trainSVM fits one binary L2-regularised squared-hinge SVM per class by dual coordinate descent
// (Hsieh et al. 2008) and returns the weights feature-major.
func trainSVM(xs []sparse, y []int, nClass, nFeat int, opts Options) ([]float32, []float32) {
	w := make([]float32, nFeat*nClass)
	bias := make([]float32, nClass)
	var wg sync.WaitGroup
	next := make(chan int)
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := make([]float64, nFeat+1)
			alpha := make([]float64, len(xs))
			order := make([]int, len(xs))
			for k := range next {
				clear(wk)
				clear(alpha)
				binarySVM(xs, y, k, opts.C, wk, alpha, order)
				for f := range nFeat {
					w[f*nClass+k] = float32(wk[f])
				}
				bias[k] = float32(wk[nFeat])
			}
		}()
	}
	for k := range nClass {
		next <- k
	}
	close(next)
	wg.Wait()
	return w, bias
}

// binarySVM solves one class against the rest; w has the bias weight as its last element.
func binarySVM(xs []sparse, y []int, k int, C float64, w, alpha []float64, order []int) {
	const (
		maxIter = 50
		eps     = 0.1
		biasX   = 1.0
	)
	diag := 0.5 / C
	nb := len(w) - 1
	rng := rand.New(rand.NewPCG(uint64(k)+1, 7))
	for i := range order {
		order[i] = i
	}
	for range maxIter {
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		pgMax, pgMin := math.Inf(-1), math.Inf(1)
		for _, i := range order {
			x := &xs[i]
			yi := -1.0
			if y[i] == k {
				yi = 1
			}
			dot := w[nb] * biasX
			for j, f := range x.idx {
				dot += w[f] * float64(x.val[j])
			}
			g := yi*dot - 1 + diag*alpha[i]
			pg := g
			if alpha[i] == 0 && g > 0 {
				pg = 0
			}
			pgMax, pgMin = max(pgMax, pg), min(pgMin, pg)
			if pg == 0 {
				continue
			}
			qii := 1 + biasX*biasX + diag // rows are L2-normalised
			old := alpha[i]
			alpha[i] = max(old-g/qii, 0)
			d := (alpha[i] - old) * yi
			for j, f := range x.idx {
				w[f] += d * float64(x.val[j])
			}
			w[nb] += d * biasX
		}
		if pgMax-pgMin < eps {
			break
		}
	}
}

// scratch is per-call working memory.
type scratch struct {
	hs     []uint64
	terms  []term
	x      sparse
	scores []float64
}

// scores writes the raw SVM scores of text into s.scores.
func (c *Classifier) rawScores(text string, s *scratch) []float64 {
	s.hs = hashes(s.hs[:0], text, c.opts.MinN, c.opts.MaxN)
	s.terms = countTerms(s.terms[:0], s.hs)
	vectorize(s.terms, c.vocab, c.idf, &s.x)
	nc := len(c.labels)
	if cap(s.scores) < nc {
		s.scores = make([]float64, nc)
	}
	sc := s.scores[:nc]
	for k := range sc {
		sc[k] = float64(c.bias[k])
	}
	for j, f := range s.x.idx {
		v := float64(s.x.val[j])
		row := c.w[int(f)*nc : int(f)*nc+nc]
		for k, wk := range row {
			sc[k] += v * float64(wk)
		}
	}
	return sc
}

// softmax turns scores into probabilities in place at temperature t.
func softmax(sc []float64, t float64) {
	m := math.Inf(-1)
	for _, v := range sc {
		m = max(m, v)
	}
	var sum float64
	for k, v := range sc {
		sc[k] = math.Exp((v - m) * t)
		sum += sc[k]
	}
	for k := range sc {
		sc[k] /= sum
	}
}

// Classify returns the most likely intent of text with calibrated probabilities, or OOS when the
// text matches no intent well enough.
func (c *Classifier) Classify(text string) Result {
	s := c.pool.Get().(*scratch)
	defer c.pool.Put(s)
	sc := c.rawScores(text, s)
	if len(s.x.idx) == 0 {
		// Nothing known in the text: out of scope.
		return Result{Label: OOS, Confidence: 1, Top: c.top(nil)}
	}
	softmax(sc, c.temp)
	return c.decide(sc)
}

// decide picks the label from probabilities.
func (c *Classifier) decide(p []float64) Result {
	top := c.top(p)
	r := Result{Top: top}
	best, pOOS := "", 0.0
	if c.oos >= 0 {
		pOOS = p[c.oos]
	}
	if len(top) > 0 {
		best = top[0].Label
	}
	switch {
	case len(top) == 0:
		r.Label, r.Confidence = OOS, 1
	case pOOS > top[0].Score:
		r.Label, r.Confidence = OOS, pOOS
	case top[0].Score < c.thres:
		r.Label, r.Confidence = OOS, 1-top[0].Score
	default:
		r.Label, r.Confidence = best, top[0].Score
	}
	return r
}

// top returns the best in-scope labels.
func (c *Classifier) top(p []float64) []Scored {
	out := make([]Scored, 0, c.opts.TopK)
	for k, v := range p {
		if k == c.oos {
			continue
		}
		if len(out) < c.opts.TopK {
			out = append(out, Scored{c.labels[k], v})
		} else if v > out[len(out)-1].Score {
			out[len(out)-1] = Scored{c.labels[k], v}
		} else {
			continue
		}
		for i := len(out) - 1; i > 0 && out[i].Score > out[i-1].Score; i-- {
			out[i], out[i-1] = out[i-1], out[i]
		}
	}
	return out
}

// calibrate fits the softmax temperature (maximum likelihood) and the out-of-scope threshold on
// held-out folds.
func calibrate(docs []Example, opts Options) (temp, thres float64) {
	type held struct {
		scores []float64
		label  string
		labels []string
	}
	var hs []held
	perm := rand.New(rand.NewPCG(1, 2)).Perm(len(docs))
	fo := opts
	fo.Folds = 1
	for f := range opts.Folds {
		var tr, te []Example
		for i, p := range perm {
			if i%opts.Folds == f {
				te = append(te, docs[p])
			} else {
				tr = append(tr, docs[p])
			}
		}
		c := fit(tr, fo)
		s := new(scratch)
		for _, e := range te {
			sc := slices.Clone(c.rawScores(e.Text, s))
			hs = append(hs, held{sc, e.Label, c.labels})
		}
	}
	// Temperature: grid search on the negative log-likelihood of the true label.
	nll := func(t float64) float64 {
		var sum float64
		for _, h := range hs {
			p := slices.Clone(h.scores)
			softmax(p, t)
			k := slices.Index(h.labels, h.label)
			if k < 0 {
				continue
			}
			sum -= math.Log(max(p[k], 1e-12))
		}
		return sum
	}
	temp, best := 1.0, math.Inf(1)
	for t := 1.0; t <= 40; t *= 1.15 {
		if v := nll(t); v < best {
			temp, best = t, v
		}
	}
	// Threshold: the probability of the top intent on held-out in-scope examples that the
	// classifier got right; reject below the value that keeps most of them.
	var right []float64
	for _, h := range hs {
		if h.label == OOS {
			continue
		}
		p := slices.Clone(h.scores)
		softmax(p, temp)
		k := argmax(p)
		if h.labels[k] == h.label {
			right = append(right, p[k])
		}
	}
	sort.Float64s(right)
	if len(right) > 0 {
		thres = right[int(float64(len(right))*thresholdQuantile)]
	}
	return temp, thres
}

// thresholdQuantile is the share of correctly classified in-scope held-out examples that the
// out-of-scope threshold may reject.
const thresholdQuantile = 0.05

func argmax(p []float64) int {
	b := 0
	for k, v := range p {
		if v > p[b] {
			b = k
		}
	}
	return b
}

func (c *Classifier) String() string {
	return fmt.Sprintf("nlu.Classifier{labels: %d, features: %d}", len(c.labels), len(c.idf))
}

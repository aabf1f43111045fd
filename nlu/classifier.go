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

// Scored is a label with the calibrated probability that it is the right one.
type Scored struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// Result is the outcome of classifying one text.
type Result struct {
	// Label is the predicted intent, or OOS.
	Label string `json:"label"`
	// Confidence is the calibrated probability that Label is right; for OOS it is one minus the
	// probability of the best intent.
	Confidence float64 `json:"confidence"`
	// Top holds the best in-scope labels, best first, with their probabilities.
	Top []Scored `json:"top"`
}

// Options tune training. The zero value picks the defaults.
type Options struct {
	// C is the SVM regularisation constant (default 1).
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
	// Background adds built-in everyday out-of-scope sentences as OOS examples when the training
	// data has none, which sharpens out-of-scope detection for small sets such as a pack's.
	Background bool
}

func (o Options) withDefaults() Options {
	if o.C == 0 {
		o.C = 1
	}
	if o.MinN == 0 {
		o.MinN = 2
	}
	if o.MaxN == 0 {
		o.MaxN = 5
	}
	o.MinN = max(o.MinN, 1)
	o.MaxN = max(o.MaxN, o.MinN)
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
	w    []float32
	bias []float32
	// a and b map an SVM score s to the probability sigmoid(a*s+b) that its label is right
	// (Platt scaling, fitted on held-out folds).
	a, b  float64
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
// weighted word uni/bigrams and character n-grams, then fits Platt scaling of its scores and an
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
	if opts.Background && !slices.ContainsFunc(docs, func(e Example) bool { return e.Label == OOS }) {
		for _, t := range background {
			docs = append(docs, Example{Text: t, Label: OOS})
		}
	}
	c := fit(docs, opts)
	c.a, c.b, c.thres = defaultA, defaultB, defaultThreshold
	if len(c.labels) < 2 {
		// One label cannot be told apart from anything; everything maps to it.
		c.thres = 0
		return c, nil
	}
	if opts.Folds > 1 && len(docs) >= 2*opts.Folds {
		c.a, c.b, c.thres = calibrate(docs, opts)
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

// binarySVM solves one class against the rest; w has the bias weight as its last element. It is
// liblinear's dual coordinate descent for the L2-loss SVM, with shrinking: examples whose
// multiplier is stuck at zero are set aside until the end, which with many classes is most of
// them (the negatives far from the boundary).
func binarySVM(xs []sparse, y []int, k int, C float64, w, alpha []float64, order []int) {
	const (
		maxIter = 100
		// eps bounds the projected-gradient gap at convergence; tighter stopping costs twice the
		// time for no measurable accuracy on intent data.
		eps   = 0.3
		biasX = 1.0
	)
	diag := 0.5 / C
	qii := 1 + biasX*biasX + diag // rows are L2-normalised
	nb := len(w) - 1
	rng := rand.New(rand.NewPCG(uint64(k)+1, 7))
	for i := range order {
		order[i] = i
	}
	active := len(order)
	pgMaxOld, pgMinOld := math.Inf(1), math.Inf(-1)
	for range maxIter {
		rng.Shuffle(active, func(a, b int) { order[a], order[b] = order[b], order[a] })
		pgMax, pgMin := math.Inf(-1), math.Inf(1)
		for s := 0; s < active; s++ {
			i := order[s]
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
			if alpha[i] == 0 {
				if g > pgMaxOld {
					active--
					order[s], order[active] = order[active], order[s]
					s--
					continue
				}
				pg = min(g, 0)
			}
			pgMax, pgMin = max(pgMax, pg), min(pgMin, pg)
			if math.Abs(pg) < 1e-12 {
				continue
			}
			old := alpha[i]
			alpha[i] = max(old-g/qii, 0)
			d := (alpha[i] - old) * yi
			for j, f := range x.idx {
				w[f] += d * float64(x.val[j])
			}
			w[nb] += d * biasX
		}
		if pgMax-pgMin <= eps {
			if active == len(order) {
				break
			}
			// Converged on the active set: check everything once more.
			active = len(order)
			pgMaxOld, pgMinOld = math.Inf(1), math.Inf(-1)
			continue
		}
		pgMaxOld, pgMinOld = pgMax, pgMin
		if pgMaxOld <= 0 {
			pgMaxOld = math.Inf(1)
		}
		if pgMinOld >= 0 {
			pgMinOld = math.Inf(-1)
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

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

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
	ref, oosWins := c.reference(sc)
	for k, v := range sc {
		sc[k] = sigmoid(c.a*(v-ref) + c.b)
	}
	return c.decide(sc, oosWins)
}

// reference returns the score intents are measured against: the out-of-scope class's score when
// there is one (a text is in scope by how much its best intent beats "none of these", which
// separates out-of-scope texts much better than the best score alone), else 0. oosWins tells
// whether the out-of-scope class beats every intent.
func (c *Classifier) reference(sc []float64) (ref float64, oosWins bool) {
	if c.oos < 0 {
		return 0, false
	}
	ref = sc[c.oos]
	for k, v := range sc {
		if k != c.oos && v >= ref {
			return ref, false
		}
	}
	return ref, true
}

// decide picks the label from probabilities.
func (c *Classifier) decide(p []float64, oosWins bool) Result {
	top := c.top(p)
	r := Result{Top: top}
	best := ""
	if len(top) > 0 {
		best = top[0].Label
	}
	switch {
	case len(top) == 0:
		r.Label, r.Confidence = OOS, 1
	case oosWins, top[0].Score < c.thres:
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

// Defaults used when there is too little data to calibrate on.
const (
	defaultA, defaultB = 4.0, 1.0
	defaultThreshold   = 0.5
)

// calibrate fits Platt scaling of the best intent's score (against the out-of-scope class's when
// there is one) and the out-of-scope threshold, on held-out folds of the training examples.
func calibrate(docs []Example, opts Options) (a, b, thres float64) {
	var hs []heldOut
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
		if len(c.labels) < 2 {
			continue
		}
		s := new(scratch)
		for _, e := range te {
			sc := c.rawScores(e.Text, s)
			k := -1
			for j, v := range sc {
				if j != c.oos && (k < 0 || v > sc[k]) {
					k = j
				}
			}
			if k < 0 {
				continue
			}
			ref, oosWins := c.reference(sc)
			hs = append(hs, heldOut{score: sc[k] - ref, right: c.labels[k] == e.Label, oos: e.Label == OOS, oosWins: oosWins})
		}
	}
	var (
		xs    []float64
		right []bool
	)
	for _, h := range hs {
		if !h.oos {
			xs = append(xs, h.score)
			right = append(right, h.right)
		}
	}
	a, b = plattFit(xs, right)
	return a, b, pickThreshold(hs, a, b)
}

// heldOut is the outcome of one held-out example in calibration.
type heldOut struct {
	score   float64 // best intent's score minus the reference
	right   bool    // the best intent is the true label
	oos     bool    // the true label is OOS
	oosWins bool    // the out-of-scope class beat every intent
}

// pickThreshold chooses the out-of-scope threshold. With enough held-out out-of-scope examples it
// maximises in-scope accuracy plus out-of-scope recall, giving up at most maxInScopeLoss of
// in-scope accuracy; otherwise it rejects the least sure thresholdQuantile of the in-scope
// examples the classifier got right.
func pickThreshold(hs []heldOut, a, b float64) float64 {
	var in, oos []heldOut
	for _, h := range hs {
		h.score = sigmoid(a*h.score + b)
		if h.oos {
			oos = append(oos, h)
		} else {
			in = append(in, h)
		}
	}
	var ps []float64
	for _, h := range in {
		if h.right && !h.oosWins {
			ps = append(ps, h.score)
		}
	}
	if len(ps) == 0 {
		return defaultThreshold
	}
	sort.Float64s(ps)
	if len(oos) < minHeldOutOOS {
		return ps[int(float64(len(ps))*thresholdQuantile)]
	}
	rate := func(th float64) (inAcc, oosRecall float64) {
		var r, o int
		for _, h := range in {
			if h.right && !h.oosWins && h.score >= th {
				r++
			}
		}
		for _, h := range oos {
			if h.oosWins || h.score < th {
				o++
			}
		}
		return float64(r) / float64(len(in)), float64(o) / float64(len(oos))
	}
	base, _ := rate(0)
	best, bestV := 0.0, math.Inf(-1)
	for i := 0; i < len(ps); i += max(1, len(ps)/400) {
		th := ps[i]
		inAcc, rec := rate(th)
		if base-inAcc > maxInScopeLoss {
			break
		}
		if v := inAcc + rec; v > bestV {
			best, bestV = th, v
		}
	}
	return best
}

// plattFit fits p(right | s) = sigmoid(a*s+b) by Newton's method on the log-likelihood, with
// Platt's smoothed targets.
func plattFit(s []float64, y []bool) (a, b float64) {
	var npos, nneg float64
	for _, v := range y {
		if v {
			npos++
		} else {
			nneg++
		}
	}
	if npos == 0 || nneg == 0 {
		return defaultA, defaultB
	}
	hi, lo := (npos+1)/(npos+2), 1/(nneg+2)
	a, b = defaultA, defaultB
	for range 50 {
		var ga, gb, haa, hab, hbb float64
		for i, x := range s {
			t := lo
			if y[i] {
				t = hi
			}
			p := sigmoid(a*x + b)
			d := p - t
			w := max(p*(1-p), 1e-12)
			ga += d * x
			gb += d
			haa += w * x * x
			hab += w * x
			hbb += w
		}
		haa += 1e-9
		hbb += 1e-9
		det := haa*hbb - hab*hab
		if det <= 0 {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		a, b = a-da, b-db
		if math.IsNaN(a) || math.IsNaN(b) || a <= 0 {
			return defaultA, defaultB
		}
		if math.Abs(da) < 1e-7 && math.Abs(db) < 1e-7 {
			break
		}
	}
	return a, b
}

// Threshold selection constants.
const (
	// thresholdQuantile is the share of correctly classified in-scope held-out examples that the
	// threshold may reject when there are no out-of-scope examples to tune it on.
	thresholdQuantile = 0.05
	// minHeldOutOOS is the number of held-out out-of-scope examples needed to tune on them.
	minHeldOutOOS = 20
	// maxInScopeLoss bounds the in-scope accuracy the threshold may give up for recall.
	maxInScopeLoss = 0.04
)

func (c *Classifier) String() string {
	return fmt.Sprintf("nlu.Classifier{labels: %d, features: %d}", len(c.labels), len(c.idf))
}

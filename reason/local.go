package reason

import (
	"context"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/kb"
)

// Local answers from the packs' articles with BM25 retrieval.
type Local struct {
	indexes map[string]*bm25
	// MinCoverage is the share of the question's (idf-weighted) words an article must contain for
	// the answer to count as confident.
	MinCoverage float64
}

var _ Reasoner = (*Local)(nil)

// NewLocal indexes every article of every pack.
func NewLocal(lib *kb.Library) *Local {
	l := &Local{indexes: map[string]*bm25{}, MinCoverage: 0.5}
	for _, name := range lib.PackNames() {
		p, _ := lib.Pack(name)
		l.indexes[name] = newBM25(p.Articles)
	}
	return l
}

// Respond returns the best matching article's text.
func (l *Local) Respond(_ context.Context, q Query) (Answer, error) {
	idx := l.indexes[q.Pack]
	if idx == nil {
		return Answer{}, ErrNoAnswer
	}
	hits := idx.search(q.Text, 1)
	if len(hits) == 0 {
		return Answer{}, ErrNoAnswer
	}
	a := idx.docs[hits[0].doc]
	cov := idx.coverage(q.Text, hits[0].doc)
	return Answer{
		Text: a.Body, Source: a.Title, SourceID: a.ID, Score: cov,
		Confident: cov >= l.MinCoverage, By: "local",
	}, nil
}

type bm25 struct {
	docs   []kb.Article
	tf     []map[string]int
	length []int
	df     map[string]int
	avg    float64
}

type hit struct {
	doc   int
	score float64
}

func newBM25(arts []kb.Article) *bm25 {
	b := &bm25{docs: arts, df: map[string]int{}}
	total := 0
	for _, a := range arts {
		toks := tokens(a.Title + " " + a.Title + " " + a.Body)
		tf := map[string]int{}
		for _, t := range toks {
			tf[t]++
		}
		for t := range tf {
			b.df[t]++
		}
		b.tf = append(b.tf, tf)
		b.length = append(b.length, len(toks))
		total += len(toks)
	}
	if len(arts) > 0 {
		b.avg = float64(total) / float64(len(arts))
	}
	return b
}

func (b *bm25) search(q string, k int) []hit {
	const k1, bb = 1.2, 0.75
	n := float64(len(b.docs))
	var hits []hit
	qt := tokens(q)
	for i, tf := range b.tf {
		s := 0.0
		for _, t := range qt {
			f := float64(tf[t])
			if f == 0 {
				continue
			}
			df := float64(b.df[t])
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			s += idf * f * (k1 + 1) / (f + k1*(1-bb+bb*float64(b.length[i])/b.avg))
		}
		if s > 0 {
			hits = append(hits, hit{i, s})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// coverage is the idf-weighted share of query words found in the document; words unknown to the
// pack weigh as much as the rarest word.
func (b *bm25) coverage(q string, doc int) float64 {
	n := float64(len(b.docs))
	maxIDF := math.Log(1 + (n+0.5)/0.5)
	var found, all float64
	for _, t := range tokens(q) {
		idf := maxIDF
		if df, ok := b.df[t]; ok {
			idf = math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
		}
		all += idf
		if b.tf[doc][t] > 0 {
			found += idf
		}
	}
	if all == 0 {
		return 0
	}
	return found / all
}

var stop = map[string]bool{
	"a": true, "an": true, "the": true, "is": true, "are": true, "my": true, "i": true, "you": true,
	"to": true, "of": true, "and": true, "or": true, "in": true, "on": true, "for": true, "do": true,
	"does": true, "what": true, "how": true, "can": true, "it": true, "be": true, "me": true, "your": true,
	"with": true, "at": true, "much": true, "many": true, "long": true, "please": true, "tell": true, "about": true, "have": true, "get": true, "we": true, "our": true, "this": true, "that": true, "when": true, "why": true, "there": true, "from": true,
}

// tokens lowercases, splits on non-letters, drops stop words and strips common suffixes.
func tokens(s string) []string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := f[:0]
	for _, w := range f {
		if stop[w] {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

func stem(w string) string {
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if len(w) > len(suf)+3 && strings.HasSuffix(w, suf) {
			return strings.TrimSuffix(w, suf)
		}
	}
	return w
}

// Search returns up to k articles of the pack that best match q.
func (l *Local) Search(pack, q string, k int) []kb.Article {
	idx := l.indexes[pack]
	if idx == nil {
		return nil
	}
	var out []kb.Article
	for _, h := range idx.search(q, k) {
		out = append(out, idx.docs[h.doc])
	}
	return out
}

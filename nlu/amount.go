package nlu

import (
	"math"
	"strconv"
	"strings"
)

// Amount is a money amount found in text.
type Amount struct {
	// Value is the primary reading, in currency units rounded to cents.
	Value float64 `json:"value"`
	// Alts are other readings, most likely first: "twelve fifty" is 1250 or 12.50.
	Alts []float64 `json:"alts,omitempty"`
	// Text is the span the amount was read from; Start and End are its byte offsets.
	Text       string `json:"text"`
	Start, End int    `json:"-"`
	// Marked tells whether the text said it is money: a currency sign or word, cents, or "/100".
	Marked bool `json:"marked"`
	// Confidence is how sure the reading is, in [0,1].
	Confidence float64 `json:"confidence"`
}

// ParseAmount reads every number phrase of text as a money amount, in digits ("$1,250.75") or
// words ("twelve fifty seventy five", "one thousand two hundred fifty and 75/100", "twelve hundred
// fifty dollars and seventy five cents"). Phrases that do not say they are money are returned too,
// with Marked false and a lower confidence; use it where an amount is expected.
func ParseAmount(text string) []Amount {
	toks := lex(text)
	var out []Amount
	for _, p := range phrases(toks, nil) {
		if a, ok := p.amount(text); ok {
			out = append(out, a)
		}
	}
	return out
}

type itemKind uint8

const (
	iChunk itemKind = iota
	iDollar
	iCents
	iAnd
	iPoint
	iFrac
)

type item struct {
	kind itemKind
	c    chunk
	frac float64
}

// phrase is a run of tokens that says a number: number words, numerals, currency words.
type phrase struct {
	items      []item
	start, end int
	sign       bool // "$"
	first      int  // index of the first token
	last       int  // index of the last token
}

var (
	dollarWords = map[string]bool{"dollar": true, "dollars": true, "bucks": true, "buck": true, "usd": true}
	centWords   = map[string]bool{"cent": true, "cents": true}
)

func numberWordAt(toks []token, i int) bool {
	if i >= len(toks) {
		return false
	}
	t := toks[i]
	if t.kind == tokNum || t.kind == tokFrac {
		return true
	}
	if t.kind != tokWord {
		return false
	}
	_, ok := numWords[t.text]
	return ok || t.text == "double" || t.text == "triple" || (t.text == "a" && i+1 < len(toks) && (toks[i+1].text == "hundred" || toks[i+1].text == "thousand"))
}

// phrases finds the number phrases of toks. Tokens marked in used are skipped.
func phrases(toks []token, used []bool) []phrase {
	var out []phrase
	i := 0
	for i < len(toks) {
		if p, next, ok := phraseAt(toks, used, i); ok {
			out = append(out, p)
			i = next
			continue
		}
		i++
	}
	return out
}

func phraseAt(toks []token, used []bool, i int) (phrase, int, bool) {
	free := func(j int) bool { return j < len(toks) && (used == nil || !used[j]) }
	p := phrase{first: i}
	if free(i) && toks[i].kind == tokDollar && free(i+1) && numberWordAt(toks, i+1) {
		p.sign = true
		p.start = toks[i].start
		i++
	}
	if !free(i) || !numberWordAt(toks, i) || (toks[i].text == "o" || toks[i].text == "oh") && !numberWordAt(toks, i+1) {
		return p, i, false
	}
	if !p.sign {
		p.start = toks[i].start
	}
	k := chunker{out: &p.items}
	started := false
	for ; free(i); i++ {
		t := toks[i]
		marker := func(kind itemKind) {
			k.flush()
			p.items = append(p.items, item{kind: kind})
		}
		switch {
		case t.kind == tokNum:
			k.flush()
			nt := t
			v, _ := strconv.ParseFloat(t.text, 64)
			p.items = append(p.items, item{kind: iChunk, c: chunk{val: int64(v), start: t.start, end: t.end, num: &nt}})
		case t.kind == tokFrac:
			k.flush()
			v, _ := strconv.ParseFloat(t.text, 64)
			p.items = append(p.items, item{kind: iFrac, frac: v})
		case t.kind == tokWord && (t.text == "double" || t.text == "triple") && free(i+1) && numWords[toks[i+1].text].kind == wUnit:
			n := 2
			if t.text == "triple" {
				n = 3
			}
			w := numWords[toks[i+1].text]
			for range n {
				k.add(toks[i+1], w)
			}
			i++
		case t.kind == tokWord && t.text == "a" && free(i+1) && (toks[i+1].text == "hundred" || toks[i+1].text == "thousand"):
			k.add(t, numWord{wUnit, 1})
		case t.kind == tokWord && numWords[t.text].kind != 0:
			w := numWords[t.text]
			if (t.text == "o" || t.text == "oh") && !started && !numberWordAt(toks, i+1) {
				return p, i, false
			}
			k.add(t, w)
		case !started:
			return p, i, false
		case t.kind == tokWord && t.text == "and" && free(i+1) && numberWordAt(toks, i+1):
			if c := k.cur; c != nil && (c.last == wHund || c.last == wScale) && toks[i+1].kind == tokWord {
				continue // "one hundred and fifty"
			}
			marker(iAnd)
		case t.kind == tokWord && dollarWords[t.text]:
			marker(iDollar)
		case t.kind == tokWord && centWords[t.text]:
			marker(iCents)
		case t.kind == tokWord && t.text == "point" && free(i+1) && numberWordAt(toks, i+1):
			marker(iPoint)
		case t.kind == tokPunct && t.text == "-" && free(i+1) && numberWordAt(toks, i+1) && toks[i-1].kind == tokWord:
			continue
		default:
			goto done
		}
		started = true
		p.end = t.end
		p.last = i
		if t.kind == tokWord && (t.text == "double" || t.text == "triple") {
			p.end = toks[i].end
		}
	}
done:
	k.flush()
	for len(p.items) > 0 && p.items[len(p.items)-1].kind == iAnd {
		p.items = p.items[:len(p.items)-1]
	}
	if len(p.items) == 0 {
		return p, i, false
	}
	return p, i, true
}

// amount reads a phrase as money.
func (p phrase) amount(text string) (Amount, bool) {
	a := Amount{Start: p.start, End: p.end, Text: text[p.start:p.end], Marked: p.sign}
	items := p.items
	var (
		dollars   []item
		cents     = -1.0
		centsSaid bool // "point seven five": two decimals, as money has
	)
	idx := func(kind itemKind) int {
		for i, it := range items {
			if it.kind == kind {
				return i
			}
		}
		return -1
	}
	lastChunkBefore := func(j int) int {
		for i := j - 1; i >= 0; i-- {
			if items[i].kind == iChunk {
				return i
			}
		}
		return -1
	}
	hasDollarWord := idx(iDollar) >= 0
	switch f, m, d, pt := idx(iFrac), idx(iCents), idx(iDollar), idx(iPoint); {
	case f >= 0:
		cents = items[f].frac / 100
		dollars = items[:f]
		a.Marked = true
	case m >= 0:
		j := lastChunkBefore(m)
		if j < 0 || items[j].c.val >= 100 {
			return a, false
		}
		cents = float64(items[j].c.val) / 100
		dollars = items[:j]
		a.Marked = true
	case d >= 0 && lastChunkBefore(len(items)) > d:
		rest := chunksOf(items[d+1:])
		if len(rest) == 1 && rest[0].val < 100 {
			cents = float64(rest[0].val) / 100
		}
		dollars = items[:d]
		a.Marked = true
	case pt >= 0:
		ds, ok := digitString(chunksOf(items[pt+1:]))
		if !ok {
			return a, false
		}
		cents, _ = strconv.ParseFloat("0."+ds, 64)
		dollars = items[:pt]
		centsSaid = len(ds) == 2
	default:
		dollars = items
	}
	if hasDollarWord {
		a.Marked = true
	}
	cs := chunksOf(dollars)
	vals, conf := readDollars(cs, cents >= 0 || a.Marked)
	if len(vals) == 0 {
		if cents < 0 || len(cs) > 0 {
			return a, false
		}
		vals, conf = []float64{0}, 0.9
	}
	if cents < 0 {
		cents = 0
	} else if len(vals) > 0 && vals[0] != math.Trunc(vals[0]) {
		// "12.50 and 75 cents" makes no sense; keep the numeral.
		cents = 0
	}
	for i := range vals {
		vals[i] = roundCents(vals[i] + cents)
	}
	a.Value = vals[0]
	if len(vals) > 1 {
		a.Alts = vals[1:]
	}
	if a.Marked {
		conf = max(conf, 0.9)
	} else if centsSaid {
		conf = max(conf, 0.8)
	}
	a.Confidence = conf
	return a, true
}

func chunksOf(items []item) []chunk {
	var cs []chunk
	for _, it := range items {
		if it.kind == iChunk {
			cs = append(cs, it.c)
		}
	}
	return cs
}

// readDollars reads the whole-currency part of an amount from its chunks, returning the readings
// (most likely first) and a confidence.
func readDollars(cs []chunk, marked bool) ([]float64, float64) {
	switch {
	case len(cs) == 1:
		c := cs[0]
		if c.num != nil {
			v, err := strconv.ParseFloat(c.num.text, 64)
			if err != nil {
				return nil, 0
			}
			conf := 0.6
			if c.num.decimal && len(c.num.text)-strings.IndexByte(c.num.text, '.') == 3 || c.num.grouped {
				conf = 0.85
			}
			return []float64{v}, conf
		}
		return []float64{float64(c.val)}, 0.7
	case len(cs) == 2 && cs[0].small() && cs[0].val > 0 && cs[1].twoDigit():
		v := float64(cs[0].val*100 + cs[1].val)
		if marked {
			return []float64{v}, 0.8
		}
		return []float64{v, float64(cs[0].val) + float64(cs[1].val)/100}, 0.6
	case len(cs) == 2 && cs[0].scaled && cs[0].num == nil && cs[1].small() && cs[0].val%100 == 0:
		return []float64{float64(cs[0].val + cs[1].val)}, 0.7
	case len(cs) == 3 && !marked && cs[0].small() && cs[0].val > 0 && cs[1].twoDigit() && cs[2].twoDigit():
		return []float64{float64(cs[0].val*100+cs[1].val) + float64(cs[2].val)/100}, 0.75
	}
	if ds, ok := digitString(cs); ok && len(cs) > 1 {
		v, err := strconv.ParseFloat(ds, 64)
		if err == nil {
			return []float64{v}, 0.3
		}
	}
	return nil, 0
}
